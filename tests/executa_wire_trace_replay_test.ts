/**
 * Replays the recorded executa wire trace (CONTRACT §17 `executa-protocol-smoke.jsonl`) against our
 * executa client through the real bridge: a plugin plays the trace's tool side, and every frame our
 * host sends is checked against the recorded host frame and CONTRACT §9.5–§9.10.
 */
// deno-lint-ignore-file no-explicit-any -- assertions walk recorded JSON-RPC frames
import assert from "node:assert/strict";
import { join } from "node:path";
import { BridgeProcess } from "./helpers/bridge_process.ts";
import { RECORDINGS_DIR } from "./helpers/corpus.ts";
import { tmpDir } from "./helpers/tmp.ts";
import { FIXTURES } from "./fixtures/executas/harness.ts";
import { compareSubset } from "../lib/smoke/compare.ts";

const TRACE = join(RECORDINGS_DIR, "executa-protocol-smoke.jsonl");

interface Step {
  event: string;
  frame: any;
}

Deno.test("executa wire trace: every recorded message kind is handled as the vendor host did", async () => {
  const steps: Step[] = (await Deno.readTextFile(TRACE)).split("\n").filter((l) => l.trim())
    .map((l) => JSON.parse(l));
  const at = (event: string) => steps.find((s) => s.event === event)!.frame;
  assert.deepEqual(steps.map((s) => s.event), [
    "host.initialize.request",
    "tool.initialize.response",
    "host.describe.request",
    "tool.describe.response",
    "host.invoke.request",
    "tool.sampling.request",
    "host.sampling.response",
    "tool.invoke.response",
    "host.shutdown.request",
    "tool.shutdown.response",
  ]);

  await using dir = await tmpDir();
  const log = join(dir.path, "host-frames.jsonl");
  const mocks = join(dir.path, "mocks.jsonl");
  // the mock provider answers the plugin's sampling request with the recorded host answer
  const recordedSampling = at("host.sampling.response").result;
  await Deno.writeTextFile(
    mocks,
    JSON.stringify({
      ns: "sampling",
      method: "createMessage",
      match: { contentIncludes: "Workshop" },
      result: recordedSampling,
    }) + "\n",
  );
  const toolId = at("tool.describe.response").result.name as string;
  const invoke = at("host.invoke.request").params;

  let outcome: any, listed: any;
  {
    await using b = new BridgeProcess({ args: ["--mock-llm", mocks] });
    await b.call("executas.register", {
      tool_id: toolId,
      project_dir: FIXTURES,
      command: ["node", "trace_replay.mjs", TRACE, log],
    });
    outcome = await b.call("executas.invoke", {
      tool_id: toolId,
      method: invoke.tool,
      args: invoke.arguments,
    });
    listed = (await b.call("executas.list", {})).executas;
  } // the bridge ends here, stopping the executa (§9.10)

  // the invoke answer is the recorded tool result's `data` (§9.7 success:true mapping)
  assert.deepEqual(outcome, { ok: true, result: at("tool.invoke.response").result.data });
  // §9.6: the recorded initialize reply (v2, sampling under client_capabilities) → v2; describe cached
  const ours = listed.find((e: any) => e.tool_id === toolId);
  assert.equal(ours.protocol, "v2");
  assert.equal(ours.status, "ready");
  assert.deepEqual(ours.describe, at("tool.describe.response").result);

  const seen = (await Deno.readTextFile(log)).split("\n").filter(Boolean).map((l) => JSON.parse(l));
  const host = seen.filter((s) => s.expected);
  assert.deepEqual(host.map((s) => s.expected), [
    "host.initialize.request",
    "host.describe.request",
    "host.invoke.request",
    "host.sampling.response",
  ]);
  const [init, describe, inv, sampling] = host.map((s) => s.frame);
  // framing and ids: integer ids from 1 in send order, the same as recorded (§9.5)
  for (const [i, f] of [init, describe, inv].entries()) {
    assert.equal(f.jsonrpc, "2.0");
    assert.equal(f.id, i + 1);
  }
  // each request carries at least what the vendor host sent (§9.6, §9.7)
  assert.deepEqual(compareSubset(at("host.initialize.request"), init), []);
  assert.equal(describe.method, "describe");
  assert.equal(describe.params, undefined, "describe has no params, as recorded");
  assert.equal(inv.method, "invoke");
  assert.equal(inv.params.tool, invoke.tool);
  assert.deepEqual(inv.params.arguments, invoke.arguments);
  // §1.3 id convention; §9.7 the context repeats it
  assert.match(inv.params.invoke_id, /^inv_[0-9a-f]{32}$/);
  assert.equal(inv.params.context.invoke_id, inv.params.invoke_id);
  assert.equal(inv.params.context.plugin_name, toolId);
  assert.ok(Number.isInteger(inv.params.context.deadline_ms));
  // the reverse request (string id, invoke context only in metadata.executa_invoke_id, §9.8) is
  // answered on stdin with the same id and exactly the recorded host answer
  assert.deepEqual(sampling, at("host.sampling.response"));
  // §9.10: no `shutdown` request; stdin is closed (the vendor host sent one, see the report)
  assert.deepEqual(seen.filter((s) => !s.expected), [{ eof: true }]);
});
