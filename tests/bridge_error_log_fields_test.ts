/**
 * The warn line of a bridge-level error (CONTRACT §4.5) is all a CI log shows at the default level
 * (`bridge` logs at warn): it carries the request id, to find the request, and the error data, to
 * see why (`invalid_params` alone does not say which field), with the same names on every kind.
 */
import assert from "node:assert/strict";
import { handleText } from "../lib/bridge/jsonrpc.ts";
import { invalidParams } from "../lib/core/rpc_error.ts";
import { Logger } from "../lib/util/log.ts";

Deno.test("bridge error log: id, code, rpc_code and data on invalid params and invalid requests", async () => {
  const lines: string[] = [];
  const log = new Logger({ level: "warn", format: "json", sink: (l) => lines.push(l) }, "bridge");
  const call = () => {
    throw invalidParams({
      reason: "bad",
      issues: [{ path: "app_slug", message: "must be a string" }],
    });
  };
  await handleText(
    call,
    '{"jsonrpc":"2.0","id":"req-7","method":"session.create","params":{}}',
    log,
  );
  await handleText(call, '{"jsonrpc":"1.0","id":8,"method":"x"}', log);
  const [params, request] = lines.map((l) => JSON.parse(l));
  assert.deepEqual(
    { ...params, ts: 0 },
    {
      ts: 0,
      level: "warn",
      component: "bridge",
      msg: "bridge error",
      method: "session.create",
      id: "req-7",
      code: "invalid_params",
      rpc_code: -32602,
      data: { reason: "bad", issues: [{ path: "app_slug", message: "must be a string" }] },
    },
  );
  assert.deepEqual(
    { ...request, ts: 0 },
    {
      ts: 0,
      level: "warn",
      component: "bridge",
      msg: "bridge error",
      id: 8,
      code: "invalid_request",
      rpc_code: -32600,
      data: { detail: 'jsonrpc must be "2.0"' },
    },
  );
});

Deno.test("bridge request log: a denied or failed call answered as a result is not outcome ok", async () => {
  const lines: string[] = [];
  const log = new Logger({ level: "debug", format: "json", sink: (l) => lines.push(l) }, "bridge");
  const results: Record<string, unknown> = {
    "session.call": { ok: false, error: { code: "permission_denied", message: "no" } },
    "app.call": { ok: false, error: { code: "not_found", message: "no" } },
    "executas.invoke": { ok: true, result: { ok: false } },
    "runtime.info": { version: "x" },
    "session.drain_events": undefined,
  };
  for (const [i, method] of Object.keys(results).entries()) {
    const text = JSON.stringify({ jsonrpc: "2.0", id: i, method, params: {} });
    await handleText(
      (m) => {
        if (results[m] === undefined) throw invalidParams({ reason: "x" });
        return results[m];
      },
      text,
      log,
    );
  }
  const entries = lines.map((l) => JSON.parse(l)).filter((e) => e.msg === "request");
  const outcomes = entries.map((e) => [e.method, e.id, e.outcome]);
  assert.deepEqual(outcomes, [
    ["session.call", 0, "denied"],
    ["app.call", 1, "error not_found"],
    ["executas.invoke", 2, "ok"],
    ["runtime.info", 3, "ok"],
    // named as the warn line's code is
    ["session.drain_events", 4, "error invalid_params"],
  ]);
  for (const e of entries) assert.equal(typeof e.ms, "number");
});

Deno.test("log fields: `code` is a string and `error` a message string in bridge errors, manifest warnings and a failed describe", async () => {
  const { makePool, nodeSpec } = await import("./fixtures/executas/harness.ts");
  const { REPO_ROOT } = await import("./helpers/bridge_process.ts");
  const lines: string[] = [];
  const log = new Logger({ level: "warn", format: "json", sink: (l) => lines.push(l) }, "bridge");
  await handleText(
    () => Promise.reject(invalidParams({ reason: "x" })),
    '{"jsonrpc":"2.0","id":1,"method":"m"}',
    log,
  );
  const { pool, logs } = makePool();
  const mini = nodeSpec("tool-mini", [], {
    project_dir: `${REPO_ROOT}tests/fixtures/smoke`,
    command: ["node", "mini_plugin.mjs", "describe-error"],
  });
  await pool.register([mini]);
  try {
    await pool.health("tool-mini");
  } finally {
    await pool.shutdown();
  }
  const failed = logs.find((l) => l.msg === "describe failed; continuing without it")!;
  assert.equal(failed.error, "describe exploded");
  assert.equal(failed.error_code, "-32000");
  const bridge = JSON.parse(lines[0]);
  assert.equal(bridge.code, "invalid_params");
  assert.equal(bridge.rpc_code, -32602);
});
