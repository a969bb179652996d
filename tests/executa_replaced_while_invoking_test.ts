// An invoke racing `executas.restart` / a re-registration of its tool_id (CONTRACT §4.4.8, §4.4.9,
// §9.5, §9.10): one the old process never received goes to the replacement; one it had already
// received ends with the graceful stop ("executa process exited"). Each gets exactly one answer.
import assert from "node:assert/strict";
import { fakeLlm, makePool, nodeSpec } from "./fixtures/executas/harness.ts";
import { type ExecutaEvent, ExecutaPool } from "../lib/executa/mod.ts";
import { silentLogger } from "../lib/util/log.ts";
import { alive } from "./helpers/processes.ts";
import { makeRuntime } from "./helpers/runtime.ts";
import type { Outcome } from "../lib/core/outcome.ts";

const pidOf = (o: Outcome) => (o as { result: { pid: number } }).result.pid;

Deno.test("restart in the same tick as an invoke: the unsent invoke runs on the new process", async () => {
  const { pool } = makePool();
  await pool.register([nodeSpec("rr")]);
  try {
    const pid1 = pidOf(await pool.invoke("rr", "pid", {}, {}));
    // already written to the old process when the restart comes: the stop ends it
    let sent!: () => void;
    const wasSent = new Promise<void>((r) => (sent = r));
    const hung = pool.invoke("rr", "hang", {}, { onSent: () => sent() });
    await wasSent;
    // not yet written (it waits one turn for the ready process) when the restart retires it
    const pending = pool.invoke("rr", "pid", {}, {});
    const restarting = pool.restart("rr");
    const [h, p] = await Promise.all([hung, pending, restarting]);
    assert.equal(h.ok, false);
    assert.equal(!h.ok && h.error.code, "tool_failed", JSON.stringify(h));
    assert.equal(p.ok, true, `the unsent invoke failed: ${JSON.stringify(p)}`);
    assert.notEqual(pidOf(p), pid1);
    assert.equal(alive(pid1), false);
    assert.equal(pool.list()[0].status, "ready");
  } finally {
    await pool.shutdown();
  }
});

Deno.test("re-registered while its process is in the handshake: queued invokes go to the new spec", async () => {
  const spawned: number[] = [];
  let replaced: Promise<void> | null = null;
  const onEvent = (e: ExecutaEvent) => {
    if (e.type !== "executa" || e.status !== "starting" || e.pid === undefined) return;
    spawned.push(e.pid);
    // the first process is spawned and has not answered `initialize` yet
    if (spawned.length === 1) {
      replaced = pool.register([nodeSpec("hs", ["--declare=llm.sample"])]);
    }
  };
  const pool: ExecutaPool = new ExecutaPool({
    logger: silentLogger(),
    llm: fakeLlm(),
    version: "test",
    onEvent,
  });
  await pool.register([nodeSpec("hs")]);
  try {
    const outs = await Promise.all([1, 2, 3].map((n) => pool.invoke("hs", "echo", { n }, {})));
    await replaced;
    for (const o of outs) assert.equal(o.ok, true, `a queued invoke failed: ${JSON.stringify(o)}`);
    assert.equal(spawned.length, 2, "one process per spec");
    assert.equal(alive(spawned[0]), false);
    const row = pool.list()[0];
    assert.equal(row.pid, spawned[1]);
    assert.deepEqual(row.describe?.host_capabilities, ["llm.sample"]);
  } finally {
    await pool.shutdown();
  }
});

Deno.test("bridge: executas.invoke then executas.restart in one frame both succeed", async () => {
  await using t = await makeRuntime();
  await t.call("executas.register", {
    tool_id: "br",
    project_dir: nodeSpec("br").project_dir,
    command: nodeSpec("br").command,
  });
  const first = await t.call("executas.invoke", { tool_id: "br", method: "pid" });
  assert.equal(first.ok, true);
  const frame = JSON.stringify([
    { jsonrpc: "2.0", id: 1, method: "executas.invoke", params: { tool_id: "br", method: "pid" } },
    { jsonrpc: "2.0", id: 2, method: "executas.restart", params: { tool_id: "br" } },
  ]);
  const res = JSON.parse((await t.rt.handleText(frame, "stdio"))!);
  assert.deepEqual(res.map((r: { id: number }) => r.id), [1, 2]);
  assert.equal(res[0].result.ok, true, JSON.stringify(res[0]));
  assert.notEqual(res[0].result.result.pid, (first.result as { pid: number }).pid);
  assert.deepEqual(res[1].result, { restarted: true });
});
