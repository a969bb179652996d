/**
 * The event ring's size accounting (CONTRACT §6.5: 64 MiB ring, drain responses ≤ 8 MiB): every
 * event is counted at exactly its JSON size, whatever makes it large — its payload (an
 * `open_view` entry_payload, the storage bucket, chat content) or the session's own envelope fields
 * (a long `conversation_session_uuid`).
 */
import assert from "node:assert/strict";
import { makeRuntime, openSession, type TestEvent } from "./helpers/runtime.ts";
import { byteSize } from "../lib/util/json.ts";
import { EventQueue } from "../lib/session/events.ts";

const MiB = 1024 * 1024;

const MANIFEST = {
  schema: 2,
  required_executas: [{ tool_id: "mocked" }],
  ui: {
    bundle: { entry: "index.html" },
    views: [{ name: "main", title: "Main" }, { name: "side", single_instance: true }],
    host_api: { storage: ["*"], chat: ["*"] },
  },
};

Deno.test("every event kind is accounted at exactly its JSON size", async () => {
  await using t = await makeRuntime({
    mocks: [{ ns: "tools", method: "invoke", result: { done: true } }],
  });
  const csu = "c".repeat(10_000) + "é✓";
  const s = await openSession(t, MANIFEST, {
    conversation_session_uuid: csu,
    seed_storage: { seeded: "é".repeat(1000), "__proto__": { x: 1 } },
  });
  const call = s.ok;
  await call("window", "set_title", { title: "Titlé" });
  await call("window", "resize", { w: 300, h: 300 });
  await call("window", "focus");
  await call("storage", "set", { key: "k", value: { deep: ["✓", null, 1.5] } });
  await call("storage", "set", { key: "k", value: "replaced" });
  await call("storage", "delete", { key: "k" });
  await t.call("session.set_runtime_state", {
    session_id: s.session_id,
    runtime_state: { a: "ü".repeat(500) },
  });
  await call("chat", "write_message", { role: "user", content: { text: "hé", n: [1, 2] } });
  await call("chat", "append_artifact", { artifact: { kind: "note", title: "t", data: [1] } });
  const side = await call("window", "open_view", { view: "side", payload: { p: "ö".repeat(300) } });
  await call("window", "open_view", { view: "side", payload: { q: 1 } });
  const second = await t.call("session.open_view", {
    session_id: s.session_id,
    view: "main",
    payload: { h: 1 },
  });
  await t.call("session.refresh_token", { session_id: s.session_id });
  const job = await call("tools", "invokeAsync", { tool_id: "mocked", method: "m" });
  assert.equal((await call("tools", "getJob", { jobId: job.jobId })).state, "succeeded");
  await call("window", "report_error", { message: "x", fatal: true }, side.window_uuid);
  await call("window", "close", { reason: "done" }, second.window_uuid as string);

  const queue = t.rt.sessions.get(s.session_id)!.events;
  const accounted = queue.retainedBytes;
  const { events } = await s.drain();
  assert.equal(events.length, queue.retained);
  const kinds = new Set(events.map((e) => e.kind));
  for (
    const k of [
      "title_changed",
      "geometry_changed",
      "window_focus_changed",
      "runtime_state_synced",
      "chat_message_from_app",
      "artifact_appended",
      "open_view",
      "auth.refresh",
      "tool_job",
      "close_view",
      "status_changed",
    ]
  ) assert.ok(kinds.has(k), `no ${k} event`);
  const actual = events.reduce((n, e: TestEvent) => n + byteSize(e), 0);
  // exact: the caps of §6.5 apply to the events' real JSON size (§1.3), not an estimate
  assert.equal(accounted, actual);
});

const base = {
  type: "data_model/AnnaAppEvent" as const,
  app_id: "app",
  version_id: "dev",
  conversation_session_uuid: "c-ü",
};
const WID = "0b7c1a52-9f3e-4c47-8d1e-5a2b6c7d8e9f";

/** Events of varied shape: null and non-null ids, an id that needs escaping, non-ASCII payloads. */
function pushVaried(q: EventQueue, n: number) {
  for (let i = 0; i < n; i++) {
    const wid = i % 3 === 0 ? null : i % 3 === 1 ? WID : 'w"\\é';
    q.push(i % 2 ? "title_changed" : "runtime_state_synced", wid, i % 2 ? wid : null, {
      title: "ü".repeat(i),
      n: i * 1000,
    });
  }
}

