/**
 * `--llm openai` end to end (CONTRACT §10.5): the real bridge talks to a small OpenAI-style server
 * started here on loopback, for `llm.complete` and for an executa's reverse sampling.
 */
import assert from "node:assert/strict";
import { BridgeProcess, REPO_ROOT } from "./helpers/bridge_process.ts";

interface Seen {
  path: string;
  auth: string | null;
  body: Record<string, unknown>;
}

function fakeOpenAi() {
  const seen: Seen[] = [];
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, async (req) => {
    const body = await req.json();
    const path = new URL(req.url).pathname;
    seen.push({ path, auth: req.headers.get("authorization"), body });
    if (path === "/v1/chat/completions") {
      const msgs = body.messages as { role: string; content: unknown }[];
      const last = msgs[msgs.length - 1];
      return Response.json({
        model: "fake-gpt",
        choices: [{
          message: {
            role: "assistant",
            content: `fake answer to: ${String(last.content).slice(0, 20)}`,
          },
          finish_reason: "stop",
        }],
        usage: { prompt_tokens: 11, completion_tokens: 4, total_tokens: 15 },
      });
    }
    return new Response("not here", { status: 404 });
  });
  return { seen, url: `http://127.0.0.1:${server.addr.port}/v1`, server };
}

const MANIFEST = {
  schema: 2,
  ui: { views: [{ name: "main" }], host_api: { llm: ["complete"] } },
};

/** The notes app's executa summarising one note, its sampling going to the configured provider. */
async function summarizeNotes(b: BridgeProcess): Promise<unknown> {
  const s = await b.call("session.create", { app_dir: `${REPO_ROOT}examples/notes-app` });
  return await b.call("session.call", {
    session_id: s.session_id,
    ns: "tools",
    method: "invoke",
    args: {
      tool_id: "bundled:notes-summary",
      method: "summarize_notes",
      args: { notes: [{ id: "a", order: 1, content: "ship it" }] },
    },
  });
}

Deno.test("bridge --llm openai: llm.complete goes to the OpenAI-compatible API and maps back", async () => {
  const fake = fakeOpenAi();
  try {
    await using b = new BridgeProcess({
      args: ["--llm", "openai", "--llm-base-url", fake.url, "--llm-model", "fake-gpt"],
      env: { OPENAI_API_KEY: "sk-test-123" },
    });
    const s = await b.call("session.create", { app_slug: "oa", manifest: MANIFEST });
    const out = await b.call("session.call", {
      session_id: s.session_id,
      ns: "llm",
      method: "complete",
      args: {
        systemPrompt: "be brief",
        messages: [{ role: "user", content: "hello there" }],
        maxTokens: 50,
      },
    }) as { ok: boolean; result: Record<string, unknown> };
    assert.equal(out.ok, true, JSON.stringify(out));
    assert.deepEqual(out.result.content, { type: "text", text: "fake answer to: hello there" });
    assert.equal(out.result.model, "fake-gpt");
    assert.equal(out.result.stopReason, "endTurn");
    assert.deepEqual(out.result.usage, { inputTokens: 11, outputTokens: 4, totalTokens: 15 });
    assert.equal((out.result._meta as { provider: string }).provider, "openai");
    const req = fake.seen[0];
    assert.equal(req.path, "/v1/chat/completions");
    assert.equal(req.auth, "Bearer sk-test-123");
    assert.deepEqual(req.body.messages, [
      { role: "system", content: "be brief" },
      { role: "user", content: "hello there" },
    ]);
    assert.equal(req.body.max_tokens, 50);
  } finally {
    await fake.server.shutdown();
  }
});

Deno.test("bridge --llm openai: the notes executa's reverse sampling is answered by the provider", async () => {
  const fake = fakeOpenAi();
  try {
    await using b = new BridgeProcess({
      args: ["--llm", "openai", "--llm-base-url", fake.url],
      env: { OPENAI_API_KEY: "" }, // empty = unset
    });
    const out = await summarizeNotes(b) as {
      ok: boolean;
      result: { summary: string; model: string };
    };
    assert.equal(out.ok, true, JSON.stringify(out));
    assert.match(out.result.summary, /^fake answer to: /);
    assert.equal(out.result.model, "fake-gpt");
    assert.equal(fake.seen.length, 1);
    assert.equal(fake.seen[0].auth, null, "no key configured, no Authorization header");
  } finally {
    await fake.server.shutdown();
  }
});

Deno.test("bridge --llm openai: an executa's sampling failure carries the provider's words and the fix", async () => {
  // Ollama's answer for a model it has not pulled
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, async (req) => {
    const body = await req.json();
    return Response.json({
      error: {
        message: `model "${body.model}" not found, try pulling it first`,
        type: "api_error",
      },
    }, { status: 404 });
  });
  try {
    await using b = new BridgeProcess({
      args: ["--llm", "openai", "--llm-base-url", `http://127.0.0.1:${server.addr.port}/v1`],
      env: { OPENAI_API_KEY: "" },
    });
    const out = await summarizeNotes(b) as {
      ok: boolean;
      error: { code: string; message: string };
    };
    assert.equal(out.ok, false);
    assert.equal(out.error.code, "tool_failed");
    assert.match(
      out.error.message,
      /^\[-32003\] LLM provider answered HTTP 404 .*: model "gpt-4o-mini" not found, try pulling it first \(.*set it with --llm-model or OPENAI_MODEL\)$/,
    );
  } finally {
    await server.shutdown();
  }
});
