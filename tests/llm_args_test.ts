/** `llm.complete` / `llm.embed` argument rules (CONTRACT §5.8). */
import assert from "node:assert/strict";
import { parseCompleteArgs, parseEmbedArgs } from "../lib/llm/mod.ts";

const user = (content: unknown) => ({ role: "user", content });

function issuesOf(r: ReturnType<typeof parseCompleteArgs> | ReturnType<typeof parseEmbedArgs>) {
  assert.equal(r.ok, false, "expected a validation failure");
  return r.ok ? [] : r.issues;
}

Deno.test("complete: defaults, aliases (canonical wins) and extra keys kept", () => {
  const r = parseCompleteArgs({
    messages: [user("hi")],
    system: "alias sys",
    max_tokens: 100,
    stop: ["END"],
    mode: "fast",
    modelPreferences: { hints: [{ name: "x" }] },
  });
  assert.ok(r.ok);
  assert.equal(r.value.systemPrompt, "alias sys");
  assert.equal(r.value.maxTokens, 100);
  assert.deepEqual(r.value.stopSequences, ["END"]);
  assert.equal(r.value.mode, "fast");
  assert.deepEqual(r.value.modelPreferences, { hints: [{ name: "x" }] });

  const both = parseCompleteArgs({
    messages: [user("hi")],
    systemPrompt: "canon",
    system: "alias",
    maxTokens: 7,
    max_tokens: 9,
  });
  assert.ok(both.ok);
  assert.equal(both.value.systemPrompt, "canon");
  assert.equal(both.value.maxTokens, 7);

  const d = parseCompleteArgs({ messages: [user("hi")] });
  assert.ok(d.ok);
  assert.equal(d.value.maxTokens, 4096);
  assert.equal("temperature" in d.value, false);
  assert.equal("systemPrompt" in d.value, false);
});

Deno.test("complete: maxTokens above 32768 is clamped; non-integers and < 1 are errors", () => {
  const r = parseCompleteArgs({ messages: [user("x")], maxTokens: 100000 });
  assert.ok(r.ok);
  assert.equal(r.value.maxTokens, 32768);
  for (const bad of [0, -1, 1.5, "10"]) {
    const issues = issuesOf(parseCompleteArgs({ messages: [user("x")], maxTokens: bad }));
    assert.equal(issues[0].path, "maxTokens");
  }
  // the path names the field the caller used
  assert.equal(
    issuesOf(parseCompleteArgs({ messages: [user("x")], max_tokens: 0 }))[0].path,
    "max_tokens",
  );
});

Deno.test("complete: content forms", () => {
  const ok = [
    "plain",
    { type: "text", text: "block" },
    { type: "image", data: "aGk=", mimeType: "image/png" },
    [{ type: "text", text: "a" }, { type: "image", image_url: { url: "https://x/y.png" } }],
    [],
  ];
  for (const content of ok) {
    assert.ok(parseCompleteArgs({ messages: [user(content)] }).ok, JSON.stringify(content));
  }
  const bad: [unknown, string][] = [
    [42, "messages.0.content"],
    [null, "messages.0.content"],
    [{ type: "audio" }, "messages.0.content"],
    [{ type: "text" }, "messages.0.content"],
    [[{ type: "text", text: "a" }, { type: "video" }], "messages.0.content.1"],
    [["bare string in array"], "messages.0.content.0"],
  ];
  for (const [content, path] of bad) {
    const issues = issuesOf(parseCompleteArgs({ messages: [user(content)] }));
    assert.equal(issues[0].path, path, JSON.stringify(content));
  }
});

Deno.test("complete: messages 1..64 with valid roles", () => {
  assert.equal(issuesOf(parseCompleteArgs({}))[0].path, "messages");
  assert.equal(issuesOf(parseCompleteArgs({ messages: [] }))[0].path, "messages");
  assert.equal(issuesOf(parseCompleteArgs({ messages: "hi" }))[0].path, "messages");
  const many = Array.from({ length: 64 }, () => user("x"));
  assert.ok(parseCompleteArgs({ messages: many }).ok);
  assert.equal(issuesOf(parseCompleteArgs({ messages: [...many, user("x")] }))[0].path, "messages");
  const role = issuesOf(parseCompleteArgs({ messages: [{ role: "tool", content: "x" }] }));
  assert.equal(role[0].path, "messages.0.role");
  assert.match(role[0].message, /user, assistant or system/);
  assert.equal(issuesOf(parseCompleteArgs({ messages: ["x"] }))[0].path, "messages.0");
});

Deno.test("complete: temperature 0..2, stopSequences string[], systemPrompt string", () => {
  assert.ok(parseCompleteArgs({ messages: [user("x")], temperature: 2 }).ok);
  assert.equal(
    issuesOf(parseCompleteArgs({ messages: [user("x")], temperature: 2.1 }))[0].path,
    "temperature",
  );
  assert.equal(
    issuesOf(parseCompleteArgs({ messages: [user("x")], temperature: -0.1 }))[0].path,
    "temperature",
  );
  assert.equal(issuesOf(parseCompleteArgs({ messages: [user("x")], stop: "END" }))[0].path, "stop");
  assert.equal(
    issuesOf(parseCompleteArgs({ messages: [user("x")], stopSequences: [1] }))[0].path,
    "stopSequences.0",
  );
  assert.equal(
    issuesOf(parseCompleteArgs({ messages: [user("x")], systemPrompt: 5 }))[0].path,
    "systemPrompt",
  );
});

Deno.test("non-object args are rejected", () => {
  for (const a of [null, "x", [1], 3]) {
    assert.deepEqual(issuesOf(parseCompleteArgs(a)), [{
      path: "",
      message: "args must be an object",
    }]);
    assert.deepEqual(issuesOf(parseEmbedArgs(a)), [{
      path: "",
      message: "args must be an object",
    }]);
  }
});

Deno.test("embed: a string or 1..256 strings, at most 1 MiB in total", () => {
  assert.ok(parseEmbedArgs({ input: "x" }).ok);
  assert.ok(parseEmbedArgs({ input: ["a", "b"], model: "m" }).ok);
  assert.ok(parseEmbedArgs({ input: Array(256).fill("a") }).ok);
  for (const input of [undefined, [], Array(257).fill("a"), [1], 5]) {
    assert.equal(
      issuesOf(parseEmbedArgs({ input }))[0].path,
      "input",
      JSON.stringify(input)?.slice(0, 40),
    );
  }
  // 1 MiB exactly passes; one byte more (a 2-byte char) fails
  assert.ok(parseEmbedArgs({ input: ["a".repeat(1024 * 1024)] }).ok);
  const over = issuesOf(parseEmbedArgs({ input: ["a".repeat(1024 * 1024 - 1), "é"] }));
  assert.match(over[0].message, /1 MiB/);
  assert.equal(issuesOf(parseEmbedArgs({ input: "x", model: 3 }))[0].path, "model");
});
