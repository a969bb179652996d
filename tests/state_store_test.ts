/**
 * The storage bucket's lazy snapshots (lib/session/state_store.ts): every event payload shows the
 * bucket as it was when the event was emitted, however late it is read (CONTRACT §7.2).
 */
import assert from "node:assert/strict";
import { StateStore } from "../lib/session/state_store.ts";
import { byteSize } from "../lib/util/json.ts";
import { EventQueue } from "../lib/session/events.ts";

const newQueue = () =>
  new EventQueue({
    type: "data_model/AnnaAppEvent",
    app_id: "a",
    version_id: "dev",
    conversation_session_uuid: "c",
  });

function rng(seed: number) {
  return () => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed / 0x7fffffff;
  };
}

Deno.test("snapshots taken along a random history read back exactly, in any order", () => {
  const st = new StateStore({ seed: 1 }, byteSize({ seed: 1 }));
  const r = rng(7);
  const model: Record<string, unknown> = { seed: 1 };
  const taken: { payload: Record<string, unknown>; expected: string }[] = [];
  for (let i = 0; i < 3000; i++) {
    const x = r();
    const key =
      ["a", "b", "c", "__proto__", "10", "2", `k${Math.floor(r() * 20)}`][Math.floor(r() * 7)];
    if (x < 0.6) {
      const value = { i, nested: [i, String(i)] };
      st.set(key, value, 0);
      Object.defineProperty(model, key, {
        value,
        enumerable: true,
        configurable: true,
        writable: true,
      });
    } else if (x < 0.9) {
      if (st.has(key)) {
        st.delete(key, 0);
        delete model[key];
      }
    } else if (x < 0.93) {
      const fresh = { replaced: i };
      st.replaceAll(fresh, 0);
      for (const k of Object.keys(model)) delete model[k];
      model.replaced = i;
    }
    if (r() < 0.3) {
      taken.push({
        payload: st.lazyPayload({ n: i }, { tail: true }),
        expected: JSON.stringify(model),
      });
    }
  }
  // read newest first, then oldest, then the rest: rebuilding must not depend on read order
  const order = [...taken.keys()].reverse();
  order.unshift(...order.splice(order.length - 5, 5));
  for (const idx of order) {
    const t = taken[idx];
    assert.equal(JSON.stringify(t.payload.runtime_state), t.expected, `snapshot ${idx}`);
  }
  assert.deepEqual(Object.keys(taken[0].payload), ["n", "runtime_state", "tail"]);
  assert.equal(JSON.stringify(st.snapshot()), JSON.stringify(model));
});

Deno.test("the journal keeps what an unread snapshot in reach needs, and no more", () => {
  const keep = 3000; // the event ring's reach, in mutations
  const st = new StateStore({}, 2, keep);
  let held: Record<string, unknown> | null = null;
  for (let i = 0; i < 2500; i++) {
    st.set(`k${i % 50}`, i, 0);
    const p = st.lazyPayload();
    if (i === 10) held = p; // unread, still within reach of the ring
    else void p.runtime_state; // read at once, like a transport that serialises it
  }
  assert.ok(st.journalLength >= 2480, `history kept for the unread snapshot (${st.journalLength})`);
  const old = held!.runtime_state as Record<string, number>;
  assert.equal(old.k10, 10);
  assert.equal(old.k11, undefined);
  for (let i = 0; i < 5000; i++) st.set("x", i, 0);
  assert.ok(
    st.journalLength <= keep + 1024,
    `journal ${st.journalLength} bounded by the ring's reach`,
  );
});

Deno.test("a drained event carries its snapshot built; a subscriber reading later sees its time", () => {
  const st = new StateStore({ a: 1 }, 7);
  const q = newQueue();
  const live: Record<string, unknown>[] = [];
  q.subscribe((e) => live.push(e.payload)); // keeps envelopes, like the dashboard log
  q.push("runtime_state_synced", null, null, st.lazyPayload(), 7);
  st.set("a", 2, 7);
  q.push("runtime_state_synced", null, null, st.lazyPayload(), 7);
  const drained = q.drain().events.map((e) =>
    Object.getOwnPropertyDescriptor(e.payload, "runtime_state")?.value
  );
  assert.deepEqual(drained, [{ a: 1 }, { a: 2 }]);
  st.set("a", 3, 7);
  assert.deepEqual(live.map((p) => p.runtime_state), [{ a: 1 }, { a: 2 }]);
});

