/** The request guard (CONTRACT §11.2) on both origins, through `app.request()` (no sockets). */
import assert from "node:assert/strict";
import { Hono } from "hono";
import { requestGuard, tokenEquals } from "../lib/server/guard.ts";
import { sha256Bytes } from "../lib/util/hash.ts";
import {
  frameAncestorForms,
  hostAllowed,
  isLoopbackPeer,
  originForms,
  parseHostPort,
} from "../lib/server/hosts.ts";
import { serverConfig, TOKEN } from "./helpers/server.ts";

function mainApp(cfg = serverConfig()) {
  const app = new Hono();
  app.use("*", requestGuard({ role: "main", config: cfg }));
  for (
    const p of ["/", "/healthz", "/rpc", "/ws", "/sessions/:id/events", "/api/log", "/dev/:wid"]
  ) {
    app.all(p, (c) => c.text("ok"));
  }
  return app;
}

function appOrigin(cfg = serverConfig()) {
  const app = new Hono();
  app.use("*", requestGuard({ role: "app", config: cfg }));
  app.all("/_anna/csp-report", (c) => c.body(null, 204));
  app.get("/anna-apps/:slug/dev/*", (c) => c.text("file"));
  return app;
}

type Init = { method?: string; headers?: Record<string, string> };
const MAIN_HOST = { host: "127.0.0.1:5180" };
const APP_HOST = { host: "127.0.0.1:5181" };
const AUTH = { "x-anna-control-token": TOKEN };

async function status(app: Hono, path: string, init: Init = {}, env?: unknown) {
  const res = await app.request(path, { method: init.method ?? "GET", headers: init.headers }, env);
  return { status: res.status, body: await res.text() };
}

Deno.test("guard: loopback Host forms on the listener's port pass", async () => {
  const app = mainApp();
  for (const host of ["127.0.0.1:5180", "localhost:5180", "LocalHost:5180", "[::1]:5180"]) {
    const r = await status(app, "/healthz", { headers: { host } });
    assert.equal(r.status, 200, host);
  }
});

Deno.test("guard: foreign Host (DNS rebinding form) → 403 forbidden_host with the exact body", async () => {
  const app = mainApp();
  const r = await status(app, "/healthz", { headers: { host: "attacker.example:5180" } });
  assert.equal(r.status, 403);
  assert.deepEqual(JSON.parse(r.body), {
    error: {
      code: "forbidden_host",
      message:
        "Host 'attacker.example:5180' is not allowed; add --allowed-host attacker.example:5180",
    },
  });
  // the other listener's port and a port-less Host are foreign too
  assert.equal(
    (await status(app, "/healthz", { headers: { host: "127.0.0.1:5181" } })).status,
    403,
  );
  assert.equal((await status(app, "/healthz", { headers: { host: "127.0.0.1" } })).status, 403);
  // host check comes before the token: a rebinding page never learns whether a token is right
  const t = await status(app, "/rpc", { method: "POST", headers: { host: "evil.test:5180" } });
  assert.equal(JSON.parse(t.body).error.code, "forbidden_host");
});

Deno.test("guard: malformed Host values are refused and never throw", async () => {
  const app = mainApp();
  const garbage = [
    "",
    ":",
    ":5180",
    "[::1",
    "[::1]:",
    "[::1]5180",
    "[zz::1]:5180",
    "127.0.0.1:5180:5180",
    "127.0.0.1::5180",
    "127.0.0.1:99999",
    "127.0.0.1:0",
    "127.0.0.1:+5180",
    "localhost.:5180",
    "a b:5180",
    "127.0.0.1:5180/evil",
    "user@127.0.0.1:5180",
    "\u00e9xample:5180",
    "xn--:5180",
    "%31%32%37.0.0.1:5180",
    "x".repeat(5000),
  ];
  for (const host of garbage) {
    let r;
    try {
      r = await status(app, "/healthz", { headers: { host } });
    } catch (e) {
      // a header value the Request constructor itself rejects never reaches the guard
      assert.ok(e instanceof TypeError, `unexpected throw for ${JSON.stringify(host)}`);
      continue;
    }
    assert.equal(r.status, 403, JSON.stringify(host));
    assert.equal(JSON.parse(r.body).error.code, "forbidden_host");
  }
  // no Host header at all
  const none = await status(app, "/healthz");
  assert.equal(none.status, 403);
  assert.equal(JSON.parse(none.body).error.code, "forbidden_host");
});

