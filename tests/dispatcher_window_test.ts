/**
 * `window.*` through the core (CONTRACT §5.4, §6.2–§6.3, §7.2), window.open_view aside.
 */
import assert from "node:assert/strict";
import {
  type Loose,
  makeRuntime,
  manifest,
  multiViewManifest,
  openSession,
} from "./helpers/runtime.ts";
import { b64urlDecode } from "../lib/token/mod.ts";
import { VIEW_META_DEFAULTS } from "./helpers/contract_values.ts";

const VIEW_META_MAIN = { name: "main", title: "Main", entry: "index.html", ...VIEW_META_DEFAULTS };

const claimsOf = (token: string) =>
  JSON.parse(new TextDecoder().decode(b64urlDecode(token.split(".")[1])!));

Deno.test("window.hello: exact result shape, is_resume false then true, hello_count", async () => {
  await using t = await makeRuntime();
  const s = await openSession(t, manifest({ storage: ["get"] }), {
    entry_payload: { doc: 7 },
    seed_storage: { a: 1 },
    user_id: 42,
  });
  const first = await s.call("window", "hello", { client_info: { sdk: "x" } });
  assert.deepEqual(first, {
    ok: true,
    result: {
      window_uuid: s.window_uuid,
      app_id: "test-app",
      app_slug: "test-app",
      version_id: "dev",
      user_id: 42,
      view: "main",
      view_meta: VIEW_META_MAIN,
      capabilities: {
        host_api_version: "0.1.0",
        scopes: ["storage.get", "window.*"],
        host_api: { storage: ["get"] },
        tools: [],
      },
      entry_payload: { doc: 7 },
      runtime_state: { a: 1 },
      geometry: { x: 0, y: 0, w: 480, h: 640 },
      is_resume: false,
      token_expires_at: s.created.expires_at,
    },
  });
  const second = await s.call("window", "hello");
  assert.equal(second.result.is_resume, true);
  const third = await s.call("window", "hello", {});
  assert.equal(third.result.is_resume, true);
  const got = await t.call("session.get", { session_id: s.session_id });
  assert.equal((got.windows as Loose[])[0].hello_count, 3);
  // client_info must be an object when given
  const bad = await s.call("window", "hello", { client_info: "x" });
  assert.equal(bad.error.code, "invalid_arg");
  assert.equal(bad.error.details.issues[0].path, "client_info");
});

Deno.test("window.hello: capabilities.scopes in manifest order, tools resolved, same scopes in the token", async () => {
  await using t = await makeRuntime();
  const m = {
    schema: 2,
    required_executas: [{ tool_id: "notes-tool" }, { tool_id: "bundled:calc" }],
    optional_executas: [{ tool_id: "opt-tool" }],
    ui: {
      views: [{ name: "main" }],
      host_api: {
        storage: ["get", "set"],
        tools: ["required:*"],
        window: "anything",
        llm: ["complete"],
        credentials: "not-a-list",
        agent: { session: { auto: true, fixed: { client_ids: [] } } },
        chat: ["*"],
      },
    },
  };
  const s = await openSession(t, m);
  const r = (await s.call("window", "hello")).result;
  const scopes = [
    "storage.get",
    "storage.set",
    "tools.required:*",
    "llm.complete",
    "chat.*",
    "agent.session.auto",
    "agent.session.fixed",
    "window.*",
  ];
  assert.deepEqual(r.capabilities.scopes, scopes);
  assert.deepEqual(r.capabilities.host_api, m.ui.host_api);
  assert.deepEqual(r.capabilities.tools, ["notes-tool", "bundled:calc"]);
  assert.deepEqual(claimsOf(s.created.token as string).scopes, scopes);
});

Deno.test("window.hello: token_expires_at follows the newest token", async () => {
  await using t = await makeRuntime({ tokenTtl: 60 });
  const s = await openSession(t, manifest());
  const before = (await s.call("window", "hello")).result.token_expires_at;
  assert.equal(before, s.created.expires_at);
  assert.equal(before, claimsOf(s.created.token as string).exp * 1000);
  const r = await t.call("session.refresh_token", { session_id: s.session_id });
  const after = (await s.call("window", "hello")).result.token_expires_at;
  assert.equal(after, r.expires_at);
});

