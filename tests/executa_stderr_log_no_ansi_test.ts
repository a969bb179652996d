/**
 * An executa's stderr in the log (§9.11, component `executa:<tool_id>`) has its terminal escapes
 * removed: a plugin run with FORCE_COLOR colours even a pipe, and a CI log would show
 * `\u001b[31m` around every word. The ring (`executas.list`, crash tails) keeps the line as written.
 */
import assert from "node:assert/strict";
import { makePool, nodeSpec } from "./fixtures/executas/harness.ts";
import { stripAnsi } from "../lib/util/text.ts";

Deno.test("executa stderr: logged without colour, cursor or title escapes; the crash tail keeps them", async () => {
  const { pool, logs } = makePool();
  await pool.register([nodeSpec("painter")]);
  try {
    const coloured =
      "\x1b[31mERROR\x1b[0m db \x1b[1;33mdown\x1b[m\x1b[2K\x1b]0;title\x07 \x1b]8;;http://x\x1b\\link\x1b]8;;\x1b\\";
    const r = await pool.invoke("painter", "crash", { code: 5, stderr: [coloured] }, {});
    if (r.ok) throw new Error("the crash answered ok");
    assert.deepEqual(r.error.details?.stderr_tail, [coloured]);
    const logged = logs.filter((l) => l.component === "executa:painter").map((l) => l.msg);
    assert.deepEqual(logged, ["ERROR db down link"]);
  } finally {
    await pool.shutdown();
  }
});

Deno.test("stripAnsi leaves text without escapes, and a lone ESC, as it is", () => {
  assert.equal(stripAnsi("plain [31m text"), "plain [31m text");
  assert.equal(stripAnsi("a\x1b"), "a\x1b");
  assert.equal(stripAnsi("\x1b[38;5;245mgrey\x1b[0m"), "grey");
});

Deno.test("executa logs: every json entry about one executa has its tool_id field, whatever the component", async () => {
  const { pool, logs } = makePool();
  await pool.register([nodeSpec("tool-noisy")]);
  try {
    // stdout noise (ignored, debug, component executa:<id>) and a crash (warn, component executa)
    await pool.invoke("tool-noisy", "noise", {}, {});
    await pool.invoke("tool-noisy", "crash", { code: 5, stderr: ["dying"] }, {});
  } finally {
    await pool.shutdown();
  }
  const components = new Set(logs.map((l) => l.component));
  assert.ok(
    components.has("executa") && components.has("executa:tool-noisy"),
    [...components].join(),
  );
  assert.ok(logs.some((l) => l.component === "executa:tool-noisy" && l.msg === "dying"));
  assert.ok(logs.some((l) => String(l.msg).startsWith("ignored stdout line")));
  for (const l of logs) assert.equal(l.tool_id, "tool-noisy", JSON.stringify(l));
});
