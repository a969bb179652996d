/**
 * The request guard's Origin step (CONTRACT §11.2) on the WebSocket upgrade and on SSE, over real
 * TCP connections to a running `dev` (tests/server_guard_test.ts covers the same rules in process
 * through `app.request()`), and from a real page on a foreign origin in Chromium that holds the
 * control token: neither its WebSocket nor a no-cors POST to `/rpc` reaches the session.
 */
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { DevProcess } from "./helpers/dev_process.ts";
import { launchBrowser, newPage } from "./helpers/browser.ts";

const APP = fileURLToPath(new URL("./fixtures/apps/dynamic-import", import.meta.url));

interface RawResponse {
  status: number;
  head: string;
  body: string;
}

/**
 * Sends one raw HTTP/1.1 GET and reads the status line and headers; for non-2xx/101 answers the
 * body too (the server closes those). Streams (SSE, WebSocket) are cut after the head.
 */
async function rawGet(
  port: number,
  path: string,
  headers: Record<string, string>,
): Promise<RawResponse> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  try {
    const lines = [
      `GET ${path} HTTP/1.1`,
      `Host: 127.0.0.1:${port}`,
      ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`),
    ];
    await conn.write(new TextEncoder().encode(lines.join("\r\n") + "\r\n\r\n"));
    const dec = new TextDecoder();
    const buf = new Uint8Array(16384);
    let text = "";
    while (!text.includes("\r\n\r\n")) {
      const n = await conn.read(buf);
      if (n === null) break;
      text += dec.decode(buf.subarray(0, n), { stream: true });
    }
    const [head, ...rest] = text.split("\r\n\r\n");
    const status = Number(head.split(" ")[1]);
    let body = rest.join("\r\n\r\n");
    const len = Number(/\r\ncontent-length: (\d+)/i.exec(head)?.[1] ?? NaN);
    if (status >= 400) {
      while (Number.isFinite(len) ? new TextEncoder().encode(body).length < len : true) {
        const n = await conn.read(buf);
        if (n === null) break;
        body += dec.decode(buf.subarray(0, n), { stream: true });
      }
    }
    return { status, head, body };
  } finally {
    conn.close();
  }
}

const wsHeaders = (origin?: string): Record<string, string> => ({
  Upgrade: "websocket",
  Connection: "Upgrade",
  "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ==",
  "Sec-WebSocket-Version": "13",
  ...(origin ? { Origin: origin } : {}),
});

Deno.test("security: a foreign Origin on the /ws upgrade and on SSE is refused over real sockets", async () => {
  await using dev = await DevProcess.start(APP);
  const { main_origin, app_origin, control_token: ct, session_id } = dev.info;
  const mainPort = Number(new URL(main_origin).port);
  const appPort = Number(new URL(app_origin).port);
  const foreign = [
    "http://evil.example",
    "http://127.0.0.1:1", // loopback, wrong port
    `http://127.0.0.1:${appPort}`, // the app origin, where app code runs, is not the host
    "null",
  ];
  const routes = [
    { name: "ws", path: `/ws?ct=${ct}`, headers: wsHeaders, okStatus: 101 },
    {
      name: "session sse",
      path: `/sessions/${session_id}/events?ct=${ct}`,
      headers: (o?: string) => ({ Accept: "text/event-stream", ...(o ? { Origin: o } : {}) }),
      okStatus: 200,
    },
    {
      name: "log sse",
      path: `/api/log/stream?ct=${ct}`,
      headers: (o?: string) => ({ Accept: "text/event-stream", ...(o ? { Origin: o } : {}) }),
      okStatus: 200,
    },
  ];
  for (const r of routes) {
    // the same request passes without an Origin and with the main origin (so the 403 below is the Origin)
    for (const origin of [undefined, main_origin, `http://localhost:${mainPort}`]) {
      const ok = await rawGet(mainPort, r.path, r.headers(origin));
      assert.equal(ok.status, r.okStatus, `${r.name} with Origin ${origin}: ${ok.head}`);
      if (r.okStatus === 200) assert.match(ok.head, /\r\ncontent-type: text\/event-stream/i);
    }
    for (const origin of foreign) {
      const res = await rawGet(mainPort, r.path, r.headers(origin));
      assert.equal(res.status, 403, `${r.name} with Origin ${origin}: ${res.head}`);
      assert.equal(JSON.parse(res.body).error.code, "forbidden_origin", res.body);
      assert.doesNotMatch(res.head, /\r\naccess-control-allow-origin/i, "no CORS header");
    }
  }
  // cross-site fetch metadata alone is enough to refuse
  const xs = await rawGet(mainPort, `/ws?ct=${ct}`, {
    ...wsHeaders(),
    "Sec-Fetch-Site": "cross-site",
  });
  assert.equal(xs.status, 403);
});

Deno.test("security: a page on a foreign origin holding the control token cannot reach the session", async () => {
  await using dev = await DevProcess.start(APP);
  const { main_origin, control_token: ct, session_id } = dev.info;
  // the attacker's page: another loopback port, i.e. another origin (but the same site)
  await using evil = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen() {} },
    () =>
      new Response("<!doctype html><title>evil</title>", {
        headers: { "content-type": "text/html" },
      }),
  );
  const evilOrigin = `http://127.0.0.1:${evil.addr.port}`;
  await using browser = await launchBrowser();
  await using tp = await newPage(browser);
  await tp.page.goto(evilOrigin);

  const setCall = (key: string) =>
    JSON.stringify({
      jsonrpc: "2.0",
      id: 1,
      method: "session.call",
      params: { session_id, ns: "storage", method: "set", args: { key, value: "pwned" } },
    });
  const outcome = await tp.page.evaluate(
    async ({ main, ct, wsFrame, postBody }) => {
      const ws = await new Promise<string>((resolve) => {
        const sock = new WebSocket(`${main.replace("http", "ws")}/ws?ct=${ct}`);
        sock.onopen = () => {
          sock.send(wsFrame);
          setTimeout(() => resolve("open"), 500);
        };
        sock.onclose = (e) => resolve(`closed ${e.code}`);
      });
      // a "simple" request needs no preflight, so the browser sends it: only the guard stops it
      let post = "";
      try {
        const r = await fetch(`${main}/rpc?ct=${ct}`, {
          method: "POST",
          mode: "no-cors",
          body: postBody,
        });
        post = `sent (${r.type})`;
      } catch (e) {
        post = `failed ${(e as Error).message}`;
      }
      return { ws, post };
    },
    { main: main_origin, ct, wsFrame: setCall("via-ws"), postBody: setCall("via-post") },
  );
  assert.equal(outcome.ws, "closed 1006", "the upgrade was refused");
  assert.equal(outcome.post, "sent (opaque)", "the browser did send the POST");

  // nothing reached the session: no storage keys, no rpc entries
  const list = await dev.call("storage", "get", { key: "via-ws" });
  assert.equal(list.result!.value ?? null, null);
  const post = await dev.call("storage", "get", { key: "via-post" });
  assert.equal(post.result!.value ?? null, null);
  const rpc = (await dev.log()).filter((e) =>
    e.type === "rpc" && e.ns === "storage" && e.method === "set"
  );
  assert.deepEqual(rpc, []);
  tp.assertNoErrors([
    /WebSocket connection to .* failed/,
    /Failed to load resource: the server responded with a status of 403/,
  ]);
});