Deno.test("window.ready and window.heartbeat answer {ok:true} and update last_seen_at", async () => {
  await using t = await makeRuntime();
  const s = await openSession(t, manifest());
  const get = async () =>
    ((await t.call("session.get", { session_id: s.session_id })).windows as Loose[])[0];
  assert.equal((await get()).last_seen_at, null);
  assert.deepEqual(await s.call("window", "ready"), { ok: true, result: { ok: true } });
  const seen = (await get()).last_seen_at;
  assert.equal(typeof seen, "number");
  assert.deepEqual(await s.call("window", "heartbeat", {}), { ok: true, result: { ok: true } });
  assert.ok((await get()).last_seen_at >= seen);
  assert.deepEqual(await s.events(), [], "ready/heartbeat emit no events");
});

Deno.test("window.set_title: trimmed, 1..120 chars, title_changed event; failures change nothing", async () => {
  await using t = await makeRuntime();
  const s = await openSession(t, manifest());
  assert.deepEqual(await s.call("window", "set_title", { title: "  Hello  " }), {
    ok: true,
    result: { ok: true },
  });
  const evs = await s.events();
  assert.equal(evs.length, 1);
  assert.equal(evs[0].kind, "title_changed");
  assert.deepEqual(evs[0].payload, { title: "Hello" });
  assert.equal(evs[0].window_uuid, s.window_uuid);
  assert.equal(evs[0].by_client_id, s.window_uuid);

  const max = "x".repeat(120);
  assert.equal((await s.call("window", "set_title", { title: `  ${max}\t` })).ok, true);
  for (const title of ["", "   ", "x".repeat(121), 5, null]) {
    const r = await s.call("window", "set_title", { title });
    assert.equal(r.ok, false, JSON.stringify(title));
    assert.equal(r.error.code, "invalid_arg");
    assert.equal(r.error.details.issues[0].path, "title");
  }
  assert.equal((await s.call("window", "set_title", {})).error.code, "invalid_arg");
  const got = await t.call("session.get", { session_id: s.session_id });
  assert.equal((got.windows as Loose[])[0].title, max);
  const later = await s.events();
  assert.deepEqual(later.map((e) => e.payload.title), [max]);
});

Deno.test("window.resize: rounded, clamped to view min/max, geometry_changed with the full geometry", async () => {
  await using t = await makeRuntime();
  const s = await openSession(t, multiViewManifest(), { view: "sized" });
  const cases: [number, number, number, number][] = [
    [300.6, 199.4, 301, 199],
    [10, 10, 200, 150],
    [5000, 9999, 800, 600],
    [200.5, 600.49, 201, 600],
    [-50, 0, 200, 150],
  ];
  for (const [w, h, ew, eh] of cases) {
    const r = await s.call("window", "resize", { w, h });
    assert.deepEqual(r, { ok: true, result: { ok: true, w: ew, h: eh } }, `${w}x${h}`);
    const [ev] = await s.events();
    assert.equal(ev.kind, "geometry_changed");
    assert.deepEqual(ev.payload, { geometry: { x: 0, y: 0, w: ew, h: eh } });
    assert.equal(ev.by_client_id, s.window_uuid);
  }
  for (const args of [{ w: "300", h: 200 }, { w: 300 }, { h: 1 }, { w: Infinity, h: 1 }]) {
    const r = await s.call("window", "resize", args);
    assert.equal(r.error.code, "invalid_arg", JSON.stringify(args));
  }
  const got = await t.call("session.get", { session_id: s.session_id });
  assert.deepEqual((got.windows as Loose[])[0].geometry, { x: 0, y: 0, w: 200, h: 150 });
  assert.deepEqual(await s.events(), []);
});

Deno.test("window.focus: z_index = next counter value, window_focus_changed", async () => {
  await using t = await makeRuntime();
  const s = await openSession(t, multiViewManifest());
  const o = await t.call("session.open_view", { session_id: s.session_id, view: "other" });
  await s.drain();
  assert.deepEqual(await s.call("window", "focus"), { ok: true, result: { ok: true } });
  const [ev] = await s.events();
  assert.equal(ev.kind, "window_focus_changed");
  assert.deepEqual(ev.payload, { window_uuid: s.window_uuid, z_index: 3 });
  assert.equal(ev.by_client_id, s.window_uuid);
  await s.call("window", "focus", {}, o.window_uuid as string);
  const [ev2] = await s.events();
  assert.deepEqual(ev2.payload, { window_uuid: o.window_uuid, z_index: 4 });
  assert.equal(ev2.window_uuid, o.window_uuid);
  assert.equal(ev2.by_client_id, o.window_uuid);
  const got = await t.call("session.get", { session_id: s.session_id });
  assert.deepEqual((got.windows as Loose[]).map((w) => w.z_index), [3, 4]);
});

