/**
 * The handshake's own log lines (CONTRACT §9.6: initialize timeout → v1, describe failure) name
 * the executa: they log under the shared component "executa", so with several executas in one
 * app a line carrying only a pid leaves the developer guessing which one misbehaved.
 */
import assert from "node:assert/strict";
import { REPO_ROOT, runMain } from "./helpers/bridge_process.ts";
import { tmpDir } from "./helpers/tmp.ts";

const MINI_DIR = `${REPO_ROOT}tests/fixtures/smoke`;

/** `executa describe` on the mini plugin in `mode`; returns the json log lines. */
async function describeLogs(mode: string): Promise<Record<string, unknown>[]> {
  await using tmp = await tmpDir();
  const home = tmp.path;
  const out = await runMain([
    "executa",
    "describe",
    MINI_DIR,
    "--tool-id",
    "tool-mini",
    "--command",
    `node mini_plugin.mjs ${mode}`,
    "--log-format",
    "json",
  ], { home, env: { NO_COLOR: "1" } });
  return out.stderr.trim().split("\n").filter((l) => l.startsWith("{"))
    .map((l) => JSON.parse(l));
}

function lineFor(logs: Record<string, unknown>[], msg: RegExp) {
  const line = logs.find((l) => typeof l.msg === "string" && msg.test(l.msg));
  assert.ok(line, `no log line matching ${msg}: ${JSON.stringify(logs)}`);
  return line;
}

Deno.test("a describe error is logged with the executa's tool_id", async () => {
  const logs = await describeLogs("describe-error");
  const line = lineFor(logs, /^describe failed/);
  assert.equal(line.component, "executa");
  assert.equal(line.tool_id, "tool-mini");
});

Deno.test("an initialize timeout (v1 fallback) is logged with the executa's tool_id", async () => {
  const logs = await describeLogs("init-slow");
  const line = lineFor(logs, /^no initialize reply within 5 s/);
  assert.equal(line.tool_id, "tool-mini");
});
