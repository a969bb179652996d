/**
 * Nothing an executa started outlives it (CONTRACT §9.10, "no child left behind"): the plugin runs
 * in its own process group, which is reaped when it is stopped and when it dies on its own; a
 * restarted executa's old process is still stopped (or killed) when the runtime exits.
 */
import assert from "node:assert/strict";
import { ExecutaPool } from "../lib/executa/mod.ts";
import { createProvider } from "../lib/llm/mod.ts";
import { silentLogger } from "../lib/util/log.ts";
import { REPO_ROOT } from "./helpers/bridge_process.ts";
import { alive, waitGone } from "./helpers/processes.ts";

function pool() {
  const logger = silentLogger();
  return new ExecutaPool({
    logger,
    llm: createProvider({ mode: "mock", mocks: [], logger }),
    version: "test",
  });
}

const spec = (tool_id: string, command: string[]) => ({
  tool_id,
  project_dir: `${REPO_ROOT}tests/fixtures/executas`,
  command,
  type: null,
  env: {},
  handle: tool_id,
  app_slug: null,
});

Deno.test({
  name: "a process started by an executa that dies on its own is reaped with it",
  ignore: Deno.build.os === "windows",
  async fn() {
    const p = pool();
    try {
      await p.register([spec("tool-spawner", ["node", "spawner.mjs"])]);
      const out = await p.invoke("tool-spawner", "spawn", {}, {});
      const grandchild = (out as { result: { pid: number } }).result.pid;
      assert.ok(alive(grandchild), "the grandchild runs");
      const died = await p.invoke("tool-spawner", "crash", {}, {});
      assert.equal(died.ok, false);
      assert.ok(await waitGone(grandchild), `process ${grandchild} outlived its crashed executa`);
    } finally {
      await p.shutdown();
    }
  },
});

Deno.test({
  name: "a restarted executa's old process, still in its graceful stop, is stopped by shutdown",
  ignore: Deno.build.os === "windows",
  async fn() {
    const p = pool();
    await p.register([spec("tool-stubborn", ["node", "plugin.mjs", "--ignore-term"])]);
    const out = await p.invoke("tool-stubborn", "pid", {}, {});
    const old = (out as { result: { pid: number } }).result.pid;
    const restarting = p.restart("tool-stubborn"); // the old process ignores EOF and SIGTERM
    await p.shutdown();
    assert.equal(alive(old), false, `process ${old} outlived the shutdown`);
    await restarting;
  },
});

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