Deno.test("window.close: close_view then status_changed, later calls not_found, session stays open", async () => {
  await using t = await makeRuntime();
  const s = await openSession(t, manifest());
  assert.deepEqual(await s.call("window", "close"), { ok: true, result: { ok: true } });
  const evs = await s.events();
  assert.deepEqual(evs.map((e) => [e.kind, e.payload, e.by_client_id, e.window_uuid]), [
    ["close_view", { window_uuid: s.window_uuid, reason: "app" }, s.window_uuid, s.window_uuid],
    ["status_changed", { status: "closed" }, s.window_uuid, s.window_uuid],
  ]);
  assert.equal(evs[1].seq, evs[0].seq + 1);
  for (const [ns, method] of [["window", "hello"], ["window", "close"], ["fs", "read"]]) {
    assert.deepEqual(await s.call(ns, method), {
      ok: false,
      error: {
        code: "not_found",
        // session.call without window_uuid: the primary, which it says it used
        message: `window ${s.window_uuid} is closed; it is the primary window, which ` +
          "session.call uses when window_uuid is absent: pass window_uuid (no window is open; " +
          "session.open_view makes one)",
        details: { window_uuid: s.window_uuid },
      },
    });
  }
  const list = await t.call("session.list");
  const row = (list.sessions as Loose[]).find((x) => x.session_id === s.session_id);
  assert.equal(row.open_windows, 0);
  const got = await t.call("session.get", { session_id: s.session_id });
  assert.equal((got.windows as Loose[])[0].status, "closed");
});

Deno.test("window.close: custom reason; non-string reason is invalid_arg", async () => {
  await using t = await makeRuntime();
  const s = await openSession(t, manifest());
  assert.equal((await s.call("window", "close", { reason: 5 })).error.code, "invalid_arg");
  await s.call("window", "close", { reason: "user" });
  const [ev] = await s.events();
  assert.deepEqual(ev.payload, { window_uuid: s.window_uuid, reason: "user" });
});

Deno.test("window.report_error: non-fatal logs only; fatal → crashed + status_changed, then not_found", async () => {
  await using t = await makeRuntime();
  const s = await openSession(t, manifest());
  assert.deepEqual(await s.call("window", "report_error", { message: "oops", stack: "at x" }), {
    ok: true,
    result: { ok: true },
  });
  assert.deepEqual(
    await s.call("window", "report_error", { message: { nested: 1 }, context: [1] }),
    {
      ok: true,
      result: { ok: true },
    },
  );
  assert.equal((await s.call("window", "report_error", { message: 12 })).ok, true);
  assert.deepEqual(await s.events(), []);
  assert.equal((await s.call("window", "report_error", {})).error.code, "invalid_arg");
  assert.equal(
    (await s.call("window", "report_error", { message: "x", fatal: "yes" })).error.code,
    "invalid_arg",
  );
  assert.deepEqual(await s.call("window", "report_error", { message: "boom", fatal: true }), {
    ok: true,
    result: { ok: true },
  });
  const evs = await s.events();
  assert.deepEqual(evs.map((e) => [e.kind, e.payload, e.window_uuid, e.by_client_id]), [
    ["status_changed", { status: "crashed" }, s.window_uuid, s.window_uuid],
  ]);
  const got = await t.call("session.get", { session_id: s.session_id });
  assert.equal((got.windows as Loose[])[0].status, "crashed");
  const after = await s.call("window", "heartbeat");
  assert.equal(after.error.code, "not_found");
  assert.match(after.error.message, new RegExp(`^window ${s.window_uuid} crashed \\(`));
});

Deno.test("window: unlisted methods answer not_implemented", async () => {
  await using t = await makeRuntime();
  const s = await openSession(t, manifest());
  for (const method of ["minimize", "maximize", "Hello"]) {
    assert.deepEqual(await s.call("window", method), {
      ok: false,
      error: {
        code: "not_implemented",
        message: `window.${method} is not implemented in this runtime`,
        details: { ns: "window", method },
      },
    });
  }
});
