// Invoke timeouts (CONTRACT §5.6 steps 7–9, §9.7): tool_timeout after effective + 2000 ms, a
// `_cancel_invoke` notification reaches the plugin, a late reply is logged and dropped. The late
// reply is sent when that `_cancel_invoke` arrives, so it is always after the timeout: a fixed
// reply delay 300 ms past the deadline could win the race on a stalled host.
import assert from "node:assert/strict";
import { makePool, nodeSpec, waitFor } from "./fixtures/executas/harness.ts";

Deno.test("hung invokes time out with _cancel_invoke; late replies are dropped", async () => {
  const { pool, logs } = makePool();
  await pool.register([nodeSpec("hang")]);
  try {
    assert.equal((await pool.invoke("hang", "echo", {}, {})).ok, true); // warm
    const t0 = Date.now();
    const [clamped, late] = await Promise.all([
      pool.invoke("hang", "hang", {}, { timeoutMs: 10 }),
      pool.invoke("hang", "hang", { reply_on_cancel: true }, { timeoutMs: 999.6 }),
    ]);
    const took = Date.now() - t0;
    assert.ok(took >= 3000, `waited effective + 2000 ms (${took})`);
    assert.deepEqual(clamped, {
      ok: false,
      error: {
        code: "tool_timeout",
        message: "hang.hang did not answer within 1000 ms",
        details: { timeout_ms: 1000, requested_timeout_ms: 10, max_timeout_ms: 90000 },
      },
    });
    assert.deepEqual((late as { error: { details: unknown } }).error.details, {
      timeout_ms: 1000,
      requested_timeout_ms: 999.6,
      max_timeout_ms: 90000,
    });
    await waitFor(
      () => logs.some((l) => l.msg?.toString().startsWith("late reply dropped")),
      5000,
      "late reply",
    );
    const seen = await pool.invoke("hang", "cancels", {}, {});
    const { cancelled, hung } =
      (seen as { result: { cancelled: string[]; hung: string[] } }).result;
    assert.equal(hung.length, 2);
    assert.deepEqual([...cancelled].sort(), [...hung].sort());
    assert.equal(pool.list()[0].in_flight, 0);
    assert.equal(pool.list()[0].status, "ready");
  } finally {
    await pool.shutdown();
  }
});
