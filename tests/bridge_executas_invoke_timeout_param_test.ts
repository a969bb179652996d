/**
 * `executas.invoke` takes its deadline as `timeout_ms` (CONTRACT §4.4.9); a bad one is the
 * `invalid_arg` outcome of §5.6 step 7, and it must name `timeout_ms`, the param the caller sent,
 * not tools.invoke's `timeoutMs`.
 */
import assert from "node:assert/strict";
import { BridgeProcess, REPO_ROOT } from "./helpers/bridge_process.ts";

Deno.test("executas.invoke: a timeout_ms that is not a number is reported under its own name", async () => {
  await using b = new BridgeProcess();
  // registration never spawns (§9.5), and a bad timeout must be refused before any spawn
  await b.call("executas.register", {
    tool_id: "tool-plugin",
    project_dir: `${REPO_ROOT}tests/fixtures/executas`,
    command: ["node", "plugin.mjs"],
  });
  for (const bad of ["5000", true, { ms: 1 }]) {
    const out = await b.call("executas.invoke", {
      tool_id: "tool-plugin",
      method: "echo",
      timeout_ms: bad,
    }) as { ok: boolean; error: { code: string; message: string; details: unknown } };
    assert.equal(out.ok, false, JSON.stringify(bad));
    assert.equal(out.error.code, "invalid_arg");
    assert.match(out.error.message, /'timeout_ms'/);
    assert.doesNotMatch(out.error.message, /timeoutMs/);
    assert.deepEqual(
      (out.error.details as { issues: { path: string }[] }).issues.map((i) => i.path),
      ["timeout_ms"],
    );
  }
  const list = await b.call("executas.list", {}) as { executas: { status: string }[] };
  assert.equal(list.executas[0].status, "registered", "nothing was spawned");
});
