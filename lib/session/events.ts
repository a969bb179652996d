/**
 * Per-session event queue (CONTRACT §6.5, §7.1): seq from 1, a bounded ring (10 000 events and
 * 64 MiB), one drain cursor, independent live subscribers (SSE) and the synthetic `events_dropped`.
 */
import { byteSize, intDigits, jsonStringBytes } from "../util/json.ts";
import { materializePayload } from "./snapshot.ts";

export const EVENT_CAPACITY = 10_000;
export const EVENT_MAX_BYTES = 64 * 1024 * 1024;
export const DRAIN_MAX_BYTES = 8 * 1024 * 1024;
/** `{"events":[` + `],"dropped":` + `,"more":` + `}`: a drain result without its variable parts. */
const DRAIN_WRAPPER_BYTES = 32;

export interface EventEnvelope {
  type: "data_model/AnnaAppEvent";
  kind: string;
  window_uuid: string | null;
  app_id: string;
  version_id: string;
  conversation_session_uuid: string;
  by_client_id: string | null;
  ts: number;
  seq: number;
  payload: Record<string, unknown>;
}

/**
 * A payload member built only when someone reads the event (the storage snapshot, §7.2): `fill`
 * completes the payload in place; `live` wraps it for subscribers, who may read it much later.
 */
export interface DeferredPayload {
  fill(payload: Record<string, unknown>): void;
  live(payload: Record<string, unknown>): Record<string, unknown>;
}

/** A subscriber that completes deferred payloads itself (see `EventQueue.subscribeDeferred`). */
export type DeferredListener = (
  e: EventEnvelope,
  pending: DeferredPayload | null,
  /** the size the ring accounts for the event (its JSON size, whole bucket included) */
  bytes: number,
) => void;

export interface ReadResult {
  events: EventEnvelope[];
  dropped: number;
  more: boolean;
  /** seq of the last envelope returned (the new position), or the start position if none. */
  position: number;
}

export class EventQueue {
  // The ring as parallel arrays, one slot per event: an event costs no object of its own while it
  // waits. Its envelope is built when it is first read (or at once when someone listens) and then
  // kept in `envs`, so every read hands out the same object. Evicting reads only a number.
  private envs: (EventEnvelope | undefined)[] = [];
  private kinds: string[] = [];
  private wids: (string | null)[] = [];
  private bys: (string | null)[] = [];
  /** plain doubles (a number array holds them unboxed: no heap number per event) */
  private tss: number[] = [];
  private payloads: (Record<string, unknown> | undefined)[] = [];
  private sizes: number[] = [];
  private deferreds: (DeferredPayload | null)[] = [];
  private head = 0; // index of the oldest retained slot
  private count = 0;
  private bytes = 0;
  lastSeq = 0;
  drainCursor = 0;
  private listeners = new Set<(e: EventEnvelope) => void>();
  private deferredListeners = new Set<DeferredListener>();

  /**
   * Bytes of an envelope with an empty kind, null ids, one-digit ts and seq and payload: the
   * session's fixed fields measured once, so sizing an event costs no stringify of the envelope.
   * Sizes are exact (§1.3 "size of X"), so the 64 MiB and 8 MiB caps apply to the real JSON.
   */
  private readonly envelopeBytes: number;
  // the last window id sized, and its size: events mostly concern the same window in a row
  private lastId: string | null = null;
  private lastIdBytes = 4;

  constructor(
    private readonly base: Omit<
      EventEnvelope,
      "kind" | "window_uuid" | "by_client_id" | "ts" | "seq" | "payload"
    >,
    private readonly capacity = EVENT_CAPACITY,
    private readonly maxBytes = EVENT_MAX_BYTES,
  ) {
    this.envelopeBytes = byteSize({
      type: base.type,
      kind: "",
      window_uuid: null,
      app_id: base.app_id,
      version_id: base.version_id,
      conversation_session_uuid: base.conversation_session_uuid,
      by_client_id: null,
      ts: 0,
      seq: 0,
      payload: 0,
    }) - 3;
  }

  /** JSON size of a window id member's value (`null` or a quoted string). */
  private idBytes(id: string | null): number {
    if (id === null) return 4;
    if (id !== this.lastId) {
      this.lastIdBytes = jsonStringBytes(id);
      this.lastId = id;
    }
    return this.lastIdBytes;
  }

