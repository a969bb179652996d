// Reverse RPC (CONTRACT §9.8): invoke-context routing, sampling/embeddings authorisation, limits
// and error codes, -32601 for unavailable methods.
// deno-lint-ignore-file no-explicit-any -- assertions walk plugin JSON
import assert from "node:assert/strict";
import { appContext, fakeLlm, makePool, nodeSpec } from "./fixtures/executas/harness.ts";
import type { AppContext } from "../lib/executa/types.ts";
import type { ExecutaPool } from "../lib/executa/mod.ts";
import { routeInvoke } from "../lib/executa/reverse.ts";
import { createProvider } from "../lib/llm/mod.ts";
import { silentLogger } from "../lib/util/log.ts";
import type { InvokeContext } from "../lib/executa/process.ts";

type Resp = { result?: any; error?: { code: number; message: string; data?: any } };
const msg = (text: string) => ({ role: "user", content: { type: "text", text } });

/** Runs the fixture's `call` tool and answers the reverse responses it got. */
async function calls(
  pool: ExecutaPool,
  tool: string,
  args: Record<string, unknown>,
  app: AppContext | null = null,
  timeoutMs?: number,
): Promise<Resp[]> {
  const r = await pool.invoke(tool, "call", args, { app, timeoutMs });
  assert.equal(r.ok, true, JSON.stringify(r));
  return (r as { result: { responses: Resp[] } }).result.responses;
}
const one = async (...a: Parameters<typeof calls>) => (await calls(...a))[0];

Deno.test("sampling: authorisation, limits and provider errors", async (t) => {
  const { pool, llm } = makePool();
  await pool.register([
    nodeSpec("s-plain"),
    nodeSpec("s-declared", ["--declare=llm.sample,llm.embed"]),
  ]);
  const sample = (extra: Record<string, unknown> = {}) => ({
    method: "sampling/createMessage",
    params: { messages: [msg("hello")], maxTokens: 10, ...extra },
  });
  try {
    await t.step("no app context → allowed; lookup keys and result shape", async () => {
      const r = await one(pool, "s-plain", sample({ system: "be brief" }));
      assert.equal(r.result.content.text, "echo:hello");
      const call = llm.calls.at(-1)!;
      assert.deepEqual(call.opts?.lookupKeys, ["sampling/createMessage", "llm/complete"]);
      assert.equal(call.args.systemPrompt, "be brief");
      assert.equal(call.args.maxTokens, 10);
    });

    await t.step("app without llm.complete and no declaration → -32001", async () => {
      const r = await one(pool, "s-plain", sample(), appContext());
      assert.deepEqual(r.error, {
        code: -32001,
        message:
          "sampling not granted: executa does not declare llm.sample and the app does not grant llm.complete",
      });
    });

    await t.step(
      "app granting llm.complete, or a declaring executa → allowed; app mocks passed",
      async () => {
        const mocks = [{ ns: "sampling", method: "createMessage", result: {} }];
        const granted = await one(
          pool,
          "s-plain",
          sample(),
          appContext({ grants: ["llm.complete"], mocks }),
        );
        assert.equal(granted.result.model, "fake-model");
        assert.equal(llm.calls.at(-1)!.opts?.extraMocks, mocks);
        const declared = await one(pool, "s-declared", sample(), appContext());
        assert.equal(declared.result.content.text, "echo:hello");
      },
    );

    await t.step("invalid messages → -32004; maxTokens > 8192 → -32007", async () => {
      const codes = (await calls(pool, "s-plain", {
        calls: [
          { method: "sampling/createMessage", params: { messages: [] } },
          { method: "sampling/createMessage", params: { messages: Array(65).fill(msg("x")) } },
          {
            method: "sampling/createMessage",
            params: { messages: [{ role: "bot", content: "x" }] },
          },
          { method: "sampling/createMessage", params: { messages: [msg("x")], maxTokens: 8193 } },
          { method: "sampling/createMessage", params: { messages: [msg("x")], maxTokens: 8192 } },
          { method: "sampling/createMessage", params: { messages: Array(64).fill(msg("x")) } },
        ],
      })).map((r) => r.error?.code ?? "ok");
      assert.deepEqual(codes, [-32004, -32004, -32004, -32007, "ok", "ok"]);
    });

    await t.step("temperature 0..2 and stopSequences of strings, else -32004", async () => {
      const cases: [Record<string, unknown>, string | number][] = [
        [{ temperature: 2 }, "ok"],
        [{ temperature: 0 }, "ok"],
        [{ temperature: 2.01 }, -32004],
        [{ temperature: -0.1 }, -32004],
        [{ temperature: "1" }, -32004],
        [{ stopSequences: ["END"] }, "ok"],
        [{ stop: ["END"] }, "ok"],
        [{ stopSequences: ["END", 1] }, -32004],
        [{ stopSequences: "END" }, -32004],
      ];
      const got = await calls(pool, "s-plain", { calls: cases.map(([extra]) => sample(extra)) });
      assert.deepEqual(
        got.map((r) => r.error?.code ?? "ok"),
        cases.map(([, want]) => want),
      );
    });

    await t.step("more than 8 calls per invoke → -32006", async () => {
      const codes = (await calls(pool, "s-plain", { ...sample(), times: 9 })).map((r) =>
        r.error?.code ?? "ok"
      );
      assert.deepEqual(codes, [...Array(8).fill("ok"), -32006]);
    });

    await t.step(
      "more than 32 000 requested tokens per invoke → -32007 (absent maxTokens = 4096)",
      async () => {
        const big = await calls(pool, "s-plain", { ...sample({ maxTokens: 8000 }), times: 5 });
        assert.deepEqual(big.map((r) => r.error?.code ?? "ok"), ["ok", "ok", "ok", "ok", -32007]);
        const dflt = await calls(pool, "s-plain", {
          method: "sampling/createMessage",
          params: { messages: [msg("x")] },
          times: 8,
        });
        assert.deepEqual(dflt.map((r) => r.error?.code ?? "ok"), [...Array(7).fill("ok"), -32007]);
      },
    );
  } finally {
    await pool.shutdown();
  }
});

