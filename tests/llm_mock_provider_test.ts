/** Mock and off modes of the provider (CONTRACT §10.1, §10.3, §10.4) and mock-table answers. */
import assert from "node:assert/strict";
import { createProvider, type LlmResult, type MockEntry } from "../lib/llm/mod.ts";

const mock = (mocks: MockEntry[] = []) => createProvider({ mode: "mock", mocks });
const user = (content: unknown) => ({ role: "user", content });

function result(r: LlmResult): Record<string, unknown> {
  assert.ok(r.ok, JSON.stringify(r));
  return r.result as Record<string, unknown>;
}

Deno.test("echo answers with the last user message and contract usage numbers", async () => {
  const args = {
    systemPrompt: "You are terse.", // 14 chars
    messages: [
      user("ignored earlier"), // 15
      { role: "assistant", content: "ok" }, // 2
      user([{ type: "text", text: "Hello" }, { type: "text", text: "world" }]), // 5 + 5
    ],
  };
  const r = result(await mock().complete(args));
  const text = "[mock] Hello\nworld";
  // match text = "You are terse.\nignored earlier\nok\nHello\nworld" = 14+1+15+1+2+1+5+1+5 = 45 chars
  assert.deepEqual(r, {
    role: "assistant",
    content: { type: "text", text },
    model: "mock-echo",
    stopReason: "endTurn",
    usage: { inputTokens: 12, outputTokens: 5, totalTokens: 17 },
    _meta: { provider: "echo", latencyMs: 0 },
  });
});

Deno.test("echo cuts the user text at 200 characters with …", async () => {
  const long = "abcdefghij".repeat(25); // 250 chars
  const r = result(await mock().complete({ messages: [user(long)] }));
  const text = (r.content as { text: string }).text;
  assert.equal(text, "[mock] " + long.slice(0, 200) + "…");
  const exact = "x".repeat(200);
  const r2 = result(await mock().complete({ messages: [user(exact)] }));
  assert.equal((r2.content as { text: string }).text, "[mock] " + exact);
  // the cut counts characters, not UTF-16 units
  const emoji = "😀".repeat(201);
  const r3 = result(await mock().complete({ messages: [user(emoji)] }));
  assert.equal((r3.content as { text: string }).text, "[mock] " + "😀".repeat(200) + "…");
});

Deno.test("echo without a user message", async () => {
  const r = result(await mock().complete({ messages: [{ role: "system", content: "sys only" }] }));
  assert.equal((r.content as { text: string }).text, "[mock] (no user message)");
  // "sys only" = 8 chars → 2; "[mock] (no user message)" = 24 chars → 6
  assert.deepEqual(r.usage, { inputTokens: 2, outputTokens: 6, totalTokens: 8 });
});

/** §10.4 recomputed here with WebCrypto, independently of the implementation. */
async function expectedVector(input: string): Promise<number[]> {
  const v: number[] = [];
  for (let half = 0; half < 2; half++) {
    const d = new Uint8Array(
      await crypto.subtle.digest("SHA-256", new TextEncoder().encode(`${input}#${half}`)),
    );
    for (const b of d) v.push(b / 127.5 - 1);
  }
  const norm = Math.sqrt(v.reduce((s, x) => s + x * x, 0));
  return v.map((x) => x / norm);
}

Deno.test("deterministic embeddings: 64 dims, unit norm, the contract algorithm", async () => {
  const p = mock();
  const r = result(await p.embed({ input: ["hello", "wörld"] }));
  const data = r.data as { object: string; index: number; embedding: number[] }[];
  assert.equal(r.object, "list");
  assert.equal(r.model, "mock-embed");
  assert.deepEqual(r.usage, { prompt_tokens: 4, total_tokens: 4 });
  assert.deepEqual(r._meta, { provider: "mock", dimensions: 64, latencyMs: 0 });
  assert.equal(data.length, 2);
  for (const [i, input] of ["hello", "wörld"].entries()) {
    assert.equal(data[i].object, "embedding");
    assert.equal(data[i].index, i);
    assert.equal(data[i].embedding.length, 64);
    const norm = Math.sqrt(data[i].embedding.reduce((s, x) => s + x * x, 0));
    assert.ok(Math.abs(norm - 1) < 1e-12);
    const want = await expectedVector(input);
    data[i].embedding.forEach((x, j) => assert.ok(Math.abs(x - want[j]) < 1e-12, `${input}[${j}]`));
  }
  // same input, same vector; a different input differs
  const again = result(await p.embed({ input: "hello", model: "custom" }));
  assert.equal(again.model, "custom");
  assert.deepEqual((again.data as { embedding: number[] }[])[0].embedding, data[0].embedding);
  assert.notDeepEqual(data[0].embedding, data[1].embedding);
});

