/**
 * Bridge session methods after creation (CONTRACT §4.4.4–§4.4.7, §4.4.10, §6.3–§6.5): get, list,
 * open_view, set_runtime_state, refresh_token, drain_events, close, runtime.info, the session cap.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import {
  type Loose,
  makeRuntime,
  manifest,
  openSession,
  type TestRuntime,
} from "./helpers/runtime.ts";
import { BRIDGE_METHODS } from "../lib/core/runtime.ts";

const MAX = 262_144;
const utf8 = (v: unknown) => new TextEncoder().encode(JSON.stringify(v)).length;

async function rpcError(t: TestRuntime, method: string, params: Record<string, unknown>) {
  const e = await t.callError(method, params);
  return { code: e.code, message: e.message, data: e.data as Record<string, unknown> };
}

const views = {
  schema: 2,
  ui: {
    views: [{ name: "main", title: "Main" }, { name: "panel", single_instance: true }, {
      name: "other",
    }],
    host_api: { storage: ["get", "set"], chat: ["write_message"] },
  },
};

Deno.test("session.get: exact shape and values", async () => {
  await using t = await makeRuntime();
  const s = await openSession(t, views, {
    seed_storage: { a: 1 },
    user_id: 3,
    conversation_session_uuid: "c-1",
  });
  await s.call("window", "hello");
  await s.call("chat", "write_message", { role: "user", content: "hi" });
  const g = await t.call("session.get", { session_id: s.session_id });
  // every §4.4.7 field; the only extras are the documented host-page additions
  assert.deepEqual(Object.keys(g).filter((k) => k !== "app_dir" && k !== "tool_ids").sort(), [
    "app_id",
    "app_slug",
    "chat",
    "conversation_session_uuid",
    "created_at",
    "diagnostics",
    "events",
    "granted_tools",
    "host_api",
    "last_activity_at",
    "primary_window_uuid",
    "runtime_state",
    "runtime_state_bytes",
    "scopes",
    "session_id",
    "user_id",
    "version_id",
    "windows",
  ]);
  assert.equal(g.app_dir, null);
  assert.equal(g.session_id, s.session_id);
  assert.deepEqual([g.app_slug, g.app_id, g.version_id, g.user_id], [
    "test-app",
    "test-app",
    "dev",
    3,
  ]);
  assert.equal(g.conversation_session_uuid, "c-1");
  assert.equal(g.primary_window_uuid, s.window_uuid);
  assert.ok((g.last_activity_at as number) >= (g.created_at as number));
  const [w] = g.windows as Loose[];
  const { view_meta, ...wRest } = w;
  assert.deepEqual(view_meta, s.created.view_meta);
  assert.deepEqual(
    { ...wRest, last_seen_at: typeof w.last_seen_at },
    {
      window_uuid: s.window_uuid,
      view: "main",
      status: "active",
      title: "Main",
      geometry: { x: 0, y: 0, w: 480, h: 640 },
      entry_payload: {},
      z_index: 1,
      hello_count: 1,
      last_seen_at: "number",
      token_expires_at: s.created.expires_at,
    },
  );
  assert.deepEqual(g.runtime_state, { a: 1 });
  assert.equal(g.runtime_state_bytes, utf8({ a: 1 }));
  const chat = g.chat as Loose;
  assert.deepEqual(Object.keys(chat).sort(), ["artifacts", "messages"]);
  assert.equal(chat.messages[0].content, "hi");
  assert.deepEqual(g.events, { last_seq: 1, retained: 1, drain_cursor: 0 });
  assert.deepEqual(
    g.diagnostics,
    s.created.warnings,
    "no errors: the diagnostics are the warnings",
  );
  assert.deepEqual((g.diagnostics as Loose[]).map((d) => d.code), [
    "bundle_missing",
    "view_title",
    "view_title",
  ]);
  assert.deepEqual(g.host_api, views.ui.host_api);
  assert.deepEqual(g.scopes, ["storage.get", "storage.set", "chat.write_message", "window.*"]);
  assert.deepEqual(g.granted_tools, []);
  await s.drain();
  const g2 = await t.call("session.get", { session_id: s.session_id });
  assert.deepEqual(g2.events, { last_seq: 1, retained: 1, drain_cursor: 1 });
});

Deno.test("session.list: one row per open session with the §4.4.7 fields", async () => {
  await using t = await makeRuntime();
  assert.deepEqual(await t.call("session.list"), { sessions: [] });
  const a = await openSession(t, views, { user_id: 9 });
  const b = await openSession(t, manifest());
  await a.call("window", "open_view", { view: "other" });
  const rows = (await t.call("session.list")).sessions as Loose[];
  assert.equal(rows.length, 2);
  const ra = rows.find((r) => r.session_id === a.session_id);
  assert.deepEqual(Object.keys(ra).sort(), [
    "app_slug",
    "created_at",
    "last_activity_at",
    "open_windows",
    "primary_window_uuid",
    "session_id",
    "user_id",
  ]);
  assert.deepEqual([ra.app_slug, ra.user_id, ra.primary_window_uuid, ra.open_windows], [
    "test-app",
    9,
    a.window_uuid,
    2,
  ]);
  await t.call("session.close", { session_id: b.session_id });
  assert.deepEqual(((await t.call("session.list")).sessions as Loose[]).map((r) => r.session_id), [
    a.session_id,
  ]);
});

Deno.test("session.open_view: created window with a working token; default view; unknown view", async () => {
  await using t = await makeRuntime();
  const s = await openSession(t, views);
  const o = await t.call("session.open_view", {
    session_id: s.session_id,
    view: "other",
    payload: { p: 1 },
  });
  assert.deepEqual(Object.keys(o).sort(), ["created", "expires_at", "token", "window_uuid"]);
  assert.equal(o.created, true);
  const hello = await t.call("app.call", { token: o.token, ns: "window", method: "hello" });
  const hr = hello.result as Loose;
  assert.deepEqual([hr.window_uuid, hr.view, hr.entry_payload, hr.token_expires_at], [
    o.window_uuid,
    "other",
    { p: 1 },
    o.expires_at,
  ]);
  const [ev] = await s.events();
  assert.equal(ev.kind, "open_view");
  assert.equal(ev.by_client_id, null);
  assert.deepEqual([ev.payload.source, ev.payload.reopened, ev.payload.view], [
    "host",
    false,
    "other",
  ]);
  const d = await t.call("session.open_view", { session_id: s.session_id });
  const dh = await t.call("app.call", { token: d.token, ns: "window", method: "hello" });
  assert.equal((dh.result as Record<string, unknown>).view, "main");
  assert.deepEqual(
    await rpcError(t, "session.open_view", { session_id: s.session_id, view: "nope" }),
    {
      code: -32602,
      message: "invalid_params",
      data: { reason: "unknown_view", view: "nope", available: ["main", "panel", "other"] },
    },
  );
});

Deno.test("session.open_view: single_instance reuse (merge, z bump, reopened + focus events, source host)", async () => {
  await using t = await makeRuntime();
  const s = await openSession(t, views);
  const a = await t.call("session.open_view", {
    session_id: s.session_id,
    view: "panel",
    payload: { a: 1, b: 1 },
  });
  await s.drain();
  const b = await t.call("session.open_view", {
    session_id: s.session_id,
    view: "panel",
    payload: { b: 2 },
  });
  assert.equal(b.created, false);
  assert.equal(b.window_uuid, a.window_uuid);
  assert.equal(typeof b.token, "string");
  assert.equal(
    (await t.call("app.call", { token: b.token, ns: "window", method: "heartbeat" })).ok,
    true,
  );
  const evs = await s.events();
  assert.deepEqual(evs.map((e) => [e.kind, e.window_uuid, e.by_client_id]), [
    ["open_view", a.window_uuid, null],
    ["window_focus_changed", a.window_uuid, null],
  ]);
  assert.deepEqual([evs[0].payload.source, evs[0].payload.reopened, evs[0].payload.entry_payload], [
    "host",
    true,
    { a: 1, b: 2 },
  ]);
  assert.deepEqual(evs[1].payload, { window_uuid: a.window_uuid, z_index: 3 });
});

Deno.test("session.open_view: more than 32 open windows → -32602 window_limit; reuse still works at the cap", async () => {
  await using t = await makeRuntime();
  const s = await openSession(t, views);
  const panel = await t.call("session.open_view", { session_id: s.session_id, view: "panel" });
  for (let i = 0; i < 30; i++) {
    await t.call("session.open_view", { session_id: s.session_id, view: "other" });
  }
  const e = await rpcError(t, "session.open_view", { session_id: s.session_id, view: "other" });
  assert.deepEqual([e.code, e.data.reason], [-32602, "window_limit"]);
  const again = await t.call("session.open_view", { session_id: s.session_id, view: "panel" });
  assert.deepEqual([again.created, again.window_uuid], [false, panel.window_uuid]);
  assert.equal((await s.call("window", "open_view", { view: "panel" })).ok, true);
  assert.equal(
    (await s.call("window", "open_view", { view: "other" })).error.code,
    "quota_exceeded",
  );
  const g = await t.call("session.get", { session_id: s.session_id });
  assert.equal((g.windows as unknown[]).length, 32);
});

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
  assert.deepEqual(Object.keys(e).sort(), [
    "app_id",
    "by_client_id",
    "conversation_session_uuid",
    "kind",
    "payload",
    "seq",
    "ts",
    "type",
    "version_id",
    "window_uuid",
  ]);
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

Deno.test("session.close: {closed:true}; later calls -32001; its tokens fail; other sessions unaffected", async () => {
  await using t = await makeRuntime();
  const s = await openSession(t, views);
  const keep = await openSession(t, views);
  const o = await t.call("session.open_view", { session_id: s.session_id, view: "other" });
  assert.deepEqual(await t.call("session.close", { session_id: s.session_id }), { closed: true });
  for (
    const method of [
      "session.call",
      "session.get",
      "session.drain_events",
      "session.close",
      "session.open_view",
      "session.refresh_token",
    ]
  ) {
    const e = await rpcError(t, method, {
      session_id: s.session_id,
      ns: "window",
      method: "hello",
    });
    assert.deepEqual(e, {
      code: -32001,
      message: "unknown_session",
      data: { session_id: s.session_id },
    }, method);
  }
  for (const token of [s.created.token, o.token]) {
    const r = await t.call("app.call", { token, ns: "window", method: "hello" });
    assert.equal((r.error as Record<string, unknown>).code, "invalid_token");
    assert.deepEqual((r.error as Record<string, unknown>).details, { reason: "unknown_window" });
  }
  assert.equal((await keep.call("window", "hello")).ok, true);
  assert.equal(
    (await t.call("app.call", { token: keep.created.token, ns: "window", method: "hello" })).ok,
    true,
  );
});

Deno.test("runtime.info: shape and values", async () => {
  await using t = await makeRuntime({ tokenTtl: 60 });
  const info = await t.call("runtime.info");
  assert.deepEqual(Object.keys(info).sort(), [
    "capabilities",
    "dispatcher_version",
    "limits",
    "llm_mode",
    "mode",
    "name",
    "runtime_compat",
    "sdk_version",
    "token_ttl_s",
    "version",
  ]);
  assert.equal(info.name, "anna-app-runtime");
  assert.equal(info.dispatcher_version, "0.6.0");
  assert.equal(info.runtime_compat, "0.2.0a6");
  assert.deepEqual([info.mode, info.llm_mode, info.token_ttl_s], ["bridge", "mock", 60]);
  assert.equal(typeof info.version, "string");
  assert.equal(typeof info.sdk_version, "string");
  const caps = info.capabilities as Loose;
  assert.deepEqual(caps.bridge_methods, BRIDGE_METHODS);
  for (
    const m of [
      "session.create",
      "session.call",
      "app.call",
      "session.drain_events",
      "session.close",
      "session.refresh_token",
      "session.list",
      "session.get",
      "session.open_view",
      "session.set_runtime_state",
      "executas.register",
      "executas.list",
      "executas.restart",
      "executas.invoke",
      "runtime.info",
    ]
  ) {
    assert.ok(caps.bridge_methods.includes(m), m);
  }
  assert.deepEqual(caps.namespaces, {
    window: [
      "hello",
      "ready",
      "heartbeat",
      "set_title",
      "resize",
      "focus",
      "close",
      "open_view",
      "report_error",
    ],
    storage: ["get", "set", "delete", "list"],
    tools: ["list", "invoke", "invokeAsync", "getJob", "cancelJob", "listJobs"],
    chat: ["write_message", "append_artifact", "read_history"],
    llm: ["complete", "embed"],
  });
  assert.deepEqual(caps.stub_namespaces, [
    "artifact",
    "fs",
    "prefs",
    "files",
    "image",
    "upload",
    "web",
    "apps",
    "agent",
    "credentials",
    "mobile",
    "video",
    "audio",
  ]);
  assert.deepEqual(info.limits, {
    max_frame_bytes: 16_777_216,
    max_result_bytes: 4_194_304,
    max_runtime_state_bytes: 262_144,
    event_queue_capacity: 10_000,
  });
});

Deno.test("session_limit: 1024 open sessions, the next create → -32003 {max}; closing one frees a slot", async () => {
  await using t = await makeRuntime();
  const m = manifest();
  const ids = await Promise.all(
    Array.from(
      { length: 1024 },
      async () => (await t.call("session.create", { app_slug: "a", manifest: m })).session_id,
    ),
  );
  assert.equal(new Set(ids).size, 1024);
  assert.deepEqual(await rpcError(t, "session.create", { app_slug: "a", manifest: m }), {
    code: -32003,
    message: "session_limit",
    data: { max: 1024 },
  });
  await t.call("session.close", { session_id: ids[0] });
  const again = await t.call("session.create", { app_slug: "a", manifest: m });
  assert.match(again.session_id as string, /^ses_/);
  assert.equal((await rpcError(t, "session.create", { app_slug: "a", manifest: m })).code, -32003);
});

Deno.test("session_limit holds for concurrent app_dir creates (awaits between check and add)", async () => {
  await using t = await makeRuntime();
  const dir = join(t.dir, "app");
  await Deno.mkdir(dir);
  await Deno.writeTextFile(join(dir, "manifest.json"), JSON.stringify(manifest()));
  for (let i = 0; i < 1020; i++) {
    await t.call("session.create", { app_slug: "a", manifest: manifest() });
  }
  const rs = await Promise.allSettled(
    Array.from(
      { length: 10 },
      () => t.call("session.create", { app_dir: dir, register_executas: false }),
    ),
  );
  assert.equal(rs.filter((r) => r.status === "fulfilled").length, 4);
  for (const r of rs) {
    if (r.status === "rejected") {
      assert.deepEqual(r.reason.toJSON(), {
        code: -32003,
        message: "session_limit",
        data: { max: 1024 },
      });
    }
  }
  assert.equal(((await t.call("session.list")).sessions as unknown[]).length, 1024);
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
