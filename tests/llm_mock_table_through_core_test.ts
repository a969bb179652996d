/**
 * The §10.2 match rules through the core (`session.call` via the Runtime), and the reverse-call
 * lookup-key order through `ReverseRpc`: each rule is shown by a table in which a wrong reading of
 * it would pick another entry.
 */
import assert from "node:assert/strict";
import { makeRuntime, manifest, openSession } from "./helpers/runtime.ts";
import { createProvider, type MockEntry } from "../lib/llm/mod.ts";
import { ReverseRpc } from "../lib/executa/reverse.ts";
import { reverseCaller } from "./helpers/reverse_rpc.ts";
import { Logger } from "../lib/util/log.ts";

const GRANTS = { llm: ["complete", "embed"], image: ["generate"] };
const user = (content: unknown) => ({ role: "user", content });

Deno.test("§10.2 through the core: modeEquals reads submode ?? mode, other keys deep-equal args[k], other calls match JSON.stringify(args)", async () => {
  const mocks: MockEntry[] = [
    { ns: "image", method: "generate", match: { modeEquals: "fast" }, result: "mode fast" },
    {
      ns: "image",
      method: "generate",
      match: { size: { w: 1, tags: ["a"] } },
      result: "deep size",
    },
    // on the JSON text of the args, quotes included, case-sensitive
    {
      ns: "image",
      method: "generate",
      match: { promptIncludes: '"style":"Flat"' },
      result: "json text",
    },
    { ns: "image", method: "generate", events: [{ kind: "x" }] },
    { ns: "image", method: "generate", result: "fallback" },
  ];
  await using t = await makeRuntime({ mocks });
  const s = await openSession(t, manifest(GRANTS));
  const gen = async (args: Record<string, unknown>) =>
    (await s.call("image", "generate", args)).result;
  assert.equal(await gen({ mode: "fast" }), "mode fast");
  assert.equal(await gen({ submode: "fast", mode: "slow" }), "mode fast");
  assert.equal(await gen({ submode: "slow", mode: "fast" }), "fallback");
  assert.equal(await gen({ size: { tags: ["a"], w: 1 } }), "deep size");
  assert.equal(await gen({ size: { w: 1, tags: ["a"], h: 2 } }), "fallback");
  assert.equal(await gen({ size: { w: 1, tags: ["a", "b"] } }), "fallback");
  assert.equal(await gen({ style: "Flat" }), "json text");
  assert.equal(await gen({ style: "flat" }), "fallback");
  // entries are never consumed
  assert.equal(await gen({ mode: "fast" }), "mode fast");
});

Deno.test("§10.2 through the core: complete matches systemPrompt and text blocks joined by \\n, embed its inputs joined by \\n", async () => {
  const answer = (text: string) => ({ role: "assistant", content: { type: "text", text } });
  const mocks: MockEntry[] = [
    { ns: "llm", method: "complete", match: { contentIncludes: "rules\nfirst" }, result: "sys" },
    { ns: "llm", method: "complete", match: { contentIncludes: "one\ntwo" }, result: "blocks" },
    // the image block's data is not text
    { ns: "llm", method: "complete", match: { contentIncludes: "QUJD" }, result: "never" },
    { ns: "llm", method: "complete", match: { temperature: 0.5 }, result: answer("temp") },
    { ns: "llm", method: "embed", match: { promptIncludes: "ab\ncd" }, result: "joined" },
    { ns: "llm", method: "embed", match: { contentIncludes: "AB" }, result: "never" },
  ];
  await using t = await makeRuntime({ mocks });
  const s = await openSession(t, manifest(GRANTS));
  const complete = async (args: Record<string, unknown>) =>
    (await s.call("llm", "complete", args)).result;
  assert.equal(await complete({ system: "rules", messages: [user("first")] }), "sys");
  assert.equal(
    await complete({
      messages: [user([{ type: "text", text: "one" }, { type: "text", text: "two" }])],
    }),
    "blocks",
  );
  const img = await complete({
    messages: [user([{ type: "image", data: "QUJD", mimeType: "image/png" }])],
  });
  assert.equal(img.model, "mock-echo");
  assert.deepEqual(
    await complete({ messages: [user("x")], temperature: 0.5 }),
    answer("temp"),
  );
  const embed = async (input: unknown) => (await s.call("llm", "embed", { input })).result;
  assert.equal(await embed(["ab", "cd"]), "joined");
  assert.equal((await embed(["ab cd"])).model, "mock-embed");
});

Deno.test("§10.1 off through the core: llm calls answer llm_disabled over a matching entry; mocks for other calls still answer", async () => {
  const mocks: MockEntry[] = [
    { ns: "llm", method: "complete", result: "never" },
    { ns: "llm", method: "embed", result: "never" },
    { ns: "image", method: "generate", result: "still mocked" },
  ];
  await using t = await makeRuntime({ llm: "off", mocks });
  const s = await openSession(t, manifest(GRANTS));
  const disabled = {
    ok: false,
    error: { code: "llm_disabled", message: "harness started with --no-llm" },
  };
  assert.deepEqual(
    await s.call("llm", "complete", { messages: [user("x")] }),
    disabled,
  );
  assert.deepEqual(await s.call("llm", "embed", { input: "x" }), disabled);
  assert.deepEqual(await s.call("image", "generate", {}), { ok: true, result: "still mocked" });
});

Deno.test("§10.2 reverse calls: sampling tries sampling/createMessage before llm/complete, embeddings/create before llm/embed, whatever the file order", async () => {
  const text = (x: string) => ({
    role: "assistant",
    content: { type: "text", text: x },
    model: "m",
    stopReason: "endTurn",
    usage: { inputTokens: 1, outputTokens: 1, totalTokens: 2 },
  });
  const emb = (x: number) => ({
    object: "list",
    model: "m",
    data: [{ object: "embedding", index: 0, embedding: [x] }],
    usage: { prompt_tokens: 1, total_tokens: 1 },
  });
  const mocks: MockEntry[] = [
    { ns: "llm", method: "complete", result: text("llm/complete") },
    { ns: "llm", method: "embed", result: emb(1) },
    { ns: "sampling", method: "createMessage", match: { contentIncludes: "s" }, result: text("s") },
    { ns: "embeddings", method: "create", match: { contentIncludes: "e" }, result: emb(2) },
  ];
  const logger = new Logger({ level: "error", format: "json", sink: () => {} });
  const call = reverseCaller(new ReverseRpc(createProvider({ mode: "mock", mocks }), logger), "t");
  const sample = (x: string) => ({ messages: [user({ type: "text", text: x })], maxTokens: 5 });
  assert.equal((await call("sampling/createMessage", sample("s"))).result.content.text, "s");
  assert.equal(
    (await call("sampling/createMessage", sample("x"))).result.content.text,
    "llm/complete",
  );
  assert.deepEqual((await call("embeddings/create", { input: "e" })).result.data[0].embedding, [2]);
  assert.deepEqual((await call("embeddings/create", { input: "x" })).result.data[0].embedding, [1]);
});
