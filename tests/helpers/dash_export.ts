/**
 * The dashboard's recorded-session export (dash_export.js, CONTRACT §14.3) run outside a browser, and
 * a simulated session log to run it on: concurrent calls from several windows, the events they
 * emit while running (logged before the call, which is logged when it finishes), host-caused
 * events, auth refreshes, events from a window with no call running, and another session's
 * entries mixed in.
 */
import { DASH_FILES } from "../../lib/dashboard/assets.gen.ts";
import { VERSION } from "../../lib/version.ts";
import { seededInt } from "./rng.ts";

// deno-lint-ignore no-explicit-any
type Any = any;

/** Loads dash_export.js (or `source`) with a minimal `__annaDash`; returns its exportJsonl. */
export function exporter(
  entries: () => unknown[],
  info: () => unknown,
  source = DASH_FILES["dash_export.js"],
) {
  const dash: Any = {
    host: { logEntries: entries, config: { version: VERSION }, sessionId: () => null },
    $: () => null,
    h: () => null,
    json: (v: unknown) => JSON.stringify(v),
    fmtTime: String,
    shortId: String,
    register() {},
  };
  Object.defineProperty(dash, "info", { get: info });
  new Function("globalThis", source)({ __annaDash: dash });
  return Object.assign(() => dash.exportJsonl() as string, {
    gap: () => dash.exportGap() as string | null,
  });
}

export const SIM_SESSION = "ses_sim";
const WINDOWS = ["w_primary", "w_detail", "w_side"];
const T0 = 1_700_000_000_000;

/** What `describeSession` gives the export for the simulated session. */
export const simInfo = () => ({
  session_id: SIM_SESSION,
  app_slug: "notes",
  created_at: T0,
  primary_window_uuid: WINDOWS[0],
  windows: WINDOWS.map((w, i) => ({ window_uuid: w, view: i ? "detail" : "main" })),
});

/** About `n` log entries of a simulated session (the same ones for the same seed). */
export function simulatedLog(n: number, seed = 7): Record<string, unknown>[] {
  const rnd = seededInt(seed);
  const timed: { at: number; order: number; entry: Record<string, unknown> }[] = [];
  let order = 0;
  let evSeq = 0;
  const add = (at: number, entry: Record<string, unknown>) =>
    timed.push({ at, order: order++, entry });
  const event = (at: number, kind: string, window: string, by: string | null, payload: unknown) =>
    add(at, {
      type: "event",
      session_id: SIM_SESSION,
      event: {
        kind,
        seq: ++evSeq,
        ts: at,
        window_uuid: window,
        by_client_id: by,
        payload,
      },
    });
  let clock = T0;
  let lastRefresh = T0;
  while (timed.length < n) {
    clock += rnd(15);
    const w = WINDOWS[rnd(10) < 6 ? 0 : 1 + rnd(2)];
    const r = rnd(100);
    // mostly quick calls, some tool calls of a few hundred ms, a rare long one
    const ms = r < 80 ? rnd(4) : r < 98 ? 40 + rnd(400) : 3000 + rnd(4000);
    const start = clock;
    const ok = rnd(10) < 8;
    for (let k = rnd(r < 80 ? 2 : 4); k > 0; k--) {
      const at = start + rnd(ms + 1);
      event(at, rnd(2) ? "runtime_state_synced" : "job_progress", w, w, { k: rnd(50) });
    }
    add(start + ms, {
      type: "rpc",
      transport: "ws",
      session_id: SIM_SESSION,
      window_uuid: w,
      ns: ok ? "storage" : "fs",
      method: ok ? "set" : "read",
      args: { key: `k${rnd(50)}` },
      outcome: ok ? "ok" : "error",
      ms,
      ...(ok ? { result: { ok: true } } : { error_code: "permission_denied" }),
    });
    const x = rnd(40);
    if (x === 0) event(clock + rnd(5), "runtime_state_synced", WINDOWS[0], null, { k: 0 });
    if (x === 1) event(clock + rnd(5), "window_focus_changed", WINDOWS[1 + rnd(2)], WINDOWS[2], {});
    if (x === 2) {
      add(clock, {
        type: "rpc",
        session_id: "ses_other",
        window_uuid: "w_o",
        ns: "window",
        method: "hello",
        args: {},
        outcome: "ok",
        ms: 1,
      });
      add(clock, {
        type: "event",
        session_id: "ses_other",
        event: {
          kind: "title_changed",
          seq: 1,
          ts: clock,
          window_uuid: "w_o",
          by_client_id: "w_o",
          payload: {},
        },
      });
    }
    if (clock - lastRefresh > 20_000) {
      lastRefresh = clock;
      for (const w of WINDOWS) {
        event(clock, "auth.refresh", w, null, { token: "[redacted]" });
      }
    }
  }
  timed.sort((a, b) => a.at - b.at || a.order - b.order);
  return timed.map(({ at, entry }, i) => ({ ...entry, seq: i + 1, ts: at }));
}