Deno.test("the ring holds events that total exactly its byte cap; one byte more evicts the oldest", () => {
  const probe = new EventQueue(base);
  pushVaried(probe, 40);
  const total = probe.read(0).events.reduce((n, e) => n + byteSize(e), 0);
  assert.equal(probe.retainedBytes, total);

  const exact = new EventQueue(base, 10_000, total);
  pushVaried(exact, 40);
  assert.equal(exact.retained, 40, "exactly at the cap: nothing evicted");
  const short = new EventQueue(base, 10_000, total - 1);
  pushVaried(short, 40);
  assert.equal(short.retained, 39, "one byte over: the oldest goes");
  assert.equal(short.read(0).events[0].kind, "events_dropped");
});

Deno.test("a drain fills the 8 MiB cap exactly: a result of exactly the cap is not cut short", () => {
  const q = new EventQueue(base);
  pushVaried(q, 30);
  const all = q.read(0);
  const size = byteSize({ events: all.events, dropped: all.dropped, more: all.more });
  assert.equal(all.more, false);

  const fits = q.read(0, Infinity, size);
  assert.equal(fits.events.length, 30);
  assert.equal(fits.more, false);

  const cut = q.read(0, Infinity, size - 1);
  assert.equal(cut.more, true);
  assert.equal(cut.events.length, 29);
  const cutSize = byteSize({ events: cut.events, dropped: cut.dropped, more: cut.more });
  assert.ok(cutSize <= size - 1, `${cutSize} bytes`);

  // with evicted events first: the synthetic events_dropped counts too
  const small = new EventQueue(base, 20);
  pushVaried(small, 30);
  const d = small.read(0);
  assert.equal(d.events[0].kind, "events_dropped");
  const dSize = byteSize({ events: d.events, dropped: d.dropped, more: d.more });
  assert.equal(small.read(0, Infinity, dSize).events.length, 21);
  const dCut = small.read(0, Infinity, dSize - 1);
  assert.equal(dCut.events.length, 20);
  assert.ok(byteSize({ events: dCut.events, dropped: dCut.dropped, more: dCut.more }) < dSize);
});

/** A drain response's size as the bridge would send it. */
const responseBytes = (r: unknown) => byteSize(r);

Deno.test("a long conversation_session_uuid counts in every envelope: drain ≤ 8 MiB, ring ≤ 64 MiB", async () => {
  await using t = await makeRuntime();
  const csu = "c".repeat(256 * 1024);
  const s = await openSession(t, MANIFEST, { conversation_session_uuid: csu });
  for (let i = 0; i < 50; i++) {
    assert.equal((await s.call("storage", "set", { key: "k", value: i })).ok, true);
  }
  const first = await s.drain();
  assert.equal(first.more, true);
  assert.ok(responseBytes(first) <= 8 * MiB, `${responseBytes(first)} bytes`);
  const rest = await s.drain();
  assert.ok(responseBytes(rest) <= 8 * MiB, `${responseBytes(rest)} bytes`);
  assert.deepEqual(
    [...first.events, ...rest.events].map((e) => e.seq),
    Array.from({ length: 50 }, (_, i) => i + 1),
  );
  // 300 more × ~256 KiB ≈ 75 MiB: the ring keeps at most 64 MiB of them
  for (let i = 0; i < 300; i++) await s.call("storage", "set", { key: "k", value: i });
  const queue = t.rt.sessions.get(s.session_id)!.events;
  assert.ok(queue.retained * 256 * 1024 <= 64 * MiB, `${queue.retained} retained`);
  assert.ok(queue.retainedBytes <= 64 * MiB);
  const d = await s.drain();
  assert.equal(d.events[0].kind, "events_dropped");
  assert.equal(d.dropped, 300 - queue.retained);
  assert.ok(responseBytes(d) <= 8 * MiB, `${responseBytes(d)} bytes`);
});

Deno.test("open_view events count their entry_payload toward the drain and ring caps", async () => {
  await using t = await makeRuntime();
  const s = await openSession(t, MANIFEST);
  const blob = "x".repeat(MiB);
  // the first call creates the window (open_view); each later one reuses it: open_view with the
  // merged ~1 MiB payload, then window_focus_changed
  for (let i = 0; i < 12; i++) {
    await t.call("session.open_view", {
      session_id: s.session_id,
      view: "side",
      payload: { blob, i },
    });
  }
  const first = await s.drain();
  assert.equal(first.more, true);
  assert.ok(responseBytes(first) <= 8 * MiB, `${responseBytes(first)} bytes`);
  const rest = await s.drain();
  assert.equal(first.events.length + rest.events.length, 23);
  for (let i = 0; i < 70; i++) {
    await t.call("session.open_view", { session_id: s.session_id, view: "side", payload: { i } });
  }
  const queue = t.rt.sessions.get(s.session_id)!.events;
  const opens = queue.retained / 2; // open_view + window_focus_changed per call
  assert.ok(opens * MiB <= 64 * MiB, `${queue.retained} retained`);
  assert.ok(queue.retainedBytes <= 64 * MiB);
});
