// The pool options stage-2 jobs use (CONTRACT §5.11, §9.7): a caller-chosen invoke_id, an absolute
// deadline that bypasses the 1–90 s clamp, and cancellation through an AbortSignal that sends
// `_cancel_invoke` when the plugin already has the invoke (and never sends it otherwise).
import assert from "node:assert/strict";
import { makePool, nodeSpec } from "./fixtures/executas/harness.ts";
import { newJobId } from "../lib/util/ids.ts";

type Loose = { ok: boolean; result?: Record<string, unknown>; error?: Record<string, unknown> };

Deno.test("invokeId and deadlineAt reach the plugin unclamped; onSent reports the id", async () => {
  const { pool } = makePool();
  await pool.register([nodeSpec("jobs")]);
  try {
    const id = newJobId();
    const deadlineAt = Date.now() + 2 * 3600_000; // far beyond the 90 s invoke clamp
    const sent: string[] = [];
    const r = await pool.invoke("jobs", "echo", { a: 1 }, {
      invokeId: id,
      deadlineAt,
      timeoutMs: 5, // ignored when deadlineAt is given
      onSent: (x) => sent.push(x),
    }) as Loose;
    assert.equal(r.ok, true);
    assert.equal(r.result!.invoke_id, id);
    assert.deepEqual(r.result!.context, {
      invoke_id: id,
      deadline_ms: deadlineAt,
      plugin_name: "jobs",
      credentials: {},
    });
    assert.deepEqual(sent, [id]);
  } finally {
    await pool.shutdown();
  }
});

Deno.test("aborting a sent invoke sends _cancel_invoke and settles it as cancelled", async () => {
  const { pool } = makePool();
  await pool.register([nodeSpec("jobs")]);
  try {
    const id = newJobId();
    const ac = new AbortController();
    const r = await pool.invoke("jobs", "hang", {}, {
      invokeId: id,
      deadlineAt: Date.now() + 3600_000,
      signal: ac.signal,
      onSent: () => ac.abort(),
    });
    assert.deepEqual(r, {
      ok: false,
      error: {
        code: "cancelled",
        message: `invoke ${id} was cancelled`,
        details: { invoke_id: id, sent: true },
      },
    });
    // stdin writes are serialised: the notification precedes this request
    const seen = await pool.invoke("jobs", "cancels", {}, {}) as Loose;
    assert.deepEqual(seen.result, { cancelled: [id], hung: [id] });
    assert.equal(pool.list()[0].in_flight, 0);
  } finally {
    await pool.shutdown();
  }
});

Deno.test("an invoke aborted before it was sent never reaches the plugin", async () => {
  const { pool } = makePool();
  await pool.register([nodeSpec("jobs")]);
  try {
    const ac = new AbortController();
    ac.abort();
    let sent = false;
    const r = await pool.invoke("jobs", "echo", { n: 777 }, {
      invokeId: "tjob_0123456789abcdef0123456789abcdef",
      deadlineAt: Date.now() + 60_000,
      signal: ac.signal,
      onSent: () => (sent = true),
    }) as Loose;
    assert.equal(r.error!.code, "cancelled");
    assert.deepEqual(r.error!.details, {
      invoke_id: "tjob_0123456789abcdef0123456789abcdef",
      sent: false,
    });
    assert.equal(sent, false);
    const seen = await pool.invoke("jobs", "seen", {}, {}) as Loose;
    assert.deepEqual(seen.result, [null], "only the `seen` call itself reached the plugin");
  } finally {
    await pool.shutdown();
  }
});
