/**
 * §10.5 settings and failures through the real bridge and a fake OpenAI-style server on loopback:
 * base URL and model from flags > env > defaults (trailing `/` removed), the embedding model flag
 * and default, `embed` mapped both ways, `provider_error` reasons `http` (status, first 2 KiB of
 * the body) and `timeout`, and the default base URL without a key refused at startup (exit 2).
 */
import assert from "node:assert/strict";
import { BridgeProcess } from "./helpers/bridge_process.ts";

interface Seen {
  path: string;
  body: Record<string, unknown>;
}

/** `reply(path, body)` answers each request; every request is kept in `seen`. */
function fakeServer(reply: (path: string, body: Record<string, unknown>) => Promise<Response>) {
  const seen: Seen[] = [];
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, async (req) => {
    const body = await req.json();
    const path = new URL(req.url).pathname;
    seen.push({ path, body });
    return await reply(path, body);
  });
  return {
    seen,
    url: `http://127.0.0.1:${server.addr.port}/v1`,
    [Symbol.asyncDispose]: () => server.shutdown(),
  };
}

const chat = (model: unknown) =>
  Response.json({
    model,
    choices: [{ message: { role: "assistant", content: "ok" }, finish_reason: "stop" }],
  });

/** The env of a run: the variables not given are set empty, which counts as unset. */
const env = (v: Record<string, string>) => ({
  OPENAI_API_KEY: "",
  OPENAI_BASE_URL: "",
  OPENAI_MODEL: "",
  ...v,
});

const MANIFEST = {
  schema: 2,
  ui: { views: [{ name: "main" }], host_api: { llm: ["complete", "embed"] } },
};

async function session(b: BridgeProcess) {
  const s = await b.call("session.create", { app_slug: "oa", manifest: MANIFEST });
  return (method: string, args: Record<string, unknown>) =>
    b.call("session.call", { session_id: s.session_id, ns: "llm", method, args }) as Promise<
      { ok: boolean; result?: Record<string, unknown>; error?: Record<string, unknown> }
    >;
}

const ASK = { messages: [{ role: "user", content: "hi" }] };

Deno.test("bridge --llm openai: OPENAI_BASE_URL (trailing / removed) and OPENAI_MODEL apply without flags; the flags win over them", async () => {
  // the response's model is missing: the configured one is reported
  await using fake = fakeServer(() => Promise.resolve(chat(undefined)));
  {
    await using b = new BridgeProcess({
      args: ["--llm", "openai"],
      env: env({ OPENAI_BASE_URL: `${fake.url}//`, OPENAI_MODEL: "env-model" }),
    });
    const r = await (await session(b))("complete", ASK);
    assert.equal(r.ok, true, JSON.stringify(r));
    assert.equal(r.result!.model, "env-model");
  }
  assert.deepEqual(fake.seen.map((x) => [x.path, x.body.model]), [
    ["/v1/chat/completions", "env-model"],
  ]);
  {
    await using b = new BridgeProcess({
      args: ["--llm", "openai", "--llm-base-url", fake.url, "--llm-model", "flag-model"],
      // an env base URL nothing listens on: it must not be the one used
      env: env({ OPENAI_BASE_URL: "http://127.0.0.1:9/v1", OPENAI_MODEL: "env-model" }),
    });
    const r = await (await session(b))("complete", ASK);
    assert.equal(r.ok, true, JSON.stringify(r));
    assert.equal(r.result!.model, "flag-model");
  }
  assert.equal(fake.seen[1].body.model, "flag-model");
  {
    await using b = new BridgeProcess({
      args: ["--llm", "openai", "--llm-base-url", fake.url],
      env: env({}),
    });
    assert.equal((await (await session(b))("complete", ASK)).result!.model, "gpt-4o-mini");
  }
  assert.equal(fake.seen[2].body.model, "gpt-4o-mini");
});

Deno.test("bridge --llm openai: embed posts {model, input:[…]} with text-embedding-3-small or --llm-embed-model, and maps the reply", async () => {
  await using fake = fakeServer((_path, body) =>
    Promise.resolve(Response.json({
      object: "list",
      data: (body.input as string[]).map((_, i) => ({
        object: "embedding",
        index: i,
        embedding: [i, 1],
      })),
      usage: { prompt_tokens: 3, total_tokens: 3 },
    }))
  );
  {
    await using b = new BridgeProcess({
      args: ["--llm", "openai", "--llm-base-url", fake.url],
      env: env({}),
    });
    const r = await (await session(b))("embed", { input: "one" });
    assert.equal(r.ok, true, JSON.stringify(r));
    const { _meta, ...rest } = r.result!;
    assert.deepEqual(rest, {
      object: "list",
      model: "text-embedding-3-small",
      data: [{ object: "embedding", index: 0, embedding: [0, 1] }],
      usage: { prompt_tokens: 3, total_tokens: 3 },
    });
    assert.equal((_meta as Record<string, unknown>).provider, "openai");
    assert.equal((_meta as Record<string, unknown>).dimensions, 2);
  }
  {
    await using b = new BridgeProcess({
      args: ["--llm", "openai", "--llm-base-url", fake.url, "--llm-embed-model", "flag-embed"],
      env: env({ OPENAI_MODEL: "chat-only" }),
    });
    const r = await (await session(b))("embed", { input: ["a", "b"] });
    assert.equal(r.result!.model, "flag-embed");
  }
  assert.deepEqual(fake.seen.map((x) => [x.path, x.body]), [
    ["/v1/embeddings", { model: "text-embedding-3-small", input: ["one"] }],
    ["/v1/embeddings", { model: "flag-embed", input: ["a", "b"] }],
  ]);
});

Deno.test("bridge --llm openai: an HTTP error is provider_error reason http with status and the first 2 KiB of the body; a slow server is reason timeout", async () => {
  const long = "x".repeat(5000);
  await using fake = fakeServer((_path, body) => {
    const text = String((body.messages as { content: string }[]).at(-1)!.content);
    if (text === "slow") return new Promise((r) => setTimeout(() => r(chat("late")), 1500));
    return Promise.resolve(new Response(long, { status: 503 }));
  });
  await using b = new BridgeProcess({
    args: ["--llm", "openai", "--llm-base-url", fake.url, "--llm-timeout-ms", "300"],
    env: env({}),
  });
  const call = await session(b);
  const r = await call("complete", ASK);
  assert.equal(r.ok, false);
  assert.equal(r.error!.code, "provider_error");
  assert.deepEqual(r.error!.details, { reason: "http", status: 503, body: long.slice(0, 2048) });
  const slow = await call("complete", { messages: [{ role: "user", content: "slow" }] });
  assert.equal(slow.error!.code, "provider_error");
  assert.deepEqual(slow.error!.details, { reason: "timeout" });
});

Deno.test("bridge --llm openai: the default base URL without OPENAI_API_KEY exits 2 at startup", async () => {
  await using b = new BridgeProcess({ args: ["--llm", "openai"], env: env({}) });
  const status = await b.exited;
  assert.equal(status.code, 2);
  assert.match(b.stderrText, /OPENAI_API_KEY/);
});
