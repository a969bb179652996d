/**
 * Host page transport (CONTRACT §11.3–§11.6), loaded first on `/` and `/dev/:wid`: page
 * settings from the meta tags (§11.2), one reconnecting `/ws` JSON-RPC connection, `/api/*`
 * fetches with the control token, and whether the page is hidden. Exposes `window.__annaLink`;
 * host_log.js adds the log stream to it, and host.js builds `window.__annaHost` on top.
 */
(function (win) {
  "use strict";
  const doc = win.document;
  const MAX_FRAME_BYTES = 16777216; // §15: one /ws frame

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
    // "on" when the server watches the app's files (dev without --no-watch), else "off" (§11.10)
    liveReload: meta("anna-live-reload"),
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
    authFailures: 0,
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
    let opened = false;
    sock.onopen = () => {
      opened = true;
      bridge.everOpen = true;
      bridge.backoff = 250;
      bridge.authFailures = 0;
      setState("open");
      for (const frame of bridge.queue.splice(0)) sock.send(frame);
    };
    sock.onmessage = (ev) => onFrame(ev.data);
    sock.onclose = () => {
      if (bridge.ws !== sock) return;
      onSocketClosed();
      if (!opened) probeAuth();
    };
  }
  /**
   * A WebSocket that fails to open does not say why. Two 401s in a row from a plain request mean
   * the runtime now has another control token (a restart): only a page reload can fix that.
   */
  async function probeAuth() {
    let status = 0;
    try {
      const res = await win.fetch("/api/log/stream", { method: "HEAD", headers: ctHeaders() });
      status = res.status;
    } catch {
      return; // not reachable: plainly down
    }
    bridge.authFailures = status === 401 ? bridge.authFailures + 1 : 0;
    if (bridge.authFailures >= 2 && bridge.state !== "open") setState("unauthorized");
  }
  function onSocketClosed() {
    bridge.ws = null;
    bridge.queue.length = 0;
    for (const p of bridge.pending.values()) {
      p.reject(hostError("host_unavailable", "connection to the runtime was lost"));
    }
    bridge.pending.clear();
    setState(bridge.authFailures >= 2 ? "unauthorized" : "down");
    const delay = bridge.backoff;
    bridge.backoff = Math.min(bridge.backoff * 2, 5000);
    win.setTimeout(openSocket, delay);
  }
  /**
   * What a bridge error's `data` (§4.3) says, for the message the developer reads: the reason,
   * then the specifics the runtime sent with it (field issues, the manifest's error diagnostics,
   * the views there are, the size against its limit), never only the bare reason.
   */
  function errorDetail(d) {
    const said = [];
    if (Array.isArray(d.issues) && d.issues.length > 0) {
      said.push(
        d.issues.map((i) => (i && i.path ? `${i.path}: ${i.message}` : i && i.message))
          .join("; "),
      );
    }
    const errors = Array.isArray(d.diagnostics)
      ? d.diagnostics.filter((x) => x && x.severity === "error")
      : [];
    if (errors.length > 0) {
      said.push(errors.slice(0, 3).map((x) => `${x.code}: ${x.message}`).join("; "));
    }
    if (typeof d.view === "string" && Array.isArray(d.available)) {
      said.push(`no view '${d.view}' (available: ${d.available.join(", ") || "none"})`);
    }
    if (typeof d.size === "number" && typeof d.max === "number") {
      said.push(`${d.size} bytes, max ${d.max}`);
    }
    const reason = d.reason ? ` (${d.reason})` : "";
    return `${reason}${said.length > 0 ? `: ${said.join("; ")}` : ""}`;
  }
  /** A frame or stream entry parsed, or null when it is not JSON (skipped; the stream goes on). */
  function parseOrNull(text) {
    try {
      return JSON.parse(text);
    } catch {
      return null;
    }
  }

  function onFrame(text) {
    const msg = parseOrNull(text);
    if (msg === null) return;
    for (const res of Array.isArray(msg) ? msg : [msg]) {
      const p = res && bridge.pending.get(res.id);
      if (!p) continue;
      bridge.pending.delete(res.id);
      if (res.error) {
        const d = res.error.data || {};
        p.reject(hostError(res.error.message, `${res.error.message}${errorDetail(d)}`, {
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
      let frame;
      try {
        frame = JSON.stringify({ jsonrpc: "2.0", id, method, params: params || {} });
      } catch (e) {
        // postMessage clones a BigInt or a cycle fine; only this JSON frame cannot carry them
        return reject(hostError("not_json", e?.message ?? String(e)));
      }
      // refused here: the runtime answers an oversized frame without its id (it cannot read one)
      const bytes = frame.length * 3 > MAX_FRAME_BYTES ? new TextEncoder().encode(frame).length : 0;
      if (bytes > MAX_FRAME_BYTES) {
        return reject(
          hostError("frame_too_large", `request is ${bytes} bytes (max ${MAX_FRAME_BYTES})`, {
            data: { frame_bytes: bytes, max_frame_bytes: MAX_FRAME_BYTES },
          }),
        );
      }
      if (bridge.state === "open") bridge.ws.send(frame);
      else if (!bridge.everOpen && bridge.state === "connecting") bridge.queue.push(frame);
      else return reject(hostError("host_unavailable", "the runtime is not reachable"));
      bridge.pending.set(id, { resolve, reject });
    });
  }
  const ctHeaders = () => (ct ? { "X-Anna-Control-Token": ct } : {});
  async function fetchJson(path) {
    const res = await win.fetch(path, { headers: ctHeaders() });
    if (!res.ok) throw hostError("http_" + res.status, `${path}: HTTP ${res.status}`);
    return res.json();
  }
  function withCt(path, params) {
    const q = new URLSearchParams(params || {});
    if (ct) q.set("ct", ct);
    const s = q.toString();
    return s ? `${path}?${s}` : path;
  }

  // ---- hidden pages ----------------------------------------------------------------------------
  // Browsers allow 6 connections per host over HTTP/1.1, and each host page holds two streams
  // (the log and its session's events): with three pages open the next one never loaded. A hidden
  // page closes its streams and, once shown, resumes them after the last seq it saw.
  const isHidden = () => !!doc && doc.visibilityState === "hidden";
  if (doc && doc.addEventListener) {
    // host_log.js pauses the log stream first, then host.js the session's events
    doc.addEventListener("visibilitychange", () => emit("visibility", { hidden: isHidden() }));
  }

  win.__annaLink = {
    config,
    on,
    emit,
    report,
    rpc,
    fetchJson,
    parseOrNull,
    withCt,
    isHidden,
    connectionState: () => bridge.state,
    isOpen: () => bridge.state === "open",
  };
})(globalThis);
