/** `llm.*` through the core (CONTRACT §5.8, §10.1–§10.4). */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { makeRuntime, manifest, openSession } from "./helpers/runtime.ts";
import type { LlmProvider } from "../lib/llm/types.ts";
import { parseCompleteArgs } from "../lib/llm/mod.ts";

const LLM = { llm: ["complete", "embed"] };
const user = (content: unknown) => ({ role: "user", content });

/** §10.3 echo result, computed independently. */
function echo(matchText: string, lastUser: string | null) {
  const cs = lastUser === null ? null : [...lastUser];
  const text = cs === null
    ? "[mock] (no user message)"
    : "[mock] " + (cs.length > 200 ? cs.slice(0, 200).join("") + "…" : lastUser);
  const inputTokens = Math.ceil([...matchText].length / 4);
  const outputTokens = Math.ceil([...text].length / 4);
  return {
    role: "assistant",
    content: { type: "text", text },
    model: "mock-echo",
    stopReason: "endTurn",
    usage: { inputTokens, outputTokens, totalTokens: inputTokens + outputTokens },
    _meta: { provider: "echo", latencyMs: 0 },
  };
}

/** §10.4 vector, computed independently. */
function vector(input: string): number[] {
  const v: number[] = [];
  for (let j = 0; j < 64; j++) {
    const d = createHash("sha256").update(`${input}#${Math.floor(j / 32)}`).digest();
    v.push(d[j % 32] / 127.5 - 1);
  }
  const n = Math.sqrt(v.reduce((a, x) => a + x * x, 0));
  return v.map((x) => x / n);
}

Deno.test("llm.complete (mock mode): echo result shape and text", async () => {
  await using t = await makeRuntime();
  const s = await openSession(t, manifest(LLM));
  const one = await s.call("llm", "complete", { messages: [user("hello there")] });
  assert.deepEqual(one, { ok: true, result: echo("hello there", "hello there") });
  const multi = await s.call("llm", "complete", {
    systemPrompt: "be brief",
    messages: [user("first"), { role: "assistant", content: "x" }, user("second"), {
      role: "assistant",
      content: { type: "text", text: "y" },
    }],
  });
  assert.deepEqual(multi.result, echo("be brief\nfirst\nx\nsecond\ny", "second"));
  const none = await s.call("llm", "complete", {
    system: "sys",
    messages: [{ role: "system", content: "only system" }],
  });
  assert.deepEqual(none.result, echo("sys\nonly system", null));
  const long = "é".repeat(150) + "😀".repeat(100);
  const cut = await s.call("llm", "complete", { messages: [user(long)] });
  assert.deepEqual(cut.result, echo(long, long));
  assert.equal(cut.result.content.text, "[mock] " + [...long].slice(0, 200).join("") + "…");
  const exactly = "a".repeat(200);
  const notCut = await s.call("llm", "complete", { messages: [user(exactly)] });
  assert.equal(notCut.result.content.text, "[mock] " + exactly);
  const blocks = await s.call("llm", "complete", {
    messages: [user({ type: "text", text: "block" })],
  });
  assert.equal(blocks.result.content.text, "[mock] block");
  const img = await s.call("llm", "complete", {
    messages: [
      user([{ type: "text", text: "look" }, {
        type: "image",
        data: "AAAA",
        mimeType: "image/png",
      }]),
    ],
  });
  assert.equal(img.result.content.text, "[mock] look");
});

Deno.test("llm.complete: valid args reach the provider as sent (it applies maxTokens default and clamp)", async () => {
  const seen: Record<string, unknown>[] = [];
  const spy = (inner: LlmProvider): LlmProvider => ({
    mode: inner.mode,
    complete: (args, o) => {
      seen.push(args);
      return inner.complete(args, o);
    },
    embed: (args, o) => inner.embed(args, o),
    lookupMock: (...a) => inner.lookupMock(...a),
  });
  await using t = await makeRuntime({ wrapLlm: spy });
  const s = await openSession(t, manifest(LLM));
  const msgs = [user("x")];
  const sent = [{}, { maxTokens: 40000 }, { max_tokens: 100 }, { maxTokens: 7, max_tokens: 9 }];
  for (const args of sent) {
    const r = await s.call("llm", "complete", { messages: msgs, ...args });
    assert.equal(r.ok, true, JSON.stringify(args));
  }
  assert.deepEqual(seen, sent.map((a) => ({ messages: msgs, ...a })));
  // what the provider derives from them (§5.8): default 4096, clamp 32768, canonical name wins
  assert.deepEqual(
    seen.map((a) => (parseCompleteArgs(a) as { value: { maxTokens: number } }).value.maxTokens),
    [4096, 32768, 100, 7],
  );
});

