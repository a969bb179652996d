// Handshake (CONTRACT §9.6): initialize params, v1/v2 negotiation, the 5 s fallback with queued
// invokes sent in arrival order, late v2 upgrade, cached describe and declared capabilities.
import assert from "node:assert/strict";
import { appContext, makePool, nodeSpec, pySpec, waitFor } from "./fixtures/executas/harness.ts";
import { declaredCapabilities, initResultIfV2 } from "../lib/executa/handshake.ts";
import { healthReport } from "../lib/executa/health.ts";

Deno.test("initialize params, v2 reply and cached describe", async () => {
  const { pool } = makePool();
  await pool.register([nodeSpec("hs-v2")]);
  try {
    const r = await pool.invoke("hs-v2", "init_params", {}, {});
    assert.deepEqual(r, {
      ok: true,
      result: {
        protocolVersion: "2.0",
        clientInfo: { name: "anna-app-runtime", version: "0.0.0-test" },
        capabilities: {
          sampling: { modalities: ["text"], maxTokensPerCall: 8192, maxCallsPerInvoke: 8 },
          fileTransport: true,
        },
        host_capabilities: { "llm.sample": true, "llm.embed": true },
      },
    });
    const row = pool.list()[0];
    assert.equal(row.protocol, "v2");
    assert.equal(row.describe?.name, "fault-plugin");
    const s = await pool.ensureStarted("hs-v2");
    assert.equal(s.ok && s.protocol, "v2");
    const h = await pool.health("hs-v2");
    assert.deepEqual(h, { ok: true, status: "healthy", result: { status: "ok" } });
  } finally {
    await pool.shutdown();
  }
});

Deno.test("initialize -32601 (python) and a non-v2 result → v1, still usable", async () => {
  const { pool } = makePool();
  await pool.register([
    pySpec("hs-nf", "method_not_found"),
    nodeSpec("hs-v1r", ["--init=v1result"]),
    nodeSpec("hs-v1c", ["--init=v1caps"]),
  ]);
  try {
    const [a, b] = await Promise.all([
      pool.invoke("hs-nf", "echo", { x: 1 }, {}),
      pool.invoke("hs-v1r", "echo", {}, {}),
    ]);
    assert.deepEqual(a, { ok: true, result: { echo: { x: 1 }, mode: "method_not_found" } });
    assert.equal(b.ok, true);
    const rows = Object.fromEntries(pool.list().map((r) => [r.tool_id, r]));
    assert.equal(rows["hs-nf"].protocol, "v1");
    assert.deepEqual(rows["hs-nf"].describe, { name: "v1-plugin", tools: [{ name: "echo" }] });
    assert.equal(rows["hs-v1r"].protocol, "v1");
    // a v1 initialize result still declares capabilities (§9.6: whatever the negotiated version)
    const sample = {
      method: "sampling/createMessage",
      params: { messages: [{ role: "user", content: "hi" }] },
    };
    const code = async (tool: string) => {
      const r = await pool.invoke(tool, "call", sample, { app: appContext() });
      return (r as { result: { responses: { error?: { code: number } }[] } }).result.responses[0]
        .error?.code ?? "ok";
    };
    assert.equal(await code("hs-v1c"), "ok", "declared by the initialize result");
    assert.equal(await code("hs-v1r"), -32001, "nothing declared, nothing granted");
    assert.equal(pool.list().find((r) => r.tool_id === "hs-v1c")?.protocol, "v1");
    assert.deepEqual(await pool.health("hs-nf"), {
      ok: true,
      status: "not_implemented",
      result: null,
      error: { code: -32601, message: "Method not found" },
    });
  } finally {
    await pool.shutdown();
  }
});

Deno.test("no initialize reply → v1 after 5 s, queued invokes in arrival order; late v2 upgrades", async () => {
  const { pool, logs } = makePool();
  await pool.register([nodeSpec("hs-silent", ["--init=none"]), pySpec("hs-late", "late")]);
  try {
    const started = Date.now();
    const queued = [0, 1, 2, 3, 4].map((n) => pool.invoke("hs-silent", "echo", { n }, {}));
    const late = pool.invoke("hs-late", "echo", { y: 2 }, {});
    assert.equal(pool.get("hs-silent")?.status, "starting");
    const results = await Promise.all(queued);
    assert.ok(Date.now() - started >= 5000, "waited for the 5 s initialize timeout");
    assert.ok(results.every((r) => r.ok));
    assert.deepEqual(await pool.invoke("hs-silent", "seen", {}, {}), {
      ok: true,
      result: [0, 1, 2, 3, 4, null],
    });
    assert.equal(pool.list()[0].protocol, "v1");

    assert.deepEqual(await late, { ok: true, result: { echo: { y: 2 }, mode: "late" } });
    await waitFor(() => pool.list()[1].protocol === "v2", 3000, "late v2 upgrade");
    assert.ok(logs.some((l) => l.msg === "late initialize reply: upgraded to protocol v2"));
  } finally {
    await pool.shutdown();
  }
});

Deno.test("declared capabilities come from describe or the initialize capability maps", () => {
  assert.deepEqual(declaredCapabilities(null, { host_capabilities: ["llm.sample"] }), {
    sample: true,
    embed: false,
  });
  assert.deepEqual(declaredCapabilities({ client_capabilities: { sampling: {} } }, null), {
    sample: true,
    embed: false,
  });
  assert.deepEqual(declaredCapabilities({ capabilities: { embeddings: {} } }, { tools: [] }), {
    sample: false,
    embed: true,
  });
  assert.deepEqual(
    declaredCapabilities({ capabilities: {} }, { host_capabilities: "llm.sample" }),
    {
      sample: false,
      embed: false,
    },
  );
});

Deno.test("handshake: v2 iff a result object with no error key and protocolVersion absent or 2… (§9.6)", () => {
  const version = (msg: Record<string, unknown>) =>
    initResultIfV2({ kind: "response", msg }) ? "v2" : "v1";
  const cases: [Record<string, unknown>, string][] = [
    [{ result: {} }, "v2"],
    [{ result: { protocolVersion: "2" } }, "v2"],
    [{ result: { protocolVersion: "2.0" } }, "v2"],
    [{ result: { protocolVersion: 2 } }, "v2"],
    [{ result: { protocolVersion: "1.0" } }, "v1"],
    [{ result: { protocolVersion: null } }, "v1"],
    [{ result: { error: "x", protocolVersion: "2.0" } }, "v1"],
    [{ result: "ok" }, "v1"],
    [{ error: { code: -32601, message: "no" } }, "v1"],
  ];
  for (const [msg, want] of cases) assert.equal(version(msg), want, JSON.stringify(msg));
});

Deno.test("health: ok, ready, healthy or {ok:true} are healthy; -32601 not_implemented (§2.9)", () => {
  const status = (msg: Record<string, unknown>) =>
    (healthReport({ kind: "response", msg }, []) as { status: string }).status;
  for (const s of ["ok", "ready", "healthy"]) {
    assert.equal(status({ result: { status: s } }), "healthy");
  }
  assert.equal(status({ result: { ok: true } }), "healthy");
  assert.equal(status({ result: { ok: false } }), "unhealthy");
  assert.equal(status({ result: { status: "degraded" } }), "unhealthy");
  assert.equal(status({ error: { code: -32601, message: "nope" } }), "not_implemented");
  assert.equal(status({ error: { code: -32000, message: "down" } }), "unhealthy");
});
