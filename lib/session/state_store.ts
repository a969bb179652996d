/**
 * A session's storage bucket (`runtime_state`, CONTRACT §5.5) with cheap point-in-time snapshots.
 *
 * Every mutation emits `runtime_state_synced` carrying the *whole* bucket as it was then (§7.2).
 * Copying the bucket on every `storage.set` made each write O(keys) and filled the event ring with
 * copies nobody may ever read. Instead the current state lives in a Map, each mutation pushes an
 * undo record, and an event carries a `Snapshot` (snapshot.ts) rebuilt from the journal only when
 * someone reads it. A drained event gets it filled in at hand-out (`Snapshot.fill`, or
 * `materializePayload` for a live payload); live subscribers get a payload that builds it on first
 * read, and they serialise at once (SSE, the recorder) or keep only recent events (the dashboard
 * log keeps 2000 entries, far fewer than `keep` mutations). So an unread
 * snapshot is reachable only through the event ring, and once more than `keep` mutations (one
 * event each) have happened since, its event has left the ring and its undo records are dropped.
 * A snapshot somehow read after that answers a marker object instead of a wrong bucket.
 */

import { toJson, utf8Length } from "../util/json.ts";
import { applyUndo, Snapshot, type Undo } from "./snapshot.ts";

/**
 * What is derived from a key's current value, made on first need and replaced when the key
 * changes (a stored value is never mutated in place). `json` is the value's text as `set` measured
 * it, kept until the etag is made from it: a read after a write then hashes without serialising
 * the value again. It is the value's own JSON, so all of them together are at most the bucket's
 * 256 KiB.
 */
interface Derived {
  bytes: number;
  etag: string | undefined;
  json: string | undefined;
}

/**
 * The most the journal holds in old values. The event ring keeps at most 64 MiB of events, each
 * sized with its whole bucket (§6.5), so this reaches back past any event still in the ring;
 * without it, 10 000 writes of 250 KB values held 2.5 GB for events long evicted by size.
 */
export const MAX_JOURNAL_BYTES = 64 * 1024 * 1024;

/** A plain object with the bucket's own keys (including a literal "__proto__"). */
function toObject(m: Map<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(m);
}

export class StateStore {
  private map: Map<string, unknown>;
  /** Byte size of `JSON.stringify` of the bucket, kept by the callers' incremental arithmetic. */
  bytes: number;
  private version = 0;
  /** undo[i] turns version (base + i + 1) back into version (base + i). */
  private undo: Undo[] = [];
  private base = 0;
  private nextTrim = 4096;
  private cached: { v: number; obj: Record<string, unknown> } | null = null;
  /** Etags and byte sizes of current values (so resizing on `set`/`delete` never re-serialises). */
  private derived = new Map<string, Derived>();
  /**
   * Lazy snapshots in creation (= version) order, from `head` on. A read one leaves its slot at
   * once (null): it holds a whole bucket, and its event may be long gone from the ring, while
   * an older unread one can keep the list itself for `keep` mutations.
   */
  private pending: (Snapshot | null)[] = [];
  private head = 0;
  /** The slot number of pending[0]. */
  private pendingBase = 0;
  /** JSON bytes of the old values the undo records hold. */
  private journalBytes = 0;
  /**
   * @param keep how many mutations back an unread snapshot can still be reached: the event ring's
   *   capacity, since every mutation emits one event.
   */
  constructor(
    initial: Record<string, unknown>,
    bytes: number,
    private readonly keep = 10_000,
    private readonly maxJournalBytes = MAX_JOURNAL_BYTES,
  ) {
    this.map = new Map(Object.entries(initial));
    this.bytes = bytes;
  }

  /** Undo records kept (for tests and diagnostics). */
  get journalLength(): number {
    return this.undo.length;
  }
  /** Snapshots still tracked (for tests and diagnostics). */
  get pendingLength(): number {
    let n = 0;
    for (let i = this.head; i < this.pending.length; i++) if (this.pending[i]) n++;
    return n;
  }
  /** Bytes of old values the undo records hold (for tests and diagnostics). */
  get journalSize(): number {
    return this.journalBytes;
  }

