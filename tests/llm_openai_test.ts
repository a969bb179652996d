/** OpenAI-compatible mode (CONTRACT §10.5) against a fake server on 127.0.0.1. */
import assert from "node:assert/strict";
import {
  createProvider,
  type LlmResult,
  type MockEntry,
  type OpenAiConfig,
} from "../lib/llm/mod.ts";
import { fetchFailure, MAX_REPLY_BYTES } from "../lib/llm/openai.ts";

interface Seen {
  path: string;
  headers: Headers;
  body: Record<string, unknown>;
}

/** A fake OpenAI-style server; `routes` maps a path prefix to the answer. */
async function withServer(
  routes: Record<string, (req: Request) => Response | Promise<Response>>,
  fn: (base: string, seen: Seen[]) => Promise<void>,
) {
  const seen: Seen[] = [];
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, async (req) => {
    const path = new URL(req.url).pathname;
    const text = await req.text();
    seen.push({ path, headers: req.headers, body: text ? JSON.parse(text) : {} });
    for (const [prefix, handler] of Object.entries(routes)) {
      if (path.startsWith(prefix)) return await handler(req);
    }
    return new Response("no route", { status: 404 });
  });
  try {
    await fn(`http://127.0.0.1:${server.addr.port}`, seen);
  } finally {
    await server.shutdown();
  }
}

const json = (v: unknown, status = 200) =>
  new Response(JSON.stringify(v), { status, headers: { "content-type": "application/json" } });

function openai(baseUrl: string, over: Partial<OpenAiConfig> = {}, mocks: MockEntry[] = []) {
  return createProvider({
    mode: "openai",
    mocks,
    openai: {
      baseUrl,
      model: "cfg-model",
      embedModel: "cfg-embed",
      timeoutMs: 10_000,
      ...over,
    },
  });
}

function errorOf(r: LlmResult) {
  assert.equal(r.ok, false, JSON.stringify(r));
  return (r as {
    ok: false;
    error: { code: string; message: string; details?: Record<string, unknown> };
  })
    .error;
}

Deno.test("complete maps the request and the response", () =>
  withServer({
    "/v1/chat/completions": () =>
      json({
        model: "served-model",
        choices: [{
          message: { role: "assistant", content: "Hello there" },
          finish_reason: "length",
        }],
        usage: { prompt_tokens: 11, completion_tokens: 3, total_tokens: 14 },
      }),
  }, async (base, seen) => {
    const p = openai(`${base}/v1`, { apiKey: "sk-test" });
    const r = await p.complete({
      system: "Be brief.",
      messages: [
        { role: "user", content: "hi" },
        { role: "assistant", content: { type: "text", text: "yo" } },
        {
          role: "user",
          content: [
            { type: "text", text: "what is this?" },
            { type: "image", image_url: "https://img/1.png" },
            { type: "image", image_url: { url: "https://img/2.png" } },
            { type: "image", data: "aGk=", mimeType: "image/png" },
          ],
        },
      ],
      max_tokens: 50,
      temperature: 0.2,
      stop: ["END"],
      modelPreferences: { hints: [{ name: "ignored" }] },
    });
    assert.ok(r.ok, JSON.stringify(r));
    const res = r.result as Record<string, unknown>;
    assert.deepEqual(res.content, { type: "text", text: "Hello there" });
    assert.equal(res.role, "assistant");
    assert.equal(res.model, "served-model");
    assert.equal(res.stopReason, "maxTokens");
    assert.deepEqual(res.usage, { inputTokens: 11, outputTokens: 3, totalTokens: 14 });
    const meta = res._meta as { provider: string; latencyMs: number };
    assert.equal(meta.provider, "openai");
    assert.ok(Number.isInteger(meta.latencyMs) && meta.latencyMs >= 0);

    assert.equal(seen.length, 1);
    assert.equal(seen[0].path, "/v1/chat/completions");
    assert.equal(seen[0].headers.get("authorization"), "Bearer sk-test");
    assert.match(seen[0].headers.get("content-type") ?? "", /application\/json/);
    assert.deepEqual(seen[0].body, {
      model: "cfg-model",
      messages: [
        { role: "system", content: "Be brief." },
        { role: "user", content: "hi" },
        { role: "assistant", content: "yo" },
        {
          role: "user",
          content: [
            { type: "text", text: "what is this?" },
            { type: "image_url", image_url: { url: "https://img/1.png" } },
            { type: "image_url", image_url: { url: "https://img/2.png" } },
          ],
        },
      ],
      max_tokens: 50,
      temperature: 0.2,
      stop: ["END"],
    });
  }));

