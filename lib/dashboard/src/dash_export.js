/**
 * The dashboard's export of the RPC log as recorded-session JSONL (CONTRACT §13, §14.3/§14.7):
 * the "export" button of the RPC log panel (dash_log.js).
 */
(function (win) {
  "use strict";
  const dash = win.__annaDash;
  if (!dash) return;
  const { $, h, host, shortId } = dash;

  /**
   * For the export: `causeOf(i, window, limit)` = the first `rpc` entry after `entries[i]` from
   * `window` that had started by `limit` (`ts - ms <= limit`), or undefined. Built in one pass:
   * each window's calls in order, with their start and the next of them that started earlier
   * (`earlier`). Calls skipped on the way to `earlier[k]` started no earlier than call k, so when k
   * started too late, so did they: a look-up no longer walks the rest of the log for every event.
   */
  function causeFinder(entries) {
    const windows = new Map(); // window_uuid → { at: entry indexes, start, earlier }
    entries.forEach((x, i) => {
      if (x.type !== "rpc" || !x.window_uuid) return;
      let w = windows.get(x.window_uuid);
      if (!w) windows.set(x.window_uuid, w = { at: [], start: [], earlier: [] });
      w.at.push(i);
      w.start.push(x.ts - (x.ms || 0));
    });
    for (const w of windows.values()) {
      const key = (k) => (Number.isNaN(w.start[k]) ? Infinity : w.start[k]);
      const stack = [];
      for (let k = w.at.length - 1; k >= 0; k--) {
        while (stack.length && key(stack[stack.length - 1]) >= key(k)) stack.pop();
        w.earlier[k] = stack.length ? stack[stack.length - 1] : -1;
        stack.push(k);
      }
    }
    return (i, window, limit) => {
      const w = windows.get(window);
      if (!w) return undefined;
      let lo = 0, hi = w.at.length; // the window's first call after entry i
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (w.at[mid] > i) hi = mid;
        else lo = mid + 1;
      }
      for (let k = lo < w.at.length ? lo : -1; k !== -1; k = w.earlier[k]) {
        if (w.start[k] <= limit) return entries[w.at[k]];
      }
      return undefined;
    };
  }

  /**
   * The retained log of this session as recorded-session JSONL (§14.3), the format of
   * `dev --record` (§14.7). The log only holds finished calls, so each call's `req`/`res` pair
   * stays together (where `dev --record` interleaves concurrent calls), then the events that call
   * caused. The log holds an event before the `rpc` entry of the call that emitted it (a call is
   * logged when it finishes), so an event is moved after the next call from its `by_client_id`
   * window that was already running when the event happened.
   */
  function exportJsonl() {
    const info = dash.info;
    if (!info) throw new Error("no session selected");
    const start = info.created_at || 0;
    const primary = info.primary_window_uuid;
    const pw = (info.windows || []).find((w) => w.window_uuid === primary);
    let lastT = 0;
    const t = (ts) => (lastT = Math.max(lastT, Math.round((ts || start) - start)));
    const lines = [{
      t: 0,
      kind: "meta",
      harness_version: host.config.version || undefined,
      session_id: info.session_id,
      window_uuid: primary,
      app_slug: info.app_slug,
      view: pw ? pw.view : null,
    }];
    const entries = host.logEntries()
      .filter((e) => e.session_id === info.session_id && (e.type === "rpc" || e.type === "event"))
      .sort((a, b) => a.seq - b.seq);
    const eventLine = (e) => {
      const ev = e.event;
      if (ev.kind === "auth.refresh") {
        return { t: t(ev.ts || e.ts), kind: "auth.refresh", token: (ev.payload || {}).token };
      }
      const line = { t: t(ev.ts || e.ts), kind: "event", event: ev.kind, payload: ev.payload };
      if (ev.by_client_id === null) line.by_client_id = null; // host-caused (§7.1), as in --record
      return line;
    };
    const held = new Map(); // rpc entry → the events it caused
    let id = 0;
    const causeOf = causeFinder(entries);
    entries.forEach((e, i) => {
      if (e.type === "event") {
        if (!e.event) return;
        const by = e.event.by_client_id;
        const cause = by ? causeOf(i, by, (e.event.ts || e.ts) + 1) : null;
        if (!cause) lines.push(eventLine(e));
        else if (held.has(cause)) held.get(cause).push(e);
        else held.set(cause, [e]);
        return;
      }
      id++;
      const req = {
        t: t(e.ts - (e.ms || 0)),
        kind: "req",
        id,
        ns: e.ns,
        method: e.method,
        args: e.args ?? {},
      };
      if (e.window_uuid && e.window_uuid !== primary) req.window_uuid = e.window_uuid;
      lines.push(req);
      lines.push(
        e.outcome === "ok" ? { t: t(e.ts), kind: "res", id, ok: true, result: e.result ?? null } : {
          t: t(e.ts),
          kind: "res",
          id,
          ok: false,
          error: e.error ?? { code: e.error_code || "internal_error", message: e.error_code || "" },
        },
      );
      for (const ev of held.get(e) || []) lines.push(eventLine(ev));
    });
    return lines.map((l) => JSON.stringify(l)).join("\n") + "\n";
  }
  /**
   * The log keeps its newest 2000 entries (§11.11): once the session's `created` entry is gone,
   * so are its first calls, and the export starts mid-session. Says so, or null.
   */
  function exportGap() {
    const sid = dash.info && dash.info.session_id;
    const all = host.logEntries();
    if (all.some((e) => e.type === "session" && e.session_id === sid)) return null;
    return "exported, but the session's first calls had already left the log (it keeps the " +
      "newest 2000 entries), so replay starts mid-session; `dev --record FILE` records it all";
  }
  dash.exportGap = exportGap;
  function download() {
    const text = exportJsonl();
    const gap = exportGap();
    if (gap) dash.showError(new Error(gap));
    const url = URL.createObjectURL(new Blob([text], { type: "application/x-ndjson" }));
    const a = h("a", { href: url, download: `session-${shortId(host.sessionId())}.jsonl` });
    win.document.body.append(a);
    a.click();
    a.remove();
    win.setTimeout(() => URL.revokeObjectURL(url), 10000);
  }
  dash.exportJsonl = exportJsonl;

  dash.register({
    init() {
      $("export-jsonl").addEventListener("click", dash.act(download));
    },
  });
})(globalThis);