  /** Exact JSON size of an envelope, from its parts (`payloadBytes`: the payload's size). */
  private sizeOf(
    kind: string,
    window_uuid: string | null,
    by_client_id: string | null,
    ts: number,
    seq: number,
    payloadBytes: number,
  ): number {
    return this.envelopeBytes + jsonStringBytes(kind) - 2 + this.idBytes(window_uuid) - 4 +
      this.idBytes(by_client_id) - 4 + intDigits(ts) + intDigits(seq) + payloadBytes;
  }

  get retained(): number {
    return this.count;
  }
  /** The size the ring accounts for its events (≥ their JSON size; the 64 MiB cap applies to it). */
  get retainedBytes(): number {
    return this.bytes;
  }
  /** seq of the oldest retained event (lastSeq + 1 when empty). */
  get firstRetainedSeq(): number {
    // seqs are consecutive and the ring holds the newest `count` of them
    return this.lastSeq - this.count + 1;
  }

  /**
   * Appends an event. `payloadBytes` (the size of `payload`) lets callers that already know it skip
   * a stringify; it must be exact, or the 64 MiB ring and the 8 MiB drain caps are miscounted.
   * With `deferred`, the payload is completed when the event is read.
   */
  push(
    kind: string,
    window_uuid: string | null,
    by_client_id: string | null,
    payload: Record<string, unknown>,
    payloadBytes?: number,
    deferred?: DeferredPayload,
  ): void {
    let pending = deferred ?? null;
    if (pending && this.listeners.size) {
      // subscribers keep envelopes and read them whenever they like
      payload = pending.live(payload);
      pending = null;
    }
    const ts = Date.now();
    const seq = ++this.lastSeq;
    const bytes = this.sizeOf(
      kind,
      window_uuid,
      by_client_id,
      ts,
      seq,
      payloadBytes ?? byteSize(payload),
    );
    const listened = this.listeners.size > 0 || this.deferredListeners.size > 0;
    const env = listened
      ? this.envelope(kind, window_uuid, by_client_id, ts, seq, payload)
      : undefined;
    this.append(kind, window_uuid, by_client_id, ts, payload, bytes, pending, env);
    if (env === undefined) return;
    if (this.listeners.size) {
      for (const l of this.listeners) {
        try {
          l(env);
        } catch { /* a broken subscriber never affects the queue */ }
      }
    }
    if (this.deferredListeners.size) {
      for (const l of this.deferredListeners) {
        try {
          l(env, pending, bytes);
        } catch { /* as above */ }
      }
    }
  }

  private envelope(
    kind: string,
    window_uuid: string | null,
    by_client_id: string | null,
    ts: number,
    seq: number,
    payload: Record<string, unknown>,
  ): EventEnvelope {
    return {
      type: this.base.type,
      kind,
      window_uuid,
      app_id: this.base.app_id,
      version_id: this.base.version_id,
      conversation_session_uuid: this.base.conversation_session_uuid,
      by_client_id,
      ts,
      seq,
      payload,
    };
  }

  /** The envelope in ring slot `at` (the `i`-th oldest retained event), built on first need. */
  private envelopeAt(at: number, i: number): EventEnvelope {
    let env = this.envs[at];
    if (env === undefined) {
      const seq = this.firstRetainedSeq + i;
      env = this.envelope(
        this.kinds[at],
        this.wids[at],
        this.bys[at],
        this.tss[at],
        seq,
        this.payloads[at]!,
      );
      this.envs[at] = env;
      this.payloads[at] = undefined; // the envelope holds it now
    }
    return env;
  }

  private append(
    kind: string,
    wid: string | null,
    by: string | null,
    ts: number,
    payload: Record<string, unknown>,
    bytes: number,
    deferred: DeferredPayload | null,
    env: EventEnvelope | undefined,
  ) {
    const cap = this.capacity;
    let len = this.envs.length;
    if (this.count === len && len < cap) {
      // grow lazily so 1 000 idle sessions stay small; re-linearise the ring
      this.grow(Math.min(cap, Math.max(16, len * 2)));
      len = this.envs.length;
    }
    while (this.count > 0 && (this.count >= cap || this.bytes + bytes > this.maxBytes)) {
      this.evictOldest();
    }
    let at = this.head + this.count;
    if (at >= len) at -= len;
    this.envs[at] = env;
    this.kinds[at] = kind;
    this.wids[at] = wid;
    this.bys[at] = by;
    this.tss[at] = ts;
    this.payloads[at] = env === undefined ? payload : undefined;
    this.sizes[at] = bytes;
    this.deferreds[at] = deferred;
    this.count++;
    this.bytes += bytes;
  }

