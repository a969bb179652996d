/**
 * Past versions of a session's storage bucket (CONTRACT §7.2 `runtime_state_synced`): the undo
 * record a mutation leaves and how it turns a bucket one version back, and the lazy `Snapshot` an
 * event carries, with the payload wrapper that builds it on first read. The store (state_store.ts)
 * keeps the journal and decides what is kept; a snapshot only knows its version and asks the
 * store to resolve it.
 */

import type { DeferredPayload } from "./events.ts";

/** What rebuilds a snapshot's bucket: the store that took it. */
export interface SnapshotSource {
  resolve(s: Snapshot): Record<string, unknown>;
}

/**
 * One step of the store's journal: what a mutation replaced. `bytes`: the JSON size of the old
 * value(s) it holds, for the journal's byte cap.
 */
export type Undo =
  | { kind: "key"; key: string; had: boolean; old: unknown; bytes: number }
  | { kind: "deleted"; key: string; old: unknown; pos: number; bytes: number }
  | { kind: "all"; old: Map<string, unknown>; bytes: number };

/** Turns bucket `m` one version back (its key order as it was, for a `deleted` record too). */
export function applyUndo(m: Map<string, unknown>, u: Undo) {
  if (u.kind === "all") {
    m.clear();
    for (const [k, val] of u.old) m.set(k, val);
  } else if (u.kind === "deleted") {
    const entries = [...m];
    entries.splice(u.pos, 0, [u.key, u.old]);
    m.clear();
    for (const [k, val] of entries) m.set(k, val);
  } else if (u.had) m.set(u.key, u.old);
  else m.delete(u.key);
}

const MATERIALIZE = Symbol("materialize");

/** Builds a lazy payload's snapshot now, if it has one (a no-op for ordinary payloads). */
export function materializePayload(payload: Record<string, unknown>) {
  const m = (payload as { [MATERIALIZE]?: () => void })[MATERIALIZE];
  if (m) m();
}

/**
 * The bucket as it was at one version, built on first need. It fills an event payload's
 * `runtime_state` (`fill`), or wraps a payload so that reading the member builds it (`live`).
 */
export class Snapshot implements DeferredPayload {
  value: Record<string, unknown> | null = null;
  constructor(
    private readonly store: SnapshotSource,
    readonly v: number,
    /** its place in the store's pending list, counted from the first snapshot ever taken */
    readonly slot: number,
  ) {}

  /** Sets `payload.runtime_state` to this snapshot (in place, keeping the member's position). */
  fill(payload: Record<string, unknown>) {
    payload.runtime_state = this.store.resolve(this);
  }

  /**
   * A copy of `payload` whose `runtime_state` is an accessor that builds the snapshot on first
   * read. JSON.stringify, reads and spreads see a plain enumerable property.
   */
  live(payload: Record<string, unknown>): Record<string, unknown> {
    const resolve = () => this.store.resolve(this);
    // A literal with the accessor and the materialize hook keeps the object's shape fast; the
    // first read turns the accessor into a plain data property and drops the hook, so a read
    // payload looks like any other object.
    const lazy: Record<string | symbol, unknown> = {
      get runtime_state(): Record<string, unknown> {
        const value = resolve();
        Object.defineProperty(this, "runtime_state", {
          value,
          enumerable: true,
          configurable: true,
          writable: true,
        });
        delete (this as Record<symbol, unknown>)[MATERIALIZE];
        return value;
      },
      [MATERIALIZE]: () => void lazy.runtime_state,
    };
    const keys = Object.keys(payload);
    if (keys.length === 1) return lazy as Record<string, unknown>;
    // open_view: the other members keep their order around runtime_state (rare, no fast path)
    const out: Record<string | symbol, unknown> = {};
    for (const k of keys) {
      if (k === "runtime_state") {
        Object.defineProperty(out, k, { ...Object.getOwnPropertyDescriptor(lazy, k)! });
      } else out[k] = payload[k];
    }
    Object.defineProperty(out, MATERIALIZE, {
      value: () => void out.runtime_state,
      enumerable: false,
      configurable: true,
    });
    return out as Record<string, unknown>;
  }
}