Deno.test("off mode answers llm_disabled and never consults the table", async () => {
  const table: MockEntry[] = [
    { ns: "llm", method: "complete", result: "mocked" },
    { ns: "llm", method: "embed", result: "mocked" },
  ];
  const p = createProvider({ mode: "off", mocks: table });
  assert.equal(p.mode, "off");
  const want = {
    ok: false,
    error: { code: "llm_disabled", message: "harness started with --no-llm" },
  };
  assert.deepEqual(await p.complete({ messages: [user("hi")] }), want);
  assert.deepEqual(await p.embed({ input: "x" }), want);
  assert.deepEqual(await p.complete({ messages: [user("hi")] }, { extraMocks: table }), want);
  // other namespaces' mocks (§5.9) still work
  const img: MockEntry = { ns: "image", method: "generate", result: { images: [] } };
  assert.equal(p.lookupMock("image", "generate", {}, [img]), img);
});

Deno.test("a matching result is returned verbatim; a matching error answers that error", async () => {
  const verbatim = {
    role: "assistant",
    content: { type: "text", text: "Sunny" },
    model: "m",
    odd: [1],
  };
  const p = mock([
    { ns: "llm", method: "complete", match: { contentIncludes: "weather" }, result: verbatim },
    {
      ns: "llm",
      method: "complete",
      match: { contentIncludes: "fail" },
      error: { code: "provider_error", message: "down", details: { reason: "http" } },
    },
    { ns: "llm", method: "embed", match: { contentIncludes: "vec" }, result: { data: "fixed" } },
  ]);
  assert.deepEqual(await p.complete({ messages: [user("the weather?")] }), {
    ok: true,
    result: verbatim,
  });
  assert.deepEqual(await p.complete({ messages: [user("please fail")] }), {
    ok: false,
    error: { code: "provider_error", message: "down", details: { reason: "http" } },
  });
  assert.deepEqual(await p.embed({ input: ["a", "vec"] }), { ok: true, result: { data: "fixed" } });
  // unmatched falls through to echo
  const echo = result(await p.complete({ messages: [user("other")] }));
  assert.equal(echo.model, "mock-echo");
});

Deno.test("lookupKeys order and extraMocks after the provider's table", async () => {
  const sampling: MockEntry = { ns: "sampling", method: "createMessage", result: "from sampling" };
  const complete: MockEntry = { ns: "llm", method: "complete", result: "from complete" };
  const keys = ["sampling/createMessage", "llm/complete"];
  const args = { messages: [user("x")] };
  // the table has only llm/complete; the session's extra mocks have sampling/createMessage
  const p = mock([complete]);
  assert.deepEqual(await p.complete(args, { lookupKeys: keys, extraMocks: [sampling] }), {
    ok: true,
    result: "from sampling",
  });
  assert.deepEqual(await p.complete(args, { lookupKeys: keys }), {
    ok: true,
    result: "from complete",
  });
  // the provider's table wins over the extra mocks for the same key
  const extra: MockEntry = { ns: "llm", method: "complete", result: "from extra" };
  assert.deepEqual(await p.complete(args, { extraMocks: [extra] }), {
    ok: true,
    result: "from complete",
  });
  assert.deepEqual(await mock().complete(args, { extraMocks: [extra] }), {
    ok: true,
    result: "from extra",
  });
});

Deno.test("lookupMock matches other calls on JSON.stringify(args)", () => {
  const logo: MockEntry = {
    ns: "image",
    method: "generate",
    match: { promptIncludes: '"logo' },
    result: 1,
  };
  const p = mock([logo]);
  assert.equal(p.lookupMock("image", "generate", { prompt: "logo please" }), logo);
  assert.equal(p.lookupMock("image", "generate", { prompt: "a cat" }), undefined);
  assert.equal(p.lookupMock("image", "edit", { prompt: "logo" }), undefined);
});

Deno.test("invalid args give invalid_arg with issues", async () => {
  const r = await mock().complete({ messages: [] });
  assert.equal(r.ok, false);
  if (!r.ok) {
    assert.equal(r.error.code, "invalid_arg");
    assert.equal((r.error.details?.issues as { path: string }[])[0].path, "messages");
  }
});
