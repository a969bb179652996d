/**
 * provider_error messages against the quirks of the local servers people point `--llm openai` at
 * (Ollama, llama.cpp, LM Studio, vLLM, LiteLLM, OpenRouter; CONTRACT §10.5): the message carries
 * the server's own words and the setting that fixes the usual mistake; `details` stay as pinned.
 */
import assert from "node:assert/strict";
import { createProvider, type LlmResult, type OpenAiConfig } from "../lib/llm/mod.ts";
import { providerSays } from "../lib/llm/openai_hints.ts";

async function withServer(
  handler: (path: string) => Response | Promise<Response>,
  fn: (base: string) => Promise<void>,
) {
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, async (req) => {
    await req.body?.cancel();
    return await handler(new URL(req.url).pathname);
  });
  try {
    await fn(`http://127.0.0.1:${server.addr.port}`);
  } finally {
    await server.shutdown();
  }
}

const json = (v: unknown, status = 200, headers: Record<string, string> = {}) =>
  new Response(JSON.stringify(v), {
    status,
    headers: { "content-type": "application/json", ...headers },
  });

function provider(baseUrl: string, over: Partial<OpenAiConfig> = {}) {
  return createProvider({
    mode: "openai",
    mocks: [],
    openai: { baseUrl, model: "gpt-4o-mini", embedModel: "emb-x", timeoutMs: 10_000, ...over },
  });
}

const MSG = { messages: [{ role: "user", content: "hi" }] };

function errorOf(r: LlmResult) {
  assert.equal(r.ok, false, JSON.stringify(r));
  return (r as {
    ok: false;
    error: { code: string; message: string; details: Record<string, unknown> };
  }).error;
}

Deno.test("a base URL without /v1 (Ollama's plain-text 404) says to add /v1", () =>
  withServer(
    () => new Response("404 page not found", { status: 404 }),
    async (base) => {
      const e = errorOf(await provider(base).complete(MSG));
      assert.equal(
        e.message,
        `LLM provider answered HTTP 404 for POST ${base}/chat/completions: 404 page not found ` +
          "(no /chat/completions here: local servers serve the OpenAI API under /v1; " +
          `try --llm-base-url ${base}/v1)`,
      );
      assert.deepEqual(e.details, { reason: "http", status: 404, body: "404 page not found" });
      const e2 = errorOf(await provider(`${base}/v1`).embed({ input: "x" }));
      assert.match(e2.message, /no \/embeddings here: --llm-base-url must be the API root/);
    },
  ));

Deno.test("a base URL that is an endpoint URL (as server docs print it) says which root to use", () =>
  withServer(
    (path) =>
      json({
        error: { message: `Unknown request URL: POST ${path}`, type: "invalid_request_error" },
      }, 404),
    async (base) => {
      for (const end of ["/chat/completions", "/embeddings", "/models"]) {
        const p = provider(`${base}/v1${end}`);
        for (
          const [path, r] of [
            ["/chat/completions", await p.complete(MSG)],
            ["/embeddings", await p.embed({ input: "x" })],
          ] as const
        ) {
          const e = errorOf(r);
          assert.equal(
            e.message,
            `LLM provider answered HTTP 404 for POST ${base}/v1${end}${path}: Unknown request ` +
              `URL: POST /v1${end}${path} (--llm-base-url ends in the endpoint ${end}; give ` +
              `the API root: --llm-base-url ${base}/v1)`,
          );
          assert.deepEqual(e.details.status, 404);
        }
      }
    },
  ));

