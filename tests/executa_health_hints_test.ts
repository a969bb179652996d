// `health` is optional (README, CONTRACT §2.9), so a first executa often skips it: left
// unanswered it fails smoke after 3 s, answered like an invoke it is "unhealthy". Both messages
// (executa health, smoke) name the answer expected, as MCP clients expect every request answered.
import assert from "node:assert/strict";
import { join } from "node:path";
import { explain, runCli, SMOKE_FIXTURES, smokeJson } from "./fixtures/smoke/harness.ts";
import { writeAppDir } from "./helpers/app_dir.ts";
import { tmpDir } from "./helpers/tmp.ts";

const PLUGIN = join(SMOKE_FIXTURES, "mini_plugin.mjs");
const health = (mode: string) =>
  runCli([
    "executa",
    "health",
    SMOKE_FIXTURES,
    "--tool-id",
    "tool-mini",
    "--command",
    `node mini_plugin.mjs ${mode}`,
  ]);

Deno.test("executa health: an unanswered health names -32601; an invoke-shaped one the healthy shapes", async () => {
  const silent = await health("health-silent");
  assert.equal(silent.code, 1, silent.stderr);
  assert.equal(
    silent.stdout.trim(),
    "tool-mini: unhealthy (no health reply within 3 s; an executa without health answers it " +
      "with a JSON-RPC error -32601 (method not found), which counts as not implemented)",
  );
  const shape = await health("health-shape");
  assert.equal(shape.code, 1, shape.stderr);
  assert.equal(
    shape.stdout.trim(),
    'tool-mini: unhealthy {"success":true} (a healthy answer is {"status":"ok"}, "ready" or ' +
      '"healthy", or {"ok":true}; -32601 when health is not implemented)',
  );
  // a deliberate unhealthy status speaks for itself
  const sick = await health("health-unhealthy");
  assert.equal(sick.stdout.trim(), 'tool-mini: unhealthy {"status":"unhealthy"}');
});

Deno.test("smoke: the health step says the same", async () => {
  await using dir = await tmpDir();
  const app = await writeAppDir(
    join(dir.path, "app"),
    {
      schema: 2,
      ui: { bundle: { format: "static-spa", entry: "index.html" }, views: [{ name: "main" }] },
    },
    "<!doctype html><title>x</title>",
  );
  const step = async (mode: string) => {
    const spec = `dir=${SMOKE_FIXTURES},tool_id=tool-mini,type=node,command=${
      JSON.stringify(["node", PLUGIN, mode])
    }`;
    const r = await smokeJson([app, "--no-fixtures", "--executa", spec]);
    const s = r.report?.steps.find((s) => s.name === "executas: tool-mini health");
    assert.ok(s, explain(r));
    return s;
  };
  const silent = await step("health-silent");
  assert.equal(silent.status, "error");
  assert.match(silent.message!, /^no health reply within 3 s; an executa without health answers/);
  const shape = await step("health-shape");
  assert.equal(shape.status, "fail");
  assert.match(shape.message!, /^unhealthy: \{"success":true\} \(a healthy answer is \{"status"/);
});