Deno.test("guard: --allowed-host with and without a port", async () => {
  const app = mainApp(serverConfig({ allowedHosts: ["Dev.Example.test", "proxy.test:8080"] }));
  assert.equal(
    (await status(app, "/healthz", { headers: { host: "dev.example.test:5180" } })).status,
    200,
  );
  assert.equal(
    (await status(app, "/healthz", { headers: { host: "dev.example.test" } })).status,
    200,
  );
  assert.equal(
    (await status(app, "/healthz", { headers: { host: "proxy.test:8080" } })).status,
    200,
  );
  assert.equal(
    (await status(app, "/healthz", { headers: { host: "proxy.test:5180" } })).status,
    403,
  );
  // the allowed host is also an accepted Origin form
  const o = await status(app, "/healthz", {
    headers: { host: "dev.example.test:5180", origin: "http://dev.example.test:5180" },
  });
  assert.equal(o.status, 200);
});

Deno.test("guard: a bare --allowed-host takes a forwarded port in Origin as in Host, never the other listener's", async () => {
  // ssh -L 9000:127.0.0.1:5180 keeps Host localhost:9000; the page's /ws and fetches send its Origin
  const cfg = serverConfig({ allowedHosts: ["localhost", "devbox"] });
  const main = mainApp(cfg);
  for (
    const [host, origin] of [["localhost:9000", "http://localhost:9000"], [
      "devbox",
      "http://devbox",
    ]]
  ) {
    const r = await status(main, "/rpc", { method: "POST", headers: { host, origin, ...AUTH } });
    assert.equal(r.status, 200, `${origin}: ${r.body}`);
  }
  // the app origin (port 5181) is still no main-origin form, whatever name it is reached by
  for (const origin of ["http://localhost:5181", "http://devbox:5181", "https://devbox:9000"]) {
    const r = await status(main, "/rpc", {
      method: "POST",
      headers: { host: "localhost:9000", origin, ...AUTH },
    });
    assert.equal(r.status, 403, origin);
    assert.equal(JSON.parse(r.body).error.code, "forbidden_origin");
  }
  const app = appOrigin(cfg);
  const ok = await status(app, "/anna-apps/a/dev/x.js", {
    headers: { host: "devbox:5181", origin: "http://devbox:9000" },
  });
  assert.equal(ok.status, 200);
  // frame-ancestors of a bundle lets the forwarded host page frame it
  assert.ok(frameAncestorForms(cfg).includes("http://devbox:*"));
  assert.ok(!frameAncestorForms(serverConfig()).some((f) => f.includes("*")));
});

Deno.test("guard: Sec-Fetch-Site cross-site → 403 forbidden_origin; same-site passes", async () => {
  const app = mainApp();
  const r = await status(app, "/healthz", {
    headers: { ...MAIN_HOST, "sec-fetch-site": "cross-site" },
  });
  assert.equal(r.status, 403);
  assert.equal(JSON.parse(r.body).error.code, "forbidden_origin");
  for (const site of ["same-origin", "same-site", "none"]) {
    const ok = await status(app, "/healthz", { headers: { ...MAIN_HOST, "sec-fetch-site": site } });
    assert.equal(ok.status, 200, site);
  }
  // a repeated header arrives joined with a comma: a cross-site among the values still refuses
  for (const site of ["same-origin, cross-site", "cross-site,none", " Cross-Site ,same-site"]) {
    const r = await status(app, "/healthz", { headers: { ...MAIN_HOST, "sec-fetch-site": site } });
    assert.equal(r.status, 403, site);
  }
});

