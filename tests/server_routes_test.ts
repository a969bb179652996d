/** Main-origin routes (CONTRACT §11.3) through `app.request()` against the real core. */
import assert from "node:assert/strict";
import { createAppOriginApp, createMainApp } from "../lib/server/app.ts";
import { RPC, RpcError } from "../lib/core/rpc_error.ts";
import type { ServerRuntime } from "../lib/server/context.ts";
import { makeRuntime, manifest } from "./helpers/runtime.ts";
import { APPH, AUTH, MAIN, serverContext, TOKEN } from "./helpers/server.ts";

const rpcBody = (method: string, params: unknown = {}, id: unknown = 1) =>
  JSON.stringify({ jsonrpc: "2.0", id, method, params });

Deno.test("routes: /healthz, pages, dashboard assets and 404 JSON", async () => {
  await using t = await makeRuntime({ mode: "serve" });
  const app = createMainApp(serverContext(t.rt));
  const h = await app.request("/healthz", { headers: MAIN });
  assert.deepEqual(await h.json(), { ok: true, version: "9.9.9" });

  const dash = await app.request("/", { headers: MAIN });
  assert.equal(dash.status, 200);
  assert.equal(await dash.text(), `<meta name="anna-control-token" content="${TOKEN}">dash 5181`);
  assert.equal(dash.headers.get("cache-control"), "no-store");
  assert.equal(dash.headers.get("referrer-policy"), "no-referrer");
  // a page on another loopback port is same-site, so only this stops it framing the dashboard
  assert.equal(dash.headers.get("x-frame-options"), "DENY");
  assert.equal(
    dash.headers.get("content-security-policy"),
    "default-src 'self'; frame-src http://127.0.0.1:5181 http://localhost:5181 http://[::1]:5181; " +
      "connect-src 'self' ws://127.0.0.1:5180; img-src 'self' data:; style-src 'self' 'unsafe-inline'",
  );
  const asset = await app.request("/_dash/host.js", { headers: MAIN });
  assert.equal(await asset.text(), "// host");
  assert.equal((await app.request("/_dash/nope.js", { headers: MAIN })).status, 404);

  for (
    const p of ["/nope", "/anna-apps/x/dev/index.html", "/static/anna-apps/_sdk/latest/index.js"]
  ) {
    const r = await app.request(p, { headers: AUTH });
    assert.equal(r.status, 404, p);
    assert.deepEqual(await r.json(), { error: { code: "not_found" } });
  }
});

Deno.test("routes: /dev/:wid serves the host page for an open window, a 404 page otherwise", async () => {
  await using t = await makeRuntime({ mode: "serve" });
  const app = createMainApp(serverContext(t.rt));
  const s = await t.call("session.create", { app_slug: "notes", manifest: manifest() });
  const ok = await app.request(`/dev/${s.window_uuid}`, { headers: MAIN });
  assert.equal(ok.status, 200);
  assert.equal(await ok.text(), `dev ${s.session_id} ${s.window_uuid} ${TOKEN}`);
  assert.equal(ok.headers.get("content-type"), "text/html; charset=utf-8");
  assert.equal(ok.headers.get("x-frame-options"), "DENY");

  const missing = await app.request("/dev/0000-<script>", { headers: MAIN });
  assert.equal(missing.status, 404);
  const html = await missing.text();
  assert.match(html, /Window not found/);
  assert.ok(!html.includes("<script>"), "the wid is escaped");

  await t.call("session.close", { session_id: s.session_id });
  assert.equal((await app.request(`/dev/${s.window_uuid}`, { headers: MAIN })).status, 404);
});

