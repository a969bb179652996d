/**
 * Bridge session methods that describe sessions and open windows (CONTRACT §4.4.7, §6.4):
 * session.get, session.list, session.open_view (default view, single_instance reuse, 32-window cap).
 */
import assert from "node:assert/strict";
import {
  type Loose,
  makeRuntime,
  manifest,
  openSession,
  rpcError,
  THREE_VIEWS as views,
} from "./helpers/runtime.ts";

const utf8 = (v: unknown) => new TextEncoder().encode(JSON.stringify(v)).length;

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
  assert.deepEqual(
    Object.keys(g).filter((k) => !["app_dir", "tool_ids", "views"].includes(k)).sort(),
    [
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
    ],
  );
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
