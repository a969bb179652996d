/**
 * Log entries for the dashboard and `/api/log` (CONTRACT §11.11): the newest 2000, each with a seq,
 * args/results over 64 KiB replaced by a marker. Disabled (no work on the hot path) in `bridge`.
 */
import { byteSize } from "../util/json.ts";

export const LOG_MAX_ENTRIES = 2000;
const MAX_FIELD_BYTES = 65_536;

export interface LogEntry {
  seq: number;
  ts: number;
  type: string;
  [k: string]: unknown;
}

export function truncateField(v: unknown): unknown {
  if (v === undefined) return v;
  const n = byteSize(v);
  return n > MAX_FIELD_BYTES ? { _truncated: true, bytes: n } : v;
}

export class LogBus {
  private ring: LogEntry[] = [];
  private seq = 0;
  private listeners = new Set<(e: LogEntry) => void>();

  constructor(public enabled = true) {}

  push(entry: { type: string; [k: string]: unknown }): LogEntry | null {
    if (!this.enabled) return null;
    const e: LogEntry = { ...entry, seq: ++this.seq, ts: Date.now() };
    for (const k of ["args", "result"]) if (k in e) e[k] = truncateField(e[k]);
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

  /** The newest LOG_MAX_ENTRIES entries, oldest first. */
  entries(): LogEntry[] {
    return this.ring.slice(-LOG_MAX_ENTRIES);
  }

  subscribe(fn: (e: LogEntry) => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }
}