Deno.test("llm.complete: validation → invalid_arg with details.issues naming the field", async () => {
  await using t = await makeRuntime();
  const s = await openSession(t, manifest(LLM));
  const msgs = [user("x")];
  const cases: [unknown, string][] = [
    [{}, "messages"],
    [{ messages: [] }, "messages"],
    [{ messages: Array(65).fill(user("x")) }, "messages"],
    [{ messages: "hi" }, "messages"],
    [{ messages: [{ role: "tool", content: "x" }] }, "messages"],
    [{ messages: [{ role: "user", content: 5 }] }, "messages"],
    [{ messages: [user({ type: "video" })] }, "messages"],
    [{ messages: msgs, maxTokens: 0 }, "maxTokens"],
    [{ messages: msgs, maxTokens: 1.5 }, "maxTokens"],
    [{ messages: msgs, max_tokens: "9" }, "max_tokens"],
    [{ messages: msgs, temperature: 2.5 }, "temperature"],
    [{ messages: msgs, temperature: -0.1 }, "temperature"],
    [{ messages: msgs, stopSequences: "x" }, "stopSequences"],
    [{ messages: msgs, stop: [1] }, "stop"],
    [{ messages: msgs, systemPrompt: 3 }, "systemPrompt"],
  ];
  for (const [args, field] of cases) {
    const r = await s.call("llm", "complete", args);
    assert.equal(r.ok, false, JSON.stringify(args));
    assert.equal(r.error.code, "invalid_arg");
    assert.ok(Array.isArray(r.error.details.issues) && r.error.details.issues.length > 0);
    assert.ok(
      r.error.details.issues[0].path.startsWith(field),
      `${JSON.stringify(args)}: ${r.error.details.issues[0].path}`,
    );
    assert.match(r.error.message, new RegExp(field));
  }
  assert.equal((await s.call("llm", "complete", { messages: Array(64).fill(user("x")) })).ok, true);
  const extra = {
    modelPreferences: { hints: [] },
    metadata: { a: 1 },
    includeContext: "none",
    temperature: 0,
  };
  assert.equal((await s.call("llm", "complete", { messages: msgs, ...extra })).ok, true);
  for (const args of ["hi", [user("x")], 1]) {
    const r = await s.call("llm", "complete", args);
    assert.equal(r.error.code, "invalid_arg");
    assert.equal(r.error.message, "args must be an object");
  }
});

Deno.test("llm.embed (mock mode): 64-dim deterministic vectors, shape, model, usage", async () => {
  await using t = await makeRuntime();
  const s = await openSession(t, manifest(LLM));
  const r = await s.call("llm", "embed", { input: "abcde" });
  assert.equal(r.ok, true);
  const { data, ...rest } = r.result;
  assert.deepEqual(rest, {
    object: "list",
    model: "mock-embed",
    usage: { prompt_tokens: 2, total_tokens: 2 },
    _meta: { provider: "mock", dimensions: 64, latencyMs: 0 },
  });
  assert.equal(data.length, 1);
  assert.deepEqual(Object.keys(data[0]).sort(), ["embedding", "index", "object"]);
  assert.equal(data[0].object, "embedding");
  assert.equal(data[0].index, 0);
  const want = vector("abcde");
  assert.equal(data[0].embedding.length, 64);
  data[0].embedding.forEach((x: number, i: number) =>
    assert.ok(Math.abs(x - want[i]) < 1e-12, `dim ${i}`)
  );
  const norm = Math.hypot(...data[0].embedding);
  assert.ok(Math.abs(norm - 1) < 1e-9);

  const many = await s.call("llm", "embed", { input: ["a", "bbbbb", "a"], model: "my-model" });
  assert.equal(many.result.model, "my-model");
  assert.deepEqual(many.result.data.map((d: { index: number }) => d.index), [0, 1, 2]);
  assert.deepEqual(many.result.data[0].embedding, many.result.data[2].embedding);
  assert.notDeepEqual(many.result.data[0].embedding, many.result.data[1].embedding);
  assert.deepEqual(many.result.usage, { prompt_tokens: 4, total_tokens: 4 });
});

Deno.test("llm.embed: validation → invalid_arg", async () => {
  await using t = await makeRuntime();
  const s = await openSession(t, manifest(LLM));
  for (
    const args of [
      {},
      { input: [] },
      { input: Array(257).fill("x") },
      { input: [1] },
      { input: 5 },
      { input: "x", model: 1 },
      { input: "x".repeat(1024 * 1024 + 1) },
    ]
  ) {
    const r = await s.call("llm", "embed", args);
    assert.equal(r.error?.code, "invalid_arg", JSON.stringify(args).slice(0, 80));
    assert.ok(r.error.details.issues.length > 0);
  }
  assert.equal(
    (await s.call("llm", "embed", { input: Array(256).fill("x") })).result.data.length,
    256,
  );
  assert.equal((await s.call("llm", "embed", "text")).error.message, "args must be an object");
});

