/**
 * Bridge session state after creation (CONTRACT §4.4.4, §4.4.6, §4.4.7, §6.5):
 * set_runtime_state, refresh_token, drain_events and its overflow, own keys kept as sent.
 */
import assert from "node:assert/strict";
import {
  makeRuntime,
  manifest,
  openSession,
  rpcError,
  THREE_VIEWS as views,
} from "./helpers/runtime.ts";
import { EVENT_ENVELOPE_KEYS } from "./helpers/contract_values.ts";

const MAX = 262_144;
const utf8 = (v: unknown) => new TextEncoder().encode(JSON.stringify(v)).length;

Deno.test("session.set_runtime_state: replaces the bucket, {ok,size}, event; > 256 KiB refused", async () => {
  await using t = await makeRuntime();
  const s = await openSession(t, views, { seed_storage: { old: 1 } });
  const state = { "é": [1, { x: null }], b: "two" };
  assert.deepEqual(
    await t.call("session.set_runtime_state", { session_id: s.session_id, runtime_state: state }),
    {
      ok: true,
      size: utf8(state),
    },
  );
  assert.equal((await s.call("storage", "get", { key: "old" })).result.exists, false);
  assert.deepEqual((await s.call("storage", "get", { key: "é" })).result.value, [1, { x: null }]);
  const [ev] = await s.events();
  assert.deepEqual([ev.kind, ev.payload, ev.by_client_id], ["runtime_state_synced", {
    runtime_state: state,
  }, null]);
  const exact = { k: "x".repeat(MAX - 8) };
  assert.equal(
    (await t.call("session.set_runtime_state", { session_id: s.session_id, runtime_state: exact }))
      .size,
    MAX,
  );
  const e = await rpcError(t, "session.set_runtime_state", {
    session_id: s.session_id,
    runtime_state: { k: "x".repeat(MAX - 7) },
  });
  assert.deepEqual(e, {
    code: -32602,
    message: "invalid_params",
    data: { reason: "state_too_large", size: MAX + 1, max: MAX },
  });
  const g = await t.call("session.get", { session_id: s.session_id });
  assert.equal(g.runtime_state_bytes, MAX);
  assert.equal((g.runtime_state as Record<string, string>).k.length, MAX - 8);
  // bookkeeping stays exact after a replace: a storage.set that fills exactly to the cap is accepted
  await t.call("session.set_runtime_state", { session_id: s.session_id, runtime_state: {} });
  assert.equal((await s.call("storage", "set", { key: "k", value: "x".repeat(MAX - 8) })).ok, true);
  assert.equal(
    (await s.call("storage", "set", { key: "z", value: 1 })).error.code,
    "state_too_large",
  );
});

Deno.test("session.refresh_token: new token, auth.refresh event, unknown/closed window → -32602", async () => {
  await using t = await makeRuntime();
  const s = await openSession(t, views);
  const r = await t.call("session.refresh_token", { session_id: s.session_id });
  assert.deepEqual(Object.keys(r).sort(), ["expires_at", "token", "window_uuid"]);
  assert.equal(r.window_uuid, s.window_uuid);
  const [ev] = await s.events();
  assert.deepEqual([ev.kind, ev.window_uuid, ev.by_client_id, ev.payload], [
    "auth.refresh",
    s.window_uuid,
    null,
    {
      token: r.token,
      expires_at: r.expires_at,
    },
  ]);
  for (const token of [s.created.token, r.token]) {
    assert.equal(
      (await t.call("app.call", { token, ns: "window", method: "heartbeat" })).ok,
      true,
      "old tokens stay valid",
    );
  }
  const o = await t.call("session.open_view", { session_id: s.session_id, view: "other" });
  const r2 = await t.call("session.refresh_token", {
    session_id: s.session_id,
    window_uuid: o.window_uuid,
  });
  assert.equal(r2.window_uuid, o.window_uuid);
  await s.call("window", "close", {}, o.window_uuid as string);
  for (const window_uuid of [o.window_uuid, "00000000-0000-4000-8000-000000000000"]) {
    const e = await rpcError(t, "session.refresh_token", { session_id: s.session_id, window_uuid });
    assert.equal(e.code, -32602);
    assert.equal(e.data.reason, "unknown_window");
  }
});

