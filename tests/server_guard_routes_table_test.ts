/**
 * The request guard (CONTRACT §11.2) on every route of the real apps (§11.3, §11.4), not on the
 * stub routes of server_guard_test: each row is one request against `createMainApp` /
 * `createAppOriginApp` with the real core behind them. Rows cover DNS-rebinding Host forms, the
 * cross-site and Origin steps (`null`, the other listener's origin), the control token and the
 * order of the four steps; then the split of routes between the two origins (§11.1), the fallback
 * 404 for other methods and paths (§11.3), and the same guard on real sockets for the WebSocket
 * upgrade (§11.6) and SSE (§11.5), and the busy app-port fallback (§11.1).
 */
import assert from "node:assert/strict";
import { createAppOriginApp, createMainApp } from "../lib/server/app.ts";
import { ListenError } from "../lib/server/mod.ts";
import { makeRuntime, manifest } from "./helpers/runtime.ts";
import {
  appDirSession,
  runningServer,
  serverContext,
  startTestServer,
  TOKEN,
} from "./helpers/server.ts";

const MAIN_PORT = 5180;
const APP_PORT = 5181;

interface Route {
  method: string;
  path: string;
  /** Main-origin control route (§11.2 step 4). */
  token: boolean;
  /** Status when every check passes. */
  ok: number;
  body?: string;
  headers?: Record<string, string>;
}

/** The real apps with one `app_dir` session, so every route has something to answer. */
async function realApps() {
  const { t, s } = await appDirSession("guard-app");
  const ctx = serverContext(t.rt);
  const sid = s.session_id as string;
  const slug = s.app_slug as string;
  const mainRoutes: Route[] = [
    { method: "GET", path: "/", token: false, ok: 200 },
    { method: "GET", path: "/_dash/host.js", token: false, ok: 200 },
    { method: "GET", path: `/dev/${s.window_uuid}`, token: false, ok: 200 },
    { method: "GET", path: "/healthz", token: false, ok: 200 },
    {
      method: "POST",
      path: "/rpc",
      token: true,
      ok: 200,
      body: '{"jsonrpc":"2.0","id":1,"method":"runtime.info"}',
    },
    // no socket behind app.request(): a passing upgrade reaches Deno's upgrade, which refuses it
    {
      method: "GET",
      path: "/ws",
      token: true,
      ok: 400,
      headers: { upgrade: "websocket", connection: "Upgrade" },
    },
    { method: "GET", path: `/sessions/${sid}/events`, token: true, ok: 200 },
    { method: "POST", path: "/api/session/create", token: true, ok: 400, body: "{}" },
    {
      method: "POST",
      path: "/api/session/call",
      token: true,
      ok: 200,
      body: JSON.stringify({ session_id: sid, ns: "storage", method: "get", args: { key: "k" } }),
    },
    { method: "GET", path: "/api/log", token: true, ok: 200 },
    { method: "GET", path: "/api/log/stream", token: true, ok: 200 },
    { method: "GET", path: "/api/csp-reports", token: true, ok: 200 },
    { method: "GET", path: "/no-such-route", token: false, ok: 404 },
  ];
  const appRoutes: Route[] = [
    { method: "GET", path: `/anna-apps/${slug}/dev`, token: false, ok: 301 },
    { method: "GET", path: `/anna-apps/${slug}/dev/index.html`, token: false, ok: 200 },
    { method: "GET", path: `/anna-apps/${slug}/dev/anna-tool-ids.js`, token: false, ok: 200 },
    { method: "GET", path: "/static/anna-apps/_sdk/latest/index.js", token: false, ok: 200 },
    {
      method: "POST",
      path: "/_anna/csp-report",
      token: false,
      ok: 204,
      body: '{"csp-report":{"document-uri":"x"}}',
    },
    { method: "GET", path: "/healthz", token: false, ok: 200 },
    { method: "GET", path: "/no-such-route", token: false, ok: 404 },
  ];
  const main = createMainApp(ctx);
  const app = createAppOriginApp(ctx);
  return {
    t,
    sid,
    slug,
    main,
    app,
    mainRoutes,
    appRoutes,
    /** Both origins: each app with its routes, its port and the other origin's port. */
    sides: [
      { app: main, routes: mainRoutes, port: MAIN_PORT, other: APP_PORT },
      { app, routes: appRoutes, port: APP_PORT, other: MAIN_PORT },
    ],
    async [Symbol.asyncDispose]() {
      await t[Symbol.asyncDispose]();
    },
  };
}