Deno.test("llm off mode: llm_disabled with the exact message, even with dev mocks; ACL first", async () => {
  await using t = await makeRuntime({ llm: "off" });
  const m = manifest(LLM, {
    dev: { mocks: { "llm.complete": { result: { text: "mocked" } }, "llm.embed": { result: {} } } },
  });
  const s = await openSession(t, m);
  const disabled = {
    ok: false,
    error: { code: "llm_disabled", message: "harness started with --no-llm" },
  };
  assert.deepEqual(await s.call("llm", "complete", { messages: [user("x")] }), disabled);
  assert.deepEqual(await s.call("llm", "embed", { input: "x" }), disabled);
  // decided right after the ACL, before argument validation
  assert.deepEqual(await s.call("llm", "complete", {}), disabled);
  assert.deepEqual(await s.call("llm", "embed", "positional"), disabled);
  const denied = await openSession(t, manifest({}));
  assert.equal(
    (await denied.call("llm", "complete", { messages: [user("x")] })).error.code,
    "permission_denied",
  );
  assert.equal((await t.call("runtime.info")).llm_mode, "off");
});

Deno.test("llm: manifest.dev.mocks answer complete/embed (result, error and bare forms)", async () => {
  const canned = {
    role: "assistant",
    content: { type: "text", text: "Sunny" },
    model: "mock-model",
    stopReason: "endTurn",
    usage: { inputTokens: 1, outputTokens: 1, totalTokens: 2 },
  };
  await using t = await makeRuntime();
  const a = await openSession(
    t,
    manifest(LLM, { dev: { mocks: { "llm.complete": { result: canned } } } }),
  );
  assert.deepEqual(await a.call("llm", "complete", { messages: [user("weather?")] }), {
    ok: true,
    result: canned,
  });
  const b = await openSession(
    t,
    manifest(LLM, {
      dev: {
        mocks: {
          "llm.complete": {
            error: { code: "provider_error", message: "down", details: { reason: "http" } },
          },
        },
      },
    }),
  );
  assert.deepEqual(await b.call("llm", "complete", { messages: [user("x")] }), {
    ok: false,
    error: { code: "provider_error", message: "down", details: { reason: "http" } },
  });
  const c = await openSession(
    t,
    manifest(LLM, { dev: { mocks: { "llm.embed": { vectors: [] }, "llm.complete": "bare" } } }),
  );
  assert.deepEqual(await c.call("llm", "embed", { input: "x" }), {
    ok: true,
    result: { vectors: [] },
  });
  assert.deepEqual(await c.call("llm", "complete", { messages: [user("x")] }), {
    ok: true,
    result: "bare",
  });
  // validation still runs before the mock table
  assert.equal((await c.call("llm", "complete", {})).error.code, "invalid_arg");
  // another session's mocks do not leak
  const d = await openSession(t, manifest(LLM));
  assert.equal(
    (await d.call("llm", "complete", { messages: [user("x")] })).result.model,
    "mock-echo",
  );
});

Deno.test("llm: the runtime mock table matches first (contentIncludes), then dev mocks, then echo", async () => {
  await using t = await makeRuntime({
    mocks: [{
      ns: "llm",
      method: "complete",
      match: { contentIncludes: "weather" },
      result: { text: "table" },
    }],
  });
  const s = await openSession(
    t,
    manifest(LLM, { dev: { mocks: { "llm.complete": { text: "dev" } } } }),
  );
  const plain = await openSession(t, manifest(LLM));
  assert.deepEqual((await s.call("llm", "complete", { messages: [user("the weather")] })).result, {
    text: "table",
  });
  assert.deepEqual((await s.call("llm", "complete", { messages: [user("other")] })).result, {
    text: "dev",
  });
  assert.deepEqual(
    (await s.call("llm", "complete", { system: "weather", messages: [user("x")] })).result,
    {
      text: "table",
    },
  );
  assert.equal(
    (await plain.call("llm", "complete", { messages: [user("other")] })).result.model,
    "mock-echo",
  );
  assert.deepEqual((await plain.call("llm", "complete", { messages: [user("weather")] })).result, {
    text: "table",
  });
});

Deno.test("llm: mock `match` keys compare with the args as sent, not the defaulted or clamped ones", async () => {
  await using t = await makeRuntime({
    mocks: [
      { ns: "llm", method: "complete", match: { maxTokens: 99_999 }, result: { text: "sent" } },
      { ns: "llm", method: "complete", match: { maxTokens: 4096 }, result: { text: "default" } },
      { ns: "llm", method: "embed", match: { model: "m1" }, result: { vectors: "m1" } },
    ],
  });
  const s = await openSession(t, manifest(LLM));
  const big = await s.call("llm", "complete", { messages: [user("x")], maxTokens: 99_999 });
  assert.deepEqual(big.result, { text: "sent" }, "a value the schema clamps still matches");
  const none = await s.call("llm", "complete", { messages: [user("x")] });
  assert.equal(none.result.model, "mock-echo", "the 4096 default was not sent, so nothing matched");
  const exact = await s.call("llm", "complete", { messages: [user("x")], maxTokens: 4096 });
  assert.deepEqual(exact.result, { text: "default" });
  assert.deepEqual((await s.call("llm", "embed", { input: "a", model: "m1" })).result, {
    vectors: "m1",
  });
  // validation still runs first: a bad call is refused whatever the table holds
  const bad = await s.call("llm", "complete", { messages: [], maxTokens: 99_999 });
  assert.equal(bad.ok, false);
  assert.equal(bad.error.code, "invalid_arg");
});