  get size(): number {
    return this.map.size;
  }
  has(key: string): boolean {
    return this.map.has(key);
  }
  get(key: string): unknown {
    return this.map.get(key);
  }
  keys(): IterableIterator<string> {
    return this.map.keys();
  }

  /** What is derived from the value under `key` (which must exist), made on first need. */
  private derivedOf(key: string): Derived {
    let d = this.derived.get(key);
    if (d === undefined) {
      const json = toJson(this.map.get(key));
      d = { bytes: json === undefined ? 0 : utf8Length(json), etag: undefined, json };
      this.derived.set(key, d);
    }
    return d;
  }

  /** Byte size of the value under `key` (which must exist), computed once per stored value. */
  valueBytes(key: string): number {
    return this.derivedOf(key).bytes;
  }

  /**
   * The etag of the value under `key` (which must exist), computed once per stored value from its
   * JSON text (`"null"` for a value with none).
   */
  etag(key: string, compute: (json: string) => string): string {
    const d = this.derivedOf(key);
    if (d.etag === undefined) {
      d.etag = compute(d.json ?? toJson(this.map.get(key)) ?? "null");
      d.json = undefined;
    }
    return d.etag;
  }

  /**
   * `bytes` = the bucket's new size. `json` and `valueBytes`: the value's JSON text and its UTF-8
   * size, when the caller made them (so neither is made again).
   */
  set(key: string, value: unknown, bytes: number, json?: string, valueBytes?: number) {
    const had = this.map.has(key);
    // the caller sized the old value for the bucket arithmetic already: usually cached
    const oldBytes = had ? this.valueBytes(key) : 0;
    this.record({ kind: "key", key, had, old: this.map.get(key), bytes: oldBytes });
    this.map.set(key, value);
    if (json === undefined) this.derived.delete(key);
    else {
      this.derived.set(key, { bytes: valueBytes ?? utf8Length(json), etag: undefined, json });
    }
    this.bytes = bytes;
  }

  delete(key: string, bytes: number) {
    // remember the position so a rebuilt snapshot keeps the key order it had
    let pos = 0;
    for (const k of this.map.keys()) {
      if (k === key) break;
      pos++;
    }
    this.record({ kind: "deleted", key, old: this.map.get(key), pos, bytes: this.valueBytes(key) });
    this.map.delete(key);
    this.derived.delete(key);
    this.bytes = bytes;
  }

  replaceAll(state: Record<string, unknown>, bytes: number) {
    this.record({ kind: "all", old: this.map, bytes: this.bytes });
    this.map = new Map(Object.entries(state));
    this.derived = new Map();
    this.bytes = bytes;
  }

  /** The current bucket as a plain object (shared until the next mutation). */
  snapshot(): Record<string, unknown> {
    if (this.cached?.v !== this.version) {
      this.cached = { v: this.version, obj: toObject(this.map) };
    }
    return this.cached.obj;
  }

  /** The bucket as it is now, to be built when (and if) someone reads it. */
  later(): Snapshot {
    const p = new Snapshot(this, this.version, this.pendingBase + this.pending.length);
    this.pending.push(p);
    this.dropRead();
    // one snapshot per event, and the ring keeps `keep` events: older slots are for events gone
    // (open_view makes snapshots without writes, so trim() alone never comes)
    const gone = this.pending.length - this.keep;
    if (gone >= 1024) {
      this.pending.splice(0, gone);
      this.pendingBase += gone;
      this.head = Math.max(0, this.head - gone);
    }
    return p;
  }

  /** A snapshot now built: its slot lets go of it (its event keeps what it still needs). */
  private built(q: Snapshot, value: Record<string, unknown>) {
    q.value = value;
    const i = q.slot - this.pendingBase;
    if (i >= 0 && this.pending[i] === q) this.pending[i] = null;
  }