Deno.test("sampling: calls refused as invalid (-32004) spend none of the per-invoke budget", async () => {
  // the real mock provider: it is the one that refuses an unknown content block
  const llm = createProvider({ mode: "mock", mocks: [], logger: silentLogger() });
  const { pool } = makePool(llm as unknown as Parameters<typeof makePool>[0]);
  await pool.register([nodeSpec("s-budget")]);
  try {
    const bad = {
      method: "sampling/createMessage",
      params: { messages: [{ role: "user", content: { type: "foo" } }], maxTokens: 4000 },
    };
    const good = { method: "sampling/createMessage", params: { messages: [msg("hi")] } };
    const rs = await calls(pool, "s-budget", { calls: [...Array(8).fill(bad), good, good] });
    assert.deepEqual(rs.slice(0, 8).map((r) => r.error?.code), Array(8).fill(-32004));
    assert.equal(rs[8].result?.content?.text, "[mock] hi", JSON.stringify(rs[8]));
    assert.equal(rs[9].result?.content?.text, "[mock] hi", JSON.stringify(rs[9]));
  } finally {
    await pool.shutdown();
  }
});

Deno.test("sampling/embeddings with the LLM off, failing or past the deadline", async () => {
  const off = makePool(fakeLlm({ mode: "off" }));
  const details = { reason: "http", status: 500, body: "oops" };
  const broken = makePool(
    fakeLlm({ fail: { code: "provider_error", message: "upstream 500", details } }),
  );
  const slow = makePool(fakeLlm({ delayMs: 5000 }));
  for (const p of [off, broken, slow]) await p.pool.register([nodeSpec("llm")]);
  const both = {
    calls: [
      { method: "sampling/createMessage", params: { messages: [msg("x")] } },
      { method: "embeddings/create", params: { input: "x" } },
    ],
  };
  try {
    const [o, b, s] = await Promise.all([
      calls(off.pool, "llm", both),
      calls(broken.pool, "llm", both),
      calls(slow.pool, "llm", both, null, 1000),
    ]);
    const noLlm = { code: -32603, message: "harness started with --no-llm" };
    assert.deepEqual(o.map((r) => r.error), [noLlm, noLlm]);
    assert.deepEqual(b.map((r) => [r.error?.code, r.error?.message]), [
      [-32003, "upstream 500"],
      [-32603, "upstream 500"],
    ]);
    // both carry the provider's reason and status
    const data = { code: "provider_error", details };
    assert.deepEqual(b.map((r) => r.error?.data), [data, data]);
    // past the deadline: sampling has its own code, embeddings' failures are all -32603 (§9.8)
    assert.deepEqual(s.map((r) => [r.error?.code, r.error?.message]), [
      [-32005, "the invoke deadline has passed"],
      [-32603, "the invoke deadline has passed"],
    ]);
  } finally {
    await Promise.all([off, broken, slow].map((p) => p.pool.shutdown()));
  }
});