Deno.test("complete: text parts joined, defaults when model/usage are missing, no key → no header", () =>
  withServer({
    "/chat/completions": () =>
      json({
        choices: [{
          message: { content: [{ type: "text", text: "a" }, { type: "text", text: "b" }] },
          finish_reason: "stop",
        }],
      }),
  }, async (base, seen) => {
    const r = await openai(base).complete({ messages: [{ role: "user", content: "x" }] });
    assert.ok(r.ok, JSON.stringify(r));
    const res = r.result as Record<string, unknown>;
    assert.deepEqual(res.content, { type: "text", text: "ab" });
    assert.equal(res.model, "cfg-model");
    assert.equal(res.stopReason, "endTurn");
    assert.deepEqual(res.usage, { inputTokens: 0, outputTokens: 0, totalTokens: 0 });
    assert.equal(seen[0].headers.get("authorization"), null);
    assert.equal(seen[0].body.max_tokens, 4096);
    assert.equal("temperature" in seen[0].body, false);
    assert.equal("stop" in seen[0].body, false);
    // over the clamp, and the alias: the request carries what §5.8 derives from the args
    const p = openai(base);
    assert.ok(
      (await p.complete({ messages: [{ role: "user", content: "x" }], maxTokens: 40000 })).ok,
    );
    assert.ok(
      (await p.complete({ messages: [{ role: "user", content: "x" }], max_tokens: 100 })).ok,
    );
    assert.deepEqual(seen.slice(1).map((x) => x.body.max_tokens), [32768, 100]);
  }));

Deno.test("embed maps the request and the response", () =>
  withServer({
    "/embeddings": () =>
      json({
        object: "list",
        model: "served-embed",
        data: [
          { object: "embedding", index: 1, embedding: [0, 1, 0] },
          { object: "embedding", index: 0, embedding: [1, 0, 0] },
        ],
        usage: { prompt_tokens: 5, total_tokens: 5 },
      }),
  }, async (base, seen) => {
    const r = await openai(base, { apiKey: "k" }).embed({ input: ["first", "second"] });
    assert.ok(r.ok, JSON.stringify(r));
    const res = r.result as Record<string, unknown>;
    assert.equal(res.object, "list");
    assert.equal(res.model, "served-embed");
    assert.deepEqual(res.data, [
      { object: "embedding", index: 0, embedding: [1, 0, 0] },
      { object: "embedding", index: 1, embedding: [0, 1, 0] },
    ]);
    assert.deepEqual(res.usage, { prompt_tokens: 5, total_tokens: 5 });
    const meta = res._meta as Record<string, unknown>;
    assert.equal(meta.provider, "openai");
    assert.equal(meta.dimensions, 3);
    assert.deepEqual(seen[0].body, { model: "cfg-embed", input: ["first", "second"] });
    assert.equal(seen[0].headers.get("authorization"), "Bearer k");
    // a single string input is sent as a one-item list; args.model wins
    await openai(base).embed({ input: "solo", model: "my-embed" });
    assert.deepEqual(seen[1].body, { model: "my-embed", input: ["solo"] });
  }));

Deno.test("embed: a base64 embedding (little-endian float32, as some servers send unasked) is decoded", () => {
  const f32 = (xs: number[]) => {
    const v = new DataView(new ArrayBuffer(xs.length * 4));
    xs.forEach((x, i) => v.setFloat32(i * 4, x, true));
    return btoa(String.fromCharCode(...new Uint8Array(v.buffer)));
  };
  return withServer({
    "/ok/embeddings": () =>
      json({ data: [{ index: 0, embedding: f32([1, -0.5, 0.25]) }, { index: 1, embedding: [2] }] }),
    "/short/embeddings": () => json({ data: [{ index: 0, embedding: "AAAAAP8=" }] }),
    "/nan/embeddings": () => json({ data: [{ index: 0, embedding: f32([NaN]) }] }),
  }, async (base) => {
    const r = await openai(`${base}/ok`).embed({ input: ["a", "b"] });
    assert.ok(r.ok, JSON.stringify(r));
    const res = r.result as { data: unknown[]; _meta: { dimensions: number } };
    assert.deepEqual(res.data, [
      { object: "embedding", index: 0, embedding: [1, -0.5, 0.25] },
      { object: "embedding", index: 1, embedding: [2] },
    ]);
    assert.equal(res._meta.dimensions, 3);
    // 5 bytes are no float32 array; NaN has no JSON form
    for (const path of ["short", "nan"]) {
      const e = errorOf(await openai(`${base}/${path}`).embed({ input: "a" }));
      assert.equal(e.details?.reason, "bad_response");
      assert.match(e.message, /data\[0\] not a numeric embedding/);
    }
  });
});