Deno.test("routes: POST /rpc answers 200, 204 for notifications, 413 over the limit", async () => {
  await using t = await makeRuntime({ mode: "serve" });
  const app = createMainApp(serverContext(t.rt, { maxBodyBytes: 2048 }));
  const post = (body: BodyInit) => app.request("/rpc", { method: "POST", headers: AUTH, body });

  const info = await post(rpcBody("runtime.info", {}, "a"));
  assert.equal(info.status, 200);
  const j = await info.json();
  assert.equal(j.id, "a");
  assert.equal(j.result.mode, "serve");

  const batch = await post(
    `[${rpcBody("runtime.info", {}, 1)},{"jsonrpc":"2.0","method":"runtime.info"}]`,
  );
  const arr = await batch.json();
  assert.equal(arr.length, 1);
  assert.equal(arr[0].id, 1);

  const note = await post(`{"jsonrpc":"2.0","method":"runtime.info"}`);
  assert.equal(note.status, 204);
  assert.equal(await note.text(), "");

  const bad = await post("{not json");
  assert.equal(bad.status, 200);
  assert.equal((await bad.json()).error.code, RPC.PARSE_ERROR);
  const utf = await post(new Uint8Array([0x7b, 0xff, 0x7d]));
  assert.equal(utf.status, 200, "a JSON-RPC parse error, like `{not json`");
  assert.deepEqual((await utf.json()).error, {
    code: RPC.PARSE_ERROR,
    message: "parse_error",
    data: { detail: "invalid UTF-8 in request body" },
  });

  const big = await post(rpcBody("runtime.info", { pad: "x".repeat(3000) }));
  assert.equal(big.status, 413);
  const tooLarge = await big.json();
  assert.deepEqual(tooLarge, {
    jsonrpc: "2.0",
    id: null,
    error: {
      code: -32600,
      message: "frame_too_large",
      data: {
        code: "frame_too_large",
        frame_bytes: tooLarge.error.data.frame_bytes,
        max_frame_bytes: 2048,
      },
    },
  });
  assert.ok(tooLarge.error.data.frame_bytes > 3000);
  // GET is not a route
  assert.equal((await app.request("/rpc", { headers: AUTH })).status, 404);
});

Deno.test("routes: /api/session/create and /api/session/call", async () => {
  await using t = await makeRuntime({ mode: "serve" });
  const app = createMainApp(serverContext(t.rt));
  const api = (path: string, body: unknown) =>
    app.request(path, {
      method: "POST",
      headers: { ...AUTH, "content-type": "application/json" },
      body: typeof body === "string" ? body : JSON.stringify(body),
    });

  const created = await api("/api/session/create", {
    app_slug: "notes",
    manifest: manifest({ storage: ["get", "set"] }),
  });
  assert.equal(created.status, 200);
  const s = await created.json();
  assert.match(s.session_id, /^ses_[0-9a-f]{32}$/);

  const set = await api("/api/session/call", {
    session_id: s.session_id,
    ns: "storage",
    method: "set",
    args: { key: "k", value: 7 },
  });
  assert.equal(set.status, 200);
  assert.equal((await set.json()).ok, true);
  const get = await api("/api/session/call", {
    session_id: s.session_id,
    ns: "storage",
    method: "get",
    params: { key: "k" },
  });
  const outcome = await get.json();
  assert.equal(outcome.ok, true);
  // a dispatcher denial is still a 200 with the outcome
  const denied = await api("/api/session/call", {
    session_id: s.session_id,
    ns: "chat",
    method: "write_message",
    args: {},
  });
  assert.equal(denied.status, 200);
  assert.equal((await denied.json()).ok, false);

  const unknown = await api("/api/session/call", {
    session_id: "ses_nope",
    ns: "storage",
    method: "get",
    args: {},
  });
  assert.equal(unknown.status, 404);
  const ue = await unknown.json();
  assert.equal(ue.error.code, "unknown_session");
  assert.deepEqual(ue.error.details, { session_id: "ses_nope" });

  const invalid = await api("/api/session/create", { manifest: manifest() });
  assert.equal(invalid.status, 400);
  const ie = await invalid.json();
  assert.equal(ie.error.code, "invalid_params");
  assert.equal(typeof ie.error.message, "string");
  const broken = await api("/api/session/create", { app_slug: "x", manifest: { schema: 2 } });
  assert.equal(broken.status, 400);
  assert.equal((await broken.json()).error.details.reason, "manifest_invalid");
  assert.equal((await api("/api/session/create", "[1,2]")).status, 400);
  assert.equal((await api("/api/session/create", "{oops")).status, 400);
  // an empty body is an empty object: the answer names the missing params, not a parse error
  for (const empty of ["", " \n"]) {
    const r = await api("/api/session/create", empty);
    assert.equal(r.status, 400);
    assert.equal((await r.json()).error.code, "invalid_params", JSON.stringify(empty));
  }

  // the log saw the api calls
  const log = await (await app.request("/api/log", { headers: AUTH })).json();
  const rpc = log.entries.filter((e: { type: string }) => e.type === "rpc");
  assert.ok(rpc.length >= 3);
  assert.ok(rpc.every((e: { transport: string }) => e.transport === "api"));
  assert.ok(
    log.entries.some((e: { type: string; action?: string }) =>
      e.type === "session" && e.action === "created"
    ),
  );
});