Deno.test("embeddings: authorisation and validation", async () => {
  const { pool, llm } = makePool();
  await pool.register([nodeSpec("e-plain"), nodeSpec("e-declared", ["--declare=llm.embed"])]);
  const embed = { method: "embeddings/create", params: { input: ["a", "b"], model: "m" } };
  try {
    assert.equal((await one(pool, "e-plain", embed)).result.object, "list");
    assert.deepEqual(llm.calls.at(-1)!.opts?.lookupKeys, ["embeddings/create", "llm/embed"]);
    assert.deepEqual(llm.calls.at(-1)!.args, { input: ["a", "b"], model: "m" });
    const denied = await one(pool, "e-plain", embed, appContext({ grants: ["llm.complete"] }));
    assert.equal(denied.error?.code, -32501);
    assert.equal(
      (await one(pool, "e-plain", embed, appContext({ grants: ["llm.embed"] }))).result.object,
      "list",
    );
    assert.equal((await one(pool, "e-declared", embed, appContext())).result.object, "list");
    const bad = await calls(pool, "e-plain", {
      calls: [
        { method: "embeddings/create", params: { input: [] } },
        { method: "embeddings/create", params: { input: Array(257).fill("x") } },
        { method: "embeddings/create", params: { input: 5 } },
        { method: "embeddings/create", params: { input: ["x", 1] } },
      ],
    });
    assert.deepEqual(bad.map((r) => r.error?.code), [-32602, -32602, -32602, -32602]);
    // the limits themselves: 256 inputs, 1 MiB counted in UTF-8 bytes (é is two)
    const MiB = 1024 * 1024;
    const edge = await calls(pool, "e-plain", {
      calls: [
        { method: "embeddings/create", params: { input: Array(256).fill("x") } },
        { method: "embeddings/create", params: { input: ["é".repeat(MiB / 2)] } },
        { method: "embeddings/create", params: { input: ["é".repeat(MiB / 2), "x"] } },
      ],
    });
    assert.deepEqual(edge.map((r) => r.error?.code ?? "ok"), ["ok", "ok", -32602]);
    assert.match(edge[2].error!.message, /1048576 bytes/);
  } finally {
    await pool.shutdown();
  }
});

Deno.test("invoke-context routing and unavailable methods", async () => {
  const { pool } = makePool();
  await pool.register([nodeSpec("route")]);
  const s = { method: "sampling/createMessage", params: { messages: [msg("r")] } };
  try {
    for (const ctx of ["context", "invoke_id", "metadata", "none"]) {
      const r = await one(pool, "route", { ...s, ctx });
      assert.equal(r.result?.content.text, "echo:r", ctx);
    }
    const unknown = await one(pool, "route", { ...s, ctx: "bogus" });
    assert.equal(unknown.error?.code, -32602);
    assert.equal(unknown.error?.message, "UNKNOWN_INVOKE_CONTEXT");
    // two invokes in flight and no id → MISSING_INVOKE_CONTEXT for both
    const both = await Promise.all(
      [1, 2].map(() => one(pool, "route", { ...s, ctx: "none", together: 2 })),
    );
    for (const r of both) {
      assert.equal(r.error?.code, -32602);
      assert.equal(r.error?.message, "MISSING_INVOKE_CONTEXT");
    }
    for (
      const m of ["files/upload_begin", "agent/session.create", "host/uploadFile", "storage/purge"]
    ) {
      assert.deepEqual((await one(pool, "route", { method: m, params: {} })).error, {
        code: -32601,
        message: `method not available in this runtime: ${m}`,
      });
    }
  } finally {
    await pool.shutdown();
  }
});

Deno.test("a reverse request written right after the invoke's reply is no longer in its context", async () => {
  const { pool, llm } = makePool();
  await pool.register([nodeSpec("after", ["--declare=llm.sample"])]);
  const app = appContext();
  try {
    // reply and request arrive in one chunk: the invoke has ended before the request is read
    for (
      const c of [
        { method: "sampling/createMessage", params: { messages: [msg("late")] } },
        { method: "storage/set", params: { key: "late", value: 1 } },
      ]
    ) {
      const done = await pool.invoke("after", "reply_then_call", c, { app });
      assert.deepEqual(done, { ok: true, result: "done" });
      const r = await pool.invoke("after", "after_reply", {}, { app });
      assert.equal((r as any).result?.error?.code, -32602, JSON.stringify(r));
      assert.equal((r as any).result?.error?.message, "UNKNOWN_INVOKE_CONTEXT");
    }
    assert.equal(llm.calls.length, 0, "no sampling was spent for an ended invoke");
    const got = await pool.invoke("after", "call", {
      method: "storage/get",
      params: { key: "late" },
    }, { app });
    assert.equal((got as any).result.responses[0].result.exists, false);
  } finally {
    await pool.shutdown();
  }
});

Deno.test("invoke-context precedence: context.invoke_id, then invoke_id, then metadata.executa_invoke_id, then metadata.invoke_id", () => {
  const invokes = new Map<string, InvokeContext>();
  for (const id of ["a", "b", "c", "d"]) invokes.set(id, { id } as unknown as InvokeContext);
  const route = (params: unknown) => (routeInvoke(invokes, params) as unknown as { id: string }).id;
  const all = {
    context: { invoke_id: "a" },
    invoke_id: "b",
    metadata: { executa_invoke_id: "c", invoke_id: "d" },
  };
  assert.equal(route(all), "a");
  assert.equal(route({ ...all, context: {} }), "b");
  assert.equal(route({ ...all, context: { invoke_id: "" }, invoke_id: null }), "c");
  assert.equal(route({ metadata: { invoke_id: "d" } }), "d");
  assert.equal(route({ metadata: { executa_invoke_id: "", invoke_id: "d" } }), "d");
  // a named id wins over "the only one in flight", and a wrong one is not guessed
  const single = new Map([["only", { id: "only" } as unknown as InvokeContext]]);
  assert.throws(() => routeInvoke(single, { invoke_id: "a" }), /UNKNOWN_INVOKE_CONTEXT/);
  assert.equal((routeInvoke(single, {}) as unknown as { id: string }).id, "only");
});
