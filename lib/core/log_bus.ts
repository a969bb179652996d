/**
 * Log entries for the dashboard and `/api/log` (CONTRACT §11.11): the newest 2000, each with a seq,
 * args/results over 64 KiB replaced by a marker. Disabled (no work on the hot path) in `bridge`.
 */
import { byteSize } from "../util/json.ts";

export const LOG_MAX_ENTRIES = 2000;
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

export class LogBus {
  private ring: LogEntry[] = [];
  private seq = 0;
  private listeners = new Set<(e: LogEntry) => void>();

  constructor(public enabled = true) {}

  /**
   * Adds `entry` (taken over, not copied: pass a fresh object) with its seq and ts. `prepare`
   * completes it before anyone reads it: now when there are listeners, else in `entries()`.
   */
  push(entry: { type: string; [k: string]: unknown }, prepare?: () => void): LogEntry | null {
    if (!this.enabled) return null;
    const e = entry as LogEntry;
    if (prepare) {
      if (this.listeners.size) prepare();
      else e[PREPARE] = prepare;
    }
    e.seq = ++this.seq;
    e.ts = Date.now();
    if ("args" in e) e.args = truncateField(e.args);
    if ("result" in e) e.result = truncateField(e.result);
    this.ring.push(e);
    // trimmed in batches: a splice per push moved all 2000 entries every time (bench_server)
    if (this.ring.length >= 2 * LOG_MAX_ENTRIES) {
      this.ring.splice(0, this.ring.length - LOG_MAX_ENTRIES);
    }
    for (const l of this.listeners) {
      try {
        l(e);
      } catch { /* a broken listener never breaks logging */ }
    }
    return e;
  }

  /** The newest LOG_MAX_ENTRIES entries, oldest first, each complete. */
  entries(): LogEntry[] {
    const out = this.ring.slice(-LOG_MAX_ENTRIES);
    for (const e of out) {
      const prepare = e[PREPARE];
      if (prepare) {
        e[PREPARE] = undefined;
        prepare();
      }
    }
    return out;
  }

  subscribe(fn: (e: LogEntry) => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }
}
