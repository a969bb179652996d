// The example executas (examples/notes-app notes-summary in Python via the uv-missing fallback,
// examples/todo-node todo-store in Node), discovered, registered and invoked through the pool.
// deno-lint-ignore-file no-explicit-any -- assertions walk plugin JSON
import { fileURLToPath as fromFileUrl } from "node:url";
import assert from "node:assert/strict";
import { appContext, fakeLlm, makePool } from "./fixtures/executas/harness.ts";
import { discoverExecutas } from "../lib/executa/discovery.ts";

const root = fromFileUrl(new URL("../examples/", import.meta.url));
const notes = [
  { id: "n2", order: 2, content: "fix the login bug" },
  { id: "n1", order: 1, content: "follow up with the client" },
];

Deno.test("notes-summary: summarize_notes samples through the host", async () => {
  const { specs } = await discoverExecutas(`${root}notes-app`);
  assert.deepEqual(specs.map((s) => [s.tool_id, s.handle, s.type, s.command]), [
    ["tool-notes-summary", "notes-summary", "python", null],
  ]);
  const { pool, llm } = makePool();
  const off = makePool(fakeLlm({ mode: "off" }));
  await pool.register(specs);
  await off.pool.register(specs);
  try {
    // the app grants nothing, but the executa declares llm.sample
    const r = await pool.invoke("tool-notes-summary", "summarize_notes", { notes }, {
      app: appContext(),
    });
    assert.equal(r.ok, true, JSON.stringify(r));
    const data = (r as { result: Record<string, any> }).result;
    assert.deepEqual(Object.keys(data).sort(), ["model", "stopReason", "summary", "usage"]);
    assert.equal(data.model, "fake-model");
    assert.equal(data.stopReason, "endTurn");
    assert.match(
      data.summary,
      /^echo:Summarize the notes[\s\S]*1\. follow up with the client\n2\. fix the login bug$/,
    );
    const meta = llm.calls[0].args.metadata as Record<string, unknown>;
    assert.match(meta.executa_invoke_id as string, /^inv_[0-9a-f]{32}$/);
    assert.equal(pool.list()[0].protocol, "v2");

    // the vendor runtime's recorded answer when sampling fails under --no-llm (§9.7)
    assert.deepEqual(
      await off.pool.invoke("tool-notes-summary", "summarize_notes", { notes }, {}),
      {
        ok: false,
        error: {
          code: "tool_failed",
          message: "[-32603] harness started with --no-llm",
          details: { jsonrpc_code: -32603, data: null },
        },
      },
    );
  } finally {
    await Promise.all([pool.shutdown(), off.pool.shutdown()]);
  }
});

Deno.test("todo-store: add/list/clear persist through reverse storage (scope app)", async () => {
  const { specs } = await discoverExecutas(`${root}todo-node`);
  assert.deepEqual(specs.map((s) => [s.tool_id, s.handle, s.type]), [[
    "tool-todo-store",
    "todo-store",
    "node",
  ]]);
  const { pool } = makePool();
  await pool.register(specs);
  const app = appContext({ slug: "todo-node" });
  const call = async (method: string, args: unknown = {}, ctx = app) => {
    const r = await pool.invoke("tool-todo-store", method, args, { app: ctx });
    assert.equal(r.ok, true, JSON.stringify(r));
    return (r as { result: Record<string, any> }).result;
  };
  try {
    assert.equal((await call("add", { text: "milk" })).count, 1);
    // concurrent adds: if_match conflicts are retried, nothing is lost
    await Promise.all(["eggs", "bread", "tea"].map((text) => call("add", { text })));
    const { todos } = await call("list");
    assert.equal(todos.length, 4);
    assert.equal(todos[0].text, "milk");
    assert.deepEqual(
      new Set(todos.map((t: { text: string }) => t.text)),
      new Set(["milk", "eggs", "bread", "tea"]),
    );
    assert.deepEqual(await call("list", {}, appContext({ slug: "other-app" })), { todos: [] });
    assert.deepEqual(await call("clear"), { cleared: 4 });
    assert.deepEqual(await call("list"), { todos: [] });
    const bad = await pool.invoke("tool-todo-store", "add", { text: " " }, { app });
    assert.deepEqual(bad, {
      ok: false,
      error: { code: "tool_failed", message: "text must be a non-empty string" },
    });
  } finally {
    await pool.shutdown();
  }
});