  /** Moves past the let-go slots at the front of `pending`, compacting in batches (O(1) a call). */
  private dropRead() {
    const q = this.pending;
    while (this.head < q.length && q[this.head] === null) this.head++;
    if (this.head >= 1024 && this.head * 2 >= q.length) {
      this.pending = q.slice(this.head);
      this.pendingBase += this.head;
      this.head = 0;
    }
  }

  /**
   * A payload `{...before, runtime_state, ...after}` whose `runtime_state` is the bucket as it is
   * now, built on first read.
   */
  lazyPayload(
    before?: Record<string, unknown>,
    after?: Record<string, unknown>,
  ): Record<string, unknown> {
    return this.later().live({ ...before, runtime_state: null, ...after });
  }

  private record(u: Undo) {
    this.dropRead();
    this.undo.push(u);
    this.journalBytes += u.bytes;
    this.version++;
    // a quarter over the byte cap before trimming, so trimming stays rare
    if (
      this.undo.length >= this.nextTrim ||
      this.journalBytes > this.maxJournalBytes + (this.maxJournalBytes >> 2)
    ) this.trim();
  }

  /** Rebuilds the bucket at `p.v`, filling every unread snapshot met on the way back. */
  resolve(p: Snapshot): Record<string, unknown> {
    if (p.value) return p.value;
    if (p.v === this.version) {
      this.built(p, this.snapshot());
      return p.value!;
    }
    if (p.v < this.base) {
      this.built(p, { _truncated: true, reason: "this snapshot's history is no longer kept" });
      return p.value!;
    }
    // walk back from the newest state, building every pending snapshot down to p's version (those
    // of one version share one copy); the pending list is in version order
    const m = new Map(this.map);
    let v = this.version;
    let builtV = -1;
    let copy: Record<string, unknown> = {};
    const build = () => {
      if (builtV !== v) {
        builtV = v;
        copy = v === this.version ? this.snapshot() : toObject(m);
      }
      return copy;
    };
    for (let i = this.pending.length - 1; i >= this.head; i--) {
      const q = this.pending[i];
      if (!q || q.v > v) continue;
      if (q.v < p.v) break;
      while (v > q.v) applyUndo(m, this.undo[--v - this.base]);
      this.built(q, build());
    }
    if (!p.value) {
      // p has left the pending list (its event has left the ring), but its history is still kept
      while (v > p.v) applyUndo(m, this.undo[--v - this.base]);
      this.built(p, build());
    }
    return p.value!;
  }

  /**
   * Drops undo records older than the oldest snapshot that may still be read, then the oldest
   * ones past the byte cap (a snapshot that needed them answers the `_truncated` marker).
   */
  private trim() {
    let drop = this.head;
    while (drop < this.pending.length) {
      const q = this.pending[drop];
      if (q && this.version - q.v <= this.keep) break;
      drop++;
    }
    let oldest = drop < this.pending.length ? this.pending[drop]!.v : this.version;
    let n = oldest - this.base;
    let bytes = this.journalBytes;
    for (let i = 0; i < n; i++) bytes -= this.undo[i].bytes;
    while (bytes > this.maxJournalBytes && n < this.undo.length) bytes -= this.undo[n++].bytes;
    if (n > oldest - this.base) {
      oldest = this.base + n;
      while (drop < this.pending.length && (this.pending[drop]?.v ?? -1) < oldest) drop++;
    }
    if (drop) this.pending.splice(0, drop);
    this.pendingBase += drop;
    this.head = 0;
    if (n > 0) {
      this.undo.splice(0, n);
      this.base = oldest;
      this.journalBytes = bytes;
    }
    // splicing moves what stays: look again only after the journal has grown by a quarter, so
    // that work stays O(1) per mutation; the journal keeps at most about 1.25 × keep records
    this.nextTrim = this.undo.length + Math.max(1024, this.undo.length >> 2);
  }
}