Deno.test("guard: foreign Origin on HTTP, on the WebSocket upgrade and on the SSE path → 403", async () => {
  const app = mainApp();
  const bad = [
    "https://evil.example",
    "null",
    "http://127.0.0.1:5181",
    "http://127.0.0.1:5180.evil",
    "\u0000",
  ];
  const routes: [string, Init][] = [
    ["/rpc", { method: "POST" }],
    ["/ws?ct=" + TOKEN, { headers: { upgrade: "websocket", connection: "Upgrade" } }],
    ["/sessions/ses_1/events?ct=" + TOKEN, { headers: { accept: "text/event-stream" } }],
    ["/healthz", {}],
  ];
  for (const origin of bad) {
    for (const [path, init] of routes) {
      let r;
      try {
        r = await status(app, path, {
          method: init.method,
          headers: { ...MAIN_HOST, ...AUTH, ...init.headers, origin },
        });
      } catch (e) {
        assert.ok(e instanceof TypeError);
        continue;
      }
      assert.equal(r.status, 403, `${origin} ${path}`);
      assert.equal(JSON.parse(r.body).error.code, "forbidden_origin");
    }
  }
  // the main-origin forms pass
  for (const origin of ["http://127.0.0.1:5180", "http://localhost:5180", "http://[::1]:5180"]) {
    const r = await status(app, "/rpc", {
      method: "POST",
      headers: { ...MAIN_HOST, ...AUTH, origin },
    });
    assert.equal(r.status, 200, origin);
  }
});

Deno.test("guard: app origin accepts app and main forms; csp-report skips the Origin step", async () => {
  const app = appOrigin();
  for (const origin of ["http://127.0.0.1:5181", "http://localhost:5180"]) {
    const r = await status(app, "/anna-apps/x/dev/index.html", {
      headers: { ...APP_HOST, origin },
    });
    assert.equal(r.status, 200, origin);
  }
  const foreign = await status(app, "/anna-apps/x/dev/", {
    headers: { ...APP_HOST, origin: "null" },
  });
  assert.equal(foreign.status, 403);
  const report = await status(app, "/_anna/csp-report", {
    method: "POST",
    headers: { ...APP_HOST, origin: "null" },
  });
  assert.equal(report.status, 204);
  // only a POST to that route skips the Origin step
  for (const method of ["GET", "PUT"]) {
    const other = await status(app, "/_anna/csp-report", {
      method,
      headers: { ...APP_HOST, origin: "null" },
    });
    assert.equal(other.status, 403, method);
  }
  // …but it still gets the Host check
  const rebind = await status(app, "/_anna/csp-report", {
    method: "POST",
    headers: { host: "evil.test:5181", origin: "null" },
  });
  assert.equal(rebind.status, 403);
  // the app origin never needs the control token
  assert.equal((await status(app, "/anna-apps/x/dev/a.js", { headers: APP_HOST })).status, 200);
});

