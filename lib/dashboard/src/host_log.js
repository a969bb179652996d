/**
 * Host page log stream (CONTRACT §11.10, §11.11), loaded right after host_link.js on `/` and
 * `/dev/:wid`: the retained log (`/api/log`, then `/api/log/stream`), resynced after a drop or a
 * runtime restart and closed while the page is hidden, and the live reloads its entries call for.
 * Adds `startLogStream`, `logEntries`, `liveReload` and `setLiveReload` to `window.__annaLink`.
 */
(function (win) {
  "use strict";
  const link = win.__annaLink;
  const { config, emit, report, fetchJson, withCt, parseOrNull, isHidden } = link;
  const LOG_KEEP = 2000;
  // as the server's log (§11.11): event entries carry whole storage buckets, so at most this much
  const LOG_MAX_EVENT_BYTES = 64 * 1024 * 1024;

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

  // a hidden page holds no stream (host_link.js): entries logged meanwhile are fetched once shown
  link.on("visibility", ({ hidden }) => setLogPaused(hidden));

  Object.assign(link, {
    startLogStream,
    logEntries: () => logs.entries.slice(),
    liveReload: () => logs.live,
    setLiveReload: (on) => void (logs.live = !!on),
  });
})(globalThis);
