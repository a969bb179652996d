/**
 * `/dev/:wid` page script, after host_link.js and host.js: attaches at once to the session and
 * window named by the page's meta tags (only that window, plus windows opened later), retries when
 * the socket comes back, and mirrors the window title into the tab title. When its window closes
 * (or was closed before the page loaded) it says so instead of showing an empty page. Once the app
 * opens a second window (window.open_view shows it in front), a picker in the corner bar switches
 * back: without it the page had no way to return to the first window.
 */
(function (win) {
  "use strict";
  const doc = win.document;
  const host = win.__annaHost;
  if (!host) return;
  const { config, on, report, attach } = host;
  if (!config.sessionId) return;
  const GONE = "this window is closed: open the app again from the dashboard";
  let attachState = "no"; // no | trying | yes
  let sessionClosed = false;
  const setStatus = (text) => {
    const el = doc.querySelector("[data-anna-status]");
    if (el) el.textContent = text;
  };
  const showWindowGone = () => {
    const el = doc.querySelector("[data-anna-status]");
    if (!el || sessionClosed || attachState !== "yes") return;
    if (host.windows().length === 0) el.textContent = GONE;
    else if (el.textContent === GONE) el.textContent = "";
  };
  const tryAttach = () => {
    attachState = "trying";
    attach(config.sessionId, { only: config.windowUuid }).then(
      () => {
        attachState = "yes";
        showWindowGone();
      },
      (e) => {
        attachState = "no";
        report("cannot attach the session", e);
      },
    );
  };
  on("connection", ({ state }) => {
    if (state === "open" && attachState === "no") tryAttach();
  });
  const sw = doc.querySelector("[data-anna-switch]");
  if (sw) sw.addEventListener("change", () => host.setActive(sw.value));
  const fillSwitch = (list) => {
    if (!sw) return;
    sw.hidden = list.length < 2;
    const options = list.map((w) => {
      const o = doc.createElement("option");
      o.value = w.wid;
      o.textContent = (w.title || w.view) + (w.status === "active" ? "" : ` (${w.status})`);
      o.selected = !!w.active;
      return o;
    });
    sw.replaceChildren(...options);
  };
  on("windows", (list) => {
    const active = list.find((w) => w.active);
    if (active && active.title) doc.title = active.title;
    fillSwitch(list);
    showWindowGone();
  });
  on("session_closed", () => {
    sessionClosed = true;
    setStatus("session closed");
  });
  tryAttach();
})(globalThis);