Deno.test("the mock table is consulted first in openai mode", () =>
  withServer({}, async (base, seen) => {
    const p = openai(base, {}, [{
      ns: "llm",
      method: "complete",
      match: { contentIncludes: "cached" },
      result: "M",
    }]);
    assert.deepEqual(await p.complete({ messages: [{ role: "user", content: "cached please" }] }), {
      ok: true,
      result: "M",
    });
    assert.equal(seen.length, 0);
  }));

Deno.test("HTTP errors carry status and the first 2 KiB of the body", () =>
  withServer({
    "/chat/completions": () => new Response("é" + "x".repeat(3000), { status: 503 }),
    "/embeddings": () => json({ error: { message: "bad key" } }, 401),
  }, async (base) => {
    const e = errorOf(await openai(base).complete({ messages: [{ role: "user", content: "x" }] }));
    assert.equal(e.code, "provider_error");
    assert.equal(e.details?.reason, "http");
    assert.equal(e.details?.status, 503);
    const body = e.details?.body as string;
    assert.equal(new TextEncoder().encode(body).length, 2048);
    assert.ok(body.startsWith("éxxx"));
    const e2 = errorOf(await openai(base).embed({ input: "x" }));
    assert.deepEqual(e2.details, {
      reason: "http",
      status: 401,
      body: '{"error":{"message":"bad key"}}',
    });
  }));

Deno.test("bad responses: not JSON, no choices, no numeric embeddings, not one embedding per input", () =>
  withServer({
    "/a/chat/completions": () => new Response("<html>oops</html>", { status: 200 }),
    "/b/chat/completions": () => json({ object: "chat.completion" }),
    "/c/embeddings": () => json({ data: [{ embedding: "nope" }] }),
    "/d/embeddings": () => json({ nothing: true }),
    "/e/embeddings": () => json({ data: [] }),
    "/f/embeddings": () => json({ data: [{ embedding: [1] }, { embedding: [2] }] }),
  }, async (base) => {
    const msg = { messages: [{ role: "user", content: "x" }] };
    for (
      const r of [
        await openai(`${base}/a`).complete(msg),
        await openai(`${base}/b`).complete(msg),
        await openai(`${base}/c`).embed({ input: "x" }),
        await openai(`${base}/d`).embed({ input: "x" }),
        await openai(`${base}/e`).embed({ input: "x" }),
        await openai(`${base}/f`).embed({ input: "x" }),
        await openai(`${base}/f`).embed({ input: ["x", "y", "z"] }),
      ]
    ) {
      const e = errorOf(r);
      assert.equal(e.code, "provider_error");
      assert.equal(e.details?.reason, "bad_response");
    }
  }));

Deno.test("redirects are not followed: an HTTP error names the target, which is never called", () => {
  let reached = 0;
  return withServer({
    "/old/chat/completions": () =>
      new Response("moved", { status: 301, headers: { location: "/new/chat/completions" } }),
    "/old/embeddings": () =>
      new Response("", { status: 307, headers: { location: "/new/embeddings" } }),
    "/gone/chat/completions": () =>
      new Response("", { status: 302, headers: { location: "http://127.0.0.1:1/login" } }),
    "/new/chat/completions": () => (reached++, json({})),
    "/new/embeddings": () => (reached++, json({})),
  }, async (base) => {
    const p = openai(`${base}/old`);
    const e = errorOf(await p.complete({ messages: [{ role: "user", content: "x" }] }));
    assert.equal(e.code, "provider_error");
    assert.deepEqual(e.details, { reason: "http", status: 301, body: "moved" });
    assert.match(e.message, /redirect to \/new\/chat\/completions/);
    assert.match(e.message, new RegExp(`use --llm-base-url ${base}/new\\)`));
    const e2 = errorOf(await p.embed({ input: "x" }));
    assert.equal(e2.details?.status, 307);
    assert.match(e2.message, new RegExp(`use --llm-base-url ${base}/new\\)`));
    const e3 = errorOf(
      await openai(`${base}/gone`).complete({ messages: [{ role: "user", content: "x" }] }),
    );
    assert.match(
      e3.message,
      /redirect to http:\/\/127\.0\.0\.1:1\/login; .*point --llm-base-url at/,
    );
    assert.equal(reached, 0, "the redirect target was never called");
  });
});

