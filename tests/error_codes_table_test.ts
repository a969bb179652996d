/**
 * Error-table entries that had no test through a real path (CONTRACT §4.3, §4.4.9, §5.8, §5.12,
 * §11.3): each is produced here by the core API, the HTTP app or the real OpenAI provider, and its
 * envelope is checked field by field.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { makeRuntime, manifest, openSession, rpcError } from "./helpers/runtime.ts";
import { AUTH, serverContext } from "./helpers/server.ts";
import { createMainApp } from "../lib/server/app.ts";
import { createProvider } from "../lib/llm/mod.ts";
import { silentLogger } from "../lib/util/log.ts";

Deno.test("executas.invoke and executas.restart: unknown tool_id → -32602 naming it and the registered ids (§4.4.9)", async () => {
  await using t = await makeRuntime();
  const dir = join(t.dir, "plug");
  await Deno.mkdir(dir);
  await t.call("executas.register", { tool_id: "plug", project_dir: dir, command: ["true"] });
  const want = {
    code: -32602,
    message: "invalid_params",
    data: { reason: "unknown_tool", tool_id: "nope", registered: ["plug"] },
  };
  assert.deepEqual(await rpcError(t, "executas.invoke", { tool_id: "nope", method: "m" }), want);
  assert.deepEqual(await rpcError(t, "executas.restart", { tool_id: "nope" }), want);
});

/** A local OpenAI-compatible server answering every request with `status` and `body`. */
async function withFailingProvider(
  status: number,
  body: string,
  fn: (baseUrl: string) => Promise<void>,
) {
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, async (req) => {
    await req.body?.cancel();
    return new Response(body, { status, headers: { "content-type": "text/plain" } });
  });
  try {
    await fn(`http://127.0.0.1:${server.addr.port}/v1`);
  } finally {
    await server.shutdown();
  }
}

const openAi = (baseUrl: string) => () =>
  createProvider({
    mode: "openai",
    mocks: [],
    logger: silentLogger(),
    openai: { baseUrl, model: "m", embedModel: "e", timeoutMs: 5_000 },
  });

Deno.test("llm.complete/llm.embed: a failing OpenAI-compatible provider → provider_error outcome with reason, status, body (§5.8)", async () => {
  await withFailingProvider(500, "upstream exploded", async (baseUrl) => {
    await using t = await makeRuntime({ wrapLlm: openAi(baseUrl) });
    const s = await openSession(t, manifest({ llm: ["complete", "embed"] }));
    const calls: [string, Record<string, unknown>][] = [
      ["complete", { messages: [{ role: "user", content: "hi" }] }],
      ["embed", { input: "hi" }],
    ];
    for (const [method, args] of calls) {
      const r = await s.call("llm", method, args);
      assert.equal(r.ok, false, JSON.stringify(r));
      assert.deepEqual(Object.keys(r.error).sort(), ["code", "details", "message"]);
      assert.equal(r.error.code, "provider_error", method);
      assert.equal(typeof r.error.message, "string");
      assert.deepEqual(r.error.details, { reason: "http", status: 500, body: "upstream exploded" });
    }
  });
});

Deno.test("llm.complete: an unreachable OpenAI-compatible provider → provider_error reason network (§5.8)", async () => {
  // a port that was free a moment ago: nothing listens there
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  l.close();
  await using t = await makeRuntime({ wrapLlm: openAi(`http://127.0.0.1:${port}/v1`) });
  const s = await openSession(t, manifest({ llm: ["complete"] }));
  const r = await s.call("llm", "complete", { messages: [{ role: "user", content: "hi" }] });
  assert.equal(r.error?.code, "provider_error", JSON.stringify(r));
  assert.equal(r.error.details.reason, "network");
});

Deno.test("POST /api/session/create past 1024 open sessions of the real core → 503 session_limit {max} (§11.3)", async () => {
  await using t = await makeRuntime({ mode: "serve" });
  const m = manifest();
  for (let i = 0; i < 1024; i++) await t.call("session.create", { app_slug: "a", manifest: m });
  const app = createMainApp(serverContext(t.rt));
  const r = await app.request("/api/session/create", {
    method: "POST",
    headers: { ...AUTH, "content-type": "application/json" },
    body: JSON.stringify({ app_slug: "a", manifest: m }),
  });
  assert.equal(r.status, 503);
  const { error } = await r.json();
  assert.equal(error.code, "session_limit");
  assert.deepEqual(error.details, { max: 1024 });
  assert.equal(typeof error.message, "string");
  assert.equal(t.rt.sessions.size, 1024, "the refused create opened nothing");
});
