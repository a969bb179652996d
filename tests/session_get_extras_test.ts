/**
 * What `session.get` adds for host pages beyond CONTRACT §4.4.7 (per-window view_meta, app_dir,
 * the sidecar's tool_ids map, every view of the manifest), and the `args` field every rpc log entry carries (§11.11).
 */
import assert from "node:assert/strict";
import { makeRuntime, manifest, openSession } from "./helpers/runtime.ts";
import { REPO_ROOT } from "./helpers/bridge_process.ts";

Deno.test("session.get: tool_ids maps handles to tool ids like the sidecar does", async () => {
  await using t = await makeRuntime();
  await t.call("executas.register", {
    tool_id: "tool-plugin-x",
    handle: "plugin",
    project_dir: `${REPO_ROOT}tests/fixtures/executas`,
    command: ["node", "plugin.mjs"],
  });
  const m = manifest({ tools: ["bundled:plugin"] }, {
    required_executas: [{ tool_id: "bundled:plugin" }],
  });
  const s = await openSession(t, m);
  const got = await t.call("session.get", { session_id: s.session_id });
  assert.deepEqual(got.tool_ids, { plugin: "tool-plugin-x" });
  assert.deepEqual(got.granted_tools, ["tool-plugin-x"]);
  assert.equal(got.app_dir, null);
  const [w] = got.windows as { view_meta: { name: string } }[];
  assert.equal(w.view_meta.name, "main");
});

Deno.test("session.get: views lists every view of the manifest, with or without a window", async () => {
  await using t = await makeRuntime();
  const m = manifest({}, {});
  (m.ui as { views: unknown[] }).views.push({ name: "detail", title: "Detail", entry: "d.html" });
  const s = await openSession(t, m);
  const got = await t.call("session.get", { session_id: s.session_id });
  const views = got.views as { name: string; entry: string }[];
  assert.deepEqual(views.map((v) => [v.name, v.entry]), [["main", "index.html"], [
    "detail",
    "d.html",
  ]]);
  assert.equal((got.windows as unknown[]).length, 1);
});

Deno.test("rpc log entries carry args even when the call sent none", async () => {
  await using t = await makeRuntime({ mode: "dev" });
  const s = await openSession(t, manifest());
  await t.call("session.call", { session_id: s.session_id, ns: "window", method: "ready" });
  const rpc = t.rt.log.entries().filter((e) => e.type === "rpc");
  assert.equal(rpc.length, 1);
  assert.deepEqual(rpc[0].args, {});
  assert.equal(rpc[0].outcome, "ok");
  assert.equal(rpc[0].method, "ready");
});