/** Status and parsed error body of one request; streams are cancelled, never read. */
async function send(
  app: { request: (p: string, i: RequestInit) => Response | Promise<Response> },
  r: Route,
  headers: Record<string, string>,
) {
  const res = await app.request(r.path, {
    method: r.method,
    headers: { ...r.headers, ...headers },
    body: r.body,
  });
  let error: { code?: string; message?: string } | undefined;
  if ((res.headers.get("content-type") ?? "").startsWith("application/json")) {
    error = (await res.json())?.error;
  } else await res.body?.cancel();
  return { status: res.status, error, res };
}

const host = (port: number) => ({ host: `127.0.0.1:${port}` });
const withToken = { "x-anna-control-token": TOKEN };

/** DNS-rebinding and look-alike Host values: none is a loopback name on the listener's port. */
function rebindingHosts(port: number, other: number): string[] {
  return [
    `evil.test:${port}`,
    `localhost.evil.com:${port}`,
    `127.0.0.1.nip.io:${port}`,
    `localhost.:${port}`,
    `127.0.0.1.:${port}`,
    `[::ffff:127.0.0.1]:${port}`,
    `[0:0:0:0:0:0:0:1]:${port}`,
    `[::1%25lo]:${port}`,
    `127.1:${port}`,
    `2130706433:${port}`,
    `0x7f000001:${port}`,
    `0.0.0.0:${port}`,
    `localhost`,
    `[::1]`,
    `127.0.0.1:80`,
    `localhost:${other}`,
    `[::1]:${other}`,
    `LOCALHOST:${other}`,
  ];
}

Deno.test("§11.2 step 1 on every route of both origins: rebinding Host forms → 403 forbidden_host with the exact body", async () => {
  await using s = await realApps();
  for (const side of s.sides) {
    for (const r of side.routes) {
      for (const h of rebindingHosts(side.port, side.other)) {
        const got = await send(side.app, r, { host: h, ...withToken });
        const row = `${side.port} ${r.method} ${r.path} Host ${h}`;
        assert.equal(got.status, 403, row);
        assert.deepEqual(got.error, {
          code: "forbidden_host",
          message: `Host '${h}' is not allowed; add --allowed-host ${h}`,
        }, row);
      }
      // the loopback names pass in any case, IPv6 in brackets, on this listener's port only
      for (const h of [`LOCALHOST:${side.port}`, `[::1]:${side.port}`, `127.0.0.1:${side.port}`]) {
        const got = await send(side.app, r, { host: h, ...withToken });
        assert.equal(got.status, r.ok, `${side.port} ${r.method} ${r.path} Host ${h}`);
      }
    }
  }
});

Deno.test("§11.2 step 2 on every route: Sec-Fetch-Site cross-site → 403 forbidden_origin, even the CSP report", async () => {
  await using s = await realApps();
  for (const { app, routes, port } of s.sides) {
    for (const r of routes) {
      const got = await send(app, r, {
        ...host(port),
        ...withToken,
        "sec-fetch-site": "cross-site",
      });
      assert.equal(got.status, 403, `${port} ${r.method} ${r.path}`);
      assert.equal(got.error?.code, "forbidden_origin", `${port} ${r.method} ${r.path}`);
      // same-site is how the other loopback port's pages arrive: step 3 decides those
      const same = await send(app, r, {
        ...host(port),
        ...withToken,
        "sec-fetch-site": "same-site",
      });
      assert.equal(same.status, r.ok, `${port} ${r.method} ${r.path} same-site`);
    }
  }
});

