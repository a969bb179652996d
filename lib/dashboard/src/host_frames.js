/**
 * The app iframes of a host page (CONTRACT §12.8): each window's iframe element with the
 * contract's sandbox and URL, its size from the window geometry (§3.10), and the view table a
 * manifest reload may change. Needs host_link.js and host_relay.js first; host.js uses it through
 * `window.__annaFrames`. No imports, no build step; runs under the dashboard CSP (§11.3).
 */
(function (win) {
  "use strict";
  const doc = win.document;
  const { frameUrl } = win.__annaRelay;
  const SANDBOX =
    "allow-scripts allow-same-origin allow-forms allow-popups allow-modals allow-downloads";

  /** The window's iframe URL; the session's view table wins, as a manifest reload may change it. */
  function frameSrc(s, rec) {
    const vm = s.views[rec.view] || rec.viewMeta;
    const entry = (vm && vm.entry) || "index.html";
    return frameUrl({ slug: s.info.app_slug, entry, wid: rec.wid, token: rec.token });
  }
  function learnViews(s, info) {
    for (const vm of info.views || []) if (vm && vm.name) s.views[vm.name] = vm;
    for (const w of info.windows || []) if (w.view_meta) s.views[w.view] = w.view_meta;
  }
  function applyGeometry(iframe, g) {
    if (!g || !iframe) return;
    if (g.w) iframe.style.width = `${g.w}px`;
    if (g.h) iframe.style.height = `${g.h}px`;
  }
  function createFrame(s, rec) {
    const f = doc.createElement("iframe");
    f.setAttribute("sandbox", SANDBOX);
    f.setAttribute("allow", "clipboard-write");
    f.setAttribute("data-testid", "app-frame");
    f.setAttribute("data-wid", rec.wid);
    f.title = rec.title || rec.view || "app";
    applyGeometry(f, rec.geometry);
    f.addEventListener("load", () => (rec.loadedAt = Date.now())); // for the no-hello notice
    f.src = frameSrc(s, rec);
    s.container.appendChild(f);
    return f;
  }
  /** A fresh iframe for the window, in the old one's place (the old document goes away). */
  function replaceFrame(s, rec) {
    const old = rec.iframe;
    const f = createFrame(s, rec);
    old.replaceWith(f);
    rec.iframe = f;
    f.toggleAttribute("data-active", s.active === rec.wid);
  }

  win.__annaFrames = { frameSrc, learnViews, applyGeometry, createFrame, replaceFrame };
})(globalThis);