Deno.test("a provider slower than the timeout gives reason timeout", async () => {
  // the fake server answers only after the client has given up
  const gate = Promise.withResolvers<void>();
  await withServer({
    "/chat/completions": async () => {
      await gate.promise;
      return new Response("late");
    },
  }, async (base) => {
    try {
      const p = openai(base, { timeoutMs: 150 });
      const e = errorOf(await p.complete({ messages: [{ role: "user", content: "x" }] }));
      assert.equal(e.code, "provider_error");
      assert.equal(e.details?.reason, "timeout");
      assert.match(e.message, /150 ms/);
    } finally {
      gate.resolve();
    }
  });
});

Deno.test("an unreachable provider gives reason network", async () => {
  // a port that was just free: nothing listens on it any more
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  l.close();
  const p = openai(`http://127.0.0.1:${port}/v1`);
  const e = errorOf(await p.complete({ messages: [{ role: "user", content: "x" }] }));
  assert.equal(e.code, "provider_error");
  assert.equal(e.details?.reason, "network");
  const e2 = errorOf(await p.embed({ input: "x" }));
  assert.equal(e2.details?.reason, "network");
});

Deno.test("an unreachable provider's message says why (connection refused), not a bare 'fetch failed'", async () => {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  l.close();
  const p = openai(`http://alice:hunter2pw@127.0.0.1:${port}/v1`, { apiKey: "sk-secret-4242" });
  const e = errorOf(await p.complete({ messages: [{ role: "user", content: "x" }] }));
  assert.match(e.message, /refused/i);
  // the cause's own copy of the URL is dropped: the message names the target once, without userinfo
  assert.equal(e.message.split(`127.0.0.1:${port}`).length, 2, e.message);
  assert.ok(!/hunter2pw|sk-secret/.test(e.message), e.message);
});

Deno.test("failures never carry the API key or a base URL's password", () =>
  withServer({
    // a provider that echoes the request's credentials in its error body
    "/v1/chat/completions": (req) =>
      new Response(`denied for ${req.headers.get("authorization")}`, { status: 401 }),
    "/v1/embeddings": () => new Response("not json", { status: 200 }),
  }, async (base) => {
    const withUser = base.replace("http://", "http://alice:hunter2pw@");
    const p = openai(`${withUser}/v1`, { apiKey: "sk-secret-4242" });
    const e = errorOf(await p.complete({ messages: [{ role: "user", content: "x" }] }));
    assert.equal(e.details?.reason, "http");
    const e2 = errorOf(await p.embed({ input: "x" }));
    assert.equal(e2.details?.reason, "bad_response");
    for (const text of [JSON.stringify(e), JSON.stringify(e2)]) {
      assert.doesNotMatch(text, /sk-secret-4242|hunter2pw|alice/, text);
    }
    assert.equal(e.details?.body, "denied for Basic ***, Bearer ***");
    assert.equal(
      e.message,
      `LLM provider answered HTTP 401 for POST ${base}/v1/chat/completions: denied for Basic ***, ` +
        "Bearer *** (check OPENAI_API_KEY: the provider refused the key sent as a Bearer token)",
    );
  }));

Deno.test("a reply past the frame limit is bad_response, not read whole", () =>
  withServer({
    "/chat/completions": () =>
      new Response(`{"choices":[{"message":{"content":"${"a".repeat(MAX_REPLY_BYTES)}"}}]}`),
  }, async (base) => {
    const e = errorOf(await openai(base).complete({ messages: [{ role: "user", content: "x" }] }));
    assert.equal(e.details?.reason, "bad_response");
    assert.match(e.message, /more than 16777216 bytes/);
  }));

Deno.test("a fetch failure's reason shows no password, whatever form the runtime's text takes", () => {
  const failure = (cause: string) => new TypeError("fetch failed", { cause: new Error(cause) });
  // the form Deno uses today: the URL prefix is dropped (the caller names the URL already)
  assert.equal(
    fetchFailure(failure("error sending request for url (http://al:pw@h/v1/x): dns error")),
    "fetch failed (dns error)",
  );
  // any other form: the reason is kept, a URL in it loses its password
  const other = fetchFailure(failure("connect to http://al:s3cret@h:1/v1 refused"));
  assert.equal(other, "fetch failed (connect to http://al:***@h:1/v1 refused)");
  assert.equal(fetchFailure(new Error("plain")), "plain");
});