Deno.test("guard: control token missing or wrong in each of the three places → 401", async () => {
  const app = mainApp();
  const unauthorized = {
    error: { code: "unauthorized", message: "missing or invalid control token" },
  };
  const wrong = "w".repeat(43);
  const cases: [string, Record<string, string>][] = [
    ["/rpc", {}],
    ["/rpc", { "x-anna-control-token": wrong }],
    ["/rpc", { authorization: `Bearer ${wrong}` }],
    ["/rpc", { authorization: `Basic ${TOKEN}` }],
    ["/rpc?ct=" + wrong, {}],
    ["/api/log", {}],
    ["/sessions/ses_1/events?ct=", {}],
    ["/ws?ct=%E0%A4%A", {}],
    ["/rpc", { "x-anna-control-token": TOKEN.slice(0, -1) }],
  ];
  for (const [path, headers] of cases) {
    const r = await status(app, path, { method: "POST", headers: { ...MAIN_HOST, ...headers } });
    assert.equal(r.status, 401, `${path} ${JSON.stringify(headers)}`);
    assert.deepEqual(JSON.parse(r.body), unauthorized);
  }
  const good: [string, Record<string, string>][] = [
    ["/rpc", { "x-anna-control-token": TOKEN }],
    ["/rpc", { authorization: `Bearer ${TOKEN}` }],
    ["/rpc", { authorization: `bearer ${TOKEN}` }],
    ["/rpc?ct=" + TOKEN, {}],
  ];
  for (const [path, headers] of good) {
    const r = await status(app, path, { method: "POST", headers: { ...MAIN_HOST, ...headers } });
    assert.equal(r.status, 200, `${path} ${JSON.stringify(headers)}`);
  }
  // pages and health need no token
  for (const p of ["/", "/healthz", "/dev/abc"]) {
    assert.equal((await status(app, p, { headers: MAIN_HOST })).status, 200, p);
  }
});

Deno.test("guard: --no-control-token disables step 4 only", async () => {
  const app = mainApp(serverConfig({ controlToken: null }));
  assert.equal((await status(app, "/rpc", { method: "POST", headers: MAIN_HOST })).status, 200);
  assert.equal(
    (await status(app, "/rpc", { method: "POST", headers: { host: "evil:5180" } })).status,
    403,
  );
});

Deno.test("guard: non-loopback peers get 403 unless --allow-remote", async () => {
  const app = mainApp();
  const remote = { remoteAddr: { hostname: "192.168.1.20", port: 1, transport: "tcp" } };
  const r = await status(app, "/healthz", { headers: MAIN_HOST }, remote);
  assert.equal(r.status, 403);
  assert.equal(JSON.parse(r.body).error.code, "forbidden_remote");
  for (const hostname of ["127.0.0.1", "127.9.8.7", "::1", "::ffff:127.0.0.1"]) {
    const ok = await status(app, "/healthz", { headers: MAIN_HOST }, { remoteAddr: { hostname } });
    assert.equal(ok.status, 200, hostname);
  }
  // garbage info never throws
  for (const env of [{ remoteAddr: {} }, { remoteAddr: { hostname: 7 } }, {}]) {
    const x = await status(app, "/healthz", { headers: MAIN_HOST }, env);
    assert.ok(x.status === 200 || x.status === 403);
  }
  const open = mainApp(
    serverConfig({
      allowRemote: true,
      bindHost: "0.0.0.0",
      localAddresses: ["192.168.1.5", "fe80::1"],
    }),
  );
  const lan = await status(open, "/healthz", { headers: { host: "192.168.1.5:5180" } }, remote);
  assert.equal(lan.status, 200);
  assert.equal(
    (await status(open, "/healthz", { headers: { host: "[fe80::1]:5180" } }, remote)).status,
    200,
  );
  assert.equal(
    (await status(open, "/healthz", { headers: { host: "10.1.1.1:5180" } }, remote)).status,
    403,
  );
});

Deno.test("hosts helpers: parse, loopback peers, origin forms", () => {
  assert.deepEqual(parseHostPort("[::1]:80"), { hostname: "[::1]", port: 80 });
  assert.deepEqual(parseHostPort("LOCALHOST"), { hostname: "localhost", port: null });
  assert.equal(parseHostPort("a:b"), null);
  assert.equal(parseHostPort(undefined), null);
  assert.equal(isLoopbackPeer("10.0.0.1"), false);
  assert.equal(isLoopbackPeer(undefined), false);
  const cfg = serverConfig({ allowedHosts: ["x.test", "y.test:5181"] });
  assert.deepEqual(originForms(cfg, "main"), [
    "http://127.0.0.1:5180",
    "http://localhost:5180",
    "http://[::1]:5180",
    "http://x.test:5180",
  ]);
  assert.ok(originForms(cfg, "app").includes("http://y.test:5181"));
  assert.equal(hostAllowed(cfg, "y.test:5181", 5181), true);
  assert.equal(tokenEquals("abc", "abc"), true);
  assert.equal(tokenEquals("abc", "abd"), false);
  assert.equal(tokenEquals("", "abc"), false);
});