Deno.test("a snapshot read after its history left the journal says so instead of lying", () => {
  const st = new StateStore({}, 2, 100);
  st.set("a", 0, 0);
  const old = st.lazyPayload();
  for (let i = 1; i < 6000; i++) st.set("a", i, 0);
  assert.deepEqual(old.runtime_state, {
    _truncated: true,
    reason: "this snapshot's history is no longer kept",
  });
});

Deno.test("a literal __proto__ key is an own property of snapshots", () => {
  const st = new StateStore({}, 2);
  st.set("__proto__", { x: 1 }, 0);
  const p = st.lazyPayload();
  st.set("a", 2, 0);
  assert.equal(JSON.stringify(p.runtime_state), '{"__proto__":{"x":1}}');
  assert.equal(JSON.stringify(st.snapshot()), '{"__proto__":{"x":1},"a":2}');
  assert.equal(Object.getPrototypeOf(st.snapshot()), Object.prototype);
});

Deno.test("events pushed with nobody listening are filled on read; later ones go out live", () => {
  const st = new StateStore({ a: 1 }, 7);
  const q = newQueue();
  // open_view's shape: members around runtime_state keep their order when filled in place
  q.push(
    "open_view",
    "w",
    null,
    { view: "main", runtime_state: null, reopened: false },
    50,
    st.later(),
  );
  st.set("a", 2, 7);
  q.push("runtime_state_synced", "w", "w", { runtime_state: null }, 20, st.later());
  const live: Record<string, unknown>[] = [];
  q.subscribe((e) => live.push(e.payload));
  st.set("a", 3, 7);
  q.push("runtime_state_synced", "w", "w", { runtime_state: null }, 20, st.later());
  st.set("a", 4, 7);
  const drained = q.drain().events.map((e) => e.payload);
  assert.deepEqual(drained, [
    { view: "main", runtime_state: { a: 1 }, reopened: false },
    { runtime_state: { a: 2 } },
    { runtime_state: { a: 3 } },
  ]);
  assert.deepEqual(Object.keys(drained[0]), ["view", "runtime_state", "reopened"]);
  assert.equal(JSON.stringify(live), '[{"runtime_state":{"a":3}}]');
});

Deno.test("a deferred subscriber fills the payload itself; with a live subscriber it is complete", () => {
  const st = new StateStore({ a: 1 }, 7);
  const q = newQueue();
  const kept: { payload: Record<string, unknown>; fill: (() => void) | null }[] = [];
  q.subscribeDeferred((e, pending) =>
    kept.push({ payload: e.payload, fill: pending && (() => pending.fill(e.payload)) })
  );
  q.push("runtime_state_synced", null, null, { runtime_state: null }, 20, st.later());
  st.set("a", 2, 7);
  // nothing built yet: the payload still holds its placeholder
  assert.deepEqual(kept[0].payload, { runtime_state: null });
  kept[0].fill!();
  assert.deepEqual(kept[0].payload, { runtime_state: { a: 1 } });
  // a drain of the same event agrees (one envelope, filled in place once)
  assert.deepEqual(q.drain().events.map((e) => e.payload), [{ runtime_state: { a: 1 } }]);

  const unsubscribe = q.subscribe(() => {});
  q.push("runtime_state_synced", null, null, { runtime_state: null }, 20, st.later());
  st.set("a", 3, 7);
  assert.equal(kept[1].fill, null, "a live payload needs no filling");
  assert.deepEqual(kept[1].payload.runtime_state, { a: 2 });
  unsubscribe();
});

