/**
 * `/dev/:wid` page script, after host_link.js and host.js: attaches at once to the session and
 * window named by the page's meta tags (only that window, plus windows opened later), retries when
 * the socket comes back, and mirrors the window title into the tab title.
 */
(function (win) {
  "use strict";
  const doc = win.document;
  const host = win.__annaHost;
  if (!host) return;
  const { config, on, report, attach } = host;
  if (!config.sessionId) return;
  let attachState = "no"; // no | trying | yes
  const tryAttach = () => {
    attachState = "trying";
    attach(config.sessionId, { only: config.windowUuid }).then(
      () => void (attachState = "yes"),
      (e) => {
        attachState = "no";
        report("cannot attach the session", e);
      },
    );
  };
  on("connection", ({ state }) => {
    if (state === "open" && attachState === "no") tryAttach();
  });
  on("windows", (list) => {
    const active = list.find((w) => w.active);
    if (active && active.title) doc.title = active.title;
  });
  on("session_closed", () => {
    const el = doc.querySelector("[data-anna-status]");
    if (el) el.textContent = "session closed";
  });
  tryAttach();
})(globalThis);