Deno.test("a model the server does not have (Ollama, vLLM) names the provider's words and the model flag", () =>
  withServer(
    (path) =>
      path.startsWith("/ollama")
        ? json({
          error: {
            message: 'model "gpt-4o-mini" not found, try pulling it first',
            type: "api_error",
          },
        }, 404)
        : json({
          object: "error",
          message: "The model `emb-x` does not exist.",
          type: "NotFoundError",
          code: 404,
        }, 404),
    async (base) => {
      const e = errorOf(await provider(`${base}/ollama/v1`).complete(MSG));
      assert.equal(
        e.message,
        `LLM provider answered HTTP 404 for POST ${base}/ollama/v1/chat/completions: model ` +
          `"gpt-4o-mini" not found, try pulling it first (the server has no model 'gpt-4o-mini'? ` +
          "set it with --llm-model or OPENAI_MODEL)",
      );
      const e2 = errorOf(await provider(`${base}/vllm/v1`).embed({ input: "x" }));
      assert.match(
        e2.message,
        /: The model `emb-x` does not exist\. \(the server has no model 'emb-x'\? set it with --llm-embed-model or the call's model\)$/,
      );
    },
  ));

Deno.test("an error inside a 200 reply (LM Studio's unknown path, OpenRouter's failed generation) is reported with its words", () =>
  withServer(
    (path) =>
      path.startsWith("/lms")
        ? json({ error: "Unexpected endpoint or method. (POST /chat/completions)" })
        : path.startsWith("/plain")
        ? json({ object: "list" })
        : json({ error: { code: 502, message: "Provider returned error" } }),
    async (base) => {
      const e = errorOf(await provider(`${base}/lms`).complete(MSG));
      assert.equal(e.code, "provider_error");
      assert.equal(e.details.reason, "bad_response");
      assert.equal(e.details.status, 200);
      assert.equal(
        e.message,
        `LLM provider at ${base}/lms/chat/completions answered HTTP 200 with an error: Unexpected ` +
          "endpoint or method. (POST /chat/completions) (no /chat/completions here: local servers " +
          `serve the OpenAI API under /v1; try --llm-base-url ${base}/lms/v1)`,
      );
      const e2 = errorOf(await provider(`${base}/or/api/v1`).embed({ input: "x" }));
      assert.equal(
        e2.message,
        `LLM provider at ${base}/or/api/v1/embeddings answered HTTP 200 with an error: Provider ` +
          "returned error",
      );
      // a 2xx without an error or the data asked for: names the server and what was missing
      const e3 = errorOf(await provider(`${base}/plain`).embed({ input: "x" }));
      assert.equal(
        e3.message,
        `LLM provider at ${base}/plain/embeddings answered HTTP 200 without a data array (not an ` +
          "embeddings list)",
      );
    },
  ));

Deno.test("401 says whether a key was sent; 429 passes on Retry-After", () =>
  withServer(
    (path) =>
      path.startsWith("/auth")
        ? json({ error: { message: "Authentication Error", type: "auth_error", code: "401" } }, 401)
        : json({ error: { message: "Rate limit reached" } }, 429, { "retry-after": "7" }),
    async (base) => {
      const e = errorOf(await provider(`${base}/auth/v1`).complete(MSG));
      assert.match(e.message, /: Authentication Error \(OPENAI_API_KEY is not set: set it/);
      const e2 = errorOf(await provider(`${base}/auth/v1`, { apiKey: "sk-1234" }).complete(MSG));
      assert.match(e2.message, /\(check OPENAI_API_KEY: the provider refused the key/);
      const e3 = errorOf(await provider(`${base}/rl/v1`).complete(MSG));
      assert.match(
        e3.message,
        /HTTP 429 .*: Rate limit reached \(rate limited: retry after 7 s\)$/,
      );
      assert.deepEqual(Object.keys(e3.details), ["reason", "status", "body"]);
    },
  ));

Deno.test("vLLM refusing the default max_tokens for a short context says to pass a smaller maxTokens", () =>
  withServer(
    () =>
      json({
        object: "error",
        message: "This model's maximum context length is 2048 tokens. However, you requested " +
          "4106 tokens (10 in the messages, 4096 in the completion).",
        type: "BadRequestError",
        code: 400,
      }, 400),
    async (base) => {
      const e = errorOf(await provider(`${base}/v1`).complete(MSG));
      assert.match(e.message, /: This model's maximum context length is 2048 tokens\. /);
      assert.match(
        e.message,
        /\(the model's context cannot hold the prompt plus maxTokens: pass a smaller maxTokens \(default 4096\)/,
      );
      assert.doesNotMatch(e.message, /--llm-model/);
    },
  ));

Deno.test("a proxy's HTML 502 page is named by its title, not pasted whole", () =>
  withServer(
    () =>
      new Response(
        "<html><head><title>502 Bad Gateway</title></head><body><h1>502 Bad Gateway</h1>" +
          "<hr>nginx</body></html>",
        { status: 502, headers: { "content-type": "text/html" } },
      ),
    async (base) => {
      const e = errorOf(await provider(`${base}/v1`).complete(MSG));
      assert.equal(
        e.message,
        `LLM provider answered HTTP 502 for POST ${base}/v1/chat/completions: 502 Bad Gateway`,
      );
      assert.match(String(e.details.body), /^<html>/);
    },
  ));

Deno.test("the error body shapes servers use all give their message", () => {
  assert.equal(providerSays('{"error":{"message":"a  b\\n c"}}'), "a b c");
  assert.equal(providerSays('{"error":"CUDA out of memory"}'), "CUDA out of memory");
  assert.equal(providerSays('{"object":"error","message":"nope","code":400}'), "nope");
  assert.equal(providerSays('{"detail":"Not Found"}'), "Not Found");
  assert.equal(
    providerSays('{"detail":[{"loc":["body","messages"],"msg":"field required"},{"msg":"x"}]}'),
    "body.messages: field required; x",
  );
  assert.equal(providerSays('{"error":{"code":500}}'), undefined);
  assert.equal(providerSays("<html><body>oops</body></html>"), undefined);
  assert.equal(providerSays("\n\nupstream connect error\nmore"), "upstream connect error");
  assert.equal(providerSays(""), undefined);
  const long = providerSays(JSON.stringify({ error: "e".repeat(1000) }))!;
  assert.equal(long.length, 301);
  assert.ok(long.endsWith("…"));
});

Deno.test("a timeout and a refused connection say what to change", async () => {
  const gate = Promise.withResolvers<void>();
  await withServer(async () => {
    await gate.promise;
    return json({});
  }, async (base) => {
    try {
      const e = errorOf(await provider(base, { timeoutMs: 100 }).complete(MSG));
      assert.equal(e.details.reason, "timeout");
      assert.match(e.message, /within 100 ms .*\(raise --llm-timeout-ms/);
    } finally {
      gate.resolve();
    }
  });
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  l.close();
  const e = errorOf(await provider(`http://127.0.0.1:${port}/v1`).complete(MSG));
  assert.equal(e.details.reason, "network");
  assert.match(e.message, /refused.*\(is the server running\? start it, or point --llm-base-url/);
});

Deno.test("a reply broken off mid-body is not 'cannot reach'; a non-JSON 200 names its content type", () =>
  withServer(
    (path) => {
      if (path.startsWith("/sse")) {
        return new Response('data: {"choices":[]}\n\ndata: [DONE]\n\n', {
          headers: { "content-type": "text/event-stream; charset=utf-8" },
        });
      }
      const body = new ReadableStream({
        start(c) {
          c.enqueue(new TextEncoder().encode('{"choices":['));
          setTimeout(() => c.error(new Error("gone")), 20);
        },
      });
      return new Response(body, { headers: { "content-type": "application/json" } });
    },
    async (base) => {
      const e = errorOf(await provider(`${base}/v1`).complete(MSG));
      assert.equal(e.details.reason, "network");
      assert.match(
        e.message,
        new RegExp(`^LLM provider at ${base}/v1/chat/completions broke off its HTTP 200 reply: `),
      );
      const e2 = errorOf(await provider(`${base}/sse/v1`).complete(MSG));
      assert.equal(e2.details.reason, "bad_response");
      assert.match(
        e2.message,
        /answered HTTP 200 with a body that is not JSON \(text\/event-stream\)$/,
      );
    },
  ));

Deno.test("a key the provider echoes in its message is masked there too", () =>
  withServer(
    () => json({ error: { message: "Received API Key = sk-live-abcdef, invalid" } }, 401),
    async (base) => {
      const e = errorOf(await provider(base, { apiKey: "sk-live-abcdef" }).complete(MSG));
      assert.match(e.message, /: Received API Key = \*\*\*, invalid/);
      assert.doesNotMatch(JSON.stringify(e), /sk-live-abcdef/);
    },
  ));
