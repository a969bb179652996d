/**
 * Per-session event queue (CONTRACT §6.5, §7.1): seq from 1, a bounded ring (10 000 events and
 * 64 MiB), one drain cursor, independent live subscribers (SSE) and the synthetic `events_dropped`.
 */
import { byteSize } from "../util/json.ts";
import { materializePayload } from "./state_store.ts";

export const EVENT_CAPACITY = 10_000;
export const EVENT_MAX_BYTES = 64 * 1024 * 1024;
export const DRAIN_MAX_BYTES = 8 * 1024 * 1024;

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

interface Slot {
  env: EventEnvelope;
  bytes: number;
}

export interface ReadResult {
  events: EventEnvelope[];
  dropped: number;
  more: boolean;
  /** seq of the last envelope returned (the new position), or the start position if none. */
  position: number;
}

export class EventQueue {
  private slots: (Slot | undefined)[] = [];
  private head = 0; // index of the oldest retained slot
  private count = 0;
  private bytes = 0;
  lastSeq = 0;
  drainCursor = 0;
  private listeners = new Set<(e: EventEnvelope) => void>();

  constructor(
    private readonly base: Omit<
      EventEnvelope,
      "kind" | "window_uuid" | "by_client_id" | "ts" | "seq" | "payload"
    >,
    private readonly capacity = EVENT_CAPACITY,
    private readonly maxBytes = EVENT_MAX_BYTES,
  ) {}

  get retained(): number {
    return this.count;
  }
  /** seq of the oldest retained event (lastSeq + 1 when empty). */
  get firstRetainedSeq(): number {
    return this.count === 0 ? this.lastSeq + 1 : this.slots[this.head]!.env.seq;
  }

  /** Appends an event; `payloadBytes` lets callers that already measured the payload skip a stringify. */
  push(
    kind: string,
    window_uuid: string | null,
    by_client_id: string | null,
    payload: Record<string, unknown>,
    payloadBytes?: number,
  ): EventEnvelope {
    const env: EventEnvelope = {
      type: this.base.type,
      kind,
      window_uuid,
      app_id: this.base.app_id,
      version_id: this.base.version_id,
      conversation_session_uuid: this.base.conversation_session_uuid,
      by_client_id,
      ts: Date.now(),
      seq: ++this.lastSeq,
      payload,
    };
    const bytes = payloadBytes !== undefined ? payloadBytes + 300 : byteSize(env);
    this.append({ env, bytes });
    if (this.listeners.size) materializePayload(payload); // handed out now: fix its snapshot
    for (const l of this.listeners) {
      try {
        l(env);
      } catch { /* a broken subscriber never affects the queue */ }
    }
    return env;
  }

  private append(slot: Slot) {
    const cap = this.capacity;
    if (this.count === this.slots.length && this.slots.length < cap) {
      // grow lazily so 1 000 idle sessions stay small; re-linearise the ring
      const next: (Slot | undefined)[] = new Array(
        Math.min(cap, Math.max(16, this.slots.length * 2)),
      );
      for (let i = 0; i < this.count; i++) {
        next[i] = this.slots[(this.head + i) % this.slots.length];
      }
      this.slots = next;
      this.head = 0;
    }
    while (this.count > 0 && (this.count >= cap || this.bytes + slot.bytes > this.maxBytes)) {
      this.evictOldest();
    }
    this.slots[(this.head + this.count) % this.slots.length] = slot;
    this.count++;
    this.bytes += slot.bytes;
  }

  private evictOldest() {
    const s = this.slots[this.head]!;
    this.slots[this.head] = undefined;
    this.head = (this.head + 1) % this.slots.length;
    this.count--;
    this.bytes -= s.bytes;
  }

  /**
   * Events with seq > `after`, oldest first, up to `limit` and `maxBytes`. When events after
   * `after` were evicted, the result starts with one synthetic `events_dropped` (not stored).
   */
  read(after: number, limit = Infinity, maxBytes = DRAIN_MAX_BYTES): ReadResult {
    const events: EventEnvelope[] = [];
    let dropped = 0;
    let position = after;
    let used = 0;
    const first = this.firstRetainedSeq;
    if (after + 1 < first && after < this.lastSeq) {
      const last_seq = first - 1;
      dropped = last_seq - after;
      events.push({
        type: this.base.type,
        kind: "events_dropped",
        window_uuid: null,
        app_id: this.base.app_id,
        version_id: this.base.version_id,
        conversation_session_uuid: this.base.conversation_session_uuid,
        by_client_id: null,
        ts: Date.now(),
        seq: last_seq,
        payload: { count: dropped, first_seq: after + 1, last_seq },
      });
      position = last_seq;
      used = 200;
    }
    const start = Math.max(0, position + 1 - first);
    let more = false;
    const len = this.slots.length;
    for (let i = start; i < this.count; i++) {
      const s = this.slots[(this.head + i) % len]!;
      if (events.length >= limit || (events.length > 0 && used + s.bytes > maxBytes)) {
        more = true;
        break;
      }
      materializePayload(s.env.payload);
      events.push(s.env);
      used += s.bytes;
      position = s.env.seq;
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

  /** Drops live subscribers (session closed). */
  clearSubscribers() {
    this.listeners.clear();
  }
}
