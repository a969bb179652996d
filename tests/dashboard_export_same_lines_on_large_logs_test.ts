/**
 * The dashboard's recorded-session export (dash_export.js, CONTRACT §14.3) finds the call that
 * caused each event through a per-window index; it used to search the rest of the log for every
 * event. Over simulated logs of concurrent calls from several windows (events of a long call
 * logged while shorter calls of the same window started after them and finished first, events from
 * windows with no call running, host-caused events, auth refreshes, another session's entries) it
 * must write exactly what that search wrote: `reference` below.
 */
import assert from "node:assert/strict";
import { VERSION } from "../lib/version.ts";
import { exporter, SIM_SESSION, simInfo, simulatedLog } from "./helpers/dash_export.ts";

// deno-lint-ignore no-explicit-any
type Any = any;

/** The export as written before the index: each event searches the entries after it. */
function reference(all: Any[], info: Any): string {
  const start = info.created_at || 0;
  const primary = info.primary_window_uuid;
  const pw = (info.windows || []).find((w: Any) => w.window_uuid === primary);
  let lastT = 0;
  const t = (ts: number) => (lastT = Math.max(lastT, Math.round((ts || start) - start)));
  const lines: Any[] = [{
    t: 0,
    kind: "meta",
    harness_version: VERSION,
    session_id: info.session_id,
    window_uuid: primary,
    app_slug: info.app_slug,
    view: pw ? pw.view : null,
  }];
  const entries = all
    .filter((e) => e.session_id === info.session_id && (e.type === "rpc" || e.type === "event"))
    .sort((a, b) => a.seq - b.seq);
  const eventLine = (e: Any) => {
    const ev = e.event;
    if (ev.kind === "auth.refresh") {
      return { t: t(ev.ts || e.ts), kind: "auth.refresh", token: (ev.payload || {}).token };
    }
    const line: Any = { t: t(ev.ts || e.ts), kind: "event", event: ev.kind, payload: ev.payload };
    if (ev.by_client_id === null) line.by_client_id = null;
    return line;
  };
  const held = new Map<Any, Any[]>();
  let id = 0;
  entries.forEach((e, i) => {
    if (e.type === "event") {
      if (!e.event) return;
      const by = e.event.by_client_id;
      const at = e.event.ts || e.ts;
      const cause = by
        ? entries.slice(i + 1).find((x) =>
          x.type === "rpc" && x.window_uuid === by && x.ts - (x.ms || 0) <= at + 1
        )
        : null;
      if (cause) held.set(cause, [...(held.get(cause) || []), e]);
      else lines.push(eventLine(e));
      return;
    }
    id++;
    const req: Any = { t: t(e.ts - (e.ms || 0)), kind: "req", id, ns: e.ns, method: e.method };
    req.args = e.args ?? {};
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

Deno.test("dashboard export: the same lines as the search it replaces, on large simulated logs", () => {
  for (const [n, seed] of [[2000, 1], [2000, 2], [2000, 3], [6000, 4]]) {
    const log = simulatedLog(n, seed);
    const exported = exporter(() => log.slice(), simInfo)();
    assert.equal(exported, reference(log, simInfo()), `${n} entries, seed ${seed}`);
    // the simulation has what the search has to get right: events placed after a later call
    const lines = exported.trim().split("\n").map((l) => JSON.parse(l));
    const moved = lines.filter((l, i) => l.kind === "event" && lines[i - 1].kind === "res");
    assert.ok(moved.length > n / 20, `${moved.length} events follow their call`);
  }
});

Deno.test("dashboard export: entries without a time, a duration or a window are placed as before", () => {
  const log: Any[] = simulatedLog(400, 9);
  const odd = (i: number, change: (e: Any) => void) => {
    const e = structuredClone(log[i]);
    change(e);
    log[i] = e;
  };
  for (let i = 5; i < log.length; i += 17) {
    odd(i, (e) => {
      if (e.type === "rpc") {
        [() => delete e.ms, () => (e.window_uuid = null), () => delete e.ts][i % 3]();
      } else {[() => delete e.event.ts, () => (e.event.by_client_id = "w_gone"), () => {
          delete e.event.ts;
          delete e.ts;
        }][i % 3]();}
    });
  }
  log.push({ type: "event", session_id: SIM_SESSION, seq: 1e6 }); // no event at all
  log.reverse(); // the log's order is not the seq order
  assert.equal(exporter(() => log.slice(), simInfo)(), reference(log, simInfo()));
});