  /** Re-linearises the ring into arrays of `n` slots. */
  private grow(n: number) {
    const len = this.envs.length;
    const order = (a: unknown[], fill: unknown) => {
      const out = new Array(n).fill(fill);
      for (let i = 0; i < this.count; i++) out[i] = a[(this.head + i) % len];
      return out;
    };
    this.envs = order(this.envs, undefined);
    this.kinds = order(this.kinds, "");
    this.wids = order(this.wids, null);
    this.bys = order(this.bys, null);
    // seeded with a fraction, so the array holds doubles from the start (no later transition)
    this.tss = order(this.tss, 0.5);
    this.payloads = order(this.payloads, undefined);
    this.sizes = order(this.sizes, 0);
    this.deferreds = order(this.deferreds, null);
    this.head = 0;
  }

  private evictOldest() {
    const h = this.head;
    this.envs[h] = undefined;
    this.payloads[h] = undefined;
    this.deferreds[h] = null;
    this.bytes -= this.sizes[h];
    this.head = h + 1 === this.envs.length ? 0 : h + 1;
    this.count--;
  }

  /**
   * Events with seq > `after`, oldest first, up to `limit` and `maxBytes`. When events after
   * `after` were evicted, the result starts with one synthetic `events_dropped` (not stored).
   */
  read(after: number, limit = Infinity, maxBytes = DRAIN_MAX_BYTES): ReadResult {
    const events: EventEnvelope[] = [];
    let dropped = 0;
    let position = after;
    let used = 0; // the events so far with their commas, as JSON
    const first = this.firstRetainedSeq;
    if (after + 1 < first && after < this.lastSeq) {
      const last_seq = first - 1;
      dropped = last_seq - after;
      const payload = { count: dropped, first_seq: after + 1, last_seq };
      const env = this.envelope("events_dropped", null, null, Date.now(), last_seq, payload);
      events.push(env);
      position = last_seq;
      used = this.sizeOf(env.kind, null, null, env.ts, last_seq, byteSize(payload));
    }
    // the drain result around the events: `{"events":[…],"dropped":N,"more":…}`
    const wrapper = DRAIN_WRAPPER_BYTES + intDigits(dropped);
    const start = Math.max(0, position + 1 - first);
    let more = false;
    const len = this.envs.length;
    for (let i = start; i < this.count; i++) {
      const at = (this.head + i) % len;
      // the result's size if it ended with this event: `more` is then true exactly when events
      // remain after it ("true" is one byte shorter than "false")
      const next = used + (events.length > 0 ? 1 : 0) + this.sizes[at];
      const total = wrapper + next + (i + 1 < this.count ? 4 : 5);
      // a single event larger than the cap still goes out alone, or it could never be read
      if (events.length >= limit || (events.length > 0 && total > maxBytes)) {
        more = true;
        break;
      }
      const env = this.envelopeAt(at, i);
      const d = this.deferreds[at];
      if (d) {
        d.fill(env.payload);
        this.deferreds[at] = null;
      } else materializePayload(env.payload);
      events.push(env);
      used = next;
      position = env.seq;
    }
    return { events, dropped, more, position };
  }

  /** `session.drain_events` (§4.4.4): read after the cursor and advance it. */
  drain(limit = 10_000): { events: EventEnvelope[]; dropped: number; more: boolean } {
    const r = this.read(this.drainCursor, limit);
    this.drainCursor = r.position;
    return { events: r.events, dropped: r.dropped, more: r.more };
  }

  subscribe(fn: (e: EventEnvelope) => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  /**
   * Like `subscribe`, for a subscriber that keeps envelopes and reads them only through a place of
   * its own (the dashboard log): it is handed the payload's unfilled part (null when complete) and
   * calls `pending.fill(env.payload)` before anything reads the payload. This spares building a
   * live payload per event while nobody else listens.
   */
  subscribeDeferred(fn: DeferredListener): () => void {
    this.deferredListeners.add(fn);
    return () => this.deferredListeners.delete(fn);
  }

  /** Drops live subscribers (session closed). */
  clearSubscribers() {
    this.listeners.clear();
    this.deferredListeners.clear();
  }
}