Deno.test("routes: session_limit maps to 503, internal faults to 500", async () => {
  const fake = {
    call(method: string) {
      if (method === "session.create") {
        return Promise.reject(new RpcError(RPC.SESSION_LIMIT, "session_limit", { max: 1024 }));
      }
      return Promise.reject(new Error("boom"));
    },
  } as unknown as ServerRuntime;
  const app = createMainApp(serverContext(fake));
  const r = await app.request("/api/session/create", { method: "POST", headers: AUTH, body: "{}" });
  assert.equal(r.status, 503);
  assert.deepEqual(await r.json(), {
    error: {
      code: "session_limit",
      message: "too many open sessions (max 1024); close finished ones with session.close over " +
        "/rpc or /ws (session.list lists them)",
      details: { max: 1024 },
    },
  });
  const c = await app.request("/api/session/call", { method: "POST", headers: AUTH, body: "{}" });
  assert.equal(c.status, 500);
  assert.equal((await c.json()).error.code, "internal_error");
});

/** A POST whose body stream fails part-way, as when the client hangs up mid-request. */
function cutShort(path: string, headers: Record<string, string>) {
  let sent = false;
  const body = new ReadableStream<Uint8Array>({
    pull(c) {
      if (!sent) {
        sent = true;
        c.enqueue(new TextEncoder().encode('{"jsonrpc":'));
      } else c.error(new Error("connection reset"));
    },
  });
  return new Request(`http://127.0.0.1:5180${path}`, {
    method: "POST",
    headers: { ...headers, "content-type": "application/json" },
    body,
    // @ts-ignore: Deno's Request needs this for a streamed body
    duplex: "half",
  });
}

Deno.test("routes: a request body cut short is 400 bad_request on every POST route, not 500", async () => {
  await using t = await makeRuntime({ mode: "serve" });
  const app = createMainApp(serverContext(t.rt));
  const appOrigin = createAppOriginApp(serverContext(t.rt));
  const routes = [
    [app, "/rpc", AUTH],
    [app, "/api/session/create", AUTH],
    [app, "/api/session/call", AUTH],
    [appOrigin, "/_anna/csp-report", APPH],
  ] as const;
  for (const [origin, path, headers] of routes) {
    const r = await origin.request(cutShort(path, headers));
    assert.equal(r.status, 400, path);
    const body = await r.json();
    assert.equal(body.error.code, "bad_request", path);
    assert.match(body.error.message, /^the request body ended early \(.*connection reset/, path);
  }
});

Deno.test("routes: /api/session/call and /api/log send a value nested too deep for JSON.stringify", async () => {
  await using t = await makeRuntime({ mode: "dev" });
  const app = createMainApp(serverContext(t.rt));
  const s = await t.call("session.create", {
    app_slug: "deep",
    manifest: manifest({ storage: ["get", "set"] }),
  });
  let deep: unknown = 1;
  for (let i = 0; i < 20_000; i++) deep = [deep];
  const set = await app.request("/rpc", {
    method: "POST",
    headers: AUTH,
    body: rpcBody("session.call", {
      session_id: s.session_id,
      ns: "storage",
      method: "set",
      args: { key: 'q"d', value: deep },
    }),
  });
  assert.equal(set.status, 200);
  const got = await app.request("/api/session/call", {
    method: "POST",
    headers: AUTH,
    body: JSON.stringify({
      session_id: s.session_id,
      ns: "storage",
      method: "get",
      args: { key: 'q"d' },
    }),
  });
  assert.equal(got.status, 200);
  const text = await got.text();
  assert.ok(text.startsWith('{"ok":true,"result":{"value":[[[['), text.slice(0, 80));
  assert.equal(text.split("[").length - 1, 20_000);
  const log = await app.request("/api/log", { headers: AUTH });
  assert.equal(log.status, 200);
  assert.ok((await log.text()).length > 20_000);
});