Deno.test("guard: the token compare uses every byte (wrong tokens sharing hash bytes are refused)", async () => {
  const hash = sha256Bytes(TOKEN);
  // wrong tokens whose SHA-256 agrees with the right one's in its first byte, and in its last
  const near = (at: number) => {
    for (let i = 0;; i++) {
      const t = `${TOKEN}-${i}`;
      if (sha256Bytes(t)[at] === hash[at]) return t;
    }
  };
  const app = mainApp();
  for (const wrong of [near(0), near(31), TOKEN.slice(0, -1) + "y"]) {
    assert.equal(tokenEquals(wrong, TOKEN), false, wrong);
    const r = await status(app, "/api/log", {
      headers: { ...MAIN_HOST, "x-anna-control-token": wrong },
    });
    assert.equal(r.status, 401, wrong);
  }
  for (let i = 0; i < 2000; i++) {
    assert.equal(tokenEquals(crypto.randomUUID(), TOKEN), false);
  }
});

Deno.test("guard: Sec-Fetch-Site is compared without regard to case or spaces", async () => {
  const app = mainApp();
  for (const site of ["cross-site", "Cross-Site", " CROSS-SITE "]) {
    const r = await status(app, "/healthz", { headers: { ...MAIN_HOST, "sec-fetch-site": site } });
    assert.equal(r.status, 403, site);
  }
  const same = await status(app, "/healthz", {
    headers: { ...MAIN_HOST, "sec-fetch-site": "same-origin" },
  });
  assert.equal(same.status, 200);
});

Deno.test("guard: a browser's page navigation at [::1] moves to localhost; nothing else does", async () => {
  const cfg = serverConfig({ bindHost: "::1" });
  const nav = (host: string, dest: string | null, method = "GET") =>
    mainApp(cfg).request("/dev/w1?x=1", {
      method,
      headers: { host, ...(dest === null ? {} : { "sec-fetch-dest": dest }) },
    });
  const moved = await nav("[::1]:5180", "document");
  assert.equal(moved.status, 307);
  assert.equal(moved.headers.get("location"), "http://localhost:5180/dev/w1?x=1");
  const framed = await appOrigin(cfg).request("/anna-apps/a/dev/index.html?t=1", {
    headers: { host: "[::1]:5181", "sec-fetch-dest": "iframe" },
  });
  assert.equal(
    framed.headers.get("location"),
    "http://localhost:5181/anna-apps/a/dev/index.html?t=1",
  );
  // fetches, scripts, non-browser clients, other methods and other hosts are served as they are
  for (
    const [host, dest, method] of [
      ["[::1]:5180", "empty", "GET"],
      ["[::1]:5180", "script", "GET"],
      ["[::1]:5180", null, "GET"],
      ["[::1]:5180", "document", "POST"],
      ["localhost:5180", "document", "GET"],
      ["127.0.0.1:5180", "document", "GET"],
    ] as const
  ) {
    const r = await nav(host, dest, method);
    assert.equal(r.status, 200, `${host} ${dest} ${method}`);
  }
  // every check of the guard still comes first: refused requests are refused, not redirected
  assert.equal((await nav("[::1]:9999", "document")).status, 403);
  const crossSite = await mainApp(cfg).request("/dev/w1", {
    headers: { host: "[::1]:5180", "sec-fetch-dest": "document", "sec-fetch-site": "cross-site" },
  });
  assert.equal(crossSite.status, 403);
  const noToken = await mainApp(cfg).request("/api/log", {
    headers: { host: "[::1]:5180", "sec-fetch-dest": "document" },
  });
  assert.equal(noToken.status, 401);
});
