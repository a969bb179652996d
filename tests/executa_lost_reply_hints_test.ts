// A reply that can never arrive (CONTRACT §9.11: ignored lines, unknown ids; no newline, no line)
// is a first executa's usual bug. The timeout it ends in names what stdout showed and the fix, as
// MCP SDK clients report an unknown response id or an unparsable line instead of waiting silently.
import assert from "node:assert/strict";
import { makePool, nodeSpec } from "./fixtures/executas/harness.ts";

async function timedOut(tool: string): Promise<string> {
  const { pool } = makePool();
  await pool.register([nodeSpec("lost")]);
  try {
    const out = await pool.invoke("lost", tool, {}, { timeoutMs: 1000 });
    assert.equal(out.ok, false);
    const e = (out as { error: { code: string; message: string; details: unknown } }).error;
    assert.equal(e.code, "tool_timeout");
    // §5.6 step 9 pins the details; only the message grows
    assert.deepEqual(e.details, {
      timeout_ms: 1000,
      requested_timeout_ms: 1000,
      max_timeout_ms: 90000,
    });
    return e.message;
  } finally {
    await pool.shutdown();
  }
}

Deno.test("an invoke whose reply has its id as a string times out naming that id", async () => {
  const m = await timedOut("string_id");
  assert.match(m, /^lost\.string_id did not answer within 1000 ms; its stdout had 1 reply whose/);
  assert.match(m, /first id: "3"\): .* the number 3, not a string/);
});

Deno.test("an invoke whose reply has no newline times out saying so", async () => {
  const m = await timedOut("no_newline");
  assert.match(m, /its stdout ends in \d+ bytes with no newline yet \("\{\\"jsonrpc\\"/);
  assert.match(m, /every message must end with "\\n"/);
});

Deno.test("an invoke answered by a debug print on stdout times out quoting it", async () => {
  const m = await timedOut("print_only");
  assert.match(m, /1 line that is not JSON-RPC and ignored \(first: "debug: got the call"\)/);
});

Deno.test("a slow invoke with a clean stdout keeps the plain timeout message", async () => {
  assert.equal(await timedOut("hang"), "lost.hang did not answer within 1000 ms");
});

Deno.test("an initialize reply without its newline is a warning naming it at 5 s", async () => {
  const { pool, logs } = makePool();
  await pool.register([nodeSpec("nl", ["--init=no-newline"])]);
  // describe is never read either (it is on the same unended line): stopped after initialize
  const started = pool.ensureStarted("nl");
  try {
    const t0 = Date.now();
    while (!logs.some((l) => /^no initialize reply/.test(String(l.msg)))) {
      assert.ok(Date.now() - t0 < 8000, "no initialize log line");
      await new Promise((r) => setTimeout(r, 50));
    }
    const line = logs.find((l) => /^no initialize reply/.test(String(l.msg)))!;
    assert.equal(line.level, "warn");
    assert.equal(line.tool_id, "nl");
    assert.match(String(line.msg), /ends in \d+ bytes with no newline yet/);
  } finally {
    await pool.shutdown();
    await started;
  }
});
