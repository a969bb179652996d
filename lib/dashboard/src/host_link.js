/**
 * Host page transport (CONTRACT §11.3–§11.6, §11.11), loaded before host.js on `/` and
 * `/dev/:wid`: page settings from the meta tags (§11.2), one reconnecting `/ws` JSON-RPC
 * connection, `/api/*` fetches with the control token, and the log stream that drives live
 * reload (§11.10). Exposes `window.__annaLink`; host.js builds `window.__annaHost` on top.
 */
(function (win) {
  "use strict";
  const doc = win.document;
  const LOG_KEEP = 2000;
  // as the server's log (§11.11): event entries carry whole storage buckets, so at most this much
  const LOG_MAX_EVENT_BYTES = 64 * 1024 * 1024;
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
    doc.addEventListener("visibilitychange", () => {
      const hidden = isHidden();
      setLogPaused(hidden);
      emit("visibility", { hidden });
    });
  }

  // ---- log stream and live reload (§11.10, §11.11) ---------------------------------------------
  const logs = {
    started: false,
    entries: [],
    sizes: [], // per entry: its event's JSON length (0 for other entries)
    eventBytes: 0,
    // `/dev/:wid` only reloads from the log: it keeps the reload and manifest entries alone
    keepAll: !config.windowUuid,
    lastSeq: 0,
    since: Date.now(),
    live: true,
    timer: null,
    es: null,
    down: false, // the stream dropped; resync when it opens again
    paused: false, // closed while the page is hidden
    syncing: false,
    held: [], // live entries that came while resyncing
  };
  // `/dev/:wid` asks the server for those two types only: the whole log is up to 2000 entries and
  // 64 MiB of storage buckets, fetched at each page load and streamed to every such page
  const logQuery = logs.keepAll ? {} : { type: "reload,manifest" };
  const logPath = logs.keepAll ? "/api/log" : "/api/log?type=reload%2Cmanifest";
  function hasErrors(diags) {
    return Array.isArray(diags) && diags.some((d) => d && d.severity === "error");
  }
  /** `size`: the entry's JSON length when known (the stream's text), else measured for events. */
  function pushLog(entry, history, size) {
    if (!entry || typeof entry !== "object") return;
    if (typeof entry.seq === "number") {
      if (entry.seq <= logs.lastSeq) return;
      logs.lastSeq = entry.seq;
    }
    if (logs.keepAll || entry.type === "reload" || entry.type === "manifest") keepLog(entry, size);
    // A stream that replays old entries must not trigger reloads for them.
    const old = history || (typeof entry.ts === "number" && entry.ts < logs.since - 2000);
    emit("log", { entry, history: old });
    const wantsReload = entry.type === "reload" ||
      (entry.type === "manifest" && !hasErrors(entry.diagnostics));
    if (!old && wantsReload && logs.live) {
      win.clearTimeout(logs.timer);
      logs.timer = win.setTimeout(() => {
        emit("live_reload", { entry, at: Date.now() }); // host.js reloads the iframes
      }, 50);
    }
  }
  function keepLog(entry, size) {
    const bytes = entry.type === "event" ? (size ?? JSON.stringify(entry).length) : 0;
    logs.entries.push(entry);
    logs.sizes.push(bytes);
    logs.eventBytes += bytes;
    let drop = 0;
    while (
      logs.entries.length - drop > LOG_KEEP ||
      (logs.eventBytes > LOG_MAX_EVENT_BYTES && logs.entries.length - drop > 1)
    ) {
      logs.eventBytes -= logs.sizes[drop++];
    }
    if (drop) {
      logs.entries.splice(0, drop);
      logs.sizes.splice(0, drop);
    }
  }
  async function startLogStream() {
    if (logs.started) return;
    logs.started = true;
    try {
      const r = await fetchJson(logPath);
      for (const e of r.entries || []) pushLog(e, true);
    } catch (e) {
      report("cannot load /api/log", e);
    }
    openLogStream();
  }
  function setLogPaused(hidden) {
    if (!logs.started) return;
    if (hidden && logs.es) {
      logs.es.close();
      logs.es = null;
      logs.paused = logs.down = true; // entries logged meanwhile are news when shown again
    } else if (!hidden && logs.paused) {
      logs.paused = false;
      if (!logs.es) openLogStream();
    }
  }
  function openLogStream() {
    if (isHidden()) return void (logs.paused = logs.down = true);
    // `after`: entries logged between the /api/log read and this subscription are replayed
    // (the stream alone only sends live entries); pushLog drops any seen twice
    const es = new win.EventSource(
      withCt("/api/log/stream", { ...logQuery, after: String(logs.lastSeq) }),
    );
    logs.es = es;
    es.addEventListener("log", (ev) => {
      const entry = parseOrNull(ev.data);
      if (entry === null) return;
      if (logs.syncing) logs.held.push([entry, ev.data.length]);
      else pushLog(entry, false, ev.data.length);
    });
    es.addEventListener("error", () => {
      if (logs.es !== es) return;
      logs.down = true;
      // the browser retries a dropped stream itself, but not a refused one (401 after a restart
      // with another control token): try again later
      if (es.readyState === 2) {
        es.close();
        logs.es = null;
        win.setTimeout(() => logs.es || logs.paused || openLogStream(), 5000);
      }
    });
    es.addEventListener("open", () => {
      if (logs.es !== es || !logs.down) return;
      logs.down = false;
      resyncLog().catch((e) => report("cannot reload /api/log", e));
    });
  }
  /** Did the runtime restart? Its log numbers from 1 again, so our seqs mean other entries. */
  function restarted(fresh) {
    const newest = fresh.length ? fresh[fresh.length - 1].seq : 0;
    if (newest < logs.lastSeq) return true;
    const mine = logs.entries[logs.entries.length - 1];
    const theirs = mine && fresh.find((e) => e.seq === mine.seq);
    return !!theirs && (theirs.ts !== mine.ts || theirs.type !== mine.type);
  }
  /** After the stream was down: entries missed meanwhile, or a new log after a restart. */
  async function resyncLog() {
    logs.syncing = true;
    try {
      const fresh = (await fetchJson(logPath)).entries || [];
      const seen = logs.lastSeq;
      const reset = restarted(fresh);
      if (reset) {
        logs.entries = [];
        logs.sizes = [];
        logs.eventBytes = 0;
        logs.lastSeq = 0;
        emit("log_reset", {});
      }
      // entries logged while the stream was down are news to this page (an edit saved meanwhile
      // still reloads); after a restart nothing here is ours to act on
      for (const e of fresh) pushLog(e, reset || !(typeof e.seq === "number" && e.seq > seen));
    } finally {
      logs.syncing = false;
      for (const [e, size] of logs.held.splice(0)) pushLog(e, false, size);
    }
    emit("log_reconnected", {});
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
    startLogStream,
    logEntries: () => logs.entries.slice(),
    connectionState: () => bridge.state,
    isOpen: () => bridge.state === "open",
    liveReload: () => logs.live,
    setLiveReload: (on) => void (logs.live = !!on),
  };
})(globalThis);
