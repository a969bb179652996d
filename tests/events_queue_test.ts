import assert from "node:assert/strict";
import { DRAIN_MAX_BYTES, EventQueue } from "../lib/session/events.ts";
import { EVENT_ENVELOPE_KEYS } from "./helpers/contract_values.ts";

const base = {
  type: "data_model/AnnaAppEvent" as const,
  app_id: "a",
  version_id: "dev",
  conversation_session_uuid: "c",
};

Deno.test("seq starts at 1 and increases by one; envelope has every field of §7.1", () => {
  const q = new EventQueue(base);
  q.push("title_changed", "w1", "w1", { title: "x" });
  q.push("title_changed", "w1", null, { title: "y" });
  const [a, b] = q.drain().events;
  assert.equal(a.seq, 1);
  assert.equal(b.seq, 2);
  assert.deepEqual(Object.keys(a).sort(), EVENT_ENVELOPE_KEYS);
  assert.equal(typeof a.ts, "number");
});

Deno.test("drain returns events after the cursor once, oldest first, and honours limit", () => {
  const q = new EventQueue(base);
  for (let i = 0; i < 5; i++) q.push("k", null, null, { i });
  const first = q.drain(3);
  assert.deepEqual(first.events.map((e) => e.seq), [1, 2, 3]);
  assert.equal(first.more, true);
  assert.equal(first.dropped, 0);
  const second = q.drain();
  assert.deepEqual(second.events.map((e) => e.seq), [4, 5]);
  assert.equal(second.more, false);
  assert.deepEqual(q.drain().events, []);
});

Deno.test("the ring evicts the oldest past its capacity and drain reports a synthetic events_dropped", () => {
  const q = new EventQueue(base, 4);
  for (let i = 0; i < 10; i++) q.push("k", null, null, { i });
  assert.equal(q.retained, 4);
  const r = q.drain();
  assert.equal(r.dropped, 6);
  assert.equal(r.events[0].kind, "events_dropped");
  assert.deepEqual(r.events[0].payload, { count: 6, first_seq: 1, last_seq: 6 });
  assert.equal(r.events[0].seq, 6);
  assert.deepEqual(r.events.slice(1).map((e) => e.seq), [7, 8, 9, 10]);
  // synthetic events are not stored
  assert.equal(q.retained, 4);
  assert.equal(q.drain().events.length, 0);
});

Deno.test("byte limit evicts the oldest events too", () => {
  const q = new EventQueue(base, 1000, 10_000);
  for (let i = 0; i < 20; i++) q.push("k", null, null, { blob: "x".repeat(1000) });
  assert.ok(q.retained < 20 && q.retained >= 5, `retained ${q.retained}`);
  const r = q.drain();
  assert.equal(r.events[0].kind, "events_dropped");
  assert.equal(r.dropped, 20 - q.retained);
});

Deno.test("independent readers (SSE) do not move the drain cursor; resume after N works", () => {
  const q = new EventQueue(base, 3);
  for (let i = 0; i < 3; i++) q.push("k", null, null, { i });
  const sse = q.read(1);
  assert.deepEqual(sse.events.map((e) => e.seq), [2, 3]);
  assert.equal(q.drainCursor, 0);
  q.push("k", null, null, {});
  q.push("k", null, null, {});
  // ring holds 3..5; resuming after 1 means seq 2 was evicted → synthetic first
  const resumed = q.read(1);
  assert.equal(resumed.events[0].kind, "events_dropped");
  assert.deepEqual(resumed.events[0].payload, { count: 1, first_seq: 2, last_seq: 2 });
  assert.deepEqual(resumed.events.slice(1).map((e) => e.seq), [3, 4, 5]);
});

Deno.test("subscribers see live events and a throwing subscriber does not break the queue", () => {
  const q = new EventQueue(base);
  const seen: number[] = [];
  q.subscribe(() => {
    throw new Error("boom");
  });
  const off = q.subscribe((e) => seen.push(e.seq));
  q.push("k", null, null, {});
  off();
  q.push("k", null, null, {});
  assert.deepEqual(seen, [1]);
  assert.equal(q.lastSeq, 2);
});

