/**
 * A mock-table answer to `tools.invoke` / `tools.invokeAsync` stands in for the plugin's reply
 * (CONTRACT §5.9), so it is mapped like one (§9.7): the app gets the unwrapped `data`, never the
 * `{success, data}` envelope (§5.6), and a mocked `{success:false}` is `tool_failed`. Real apps'
 * fixtures write tool mocks in that envelope (research/platform.md, focus-flow and embed-demo).
 */
import assert from "node:assert/strict";
import type { MockEntry } from "../lib/llm/mod.ts";
import { makeRuntime, manifest, openSession } from "./helpers/runtime.ts";

const entry = (method: string, tool: string, result: unknown): MockEntry => ({
  ns: "tools",
  method,
  match: { tool_id: tool },
  result,
  source: "test",
});

const MOCKS: MockEntry[] = [
  entry("invoke", "wrapped", { success: true, tool: "count", data: { count: 1 } }),
  entry("invoke", "failing", { success: false, error: "boom" }),
  entry("invoke", "no-data", { success: true }),
  entry("invoke", "plain", { count: 2 }),
  entry("invoke", "error-field", { error: { code: 7 } }),
  entry("invokeAsync", "wrapped-job", { success: true, data: [1, 2] }),
  {
    ns: "tools",
    method: "invoke",
    match: { tool_id: "refused" },
    source: "test",
    error: { code: "tool_timeout", message: "slow" },
  },
];

const TOOLS = ["wrapped", "failing", "no-data", "plain", "error-field", "wrapped-job", "refused"];
const APP = manifest({ tools: TOOLS }, {
  required_executas: TOOLS.map((tool_id) => ({ tool_id })),
});

Deno.test("a mocked tools.invoke is unwrapped like a plugin reply", async () => {
  await using t = await makeRuntime({ mocks: MOCKS });
  const s = await openSession(t, APP);
  const invoke = (tool_id: string) => s.call("tools", "invoke", { tool_id, method: "m" });

  assert.deepEqual(await invoke("wrapped"), { ok: true, result: { count: 1 } });
  assert.deepEqual(await invoke("no-data"), { ok: true, result: null }, "missing data → null");
  assert.deepEqual(await invoke("plain"), { ok: true, result: { count: 2 } }, "a bare payload");

  const failed = await invoke("failing");
  assert.equal(failed.ok, false, "a mocked failure is not a success");
  assert.equal(failed.error.code, "tool_failed");
  assert.equal(failed.error.message, "boom");

  const errorField = await invoke("error-field");
  assert.equal(errorField.error.code, "tool_failed");
  assert.deepEqual(errorField.error.details, { error: { code: 7 } });

  const refused = await invoke("refused");
  assert.deepEqual(
    refused.error,
    { code: "tool_timeout", message: "slow" },
    "mock errors as given",
  );
});

Deno.test("a mocked tools.invokeAsync job holds the unwrapped result", async () => {
  await using t = await makeRuntime({ mocks: MOCKS });
  const s = await openSession(t, APP);
  const started = await s.call("tools", "invokeAsync", { tool_id: "wrapped-job", method: "m" });
  assert.equal(started.ok, true);
  const failing = await s.call("tools", "invokeAsync", { tool_id: "failing", method: "m" });
  const end = Date.now() + 10_000;
  let job, failedJob;
  do {
    await new Promise((r) => setTimeout(r, 10));
    job = (await s.call("tools", "getJob", { jobId: started.result.jobId })).result;
    failedJob = (await s.call("tools", "getJob", { jobId: failing.result.jobId })).result;
  } while ((job.state === "queued" || failedJob.state === "queued") && Date.now() < end);
  assert.equal(job.state, "succeeded");
  assert.deepEqual(job.result, [1, 2]);
  assert.equal(failedJob.state, "failed", "invokeAsync falls back to the invoke mock, mapped too");
  assert.equal(failedJob.error.code, "tool_failed");
});
