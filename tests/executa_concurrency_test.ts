// 50 concurrent invokes on one executa, each doing reverse sampling (CONTRACT §9.5, §9.8): every
// sampling request is routed to its own invoke and every reply to the right caller.
// deno-lint-ignore-file no-explicit-any -- assertions walk plugin JSON
import assert from "node:assert/strict";
import { makePool, nodeSpec } from "./fixtures/executas/harness.ts";

Deno.test("50 concurrent invokes with reverse sampling on one process", async () => {
  const { pool, llm, events } = makePool();
  await pool.register([nodeSpec("conc")]);
  try {
    const ns = Array.from({ length: 50 }, (_, i) => i);
    const results = await Promise.all(ns.map((n) => pool.invoke("conc", "sample", { n }, {})));
    const spawned = events.filter((e) => e.type === "executa" && e.status === "ready");
    assert.equal(spawned.length, 1, "one process served every call");
    for (const [n, r] of results.entries()) {
      assert.equal(r.ok, true, JSON.stringify(r));
      const res = (r as { result: Record<string, any> }).result;
      assert.equal(res.n, n);
      assert.match(res.invoke_id, /^inv_[0-9a-f]{32}$/);
      assert.equal(res.reverse.result.content.text, `echo:n=${n}`);
    }
    assert.equal(
      new Set(results.map((r) => (r as { result: { invoke_id: string } }).result.invoke_id)).size,
      50,
    );
    assert.equal(llm.calls.length, 50);
    assert.equal(pool.list()[0].in_flight, 0);
  } finally {
    await pool.shutdown();
  }
});