Deno.test("§11.2 step 3 on the main origin: only main-origin forms; null, the app origin and look-alikes → 403", async () => {
  await using s = await realApps();
  const refused = [
    "null",
    "http://evil.test",
    // the app origin calling control routes (cross-listener)
    `http://127.0.0.1:${APP_PORT}`,
    `http://localhost:${APP_PORT}`,
    `http://[::1]:${APP_PORT}`,
    // look-alikes of the main origin
    `https://127.0.0.1:${MAIN_PORT}`,
    `http://localhost.:${MAIN_PORT}`,
    `http://localhost.evil.com:${MAIN_PORT}`,
    `http://127.0.0.1:${MAIN_PORT}.evil.com`,
    `http://127.0.0.1.nip.io:${MAIN_PORT}`,
    `http://127.0.0.1:${MAIN_PORT}/`,
    `http://127.0.0.1`,
    `ws://127.0.0.1:${MAIN_PORT}`,
    `http://[`,
    "",
  ];
  for (const r of s.mainRoutes) {
    for (const origin of refused) {
      const got = await send(s.main, r, { ...host(MAIN_PORT), ...withToken, origin });
      const row = `${r.method} ${r.path} Origin ${JSON.stringify(origin)}`;
      assert.equal(got.status, 403, row);
      assert.equal(got.error?.code, "forbidden_origin", row);
    }
    for (
      const origin of [
        `http://127.0.0.1:${MAIN_PORT}`,
        `http://LOCALHOST:${MAIN_PORT}`,
        `http://[::1]:${MAIN_PORT}`,
      ]
    ) {
      const got = await send(s.main, r, { ...host(MAIN_PORT), ...withToken, origin });
      assert.equal(got.status, r.ok, `${r.method} ${r.path} Origin ${origin}`);
    }
  }
});

Deno.test("§11.2 step 3 on the app origin: app and main forms pass; null only for POST /_anna/csp-report", async () => {
  await using s = await realApps();
  for (const r of s.appRoutes) {
    const report = r.method === "POST" && r.path === "/_anna/csp-report";
    for (
      const origin of [
        `http://127.0.0.1:${APP_PORT}`,
        `http://localhost:${APP_PORT}`,
        `http://127.0.0.1:${MAIN_PORT}`,
        `http://[::1]:${MAIN_PORT}`,
      ]
    ) {
      const got = await send(s.app, r, { ...host(APP_PORT), origin });
      assert.equal(got.status, r.ok, `${r.method} ${r.path} Origin ${origin}`);
    }
    for (const origin of ["null", "http://evil.test", `https://127.0.0.1:${APP_PORT}`]) {
      const got = await send(s.app, r, { ...host(APP_PORT), origin });
      const row = `${r.method} ${r.path} Origin ${origin}`;
      if (report) assert.equal(got.status, r.ok, row);
      else {
        assert.equal(got.status, 403, row);
        assert.equal(got.error?.code, "forbidden_origin", row);
      }
    }
  }
});

Deno.test("§11.2 step 4 on the real routes: control routes 401 without the token; pages, health and the app origin never ask", async () => {
  await using s = await realApps();
  for (const r of s.mainRoutes) {
    const bare = await send(s.main, r, host(MAIN_PORT));
    const row = `${r.method} ${r.path}`;
    if (r.token) {
      assert.equal(bare.status, 401, row);
      assert.deepEqual(
        bare.error,
        { code: "unauthorized", message: "missing or invalid control token" },
        row,
      );
      // each of the three places carries it
      for (
        const [path, h] of [
          [r.path, { authorization: `Bearer ${TOKEN}` }],
          [`${r.path}?ct=${TOKEN}`, {}],
          [r.path, withToken],
        ] as const
      ) {
        const got = await send(s.main, { ...r, path }, { ...host(MAIN_PORT), ...h });
        assert.equal(got.status, r.ok, `${row} ${JSON.stringify(h)} ${path}`);
      }
    } else assert.equal(bare.status, r.ok, row);
  }
  for (const r of s.appRoutes) {
    assert.equal((await send(s.app, r, host(APP_PORT))).status, r.ok, `${r.method} ${r.path}`);
  }
});

