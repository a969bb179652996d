// What the runtime hands a real executa process, recorded by the process itself (CONTRACT §9):
// host→plugin ids are integers from 1 per process (§9.5), `describe` carries no params (§9.6),
// shutdown only closes stdin — no `shutdown` request (§9.10) —, the child env and cwd (§9.4, §9.5)
// through the bridge, and a crash loop cleared by registering the same tool_id again (§9.9).
import assert from "node:assert/strict";
import { join } from "node:path";
import { makePool, nodeSpec } from "./fixtures/executas/harness.ts";
import { BridgeProcess } from "./helpers/bridge_process.ts";
import { tmpDir } from "./helpers/tmp.ts";

// appends every stdin line to the log named by argv[2], then "EOF" when stdin closes
const RECORDER = `
import { appendFileSync } from "node:fs";
import { createInterface } from "node:readline";
const log = process.argv[2];
const rl = createInterface({ input: process.stdin });
rl.on("line", (l) => {
  appendFileSync(log, l + "\\n");
  const m = JSON.parse(l);
  if (m.id === undefined || m.params?.tool === "hang") return;
  const result = m.method === "initialize"
    ? { protocolVersion: "2.0" }
    : m.method === "describe"
    ? { name: "recorder" }
    : { success: true, data: { env: process.env, cwd: process.cwd() } };
  process.stdout.write(JSON.stringify({ jsonrpc: "2.0", id: m.id, result }) + "\\n");
});
rl.on("close", () => {
  appendFileSync(log, "EOF\\n");
  process.exit(0);
});
`;

async function recorder(dir: string): Promise<{ script: string; log: string }> {
  const script = join(dir, "recorder.mjs");
  await Deno.writeTextFile(script, RECORDER);
  return { script, log: join(dir, "wire.log") };
}

/** The recorded lines, one array per process (each ends at its EOF). */
async function processes(log: string): Promise<Record<string, unknown>[][]> {
  const out: Record<string, unknown>[][] = [[]];
  for (const line of (await Deno.readTextFile(log)).split("\n").filter(Boolean)) {
    if (line === "EOF") out.push([]);
    else out[out.length - 1].push(JSON.parse(line));
  }
  assert.deepEqual(out.pop(), [], "every process saw its stdin close");
  return out;
}

Deno.test("ids from 1 per process, describe without params, stop closes stdin and sends no shutdown", async () => {
  await using d = await tmpDir();
  const { script, log } = await recorder(d.path);
  const { pool } = makePool();
  await pool.register([
    nodeSpec("rec", [], { project_dir: d.path, command: ["node", script, log] }),
  ]);
  try {
    assert.equal((await pool.invoke("rec", "a", { n: 1 }, {})).ok, true);
    const [b, c] = await Promise.all([
      pool.invoke("rec", "b", {}, {}),
      pool.invoke("rec", "c", {}, {}),
    ]);
    assert.equal(b.ok && c.ok, true);
    await pool.restart("rec");
    assert.equal((await pool.invoke("rec", "d", {}, {})).ok, true);
  } finally {
    await pool.shutdown();
  }
  const [first, second] = await processes(log);
  assert.deepEqual(first.map((m) => [m.id, m.method]), [
    [1, "initialize"],
    [2, "describe"],
    [3, "invoke"],
    [4, "invoke"],
    [5, "invoke"],
  ]);
  assert.deepEqual(second.map((m) => [m.id, m.method]), [
    [1, "initialize"],
    [2, "describe"],
    [3, "invoke"],
  ]);
  assert.deepEqual(first[1], { jsonrpc: "2.0", id: 2, method: "describe" });
  assert.deepEqual([...first, ...second].filter((m) => m.method === "shutdown"), []);
});