Deno.test("the journal's old values stay under its byte cap; snapshots past it say so", () => {
  const cap = 1_000_000;
  const st = new StateStore({}, 2, 10_000, cap);
  const big = (i: number) => `${i}:`.padEnd(100_000, "x");
  const held: Record<string, unknown>[] = [];
  let bytes = 2;
  for (let i = 0; i < 200; i++) {
    const v = big(i);
    const vb = byteSize(v);
    bytes = st.has("a") ? bytes - st.valueBytes("a") + vb : bytes + 4 + vb;
    st.set("a", v, bytes, JSON.stringify(v), vb);
    held.push(st.lazyPayload()); // never read, like events nobody drains
  }
  assert.ok(st.journalSize <= cap * 1.25, `journal holds ${st.journalSize} bytes`);
  assert.ok(st.journalLength < 20, `${st.journalLength} records`);
  // the newest snapshots still read back exactly; the oldest answer the marker, never a wrong bucket
  assert.equal(held[199].runtime_state && (held[199].runtime_state as { a: string }).a, big(199));
  assert.equal((held[195].runtime_state as { a: string }).a, big(195));
  assert.deepEqual(held[0].runtime_state, {
    _truncated: true,
    reason: "this snapshot's history is no longer kept",
  });
});

Deno.test("read snapshots are let go at once: a big bucket written and read often stays one copy deep", () => {
  // each read snapshot holds a whole bucket; kept until the next trim (4096 writes), 30 000 keys
  // per copy ran `bridge` out of memory (drain after every write)
  const st = new StateStore({}, 2);
  for (let i = 0; i < 3000; i++) {
    st.set(`k${i % 40}`, i, 0);
    void st.lazyPayload().runtime_state;
    assert.ok(st.pendingLength <= 1, `after ${i + 1} writes: ${st.pendingLength} snapshots held`);
  }
  // an unread one stays (its event may be read later); read ones after it still go at once: an
  // early unread event (the session's first, made before the dashboard subscribed) held them all
  const unread = st.lazyPayload();
  for (let i = 0; i < 10; i++) {
    st.set("x", i, 0);
    void st.lazyPayload().runtime_state;
  }
  assert.equal(st.pendingLength, 1);
  assert.equal((unread.runtime_state as Record<string, unknown>).x, undefined);
  st.set("y", 1, 0);
  assert.equal(st.pendingLength, 0);
});

Deno.test("snapshots of one version share one copy of the bucket", () => {
  const st = new StateStore({ a: 1 }, 7);
  const first = st.lazyPayload();
  const second = st.lazyPayload({ view: "main" });
  st.set("b", 2, 0);
  const a = first.runtime_state as Record<string, unknown>;
  assert.deepEqual(a, { a: 1 });
  assert.equal(second.runtime_state, a);
});

Deno.test("snapshots without writes (open_view reuse) stay bounded by the ring; one that left still reads right", () => {
  const keep = 1000;
  const st = new StateStore({ a: 1 }, 7, keep);
  const first = st.lazyPayload({ view: "main" }); // its event will have left the ring
  st.set("b", 2, 0);
  for (let i = 0; i < 30_000; i++) st.lazyPayload({ view: "main" });
  assert.ok(st.pendingLength <= keep + 1024, `${st.pendingLength} snapshots held`);
  // no write has trimmed the journal: its history is still there, so it is built, not a marker
  assert.deepEqual(first.runtime_state, { a: 1 });
});

Deno.test("snapshots of one version share one copy whichever is read first", () => {
  const st = new StateStore({ a: 1 }, 7);
  const older = st.lazyPayload();
  const newer = st.lazyPayload({ view: "main" });
  st.set("b", 2, 0);
  const n = newer.runtime_state;
  assert.deepEqual(n, { a: 1 });
  assert.equal(older.runtime_state, n);
});

Deno.test("the journal keeps a snapshot exactly `keep` mutations old, and drops one a mutation older", () => {
  // the first trim runs at the 4096th mutation; the snapshot is taken after the first
  const read = (keep: number) => {
    const st = new StateStore({}, 2, keep);
    st.set("a", 0, 0);
    const p = st.lazyPayload();
    for (let i = 1; i < 4096; i++) st.set("a", i, 0);
    return p.runtime_state;
  };
  assert.deepEqual(read(4095), { a: 0 });
  assert.deepEqual(read(4094), {
    _truncated: true,
    reason: "this snapshot's history is no longer kept",
  });
});