Deno.test("§11.1 on the real routes: without --allow-remote a non-loopback peer gets 403 on every route of both origins", async () => {
  await using s = await realApps();
  const lan = { remoteAddr: { hostname: "192.168.1.20", port: 40000, transport: "tcp" } };
  const loop = { remoteAddr: { hostname: "127.0.0.1", port: 40000, transport: "tcp" } };
  for (const { app, routes, port } of s.sides) {
    for (const r of routes) {
      const init = {
        method: r.method,
        headers: { ...r.headers, ...host(port), ...withToken },
        body: r.body,
      };
      const far = await app.request(r.path, init, lan);
      await far.body?.cancel();
      assert.equal(far.status, 403, `${port} ${r.method} ${r.path} from the LAN`);
      const near = await app.request(r.path, { ...init, body: r.body }, loop);
      await near.body?.cancel();
      assert.equal(near.status, r.ok, `${port} ${r.method} ${r.path} from loopback`);
    }
  }
});

Deno.test("§11.2 step 4: no spelling of a control route's path reaches its handler without the token", async () => {
  await using s = await realApps();
  const ev = `/sessions/${s.sid}/events`;
  const spellings = [
    "//api/log",
    "/api//log",
    "/api/log/",
    "/%61pi/log",
    "/api%2flog",
    "/api/./log",
    "/x/../api/log",
    "/API/log",
    "/api/log;x=1",
    "//rpc",
    "/rpc/",
    "/%72pc",
    "/RPC",
    "//ws",
    "/ws/",
    "/w%73",
    `/${ev}`,
    `${ev}/`,
    ev.replace("/sessions", "/%73essions"),
    ev.replace("/events", "//events"),
    "//api/csp-reports",
    "//api/log/stream",
  ];
  for (const path of spellings) {
    for (const method of ["GET", "POST"]) {
      const res = await s.main.request(path, {
        method,
        headers: { ...host(MAIN_PORT), upgrade: "websocket", connection: "Upgrade" },
        body: method === "POST" ? '{"jsonrpc":"2.0","id":1,"method":"session.list"}' : undefined,
      });
      const text = await res.text();
      assert.ok(
        res.status === 401 || (res.status === 404 && text === '{"error":{"code":"not_found"}}'),
        `${method} ${path}: ${res.status} ${text.slice(0, 80)}`,
      );
    }
  }
});

Deno.test("§11.2 order: Host, then Sec-Fetch-Site, then Origin, then the token, on a control route", async () => {
  await using s = await realApps();
  const r = s.mainRoutes.find((x) => x.path === "/rpc")!;
  const all = {
    host: "evil.test:5180",
    "sec-fetch-site": "cross-site",
    origin: "null",
  };
  const code = async (h: Record<string, string>) => (await send(s.main, r, h)).error?.code;
  assert.equal(await code(all), "forbidden_host");
  assert.equal(await code({ ...all, ...host(MAIN_PORT) }), "forbidden_origin");
  const noSite = { ...host(MAIN_PORT), origin: "null" };
  const msg = (await send(s.main, r, noSite)).error?.message;
  assert.equal(msg, "Origin 'null' is not allowed", "step 3, not step 2, refused it");
  assert.equal(await code(host(MAIN_PORT)), "unauthorized");
});

