/**
 * Log entries for the dashboard and `/api/log` (CONTRACT §11.11): the newest 2000, each with a seq,
 * args/results over 64 KiB replaced by a marker. Disabled (no work on the hot path) in `bridge`.
 * Event entries carry whole storage buckets (up to 256 KiB each), so the entries also hold at most
 * 64 MiB of events, the session event ring's own cap (§6.5): 2000 full buckets held 4 GB.
 */
import { byteSize } from "../util/json.ts";
import type { DeferredListener, EventEnvelope } from "../session/events.ts";
import { REDACTED_TOKEN } from "../util/redact.ts";
import type { CallRecord } from "../dispatcher/mod.ts";

export const LOG_MAX_ENTRIES = 2000;
export const LOG_MAX_EVENT_BYTES = 64 * 1024 * 1024;
const MAX_FIELD_BYTES = 65_536;

const PREPARE = Symbol("prepare");

export interface LogEntry {
  seq: number;
  ts: number;
  type: string;
  [k: string]: unknown;
  /** Completes the entry before its first reader (an event's deferred payload); then cleared. */
  [PREPARE]?: (() => void) | undefined;
}

/**
 * An upper bound of `byteSize(v)` that stops as soon as it passes `limit`: most args and results
 * are small, and proving that is cheaper than serialising them on every call.
 */
function sizeBoundExceeds(v: unknown, limit: number): boolean {
  let budget = limit;
  const stack: unknown[] = [v];
  while (stack.length) {
    const x = stack.pop();
    if (typeof x === "string") budget -= x.length * 6 + 2; // worst case: every unit \u-escaped
    else if (x === null || typeof x !== "object") budget -= 24;
    else if (typeof (x as { toJSON?: unknown }).toJSON === "function") return true; // measure it
    else if (Array.isArray(x)) {
      budget -= 2 + x.length;
      for (const item of x) stack.push(item);
    } else {
      budget -= 2;
      for (const k in x) {
        if (!Object.hasOwn(x, k)) continue;
        budget -= k.length * 6 + 4;
        stack.push((x as Record<string, unknown>)[k]);
      }
    }
    if (budget < 0) return true;
  }
  return false;
}

export function truncateField(v: unknown): unknown {
  if (v === undefined || !sizeBoundExceeds(v, MAX_FIELD_BYTES)) return v;
  const n = byteSize(v);
  return n > MAX_FIELD_BYTES ? { _truncated: true, bytes: n } : v;
}

/** A finished call, or one refused before dispatch (no session or window known: null). */
export type RpcRecord = Omit<CallRecord, "session_id" | "window_uuid"> & {
  session_id: string | null;
  window_uuid: string | null;
};

/**
 * The `rpc` entry of a finished call: `{type, transport, ...rec}` with `args: {}` for a call sent
 * without (§11.11 lists the field on every rpc entry). Written as one literal in the key order
 * Dispatcher.finish gives `rec`, with the `seq` and `ts` that `push` fills in: the spread cost
 * several times more per call on /ws. A field added to CallRecord must be added here too (a test
 * compares both forms).
 */
export function rpcEntry(rec: RpcRecord, transport: string): LogEntry {
  const args = rec.args === undefined ? {} : rec.args;
  const { session_id, window_uuid, ns, method, outcome, ms } = rec;
  return outcome === "ok"
    ? {
      type: "rpc",
      transport,
      session_id,
      window_uuid,
      ns,
      method,
      args,
      outcome,
      ms,
      result: rec.result,
      seq: 0,
      ts: 0,
    }
    : {
      type: "rpc",
      transport,
      session_id,
      window_uuid,
      ns,
      method,
      args,
      outcome,
      ms,
      error_code: rec.error_code,
      error: rec.error,
      seq: 0,
      ts: 0,
    };
}

/**
 * The log's copy of an event: `auth.refresh` (one per window every 20 s) without its token, which
 * host pages get from the session's SSE, not from the log. The envelope itself is shared.
 */
function withoutToken(e: EventEnvelope): EventEnvelope {
  if (e.kind !== "auth.refresh") return e;
  return { ...e, payload: { ...e.payload, token: REDACTED_TOKEN } };
}

export class LogBus {
  /** Entries from `start` on are kept; the evicted ones before it are cleared, then compacted. */
  private ring: (LogEntry | undefined)[] = [];
  private sizes: number[] = [];
  private start = 0;
  private bytes = 0;
  private seq = 0;
  private listeners = new Set<(e: LogEntry) => void>();

  constructor(public enabled = true, private readonly maxBytes = LOG_MAX_EVENT_BYTES) {}

  /**
   * Adds `entry` (taken over, not copied: pass a fresh object) with its seq and ts. `prepare`
   * completes it before anyone reads it: now when there are listeners, else in `entries()`.
   */
  push(
    entry: { type: string; [k: string]: unknown },
    prepare?: () => void,
    /** what the entry's event accounts for in its session's ring (0 for other entries) */
    eventBytes = 0,
    /** its time (epoch ms) when the caller has read the clock already; else now */
    ts?: number,
  ): LogEntry | null {
    if (!this.enabled) return null;
    const e = entry as LogEntry;
    if (prepare) {
      if (this.listeners.size) prepare();
      else e[PREPARE] = prepare;
    }
    e.seq = ++this.seq;
    e.ts = ts ?? Date.now();
    if ("args" in e) e.args = truncateField(e.args);
    if ("result" in e) e.result = truncateField(e.result);
    this.ring.push(e);
    this.sizes.push(eventBytes);
    this.bytes += eventBytes;
    while (
      this.ring.length - this.start > LOG_MAX_ENTRIES ||
      (this.bytes > this.maxBytes && this.ring.length - this.start > 1)
    ) {
      this.bytes -= this.sizes[this.start];
      this.ring[this.start++] = undefined; // released now, not at the next compaction
    }
    // compacted in batches: a splice per push moved all 2000 entries every time (bench_server)
    if (this.start >= LOG_MAX_ENTRIES) {
      this.ring = this.ring.slice(this.start);
      this.sizes = this.sizes.slice(this.start);
      this.start = 0;
    }
    for (const l of this.listeners) {
      try {
        l(e);
      } catch { /* a broken listener never breaks logging */ }
    }
    return e;
  }

  /** The kept entries (the newest LOG_MAX_ENTRIES at most), oldest first, each complete. */
  entries(): LogEntry[] {
    const out = this.ring.slice(this.start) as LogEntry[];
    for (const e of out) {
      const prepare = e[PREPARE];
      if (prepare) {
        e[PREPARE] = undefined;
        prepare();
      }
    }
    return out;
  }

  /** Entries the bus still references (for tests and diagnostics). */
  get retained(): number {
    return this.ring.length - this.start;
  }

  /** Logs a session's events as `event` entries, sized as its ring sizes them. */
  followEvents(sessionId: string, events: { subscribeDeferred(fn: DeferredListener): unknown }) {
    // deferred: a storage event's snapshot is built only if the dashboard ever reads the entry
    events.subscribeDeferred((event, pending, bytes) =>
      this.push(
        { type: "event", session_id: sessionId, event: withoutToken(event) },
        pending ? () => pending.fill(event.payload) : undefined,
        bytes,
        event.ts, // the entry is made as the event is: one clock read serves both
      )
    );
  }

  subscribe(fn: (e: LogEntry) => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }
}
