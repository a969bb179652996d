/**
 * A plugin's reverse request with `"id": null` is a request, not a notification (CONTRACT §9.8:
 * only a message without an `id` member is one): it is answered, with id null. It used to be
 * dropped, and the plugin waited for the answer until its invoke timed out.
 */
import assert from "node:assert/strict";
import { makePool, nodeSpec } from "./fixtures/executas/harness.ts";

Deno.test("reverse RPC: a request with id null is answered with id null", async () => {
  const { pool } = makePool();
  await pool.register([nodeSpec("nid")]);
  try {
    const r = await pool.invoke("nid", "null_id_call", {
      method: "storage/set",
      params: { key: "k", value: 1 },
    }, { app: null });
    assert.equal(r.ok, true, JSON.stringify(r));
    const answer = (r as { result: { result?: Record<string, unknown> } }).result;
    assert.equal(answer.result?.generation, 1, JSON.stringify(answer));
    assert.equal(answer.result?.size_bytes, 1);
    assert.match(String(answer.result?.etag), /^W\/"1-[0-9a-f]{16}"$/);
    // and it really ran: the value is there for the next call
    const back = await pool.invoke("nid", "call", {
      calls: [{ method: "storage/get", params: { key: "k" } }],
    }, { app: null });
    assert.equal(
      (back as { result: { responses: { result: { value: unknown } }[] } }).result.responses[0]
        .result.value,
      1,
    );
  } finally {
    await pool.shutdown();
  }
});
