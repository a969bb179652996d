/**
 * Closing sessions, runtime.info and the session cap (CONTRACT §4.4.5, §4.4.10, §6.3, §15).
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import {
  type Loose,
  makeRuntime,
  manifest,
  openSession,
  rpcError,
  THREE_VIEWS as views,
} from "./helpers/runtime.ts";
import { BRIDGE_METHODS } from "../lib/core/runtime.ts";
import { HOST_METHODS, STUB_NAMESPACES } from "./helpers/contract_values.ts";

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
  assert.deepEqual(caps.namespaces, HOST_METHODS);
  assert.deepEqual(caps.stub_namespaces, STUB_NAMESPACES);
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

Deno.test("session_limit: a concurrent app_dir create refused at the cap leaves the slug's served directory alone", async () => {
  await using t = await makeRuntime();
  const dirs = [join(t.dir, "one"), join(t.dir, "two")];
  for (const d of dirs) {
    await Deno.mkdir(d);
    await Deno.writeTextFile(join(d, "manifest.json"), JSON.stringify(manifest()));
  }
  for (let i = 0; i < 1023; i++) {
    await t.call("session.create", { app_slug: "a", manifest: manifest() });
  }
  // both pass the early check; the one finishing second is refused after its awaits
  const rs = await Promise.allSettled(
    dirs.map((app_dir) =>
      t.call("session.create", { app_dir, app_slug: "same", register_executas: false })
    ),
  );
  assert.deepEqual(rs.map((r) => r.status).sort(), ["fulfilled", "rejected"]);
  const won = rs.findIndex((r) => r.status === "fulfilled");
  const sid = (rs[won] as PromiseFulfilledResult<Loose>).value.session_id;
  assert.equal((await t.call("session.get", { session_id: sid })).app_slug, "same");
  assert.equal(t.rt.apps.get("same")?.appDir, dirs[won], "the refused create took over the slug");
});
