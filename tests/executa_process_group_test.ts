/**
 * Stopping an executa also stops what it started (CONTRACT §9.10, "no child left behind"): the
 * plugin runs in its own process group, which is signalled and reaped on a requested stop.
 */
import assert from "node:assert/strict";
import { ExecutaPool } from "../lib/executa/mod.ts";
import { createProvider } from "../lib/llm/mod.ts";
import { silentLogger } from "../lib/util/log.ts";
import { REPO_ROOT } from "./helpers/bridge_process.ts";

function alive(pid: number): boolean {
  try {
    Deno.kill(pid, "SIGCONT");
    return true;
  } catch {
    return false;
  }
}

async function waitGone(pid: number, ms = 3000) {
  const until = Date.now() + ms;
  while (alive(pid) && Date.now() < until) await new Promise((r) => setTimeout(r, 50));
  return !alive(pid);
}

Deno.test({
  name: "a process started by the executa does not outlive the executa's stop",
  ignore: Deno.build.os === "windows",
  async fn() {
    const logger = silentLogger();
    const pool = new ExecutaPool({
      logger,
      llm: createProvider({ mode: "mock", mocks: [], logger }),
      version: "test",
    });
    await pool.register([{
      tool_id: "tool-spawner",
      project_dir: `${REPO_ROOT}tests/fixtures/executas`,
      command: ["node", "spawner.mjs"],
      type: null,
      env: {},
      handle: "spawner",
      app_slug: null,
    }]);
    const out = await pool.invoke("tool-spawner", "spawn", {}, {});
    assert.equal(out.ok, true, JSON.stringify(out));
    const grandchild = (out as { result: { pid: number } }).result.pid;
    assert.ok(alive(grandchild), "the grandchild runs");
    await pool.shutdown();
    assert.ok(await waitGone(grandchild), `process ${grandchild} outlived its executa`);
  },
});