Deno.test("§11.1 split: control routes and pages are never on the app origin, bundles, SDK and CSP reports never on the main origin", async () => {
  await using s = await realApps();
  const notFound = { code: "not_found" };
  for (const r of s.mainRoutes.filter((x) => x.path !== "/healthz" && x.ok !== 404)) {
    // the app origin with the control token too: it is still not a route there
    const got = await send(s.app, r, { ...host(APP_PORT), ...withToken });
    assert.equal(got.status, 404, `app origin ${r.method} ${r.path}`);
    assert.equal(got.error?.code, notFound.code, `app origin ${r.method} ${r.path}`);
  }
  for (const r of s.appRoutes.filter((x) => x.path !== "/healthz" && x.ok !== 404)) {
    const got = await send(s.main, r, { ...host(MAIN_PORT), ...withToken });
    assert.equal(got.status, 404, `main origin ${r.method} ${r.path}`);
    assert.deepEqual(got.error, notFound, `main origin ${r.method} ${r.path}`);
  }
});

Deno.test("§11.3: any other method or path on the main origin → 404 {error:{code:'not_found'}}", async () => {
  await using s = await realApps();
  const rows: [string, string][] = [
    ["POST", "/"],
    ["PUT", "/rpc"],
    ["GET", "/rpc"],
    ["DELETE", "/api/log"],
    ["POST", "/api/log"],
    ["GET", "/api/session/create"],
    ["GET", "/api/nope"],
    ["POST", "/healthz"],
    ["GET", `/sessions/${s.sid}`],
    ["GET", `/sessions/${s.sid}/events/x`],
    ["POST", `/sessions/${s.sid}/events`],
    ["GET", "/dev/"],
    ["GET", "/_dash/"],
    ["OPTIONS", "/rpc"],
  ];
  for (const [method, path] of rows) {
    const got = await send(s.main, { method, path, token: true, ok: 404 }, {
      ...host(MAIN_PORT),
      ...withToken,
    });
    assert.equal(got.status, 404, `${method} ${path}`);
    assert.deepEqual(got.error, { code: "not_found" }, `${method} ${path}`);
  }
});

Deno.test("§11.5: the SSE stream and its 404 carry no CORS header, whatever the Origin", async () => {
  await using s = await realApps();
  for (const path of [`/sessions/${s.sid}/events`, "/sessions/ses_nope/events"]) {
    const res = await s.main.request(path, {
      headers: { ...host(MAIN_PORT), ...withToken, origin: `http://localhost:${MAIN_PORT}` },
    });
    await res.body?.cancel();
    assert.ok(res.status === 200 || res.status === 404, path);
    for (const k of res.headers.keys()) assert.ok(!k.startsWith("access-control-"), `${path} ${k}`);
  }
});

// ---- real sockets: the upgrade and SSE requests exactly as a browser or a script sends them ----

/** The status line of a raw request with chosen headers (fetch and WebSocket would set their own). */
async function rawStatus(port: number, lines: string[]): Promise<number> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  try {
    await conn.write(new TextEncoder().encode([...lines, "", ""].join("\r\n")));
    let text = "";
    const buf = new Uint8Array(4096);
    // the head is enough: a 101 or an SSE stream would never end on its own
    while (!text.includes("\r\n\r\n")) {
      const n = await conn.read(buf);
      if (n === null) break;
      text += new TextDecoder().decode(buf.subarray(0, n));
    }
    return Number(text.split(" ")[1]);
  } finally {
    conn.close();
  }
}

