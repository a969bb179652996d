/**
 * Dashboard shell (CONTRACT §13): header, session picker, and the shared helpers the panel
 * scripts (dash_log.js, dash_state.js, dash_windows.js, …) use through `window.__annaDash`. The
 * host duties (iframes, relaying, events, live reload) belong to host.js (`window.__annaHost`).
 * Loaded with `defer` before the panel scripts; boots on DOMContentLoaded.
 */
(function (win) {
  "use strict";
  const doc = win.document;
  const host = win.__annaHost;
  const MAX_STATE_BYTES = 262144;

  // ---- helpers shared with the panels ----------------------------------------------------------
  // fixed elements are looked up once: each log entry uses several, in a DOM of ~40 000 nodes
  const found = new Map();
  function $(testid, root) {
    const hit = !root && found.get(testid);
    if (hit && hit.isConnected) return hit;
    const el = (root || doc).querySelector(`[data-testid="${testid}"]`);
    if (el && !root) found.set(testid, el);
    return el;
  }
  /** Creates an element: h("td", {testid, class, text, title, on: {click}, data: {k: v}}, ...kids) */
  function h(tag, attrs, ...kids) {
    const el = doc.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v == null || v === false) continue;
      if (k === "text") el.textContent = String(v);
      else if (k === "class") el.className = v;
      else if (k === "testid") el.setAttribute("data-testid", v);
      else if (k === "on") {
        for (const [ev, fn] of Object.entries(v)) el.addEventListener(ev, fn);
      } else if (k === "data") {
        for (const [dk, dv] of Object.entries(v)) el.dataset[dk] = String(dv);
      } else el.setAttribute(k, v === true ? "" : String(v));
    }
    for (const kid of kids.flat()) {
      if (kid != null && kid !== false) el.append(kid instanceof win.Node ? kid : String(kid));
    }
    return el;
  }
  const pad = (n, w) => String(n).padStart(w || 2, "0");
  function fmtTime(ms) {
    const d = new Date(ms);
    return `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}.${
      pad(d.getMilliseconds(), 3)
    }`;
  }
  const json = (v) => JSON.stringify(v, null, 2) ?? "undefined";
  // Dev tokens (§8.2) as lib/util/redact.ts writes them down: the page shows, never the secret.
  // Both placeholders are that file's DEV_TOKEN and REDACTED_TOKEN, put in by scripts/gen_assets.ts.
  const DEV_TOKEN = /__DEV_TOKEN__/g;
  const REDACTED_TOKEN = "__REDACTED_TOKEN__";
  const redact = (s) => s.replace(DEV_TOKEN, () => REDACTED_TOKEN);
  const bytes = (v) => new TextEncoder().encode(JSON.stringify(v)).length;
  /** The first `n` UTF-16 units of `s`, one fewer when the cut would split a surrogate pair. */
  const head = (s, n) => s.slice(0, /[\uD800-\uDBFF]/.test(s[n - 1] ?? "") ? n - 1 : n);
  const shortId = (id) => (typeof id === "string" ? id.replace(/^ses_/, "").slice(0, 8) : "—");
  /** Parses a JSON text field, naming the field in the error. Empty → fallback. */
  function parseJson(text, field, fallback) {
    if (!String(text).trim()) return fallback;
    try {
      return JSON.parse(text);
    } catch (e) {
      throw new Error(`${field} is not valid JSON (${e.message})`);
    }
  }
  let errorTimer = null;
  function showError(e) {
    const box = $("dash-error");
    box.textContent = e && e.message ? e.message : String(e);
    box.hidden = false;
    win.clearTimeout(errorTimer);
    errorTimer = win.setTimeout(() => (box.hidden = true), 8000);
  }
  /** The error box speaks of the last action only: a new one clears it. */
  function clearError() {
    win.clearTimeout(errorTimer);
    $("dash-error").hidden = true;
  }
  /** Runs an async UI action, reporting failures in the error box. */
  function act(fn) {
    return (ev) => {
      if (ev && ev.preventDefault) ev.preventDefault();
      clearError();
      Promise.resolve().then(fn).catch(showError);
    };
  }

  const panels = [];
  const helpers = {
    host,
    $,
    h,
    fmtTime,
    json,
    redact,
    bytes,
    head,
    shortId,
    parseJson,
    showError,
    act,
  };
  const dash = {
    ...helpers,
    MAX_STATE_BYTES,
    info: null, // last session.get result
    runtimeInfo: null,
    devSlug: null, // dev mode: the watched app, which `manifest` log entries are about
    register: (panel) => panels.push(panel),
  };
  win.__annaDash = dash;
  function each(hook, arg) {
    for (const p of panels) {
      if (typeof p[hook] !== "function") continue;
      try {
        p[hook](arg);
      } catch (e) {
        console.error(`[dashboard] panel ${hook} failed`, e);
      }
    }
  }

  // ---- header and sessions ---------------------------------------------------------------------
  let sessions = [];
  let listing = null;
  let relist = null; // {pick} of calls made while a listing ran: one more run after it
  /** Re-lists sessions and, unless `pick` is false, shows the chosen one. */
  function refreshSessions(pick) {
    if (listing) {
      relist = { pick: (relist && relist.pick) || pick !== false };
      return listing;
    }
    listing = listSessions(pick).finally(() => {
      listing = null;
      const again = relist;
      relist = null;
      if (again) refreshSessions(again.pick).catch(showError);
    });
    return listing;
  }
  async function listSessions(pick) {
    const res = await host.rpc("session.list", {});
    sessions = res.sessions || [];
    if (!dash.devSlug && dash.runtimeInfo && dash.runtimeInfo.mode === "dev" && sessions.length) {
      // `dev` made its session before anything else could: manifest log entries are about it
      const oldest = sessions.reduce((a, b) => (b.created_at < a.created_at ? b : a));
      dash.devSlug = oldest.app_slug;
    }
    const picker = $("session-picker");
    picker.replaceChildren(
      ...sessions.map((s) =>
        h("option", {
          value: s.session_id,
          text: `${s.app_slug} · ${shortId(s.session_id)} · ${s.open_windows} window(s)`,
        })
      ),
    );
    if (!sessions.length) picker.append(h("option", { value: "", text: "no sessions" }));
    const cur = host.sessionId();
    const wanted = new URLSearchParams(win.location.hash.slice(1)).get("session");
    const known = (id) => id && sessions.some((s) => s.session_id === id);
    const target = known(cur)
      ? cur
      : known(wanted)
      ? wanted
      : sessions[0] && sessions[0].session_id;
    picker.value = target || "";
    if (pick !== false && target && target !== cur) await selectSession(target);
    if (!target && cur) clearSession();
  }
  /** No session shown: detach and empty every panel, so nothing of a closed session stays. */
  function clearSession() {
    host.detach();
    each("reset");
    dash.info = null;
    $("header-slug").textContent = "—";
    fillViews([]);
  }
  async function selectSession(id) {
    each("reset");
    dash.info = null;
    win.history.replaceState(null, "", `#session=${encodeURIComponent(id)}`);
    await host.attach(id);
  }
  function onSession(info) {
    dash.info = info;
    $("header-slug").textContent = info.app_slug || "—";
    const known = [
      ...(info.views || []).map((v) => v.name),
      ...(info.windows || []).map((w) => w.view),
    ];
    fillViews(known);
    each("session", info);
  }
  function fillViews(names) {
    const list = doc.getElementById("view-names");
    const uniq = [...new Set(names.filter((v) => typeof v === "string"))];
    if (list) list.replaceChildren(...uniq.map((v) => h("option", { value: v })));
  }
  function wireHeader() {
    const top = doc.querySelector("header.top");
    const setHeight = () =>
      doc.documentElement.style.setProperty("--header-h", `${top.offsetHeight}px`);
    setHeight();
    if (win.ResizeObserver) new win.ResizeObserver(setHeight).observe(top);
    $("session-picker").addEventListener(
      "change",
      act(() => selectSession($("session-picker").value)),
    );
    $("close-session").addEventListener(
      "click",
      act(async () => {
        const id = host.sessionId();
        if (!id) return;
        await host.rpc("session.close", { session_id: id });
        clearSession();
        await refreshSessions();
      }),
    );
    const form = $("new-session-form");
    $("new-session").addEventListener("click", () => {
      const info = dash.info || {};
      form.elements.app_dir.value = info.app_dir || "";
      form.elements.app_slug.value = info.app_slug || "";
      form.hidden = !form.hidden;
    });
    $("new-session-cancel").addEventListener("click", () => (form.hidden = true));
    form.addEventListener(
      "submit",
      act(async () => {
        const f = form.elements;
        const params = { entry_payload: parseJson(f.entry_payload.value, "entry payload", {}) };
        if (f.app_dir.value.trim()) params.app_dir = f.app_dir.value.trim();
        if (f.app_slug.value.trim()) params.app_slug = f.app_slug.value.trim();
        if (f.view.value.trim()) params.view = f.view.value.trim();
        if (f.user_id.value !== "") params.user_id = Number(f.user_id.value);
        const res = await host.rpc("session.create", params);
        form.hidden = true;
        await refreshSessions(false);
        $("session-picker").value = res.session_id;
        await selectSession(res.session_id);
      }),
    );
    const live = $("live-reload");
    const liveState = $("live-reload-state");
    if (host.config.liveReload === "off") {
      // serve, or dev --no-watch: nothing is watched, so nothing would ever reload
      live.checked = false;
      live.disabled = true;
      liveState.dataset.state = "off";
      liveState.textContent = "off (files not watched)";
    } else {
      live.checked = host.liveReload();
      liveState.dataset.state = live.checked ? "on" : "paused";
    }
    live.addEventListener("change", () => {
      host.setLiveReload(live.checked);
      liveState.dataset.state = live.checked ? "on" : "paused";
    });
    host.on("live_reload", ({ entry, at }) => {
      const what = entry.type === "manifest" ? "manifest" : `${(entry.paths || []).length} file(s)`;
      $("live-reload-state").textContent = `reloaded ${fmtTime(at)} (${what})`;
    });
    let wasDown = false;
    host.on("connection", ({ state }) => {
      const el = $("ws-state");
      el.dataset.state = state;
      el.textContent = state === "open"
        ? "connected"
        : state === "unauthorized"
        ? "control token changed — reload the page"
        : state;
      $("reload-page").hidden = state !== "unauthorized";
      if (state === "down" || state === "unauthorized") wasDown = true;
      // back after a drop: the runtime may have restarted with other sessions
      if (state === "open" && wasDown) {
        wasDown = false;
        refreshSessions().catch(showError);
      }
    });
    host.on("log_reset", () => {
      dash.devSlug = null;
      each("logReset");
    });
    host.on("log_reconnected", () => {
      if (host.isOpen()) refreshSessions().catch(showError);
    });
    $("reload-page").addEventListener("click", () => win.location.reload());
  }

  // ---- boot ------------------------------------------------------------------------------------
  async function boot() {
    if (!host) return showError(new Error("host.js did not load"));
    each("init");
    wireHeader();
    host.on("session", onSession);
    host.on("event", (env) => each("event", env));
    host.on("log", (item) => {
      each("log", item);
      if (!item.history && item.entry.type === "session") refreshSessions().catch(showError);
    });
    host.on("error", (e) => showError(e));
    host.on("session_closed", () => refreshSessions().catch(showError));
    // the picker's "N window(s)": re-listed when a window opens or closes
    let countTimer = null;
    host.on("event", (env) => {
      if (!["open_view", "close_view", "status_changed"].includes(env.kind)) return;
      win.clearTimeout(countTimer);
      countTimer = win.setTimeout(() => refreshSessions(false).catch(showError), 250);
    });
    host.startLogStream();
    try {
      const info = await host.rpc("runtime.info", {});
      dash.runtimeInfo = info;
      $("runtime-mode").textContent = info.mode || "—";
      $("llm-mode").textContent = info.llm_mode || "—";
      if (info.version) $("header-version").textContent = info.version;
    } catch (e) {
      showError(e);
    }
    await refreshSessions().catch(showError);
  }
  // Deferred scripts run while readyState is "interactive"; DOMContentLoaded fires after the last
  // of them, so every panel script has registered by then.
  if (doc.readyState === "complete") boot();
  else doc.addEventListener("DOMContentLoaded", boot);
})(globalThis);
