/**
 * Host page script (CONTRACT §12.8), shared by the dashboard `/` and the single-window page
 * `/dev/:wid`. It embeds app iframes on the app origin, relays their postMessage requests to the
 * runtime as `app.call` over one `/ws` connection, forwards session events from SSE (§7.3) and
 * reloads iframes on live-reload log entries. API for the dashboard: `window.__annaHost`.
 * No imports, no build step; must run under the dashboard CSP (§11.3).
 */
(function (win) {
  "use strict";
  const doc = win.document;
  const CHANNEL = "anna-app/1";
  const SANDBOX =
    "allow-scripts allow-same-origin allow-forms allow-popups allow-modals allow-downloads";
  const LOG_KEEP = 2000;
  const CLOSE_GRACE_MS = 200; // lets the app's `close` handler run before its iframe goes away

  function meta(name) {
    const el = doc && doc.querySelector ? doc.querySelector(`meta[name="${name}"]`) : null;
    const v = el ? el.getAttribute("content") : null;
    return v ? v : null;
  }
  const loc = win.location;
  const appPort = Number(meta("anna-app-port")) || Number(loc.port) + 1;
  const config = {
    controlToken: meta("anna-control-token"),
    appPort,
    sessionId: meta("anna-session-id"),
    windowUuid: meta("anna-window-uuid"),
    version: meta("anna-version"),
    mainOrigin: loc.origin,
    // Same hostname as the host page, other port: a different origin for the app (§11.1).
    appOrigin: `${loc.protocol}//${loc.hostname}:${appPort}`,
  };
  const ct = config.controlToken;

  // ---- tiny event emitter -------------------------------------------------------------------
  const handlers = new Map();
  function on(name, fn) {
    if (!handlers.has(name)) handlers.set(name, new Set());
    handlers.get(name).add(fn);
    return () => handlers.get(name).delete(fn);
  }
  function emit(name, data) {
    for (const fn of [...(handlers.get(name) || [])]) {
      try {
        fn(data);
      } catch (e) {
        console.error(`[anna-host] '${name}' listener failed`, e);
      }
    }
  }
  function report(message, err) {
    const text = err && err.message ? `${message}: ${err.message}` : message;
    console.warn(`[anna-host] ${text}`);
    emit("error", { message: text, error: err });
  }

  // ---- WebSocket JSON-RPC bridge (§11.6), reconnecting with backoff ---------------------------
  function hostError(code, message, extra) {
    const e = new Error(message);
    e.code = code;
    return Object.assign(e, extra || {});
  }
  const bridge = {
    ws: null,
    state: "idle",
    everOpen: false,
    nextId: 1,
    backoff: 250,
    pending: new Map(),
    queue: [],
  };
  function wsUrl() {
    const proto = loc.protocol === "https:" ? "wss:" : "ws:";
    return `${proto}//${loc.host}/ws${ct ? `?ct=${encodeURIComponent(ct)}` : ""}`;
  }
  function setState(state) {
    bridge.state = state;
    emit("connection", { state });
  }
  function openSocket() {
    if (bridge.ws) return;
    setState("connecting");
    let sock;
    try {
      sock = new win.WebSocket(wsUrl());
    } catch (e) {
      report("cannot open /ws", e);
      return onSocketClosed();
    }
    bridge.ws = sock;
    sock.onopen = () => {
      bridge.everOpen = true;
      bridge.backoff = 250;
      setState("open");
      for (const frame of bridge.queue.splice(0)) sock.send(frame);
    };
    sock.onmessage = (ev) => onFrame(ev.data);
    sock.onclose = () => {
      if (bridge.ws === sock) onSocketClosed();
    };
  }
  function onSocketClosed() {
    bridge.ws = null;
    bridge.queue.length = 0;
    for (const p of bridge.pending.values()) {
      p.reject(hostError("host_unavailable", "connection to the runtime was lost"));
    }
    bridge.pending.clear();
    setState("down");
    const delay = bridge.backoff;
    bridge.backoff = Math.min(bridge.backoff * 2, 5000);
    win.setTimeout(openSocket, delay);
  }
  function onFrame(text) {
    let msg;
    try {
      msg = JSON.parse(text);
    } catch {
      return;
    }
    for (const res of Array.isArray(msg) ? msg : [msg]) {
      const p = res && bridge.pending.get(res.id);
      if (!p) continue;
      bridge.pending.delete(res.id);
      if (res.error) {
        const d = res.error.data || {};
        const detail = d.reason ? ` (${d.reason})` : d.issues
          ? `: ${d.issues.map((i) => `${i.path}: ${i.message}`).join("; ")}`
          : "";
        p.reject(hostError(res.error.message, `${res.error.message}${detail}`, {
          rpcCode: res.error.code,
          data: d,
        }));
      } else p.resolve(res.result);
    }
  }
  /** One bridge call; rejects with `code:"host_unavailable"` while the socket is down. */
  function rpc(method, params) {
    if (!bridge.ws && bridge.state === "idle") openSocket();
    return new Promise((resolve, reject) => {
      const id = bridge.nextId++;
      const frame = JSON.stringify({ jsonrpc: "2.0", id, method, params: params || {} });
      if (bridge.state === "open") bridge.ws.send(frame);
      else if (!bridge.everOpen && bridge.state === "connecting") bridge.queue.push(frame);
      else return reject(hostError("host_unavailable", "the runtime is not reachable"));
      bridge.pending.set(id, { resolve, reject });
    });
  }
  async function fetchJson(path) {
    const res = await win.fetch(path, { headers: ct ? { "X-Anna-Control-Token": ct } : {} });
    if (!res.ok) throw hostError("http_" + res.status, `${path}: HTTP ${res.status}`);
    return res.json();
  }
  function withCt(path, params) {
    const q = new URLSearchParams(params || {});
    if (ct) q.set("ct", ct);
    const s = q.toString();
    return s ? `${path}?${s}` : path;
  }

  // ---- iframes ---------------------------------------------------------------------------------
  /** The iframe URL of §12.8: entry path, then wid/t/host, then the entry's own query and hash. */
  function frameUrl(o) {
    let path = String(o.entry || "index.html");
    let hash = "";
    let query = "";
    const hi = path.indexOf("#");
    if (hi >= 0) [path, hash] = [path.slice(0, hi), path.slice(hi)];
    const qi = path.indexOf("?");
    if (qi >= 0) [path, query] = [path.slice(0, qi), path.slice(qi + 1)];
    const origin = o.appOrigin || config.appOrigin;
    const main = o.mainOrigin || config.mainOrigin;
    let url = `${origin}/anna-apps/${encodeURIComponent(o.slug)}/dev/${path.replace(/^\/+/, "")}` +
      `?wid=${encodeURIComponent(o.wid)}&t=${encodeURIComponent(o.token)}` +
      `&host=${encodeURIComponent(main)}`;
    if (query) url += `&${query}`;
    return url + hash;
  }

  let current = null; // the attached session: {sessionId, info, windows, lastSeq, es, …}

  function entryOf(s, rec) {
    const vm = rec.viewMeta || s.views[rec.view];
    return (vm && vm.entry) || "index.html";
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
    f.src = frameUrl({ slug: s.info.app_slug, entry: entryOf(s, rec), wid: rec.wid, token: rec.token });
    s.container.appendChild(f);
    return f;
  }
  function snapshot(s, rec) {
    return {
      wid: rec.wid,
      view: rec.view,
      title: rec.title,
      status: rec.status,
      geometry: rec.geometry,
      zIndex: rec.zIndex,
      tokenExpiresAt: rec.expiresAt,
      active: s.active === rec.wid,
      primary: s.info && s.info.primary_window_uuid === rec.wid,
      iframe: rec.iframe,
      url: rec.iframe ? rec.iframe.src : null,
    };
  }
  function windows() {
    const s = current;
    return s ? [...s.windows.values()].map((r) => snapshot(s, r)) : [];
  }
  function emitWindows() {
    emit("windows", windows());
  }
  function setActive(wid) {
    const s = current;
    if (!s || !s.windows.has(wid)) return;
    s.active = wid;
    for (const r of s.windows.values()) {
      if (r.iframe) r.iframe.toggleAttribute("data-active", r.wid === wid);
    }
    emitWindows();
  }

  function addWindow(s, w, token) {
    const wid = w.window_uuid;
    if (s.windows.has(wid)) return s.windows.get(wid).ready;
    const rec = {
      wid,
      view: w.view,
      viewMeta: w.view_meta || null,
      title: w.title || (s.views[w.view] || {}).title || w.view,
      geometry: w.geometry || null,
      status: w.status || "active",
      zIndex: w.z_index || 0,
      expiresAt: w.token_expires_at || null,
      token: null,
      iframe: null,
    };
    s.windows.set(wid, rec);
    rec.ready = (async () => {
      const tok = token || await rpc("session.refresh_token", {
        session_id: s.sessionId,
        window_uuid: wid,
      });
      if (current !== s || s.windows.get(wid) !== rec) return rec;
      rec.token = tok.token;
      rec.expiresAt = tok.expires_at;
      rec.iframe = createFrame(s, rec);
      if (!s.active || s.active === wid) setActive(wid);
      else emitWindows();
      return rec;
    })();
    rec.ready.catch((e) => report(`cannot open window ${wid}`, e));
    return rec.ready;
  }
  function removeWindow(s, wid) {
    const rec = s.windows.get(wid);
    if (!rec) return;
    s.windows.delete(wid);
    if (rec.iframe) rec.iframe.remove();
    if (s.active === wid) {
      const next = [...s.windows.values()].sort((a, b) => b.zIndex - a.zIndex)[0];
      s.active = null;
      if (next) return setActive(next.wid);
    }
    emitWindows();
  }

  function post(rec, msg) {
    if (!rec.iframe || !rec.iframe.contentWindow) return;
    try {
      rec.iframe.contentWindow.postMessage(msg, config.appOrigin);
    } catch (e) {
      report("postMessage to the app failed", e);
    }
  }
  function forward(rec, env) {
    post(rec, {
      channel: CHANNEL,
      kind: "event",
      event: env.kind,
      payload: env.payload,
      seq: env.seq,
      window_uuid: env.window_uuid,
      envelope: env,
    });
  }

  // ---- requests from iframes -------------------------------------------------------------------
  async function appCall(token, m) {
    try {
      const args = m.args === undefined ? {} : m.args;
      return await rpc("app.call", { token, ns: m.ns, method: m.method, args });
    } catch (e) {
      const code = e.code === "host_unavailable" ? "host_unavailable" : "internal_error";
      return { ok: false, error: { code, message: e.message, details: e.data } };
    }
  }
  async function handleRequest(s, rec, m) {
    const reply = (out) => {
      const res = out && out.ok === true
        ? { ok: true, result: out.result }
        : { ok: false, error: (out && out.error) || { code: "internal_error", message: "no answer" } };
      post(rec, { channel: CHANNEL, kind: "res", id: m.id, ...res });
    };
    if (m.wid !== rec.wid) {
      const message = "request wid does not match this window";
      return reply({ ok: false, error: { code: "invalid_token", message, details: { reason: "wrong_window" } } });
    }
    let out = await appCall(m.t, m);
    const err = out && out.ok === false ? out.error || {} : null;
    if (err && err.code === "invalid_token" && (err.details || {}).reason === "expired") {
      try {
        const tok = await rpc("session.refresh_token", { session_id: s.sessionId, window_uuid: rec.wid });
        rec.token = tok.token;
        rec.expiresAt = tok.expires_at;
        const payload = { token: tok.token, expires_at: tok.expires_at };
        forward(rec, { kind: "auth.refresh", window_uuid: rec.wid, payload, type: "data_model/AnnaAppEvent" });
        out = await appCall(tok.token, m);
      } catch (e) {
        report("token refresh failed", e); // answer with the original invalid_token outcome
      }
    }
    reply(out);
  }
  win.addEventListener("message", (ev) => {
    const s = current;
    const m = ev.data;
    if (!s || !m || typeof m !== "object" || m.channel !== CHANNEL || m.kind !== "req") return;
    if (ev.origin !== config.appOrigin) return;
    for (const rec of s.windows.values()) {
      if (rec.iframe && rec.iframe.contentWindow === ev.source) return void handleRequest(s, rec, m);
    }
  });

  // ---- session events (SSE, §11.5) -------------------------------------------------------------
  function openEvents(s) {
    const es = new win.EventSource(
      withCt(`/sessions/${encodeURIComponent(s.sessionId)}/events`, { after: String(s.lastSeq) }),
    );
    s.es = es;
    es.addEventListener("data_model.AnnaAppEvent", (ev) => {
      let env;
      try {
        env = JSON.parse(ev.data);
      } catch {
        return;
      }
      if (current === s) onEvent(s, env);
    });
    es.addEventListener("session_closed", () => {
      es.close();
      s.closed = true;
      if (current === s) emit("session_closed", { session_id: s.sessionId });
    });
  }
  async function openUnknown(s, env) {
    const p = env.payload || {};
    if (!s.views[p.view]) {
      try {
        learnViews(s, await rpc("session.get", { session_id: s.sessionId }));
      } catch (e) {
        report("session.get failed", e);
      }
    }
    await addWindow(s, {
      window_uuid: env.window_uuid,
      view: p.view,
      geometry: p.geometry,
      view_meta: s.views[p.view],
    });
    setActive(env.window_uuid);
  }
  function onEvent(s, env) {
    if (typeof env.seq === "number" && env.kind !== "events_dropped") {
      if (env.seq <= s.lastSeq) return; // replayed after an SSE reconnect
      s.lastSeq = env.seq;
    }
    emit("event", env);
    const rec = s.windows.get(env.window_uuid);
    const p = env.payload || {};
    switch (env.kind) {
      case "runtime_state_synced":
      case "events_dropped":
        for (const r of s.windows.values()) forward(r, env);
        return;
      case "open_view":
        if (!rec) return void openUnknown(s, env).catch((e) => report("open_view failed", e));
        forward(rec, env);
        return setActive(rec.wid);
      case "close_view":
        if (!rec) return;
        forward(rec, env);
        rec.status = "closed";
        win.setTimeout(() => removeWindow(s, rec.wid), CLOSE_GRACE_MS);
        return;
      case "status_changed":
        if (!rec) return;
        rec.status = p.status;
        forward(rec, env);
        if (p.status === "closed") win.setTimeout(() => removeWindow(s, rec.wid), CLOSE_GRACE_MS);
        return emitWindows();
      case "title_changed":
        if (!rec) return;
        rec.title = p.title;
        if (rec.iframe) rec.iframe.title = p.title;
        forward(rec, env);
        return emitWindows();
      case "geometry_changed":
        if (!rec) return;
        rec.geometry = p.geometry;
        applyGeometry(rec.iframe, p.geometry);
        forward(rec, env);
        return emitWindows();
      case "window_focus_changed":
        if (!rec) return;
        rec.zIndex = p.z_index || rec.zIndex;
        forward(rec, env);
        return setActive(rec.wid);
      case "auth.refresh":
        if (!rec) return;
        rec.token = p.token || rec.token;
        rec.expiresAt = p.expires_at || rec.expiresAt;
        forward(rec, env);
        return emitWindows();
      default:
        if (rec) forward(rec, env);
    }
  }

  // ---- attach / detach -------------------------------------------------------------------------
  function detach() {
    const s = current;
    if (!s) return;
    current = null;
    if (s.es) s.es.close();
    for (const r of s.windows.values()) if (r.iframe) r.iframe.remove();
    emitWindows();
  }
  /** Shows a session: its open windows (or only `opts.only`), events and live reload. */
  async function attach(sessionId, opts) {
    const o = opts || {};
    detach();
    const s = {
      sessionId,
      info: null,
      windows: new Map(),
      views: {},
      lastSeq: 0,
      es: null,
      active: null,
      closed: false,
      container: o.container || doc.querySelector("[data-anna-frames]") || doc.body,
    };
    current = s;
    startLogStream();
    const info = await rpc("session.get", { session_id: sessionId });
    if (current !== s) return info;
    s.info = info;
    s.lastSeq = (info.events && info.events.last_seq) || 0;
    learnViews(s, info);
    emit("session", info);
    openEvents(s);
    const open = (info.windows || []).filter((w) =>
      (w.status === "active" || w.status === "minimized") && (!o.only || w.window_uuid === o.only)
    );
    const primary = o.only || info.primary_window_uuid;
    const first = open.find((w) => w.window_uuid === primary) || open[0];
    if (first) s.active = first.window_uuid;
    await Promise.all(open.map((w) => addWindow(s, w).catch(() => null)));
    return info;
  }
  async function refreshSession() {
    const s = current;
    if (!s) return null;
    const info = await rpc("session.get", { session_id: s.sessionId });
    if (current !== s) return info;
    s.info = info;
    learnViews(s, info);
    emit("session", info);
    return info;
  }

  // ---- reload ----------------------------------------------------------------------------------
  /** Fresh token, then the same iframe URL again (§12.8). No wid: every window. */
  async function reload(wid) {
    const s = current;
    if (!s) return;
    const recs = wid ? [s.windows.get(wid)].filter(Boolean) : [...s.windows.values()];
    await Promise.all(recs.map(async (rec) => {
      const tok = await rpc("session.refresh_token", { session_id: s.sessionId, window_uuid: rec.wid });
      if (current !== s || !rec.iframe) return;
      rec.token = tok.token;
      rec.expiresAt = tok.expires_at;
      rec.iframe.src = frameUrl({ slug: s.info.app_slug, entry: entryOf(s, rec), wid: rec.wid, token: tok.token });
      emit("reloaded", { wid: rec.wid });
    }));
    emitWindows();
  }
  function closeWindow(wid) {
    const s = current;
    if (!s) return Promise.reject(new Error("no session"));
    return rpc("session.call", {
      session_id: s.sessionId,
      window_uuid: wid,
      ns: "window",
      method: "close",
      args: { reason: "host" },
    });
  }
  function openView(view, payload) {
    const s = current;
    if (!s) return Promise.reject(new Error("no session"));
    const params = { session_id: s.sessionId, payload: payload || {} };
    if (view) params.view = view;
    return rpc("session.open_view", params); // the iframe appears with the open_view event
  }

  // ---- log stream and live reload (§11.10, §11.11) ---------------------------------------------
  const logs = { started: false, entries: [], lastSeq: 0, since: Date.now(), live: true, timer: null };
  function hasErrors(diags) {
    return Array.isArray(diags) && diags.some((d) => d && d.severity === "error");
  }
  function pushLog(entry, history) {
    if (!entry || typeof entry !== "object") return;
    if (typeof entry.seq === "number") {
      if (entry.seq <= logs.lastSeq) return;
      logs.lastSeq = entry.seq;
    }
    logs.entries.push(entry);
    if (logs.entries.length > LOG_KEEP) logs.entries.splice(0, logs.entries.length - LOG_KEEP);
    // A stream that replays old entries must not trigger reloads for them.
    const old = history || (typeof entry.ts === "number" && entry.ts < logs.since - 2000);
    emit("log", { entry, history: old });
    const wantsReload = entry.type === "reload" ||
      (entry.type === "manifest" && !hasErrors(entry.diagnostics));
    if (!old && wantsReload && logs.live) {
      win.clearTimeout(logs.timer);
      logs.timer = win.setTimeout(() => {
        emit("live_reload", { entry, at: Date.now() });
        reload().catch((e) => report("live reload failed", e));
      }, 50);
    }
  }
  async function startLogStream() {
    if (logs.started) return;
    logs.started = true;
    try {
      const r = await fetchJson("/api/log");
      for (const e of r.entries || []) pushLog(e, true);
    } catch (e) {
      report("cannot load /api/log", e);
    }
    const es = new win.EventSource(withCt("/api/log/stream"));
    es.addEventListener("log", (ev) => {
      try {
        pushLog(JSON.parse(ev.data), false);
      } catch {
        // a malformed entry is skipped, the stream goes on
      }
    });
  }

  win.__annaHost = {
    config,
    rpc,
    fetchJson,
    withCt,
    on,
    attach,
    detach,
    refreshSession,
    session: () => (current ? current.info : null),
    sessionId: () => (current ? current.sessionId : null),
    windows,
    activeWindow: () => (current ? current.active : null),
    setActive,
    reload,
    closeWindow,
    openView,
    frameUrl,
    logEntries: () => logs.entries.slice(),
    startLogStream,
    connectionState: () => bridge.state,
    liveReload: () => logs.live,
    setLiveReload: (on) => void (logs.live = !!on),
  };

  // `/dev/:wid`: attach to the page's session and window at once; retry when the socket returns.
  if (config.sessionId) {
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
  }
})(globalThis);