Deno.test("session.refresh_token racing window.close / session.close: answered as if the close came first, no auth.refresh after it", async () => {
  await using t = await makeRuntime();
  const s = await openSession(t, views);
  const o = await t.call("session.open_view", { session_id: s.session_id, view: "other" });
  await s.events();
  // the refresh passed its window check and is signing the token when the window closes
  const refreshing = rpcError(t, "session.refresh_token", {
    session_id: s.session_id,
    window_uuid: o.window_uuid,
  });
  assert.equal((await s.call("window", "close", {}, o.window_uuid as string)).ok, true);
  const e = await refreshing;
  assert.deepEqual([e.code, e.data.reason], [-32602, "unknown_window"]);
  assert.deepEqual((await s.events()).map((x) => x.kind), ["close_view", "status_changed"]);

  const closing = rpcError(t, "session.refresh_token", { session_id: s.session_id });
  await t.call("session.close", { session_id: s.session_id });
  assert.equal((await closing).code, -32001);
});

Deno.test("session.drain_events: oldest first, limit/more, cursor advances, empty drain", async () => {
  await using t = await makeRuntime();
  const s = await openSession(t, views);
  for (let i = 0; i < 5; i++) await s.call("window", "set_title", { title: `t${i}` });
  const a = await s.drain(2);
  assert.deepEqual([a.events.map((e) => e.payload.title), a.dropped, a.more], [
    ["t0", "t1"],
    0,
    true,
  ]);
  assert.deepEqual(a.events.map((e) => e.seq), [1, 2]);
  const b = await s.drain();
  assert.deepEqual([b.events.map((e) => e.seq), b.dropped, b.more], [[3, 4, 5], 0, false]);
  assert.deepEqual(await s.drain(), { events: [], dropped: 0, more: false });
  const e = b.events[0];
  assert.deepEqual(Object.keys(e).sort(), EVENT_ENVELOPE_KEYS);
  assert.deepEqual([e.type, e.app_id, e.version_id], [
    "data_model/AnnaAppEvent",
    "test-app",
    "dev",
  ]);
});

Deno.test("session.drain_events: overflow past 10 000 events → synthetic events_dropped first", async () => {
  await using t = await makeRuntime();
  const s = await openSession(t, views);
  const session = t.rt.sessions.get(s.session_id)!;
  for (let i = 0; i < 10_050; i++) {
    session.emit("title_changed", s.window_uuid, null, { title: `${i}` });
  }
  const first = await s.drain();
  assert.equal(first.dropped, 50);
  assert.deepEqual([first.events[0].kind, first.events[0].seq, first.events[0].payload], [
    "events_dropped",
    50,
    {
      count: 50,
      first_seq: 1,
      last_seq: 50,
    },
  ]);
  assert.equal(first.events[1].seq, 51);
  const rest = await s.drain();
  const total = first.events.length - 1 + rest.events.length;
  assert.equal(total, 10_000);
  assert.equal(rest.dropped, 0);
  assert.equal(rest.more, false);
  assert.equal(rest.events.at(-1)!.seq, 10_050);
});

Deno.test('seed_storage, entry_payload and set_runtime_state keep every own key as sent ("__proto__" too)', async () => {
  await using t = await makeRuntime();
  const parse = (s: string) => JSON.parse(s) as Record<string, unknown>;
  const s = await openSession(t, manifest({ storage: ["get", "list"] }), {
    seed_storage: parse('{"__proto__": {"x": 1}, "a": 2}'),
    entry_payload: parse('{"__proto__": 5}'),
  });
  const hello = (await s.call("window", "hello")).result;
  assert.equal(JSON.stringify(hello.runtime_state), '{"__proto__":{"x":1},"a":2}');
  assert.equal(JSON.stringify(hello.entry_payload), '{"__proto__":5}');
  assert.deepEqual((await s.call("storage", "get", { key: "__proto__" })).result.value, { x: 1 });
  const state = parse('{"__proto__": 1, "b": 2}');
  const r = await t.call("session.set_runtime_state", {
    session_id: s.session_id,
    runtime_state: state,
  });
  assert.deepEqual(r, { ok: true, size: utf8(state) });
  assert.deepEqual(
    (await s.call("storage", "list")).result.items.map((i: { key: string }) => i.key),
    ["__proto__", "b"],
  );
  const g = await t.call("session.get", { session_id: s.session_id });
  assert.equal(g.runtime_state_bytes, utf8(g.runtime_state));
});
