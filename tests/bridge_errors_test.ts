/**
 * Bridge-level errors through the core (CONTRACT §4.3, §4.4.2, §4.4.4): wrong param types, unknown
 * methods and sessions, the drain response and ring byte caps, session.call's args/params alias.
 */
import assert from "node:assert/strict";
import { type Loose, makeRuntime, manifest, openSession, rpcError } from "./helpers/runtime.ts";

const utf8 = (v: unknown) => new TextEncoder().encode(JSON.stringify(v)).length;

Deno.test("session.create/-call/-drain: wrong param types → -32602 with issues naming the field", async () => {
  await using t = await makeRuntime();
  const s = await openSession(t, manifest());
  const cases: [string, Record<string, unknown>, string][] = [
    ["session.create", { app_slug: "a", manifest: manifest(), user_id: -1 }, "user_id"],
    ["session.create", { app_slug: "a", manifest: manifest(), user_id: 1.5 }, "user_id"],
    ["session.create", { app_slug: "a", manifest: manifest(), user_id: "1" }, "user_id"],
    ["session.create", { app_slug: 5, manifest: manifest() }, "app_slug"],
    [
      "session.create",
      { app_slug: "a", manifest: manifest(), entry_payload: [1] },
      "entry_payload",
    ],
    ["session.create", { app_slug: "a", manifest: manifest(), seed_storage: "x" }, "seed_storage"],
    ["session.create", { app_slug: "a", manifest: manifest(), view: 3 }, "view"],
    [
      "session.create",
      { app_slug: "a", manifest: manifest(), register_executas: "no" },
      "register_executas",
    ],
    ["session.call", { ns: "window", method: "hello" }, "session_id"],
    ["session.call", { session_id: s.session_id, ns: 5, method: "hello" }, "ns"],
    ["session.call", { session_id: s.session_id, ns: "x".repeat(65), method: "hello" }, "ns"],
    ["session.call", { session_id: s.session_id, ns: "window", method: "m".repeat(129) }, "method"],
    ["session.call", { session_id: s.session_id, ns: "window", method: "" }, "method"],
    [
      "session.call",
      { session_id: s.session_id, ns: "window", method: "hello", window_uuid: 1 },
      "window_uuid",
    ],
    ["session.drain_events", { session_id: s.session_id, limit: "x" }, "limit"],
    ["session.drain_events", { session_id: s.session_id, limit: 0 }, "limit"],
    ["session.drain_events", { session_id: s.session_id, limit: 10001 }, "limit"],
    ["session.get", { session_id: 5 }, "session_id"],
    [
      "session.set_runtime_state",
      { session_id: s.session_id, runtime_state: [1] },
      "runtime_state",
    ],
    ["session.open_view", { session_id: s.session_id, payload: "x" }, "payload"],
    ["session.refresh_token", { session_id: s.session_id, window_uuid: 7 }, "window_uuid"],
  ];
  for (const [method, params, path] of cases) {
    const e = await rpcError(t, method, params);
    assert.equal(e.code, -32602, `${method} ${path}`);
    assert.equal(e.message, "invalid_params");
    const issues = e.data.issues as Loose[];
    assert.ok(issues.length > 0 && issues.every((i) => typeof i.message === "string"));
    assert.equal(issues[0].path, path, `${method}: ${JSON.stringify(issues)}`);
  }
  // limits accepted at their bounds; ns/method at max length reach the dispatcher
  assert.equal(
    (await t.call("session.drain_events", { session_id: s.session_id, limit: 10000 })).more,
    false,
  );
  const long = await s.call("x".repeat(64), "m".repeat(128));
  assert.equal(long.error.code, "permission_denied");
});

Deno.test("bridge: unknown method → -32601 with data.method; unknown session → -32001 {session_id}", async () => {
  await using t = await makeRuntime();
  for (const method of ["session.nope", "", "toString", "__proto__", "runtime.info2"]) {
    assert.deepEqual(await rpcError(t, method, {}), {
      code: -32601,
      message: "method_not_found",
      data: { method },
    });
  }
  const id = "ses_" + "0".repeat(32);
  for (
    const method of [
      "session.call",
      "session.get",
      "session.drain_events",
      "session.close",
      "session.refresh_token",
      "session.open_view",
      "session.set_runtime_state",
    ]
  ) {
    const e = await rpcError(t, method, {
      session_id: id,
      ns: "window",
      method: "hello",
      runtime_state: {},
    });
    assert.deepEqual(
      e,
      { code: -32001, message: "unknown_session", data: { session_id: id } },
      method,
    );
  }
});

Deno.test("session.drain_events: a response stays under 8 MiB (more:true); the ring keeps ≤ 64 MiB", async () => {
  await using t = await makeRuntime();
  const s = await openSession(t, manifest());
  const state = { k: "x".repeat(250 * 1024) };
  for (let i = 0; i < 40; i++) {
    await t.call("session.set_runtime_state", { session_id: s.session_id, runtime_state: state });
  }
  const first = await s.drain();
  assert.equal(first.more, true);
  assert.ok(utf8(first.events) <= 8 * 1024 * 1024, `${utf8(first.events)} bytes`);
  assert.ok(first.events.length >= 30);
  const rest = await s.drain();
  assert.equal(rest.more, false);
  assert.equal(first.events.length + rest.events.length, 40);
  assert.deepEqual(
    [...first.events, ...rest.events].map((e) => e.seq),
    Array.from({ length: 40 }, (_, i) => i + 1),
  );
  // 300 × 250 KiB ≈ 73 MiB: the oldest are evicted and reported once
  for (let i = 0; i < 300; i++) {
    await t.call("session.set_runtime_state", { session_id: s.session_id, runtime_state: state });
  }
  const g = await t.call("session.get", { session_id: s.session_id });
  const retained = (g.events as Loose).retained as number;
  assert.ok(retained < 300 && retained * 250 * 1024 <= 64 * 1024 * 1024, `${retained} retained`);
  const d = await s.drain();
  assert.equal(d.events[0].kind, "events_dropped");
  assert.deepEqual(d.events[0].payload, {
    count: 300 - retained,
    first_seq: 41,
    last_seq: 40 + 300 - retained,
  });
  assert.equal(d.dropped, 300 - retained);
});

Deno.test("session.call: args alias params (args wins), default window is the primary", async () => {
  await using t = await makeRuntime();
  const s = await openSession(t, manifest({ storage: ["get", "set"] }));
  const base = { session_id: s.session_id, ns: "storage" };
  await t.call("session.call", { ...base, method: "set", params: { key: "a", value: 1 } });
  await t.call("session.call", {
    ...base,
    method: "set",
    args: { key: "b", value: 2 },
    params: { key: "c", value: 3 },
  });
  const get = async (key: string) =>
    ((await t.call("session.call", { ...base, method: "get", args: { key } })) as Loose).result
      .exists;
  assert.deepEqual([await get("a"), await get("b"), await get("c")], [true, true, false]);
  const evs = await s.events();
  assert.ok(evs.every((e) => e.by_client_id === s.window_uuid));
  await s.call("window", "close");
  const r = await t.call("session.call", {
    session_id: s.session_id,
    ns: "window",
    method: "hello",
  });
  assert.equal((r.error as Record<string, unknown>).code, "not_found");
});
