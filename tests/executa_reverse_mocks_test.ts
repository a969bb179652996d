// Reverse sampling/embeddings against the real mock provider (CONTRACT §9.8, §10.2): a matching
// mock `error` entry answers sampling with -32003 and its message, whatever the entry's code.
import assert from "node:assert/strict";
import { createProvider, type MockEntry } from "../lib/llm/mod.ts";
import { ReverseRpc } from "../lib/executa/reverse.ts";
import { reverseCaller } from "./helpers/reverse_rpc.ts";
import { Logger } from "../lib/util/log.ts";

function rpcWith(mocks: MockEntry[], mode: "mock" | "off" = "mock") {
  const logger = new Logger({ level: "error", format: "json", sink: () => {} });
  return reverseCaller(new ReverseRpc(createProvider({ mode, mocks }), logger), "t");
}

const sample = (text: string) => ({
  messages: [{ role: "user", content: { type: "text", text } }],
  maxTokens: 10,
});

Deno.test("sampling: a matching mock error entry → -32003 with its message, whatever its code", async () => {
  const call = rpcWith([
    {
      ns: "sampling",
      method: "createMessage",
      match: { contentIncludes: "bad-args" },
      error: { code: "invalid_arg", message: "mocked invalid" },
    },
    {
      ns: "llm",
      method: "complete",
      match: { contentIncludes: "disabled" },
      error: { code: "llm_disabled", message: "mocked disabled" },
    },
    {
      ns: "sampling",
      method: "createMessage",
      match: { contentIncludes: "quota" },
      error: { code: "quota_exceeded", message: "mocked quota" },
    },
  ]);
  for (
    const [text, message] of [
      ["bad-args", "mocked invalid"],
      ["disabled", "mocked disabled"],
      ["quota", "mocked quota"],
    ]
  ) {
    const r = await call("sampling/createMessage", sample(text));
    assert.equal(r.error?.code, -32003, JSON.stringify(r));
    assert.equal(r.error?.message, message);
  }
  // unmatched: the echo answers; invalid args from the provider are still -32004
  const echo = await call("sampling/createMessage", sample("hello"));
  assert.equal(echo.result?.content.text, "[mock] hello");
  const invalid = await call("sampling/createMessage", {
    messages: [{ role: "user", content: { type: "video" } }],
  });
  assert.equal(invalid.error?.code, -32004);
});

Deno.test("sampling with the LLM off: -32603 and the mock table is not consulted", async () => {
  const call = rpcWith([{ ns: "sampling", method: "createMessage", result: "never" }], "off");
  const r = await call("sampling/createMessage", sample("x"));
  assert.deepEqual(r.error, { code: -32603, message: "harness started with --no-llm" });
});

Deno.test("embeddings: a matching mock error entry is a failure → -32603 with its message", async () => {
  const call = rpcWith([
    { ns: "embeddings", method: "create", error: { code: "invalid_arg", message: "mocked" } },
  ]);
  const r = await call("embeddings/create", { input: "x" });
  assert.equal(r.error?.code, -32603);
  assert.equal(r.error?.message, "mocked");
});

Deno.test("sampling and embeddings mocks match the params as the plugin sent them (§10.2, §9.8)", async () => {
  const hit = (ns: string, method: string, match: Record<string, unknown>, result: unknown) => ({
    ns,
    method,
    match,
    result,
  });
  const call = rpcWith([
    hit("sampling", "createMessage", { max_tokens: 5 }, { content: "alias-hit" }),
    hit("sampling", "createMessage", { responseFormat: { type: "json" } }, { content: "rf-hit" }),
    hit("sampling", "createMessage", { custom: 1 }, { content: "custom-hit" }),
    hit("embeddings", "create", { dimensions: 8 }, { data: "embed-hit" }),
  ]);
  const base = sample("x");
  const { maxTokens: _m, ...noMax } = base;
  for (
    const [extra, want] of [
      [{ ...noMax, max_tokens: 5 }, "alias-hit"],
      [{ ...base, responseFormat: { type: "json" } }, "rf-hit"],
      [{ ...base, custom: 1 }, "custom-hit"],
    ] as const
  ) {
    const r = await call("sampling/createMessage", extra);
    assert.deepEqual(r.result, { content: want }, JSON.stringify(extra));
  }
  // the canonical form of the same value is a different key: no match, the echo answers
  const canonical = await call("sampling/createMessage", { ...noMax, maxTokens: 5 });
  assert.equal(canonical.result?.content.text, "[mock] x");
  const embedded = await call("embeddings/create", { input: "a", dimensions: 8 });
  assert.deepEqual(embedded.result, { data: "embed-hit" });
});

Deno.test("an app's own call to sampling.createMessage matches on JSON.stringify(args), as any other call (§10.2)", () => {
  const llm = createProvider({
    mode: "mock",
    mocks: [{
      ns: "sampling",
      method: "createMessage",
      match: { contentIncludes: '"messages"' },
      result: "json-text-hit",
    }],
  });
  const args = { messages: [{ role: "user", content: "x" }] };
  assert.equal(llm.lookupMock("sampling", "createMessage", args)?.result, "json-text-hit");
  assert.equal(
    llm.lookupMock("sampling", "createMessage", { messages: [] })?.result,
    "json-text-hit",
  );
  assert.equal(llm.lookupMock("sampling", "createMessage", { prompt: "x" }), undefined);
});
