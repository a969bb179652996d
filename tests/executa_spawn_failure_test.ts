// Spawn failures of default commands (CONTRACT §9.3, §9.9): `executa_unavailable`
// `details:{reason:"spawn_failed", command, error}` names the argv that could not be started, also
// when the spec has no explicit command.
// deno-lint-ignore-file no-explicit-any -- assertions walk outcome details
import assert from "node:assert/strict";
import { join } from "node:path";
import { makePool } from "./fixtures/executas/harness.ts";
import { resetCommandStateForTests, resolveCommand } from "../lib/executa/command.ts";
import type { ExecutaSpec } from "../lib/executa/types.ts";
import { tmpDir } from "./helpers/tmp.ts";

const spec = (over: Partial<ExecutaSpec>): ExecutaSpec => ({
  tool_id: "t",
  project_dir: "/",
  command: null,
  type: null,
  env: {},
  handle: "t",
  app_slug: null,
  ...over,
});

Deno.test("resolveCommand: a spawn_failed error carries the argv it could not start", async () => {
  await using tmp = await tmpDir();
  const dir = tmp.path;
  const node = await resolveCommand(spec({ type: "node", project_dir: dir }), {
    env: { PATH: "" },
  });
  assert.ok("error" in node);
  assert.equal(node.error.reason, "spawn_failed");
  assert.deepEqual(node.error.command, ["node", "index.js"]);
  const go = await resolveCommand(spec({ type: "go", project_dir: dir }), { env: { PATH: "" } });
  assert.ok("error" in go);
  assert.deepEqual(go.error.command, ["go", "run", "."]);
  const bin = await resolveCommand(spec({ tool_id: "tool", type: "binary", project_dir: dir }));
  assert.ok("error" in bin);
  assert.deepEqual(bin.error.command, [join(dir, "bin", "tool")]);
  const explicit = await resolveCommand(spec({ project_dir: dir, command: ["./nope", "-x"] }));
  assert.ok("error" in explicit);
  assert.deepEqual(explicit.error.command, ["./nope", "-x"]);
});

Deno.test("pool: a default command that cannot start → executa_unavailable naming that command", async () => {
  await using tmp = await tmpDir();
  const dir = tmp.path;
  const { pool } = makePool();
  try {
    await pool.register([
      spec({ tool_id: "no-binary", type: "binary", project_dir: dir }),
      spec({ tool_id: "no-node", type: "node", project_dir: dir, env: { PATH: "" } }),
    ]);
    const bin = await pool.invoke("no-binary", "x", {}, {}) as any;
    assert.equal(bin.ok, false);
    assert.equal(bin.error.code, "executa_unavailable");
    assert.equal(bin.error.details.reason, "spawn_failed");
    assert.deepEqual(bin.error.details.command, [join(dir, "bin", "no-binary")]);
    assert.equal(typeof bin.error.details.error, "string");
    const node = await pool.invoke("no-node", "x", {}, {}) as any;
    assert.equal(node.error.details.reason, "spawn_failed");
    assert.deepEqual(node.error.details.command, ["node", "index.js"]);
    assert.equal(pool.get("no-node")?.status, "crashed", "a spawn failure counts as a crash");
  } finally {
    await pool.shutdown();
  }
});

Deno.test("pool: no usable python entry is not a crash: the same answer every time, never a crash loop", async () => {
  resetCommandStateForTests();
  await using tmp = await tmpDir(); // no pyproject.toml
  const dir = tmp.path;
  const { pool } = makePool();
  try {
    await pool.register([
      spec({ tool_id: "no-entry", type: "python", project_dir: dir, env: { PATH: "" } }),
    ]);
    // counted as crashes, the 4th call would answer crash_loop (3 crashes within 30 s)
    for (let i = 0; i < 4; i++) {
      const r = await pool.invoke("no-entry", "x", {}, {}) as any;
      assert.equal(r.error.code, "executa_unavailable");
      assert.equal(r.error.details.reason, "no_python_entry", `call ${i + 1}`);
      assert.equal(pool.get("no-entry")?.status, "registered", `call ${i + 1}`);
    }
  } finally {
    await pool.shutdown();
  }
});