Deno.test("§11.6/§11.2 on a real socket: the /ws upgrade passes the guard like any request", async () => {
  await using r = await runningServer();
  const port = r.server.config.mainPort;
  const appPort = r.server.config.appPort;
  const upgrade = (h: string, extra: string[], path = `/ws?ct=${TOKEN}`) => [
    `GET ${path} HTTP/1.1`,
    `Host: ${h}`,
    "Upgrade: websocket",
    "Connection: Upgrade",
    "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==",
    "Sec-WebSocket-Version: 13",
    ...extra,
  ];
  const rows: [string, string, string[], number][] = [
    ["no Origin (a script)", `127.0.0.1:${port}`, [], 101],
    ["main Origin", `localhost:${port}`, [`Origin: http://localhost:${port}`], 101],
    ["Origin null", `127.0.0.1:${port}`, ["Origin: null"], 403],
    ["the app origin", `127.0.0.1:${port}`, [`Origin: http://127.0.0.1:${appPort}`], 403],
    ["a foreign page", `127.0.0.1:${port}`, ["Origin: http://evil.test"], 403],
    ["rebinding Host", `localhost.evil.com:${port}`, [], 403],
    ["rebinding Host with a main Origin", `evil.test:${port}`, [
      `Origin: http://127.0.0.1:${port}`,
    ], 403],
    ["cross-site", `127.0.0.1:${port}`, ["Sec-Fetch-Site: cross-site"], 403],
  ];
  for (const [what, h, extra, want] of rows) {
    assert.equal(await rawStatus(port, upgrade(h, extra)), want, what);
  }
  assert.equal(await rawStatus(port, upgrade(`127.0.0.1:${port}`, [], "/ws")), 401, "no ct");
  // the app origin has no /ws, token or not
  assert.equal(await rawStatus(appPort, upgrade(`127.0.0.1:${appPort}`, [])), 404, "app origin");
});

Deno.test("§11.5/§11.2 on a real socket: SSE requests pass the guard like any request", async () => {
  await using r = await runningServer();
  const port = r.server.config.mainPort;
  const s = await r.t.call("session.create", { app_slug: "notes", manifest: manifest() });
  const get = (h: string, extra: string[], path = `/sessions/${s.session_id}/events?ct=${TOKEN}`) =>
    rawStatus(port, [`GET ${path} HTTP/1.1`, `Host: ${h}`, "Accept: text/event-stream", ...extra]);
  assert.equal(await get(`127.0.0.1:${port}`, []), 200);
  assert.equal(await get(`127.0.0.1:${port}`, [`Origin: http://127.0.0.1:${port}`]), 200);
  assert.equal(await get(`127.0.0.1:${port}`, ["Origin: null"]), 403);
  assert.equal(
    await get(`127.0.0.1:${port}`, [`Origin: http://127.0.0.1:${r.server.config.appPort}`]),
    403,
  );
  assert.equal(await get(`127.0.0.1.nip.io:${port}`, []), 403);
  assert.equal(await get(`127.0.0.1:${port}`, [], `/sessions/${s.session_id}/events`), 401);
  assert.equal(await get(`127.0.0.1:${port}`, [], `/api/log/stream`), 401);
  assert.equal(
    await get(`127.0.0.1:${port}`, ["Origin: null"], `/api/log/stream?ct=${TOKEN}`),
    403,
  );
});

// ---- §11.1 ports: the app origin's default is main + 1, and a busy one falls back ---------------

Deno.test("§11.1: a busy default app port (main + 1) falls back to a free one with the warning; a busy explicit one is exit 3", async () => {
  const t = await makeRuntime({ mode: "serve" });
  await using _t = t;
  const start = (port: number, appPort?: number) => startTestServer(t.rt, { port, appPort });
  // hold a port B, then start the main origin on B - 1 (retrying when B - 1 is taken)
  for (let attempt = 0;; attempt++) {
    const blocker = Deno.serve(
      { hostname: "127.0.0.1", port: 0, onListen() {} },
      () => new Response("x"),
    );
    const busy = blocker.addr.port;
    try {
      let server;
      try {
        server = start(busy - 1);
      } catch (e) {
        if (e instanceof ListenError && e.exitCode === 3 && attempt < 20) continue;
        throw e;
      }
      try {
        assert.equal(server.config.mainPort, busy - 1);
        assert.notEqual(server.config.appPort, busy);
        assert.deepEqual(server.warnings, [`port ${busy} busy, using ${server.config.appPort}`]);
      } finally {
        await server.close();
      }
      // given explicitly, the same busy port is a runtime fault (exit 3), not a fallback
      assert.throws(
        () => start(0, busy),
        (e: unknown) =>
          e instanceof ListenError && e.exitCode === 3 &&
          e.message.startsWith(`port ${busy} is in use (try `),
      );
      return;
    } finally {
      await blocker.shutdown();
    }
  }
});

