/**
 * Dashboard windows (CONTRACT §13): the window tabs, the reload / close / open-view controls, the
 * active window's token expiry and the "app has not connected" notice. Loaded after the other
 * panel scripts, so its `windows` listener runs after theirs.
 */
(function (win) {
  "use strict";
  const dash = win.__annaDash;
  if (!dash) return;
  const doc = win.document;
  const { $, h, host, act, parseJson } = dash;

  function renderTabs(list) {
    const tabs = $("window-tabs");
    // rebuilt: a keyboard user on a tab stays on it (or on the active one if it closed)
    const focusWid = tabs.contains(doc.activeElement) ? doc.activeElement.dataset.wid : null;
    tabs.replaceChildren(
      ...list.map((w) =>
        h(
          "button",
          {
            type: "button",
            testid: "window-tab",
            class: `tab${w.active ? " active" : ""}`,
            data: { wid: w.wid, status: w.status },
            "aria-pressed": String(!!w.active),
            title: `${w.view} · ${w.wid}`,
            on: { click: () => host.setActive(w.wid) },
          },
          w.title || w.view,
          w.primary ? h("span", { class: "muted", text: " ★" }) : null,
          w.status !== "active" ? h("span", { class: "badge", text: w.status }) : null,
        )
      ),
    );
    if (focusWid) {
      const kids = [...tabs.children];
      const next = kids.find((t) => t.dataset.wid === focusWid) ||
        kids.find((t) => t.ariaPressed === "true");
      if (next) next.focus();
    }
    $("no-windows").hidden = list.length > 0;
    updateExpiry();
  }
  /** A loaded page whose SDK never said hello usually does not load the SDK at all. */
  const NO_HELLO_MS = 3000;
  function updateConnected(w) {
    const el = $("window-not-connected");
    const stuck = !!w && w.status === "active" && !w.connected && !!w.loadedAt &&
      Date.now() - w.loadedAt > NO_HELLO_MS;
    el.hidden = !stuck;
    el.textContent = stuck
      ? "the app has not connected (no window.hello): does its page load " +
        '<script src="/static/anna-apps/_sdk/latest/index.js"> and call ' +
        "AnnaAppRuntime.connect()? The frame's browser console says why."
      : "";
  }
  function updateExpiry() {
    const w = host.windows().find((x) => x.active);
    updateConnected(w);
    const el = $("token-expiry");
    if (!w || !w.tokenExpiresAt) return void (el.textContent = "");
    // a terminal window's tokens are refused (§6.3) whatever their expiry says
    if (w.status === "crashed" || w.status === "closed") {
      el.textContent = `window ${w.status}: its token is no longer accepted`;
      el.dataset.expired = "true";
      return;
    }
    const left = Math.round((w.tokenExpiresAt - Date.now()) / 1000);
    el.textContent = left > 0 ? `token expires in ${left}s` : "token expired";
    el.dataset.expired = String(left <= 0);
  }
  function wireWindows() {
    $("reload-window").addEventListener("click", act(() => host.reload(host.activeWindow())));
    $("close-window").addEventListener(
      "click",
      act(() => {
        const wid = host.activeWindow();
        if (wid) return host.closeWindow(wid);
      }),
    );
    const form = $("open-view-form");
    form.addEventListener(
      "submit",
      act(async () => {
        const payload = parseJson(form.elements.payload.value, "payload", {});
        if (payload === null || typeof payload !== "object" || Array.isArray(payload)) {
          throw new Error("payload must be a JSON object");
        }
        await host.openView(form.elements.view.value.trim(), payload);
      }),
    );
    host.on("windows", renderTabs);
    win.setInterval(updateExpiry, 1000);
  }

  dash.register({ init: wireWindows });
})(globalThis);