Deno.test("drain stops at the byte cap with more=true", () => {
  const q = new EventQueue(base, 100, 64 * 1024 * 1024);
  for (let i = 0; i < 10; i++) q.push("k", null, null, { blob: "x".repeat(2000) });
  const r = q.read(0, Infinity, 5000);
  assert.ok(r.events.length >= 1 && r.events.length < 10);
  assert.equal(r.more, true);
});

Deno.test("an event larger than the drain's byte cap still goes out, alone (or it could never be read)", () => {
  const q = new EventQueue(base, 100, 64 * 1024 * 1024);
  q.push("k", null, null, { blob: "x".repeat(6000) });
  q.push("k", null, null, { small: 1 });
  const first = q.read(0, Infinity, 5000);
  assert.deepEqual(first.events.map((e) => e.seq), [1]);
  assert.equal(first.more, true);
  assert.deepEqual(q.read(first.position, Infinity, 5000).events.map((e) => e.seq), [2]);
});

Deno.test("drain(1) after eviction: the synthetic events_dropped moves the cursor, then events follow", () => {
  const q = new EventQueue(base, 4);
  for (let i = 0; i < 10; i++) q.push("k", null, null, { i });
  const a = q.drain(1);
  assert.deepEqual(a.events.map((e) => [e.kind, e.seq]), [["events_dropped", 6]]);
  assert.equal(a.more, true);
  assert.deepEqual(q.drain(1).events.map((e) => [e.kind, e.seq]), [["k", 7]]);
  assert.deepEqual(q.drain(1).events.map((e) => [e.kind, e.seq]), [["k", 8]]);
});

Deno.test("the drain byte cap is §6.5's 8 MiB by default", () => {
  assert.equal(DRAIN_MAX_BYTES, 8 * 1024 * 1024);
  const q = new EventQueue(base, 100, 64 * 1024 * 1024);
  for (let i = 0; i < 5; i++) q.push("k", null, null, { blob: "x".repeat(3 * 1024 * 1024) });
  // three 3 MiB events do not fit in 8 MiB, two do
  const r = q.read(0);
  assert.equal(r.events.length, 2);
  assert.equal(r.more, true);
});

Deno.test("an event read later carries what it had when pushed, and every read hands out the same envelope", () => {
  const q = new EventQueue(base, 4);
  const before = Date.now();
  for (let i = 1; i <= 6; i++) q.push(`k${i}`, `w${i}`, i % 2 ? null : `c${i}`, { i });
  const after = Date.now();
  const seen: unknown[] = [];
  q.subscribe((e) => seen.push(e));
  q.push("live", "w7", null, { i: 7 }); // built at once for the subscriber
  const first = q.read(3).events; // the ring keeps the newest four: 4..7
  assert.deepEqual(first.map((e) => [e.seq, e.kind, e.window_uuid, e.by_client_id, e.payload]), [
    [4, "k4", "w4", "c4", { i: 4 }],
    [5, "k5", "w5", null, { i: 5 }],
    [6, "k6", "w6", "c6", { i: 6 }],
    [7, "live", "w7", null, { i: 7 }],
  ]);
  for (const e of first.slice(0, 3)) {
    assert.deepEqual(Object.keys(e).sort(), EVENT_ENVELOPE_KEYS);
    assert.ok(e.ts >= before && e.ts <= after, `ts ${e.ts} of seq ${e.seq}`);
  }
  assert.equal(first[3], seen[0], "the subscriber's envelope is the one in the ring");
  const again = q.read(3).events;
  assert.deepEqual(again.map((e) => e.seq), [4, 5, 6, 7]);
  again.forEach((e, i) => assert.equal(e, first[i], `seq ${e.seq} read twice`));
});