// ---- §11.6: out-of-order answers, no unsolicited frames, a closed socket cancels nothing --------

Deno.test("§11.6: answers go out as calls finish, events never reach the socket, closing it cancels no call", async () => {
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  const finished: { aborted: boolean }[] = [];
  const t = await makeRuntime({
    mode: "serve",
    wrapLlm: (inner) => ({
      mode: inner.mode,
      embed: (a, o) => inner.embed(a, o),
      lookupMock: (...a) => inner.lookupMock(...a),
      async complete(args, opts) {
        await gate;
        finished.push({ aborted: opts?.signal?.aborted === true });
        return await inner.complete(args, opts);
      },
    }),
  });
  await using _t = t;
  const server = startTestServer(t.rt);
  try {
    const ws = new WebSocket(`ws://127.0.0.1:${server.config.mainPort}/ws?ct=${TOKEN}`);
    const frames: Record<string, unknown>[] = [];
    let arrived = () => {};
    ws.onmessage = (e) => {
      frames.push(JSON.parse(String(e.data)));
      arrived();
    };
    const closed = new Promise((r) => (ws.onclose = r));
    await new Promise((r, j) => ((ws.onopen = r), (ws.onerror = j)));
    const until = async (n: number) => {
      const deadline = Date.now() + 10_000;
      while (frames.length < n) {
        assert.ok(
          Date.now() < deadline,
          `only ${frames.length} frame(s): ${JSON.stringify(frames)}`,
        );
        await new Promise<void>((r) => ((arrived = r), setTimeout(r, 200)));
      }
    };
    const rpc = (id: number, method: string, params: unknown) =>
      ws.send(JSON.stringify({ jsonrpc: "2.0", id, method, params }));
    rpc(1, "session.create", { app_slug: "notes", manifest: manifest({ llm: ["complete"] }) });
    await until(1);
    const token = (frames[0].result as { token: string }).token;
    const complete = (id: number) =>
      rpc(id, "app.call", {
        token,
        ns: "llm",
        method: "complete",
        args: { messages: [{ role: "user", content: "hi" }] },
      });
    complete(2); // held at the gate
    // an event-emitting call: its event goes to the session's queue and SSE, not to this socket
    rpc(3, "app.call", { token, ns: "window", method: "set_title", args: { title: "x" } });
    await until(2);
    assert.equal(frames[1].id, 3, "the later call is answered first");
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(frames.length, 2, `nothing unsolicited: ${JSON.stringify(frames.slice(2))}`);
    complete(4);
    ws.close();
    await closed;
    release();
    // both held calls run to the end and succeed: the log has their finished rpc entries
    const done = () =>
      t.rt.log.entries().filter((e) =>
        e.type === "rpc" && e.ns === "llm" && e.method === "complete" && e.outcome === "ok"
      ).length;
    const deadline = Date.now() + 10_000;
    while (done() < 2) {
      assert.ok(Date.now() < deadline, `${done()} of the 2 held calls finished`);
      await new Promise((r) => setTimeout(r, 20));
    }
    assert.deepEqual(finished, [{ aborted: false }, { aborted: false }]);
    assert.equal(frames.length, 2, "nothing was sent to the closed socket");
  } finally {
    release();
    await t.rt.shutdown();
    await server.close();
  }
});