Deno.test("the invoke request and the _cancel_invoke notification are exactly the §9.7 envelopes", async () => {
  await using d = await tmpDir();
  const { script, log } = await recorder(d.path);
  const { pool } = makePool();
  await pool.register([
    nodeSpec("rec-inv", [], { project_dir: d.path, command: ["node", script, log] }),
  ]);
  let before = 0;
  try {
    before = Date.now();
    assert.equal(
      (await pool.invoke("rec-inv", "sum", { a: [1, 2] }, { timeoutMs: 4000 })).ok,
      true,
    );
    const hung = await pool.invoke("rec-inv", "hang", {}, { timeoutMs: 1000 });
    assert.equal(!hung.ok && hung.error.code, "tool_timeout");
  } finally {
    await pool.shutdown();
  }
  const [lines] = await processes(log);
  type Line = {
    id?: number;
    params: { invoke_id: string; context: { deadline_ms: number } };
  };
  const [sum, hang, cancel] = lines.slice(2) as unknown as Line[];
  const id = sum.params.invoke_id;
  assert.match(id, /^inv_[0-9a-f]{32}$/);
  const deadline = sum.params.context.deadline_ms;
  assert.ok(deadline >= before + 4000 && deadline <= Date.now() + 4000, String(deadline));
  assert.deepEqual(sum, {
    jsonrpc: "2.0",
    id: 3,
    method: "invoke",
    params: {
      tool: "sum",
      arguments: { a: [1, 2] },
      invoke_id: id,
      context: { invoke_id: id, deadline_ms: deadline, plugin_name: "rec-inv", credentials: {} },
    },
  });
  assert.equal(hang.id, 4);
  assert.deepEqual(cancel, {
    jsonrpc: "2.0",
    method: "_cancel_invoke",
    params: { invoke_id: hang.params.invoke_id },
  });
  assert.equal(lines.length, 5);
});

Deno.test("bridge: the child env is runtime env + spec env + python variables, without the control token; cwd is project_dir", async () => {
  await using d = await tmpDir();
  const { script, log } = await recorder(d.path);
  await using b = new BridgeProcess({
    env: {
      ANNA_APP_CONTROL_TOKEN: "A".repeat(43),
      WIRE_RUNTIME_ONLY: "runtime",
      WIRE_BOTH: "runtime",
      PYTHONIOENCODING: "latin-1",
    },
  });
  await b.call("executas.register", {
    tool_id: "rec-env",
    project_dir: d.path,
    type: "python",
    command: ["node", script, log],
    env: { WIRE_BOTH: "spec", PYTHONUNBUFFERED: "0" },
  });
  const r = await b.call("executas.invoke", { tool_id: "rec-env", method: "env" }) as {
    ok: boolean;
    result: { env: Record<string, string>; cwd: string };
  };
  assert.equal(r.ok, true, JSON.stringify(r));
  const env = r.result.env;
  assert.equal(env.WIRE_RUNTIME_ONLY, "runtime");
  assert.equal(env.WIRE_BOTH, "spec");
  assert.equal(env.PYTHONUNBUFFERED, "1");
  assert.equal(env.PYTHONIOENCODING, "utf-8");
  assert.equal("ANNA_APP_CONTROL_TOKEN" in env, false);
  assert.equal(r.result.cwd, await Deno.realPath(d.path));
});

Deno.test("a crash loop lasts until executas.register of the same tool_id (§9.9)", async () => {
  await using d = await tmpDir();
  const crashFile = join(d.path, "crash");
  await Deno.writeTextFile(crashFile, "");
  const { pool } = makePool();
  const spec = nodeSpec("loop-reg", [`--crash-file=${crashFile}`]);
  await pool.register([spec]);
  try {
    for (let i = 0; i < 3; i++) {
      assert.equal((await pool.invoke("loop-reg", "echo", {}, {})).ok, false);
    }
    const failed = await pool.invoke("loop-reg", "echo", {}, {});
    assert.equal(!failed.ok && failed.error.details?.reason, "crash_loop");
    await Deno.remove(crashFile);
    // another tool_id's registration leaves it failed
    await pool.register([nodeSpec("loop-other")]);
    assert.equal(pool.get("loop-reg")?.status, "failed");
    await pool.register([spec]);
    assert.equal(pool.get("loop-reg")?.status, "registered");
    const ok = await pool.invoke("loop-reg", "echo", { x: 1 }, {});
    assert.deepEqual(ok.ok && (ok.result as { args: unknown }).args, { x: 1 }, JSON.stringify(ok));
  } finally {
    await pool.shutdown();
  }
});
