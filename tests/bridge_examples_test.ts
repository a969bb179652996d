/**
 * The example apps end to end through the real bridge: `session.create {app_dir}` discovers and
 * registers their executas; the Python one (started by the uv-missing fallback) samples the host
 * LLM, the Node one keeps state in reverse storage (CONTRACT §4.4.1, §9.2–§9.3, §9.8).
 */
import assert from "node:assert/strict";
import { BridgeProcess, REPO_ROOT } from "./helpers/bridge_process.ts";

/** A PATH without uv, so python executas start through the fallback of §9.3. */
function pathWithoutUv(): string {
  return (Deno.env.get("PATH") ?? "").split(":").filter((d) => {
    try {
      Deno.statSync(`${d}/uv`);
      return false;
    } catch {
      return true;
    }
  }).join(":");
}

Deno.test("notes-app: python executa summarises through reverse sampling (mock echo)", async () => {
  await using b = new BridgeProcess({ env: { PATH: pathWithoutUv() } });
  const s = await b.call("session.create", { app_dir: `${REPO_ROOT}examples/notes-app` });
  assert.equal(s.app_slug, "notes-app");
  const list = await b.call("executas.list", {});
  const ex = (list.executas as Record<string, unknown>[]).find((e) =>
    e.tool_id === "tool-notes-summary"
  );
  assert.ok(ex, JSON.stringify(list));
  assert.equal(ex.status, "registered");
  assert.equal(ex.handle, "notes-summary");
  const out = await b.call("session.call", {
    session_id: s.session_id,
    ns: "tools",
    method: "invoke",
    args: {
      tool_id: "bundled:notes-summary",
      method: "summarize_notes",
      args: {
        notes: [{ id: "n1", order: 1, content: "buy milk" }, {
          id: "n2",
          order: 2,
          content: "call Bob",
        }],
      },
    },
  }) as { ok: boolean; result: { summary: string; model: string } };
  assert.equal(out.ok, true, JSON.stringify(out));
  // echo mode answers "[mock] " + the first 200 characters of the executa's prompt
  assert.match(out.result.summary, /^\[mock\] Summarize the notes below/);
  assert.ok(out.result.summary.endsWith("…"), out.result.summary);
  assert.equal(out.result.model, "mock-echo");
  const after = await b.call("executas.list", {});
  const ready = (after.executas as Record<string, unknown>[]).find((e) =>
    e.tool_id === "tool-notes-summary"
  )!;
  assert.equal(ready.status, "ready");
  assert.equal(ready.protocol, "v2");
  assert.match(b.stderrText, /uv not found on PATH/);
});

Deno.test("notes-app: --no-llm turns the sampling failure into the vendor's tool_failed answer", async () => {
  await using b = new BridgeProcess({ args: ["--no-llm"], env: { PATH: pathWithoutUv() } });
  const s = await b.call("session.create", { app_dir: `${REPO_ROOT}examples/notes-app` });
  const out = await b.call("session.call", {
    session_id: s.session_id,
    ns: "tools",
    method: "invoke",
    args: {
      tool_id: "bundled:notes-summary",
      method: "summarize_notes",
      args: { notes: [{ id: "a", order: 1, content: "x" }] },
    },
  }) as { ok: boolean; error: { code: string; message: string } };
  assert.equal(out.ok, false);
  assert.equal(out.error.code, "tool_failed");
  assert.equal(out.error.message, "[-32603] harness started with --no-llm");
});

Deno.test("todo-node: node executa keeps todos in reverse storage shared by sessions of the app", async () => {
  await using b = new BridgeProcess();
  const s1 = await b.call("session.create", { app_dir: `${REPO_ROOT}examples/todo-node` });
  const invoke = (sid: unknown, method: string, args: unknown = {}) =>
    b.call("session.call", {
      session_id: sid,
      ns: "tools",
      method: "invoke",
      args: { tool_id: "bundled:todo-store", method, args },
    }) as Promise<{ ok: boolean; result: Record<string, unknown>; error?: unknown }>;
  const a = await invoke(s1.session_id, "add", { text: "milk" });
  assert.equal(a.ok, true, JSON.stringify(a));
  await invoke(s1.session_id, "add", { text: "bread" });
  const s2 = await b.call("session.create", { app_dir: `${REPO_ROOT}examples/todo-node` });
  const listed = await invoke(s2.session_id, "list");
  assert.deepEqual((listed.result.todos as { text: string }[]).map((t) => t.text), [
    "milk",
    "bread",
  ]);
  const bad = await invoke(s2.session_id, "add", { text: "" });
  assert.equal(bad.ok, false);
  assert.equal((bad.error as { code: string }).code, "tool_failed");
  const cleared = await invoke(s2.session_id, "clear");
  assert.equal(cleared.result.cleared, 2);
  // registering the same app again kept the warm process (one spawn)
  const list = await b.call("executas.list", {});
  const ex = (list.executas as Record<string, unknown>[]).find((e) =>
    e.tool_id === "tool-todo-store"
  )!;
  assert.equal(ex.restarts, 0);
  assert.equal(ex.status, "ready");
});
