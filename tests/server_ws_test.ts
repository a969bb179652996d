/** `/ws` over a real socket (CONTRACT §11.6) and the two listeners of `startServer` (§11.1). */
import assert from "node:assert/strict";
import { manifest } from "./helpers/runtime.ts";
import { runningServer, TOKEN } from "./helpers/server.ts";

const running = () => runningServer();

/** Opens a socket and collects text frames; `next()` awaits the next one. */
async function connect(url: string) {
  const ws = new WebSocket(url);
  const frames: string[] = [];
  const waiters: ((s: string) => void)[] = [];
  ws.onmessage = (e) => {
    const w = waiters.shift();
    if (w) w(String(e.data));
    else frames.push(String(e.data));
  };
  const closed = new Promise<CloseEvent>((r) => (ws.onclose = r));
  await new Promise<void>((resolve, reject) => {
    ws.onopen = () => resolve();
    ws.onerror = () => reject(new Error("websocket failed to open"));
  });
  return {
    ws,
    closed,
    /** The next text frame; fails when the socket closes first or after 10 s, never hangs. */
    next: () => {
      if (frames.length) return Promise.resolve(frames.shift()!);
      return new Promise<string>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error("no frame within 10 s")), 10_000);
        closed.then((e) => {
          clearTimeout(timer);
          reject(new Error(`socket closed (${e.code} ${e.reason}) before the next frame`));
        });
        waiters.push((f) => {
          clearTimeout(timer);
          resolve(f);
        });
      });
    },
  };
}

/** The raw answer to a GET with a chosen Host and extra headers (fetch would override them). */
async function rawGet(port: number, host: string, path = "/healthz", extra = ""): Promise<string> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  await conn.write(
    new TextEncoder().encode(
      `GET ${path} HTTP/1.1\r\nHost: ${host}\r\n${extra}Connection: close\r\n\r\n`,
    ),
  );
  let text = "";
  const buf = new Uint8Array(4096);
  for (let n = await conn.read(buf); n !== null; n = await conn.read(buf)) {
    text += new TextDecoder().decode(buf.subarray(0, n));
  }
  conn.close();
  return text;
}

/** Status of `GET /healthz` sent with a chosen Host header. */
async function rawStatus(port: number, host: string): Promise<number> {
  return Number((await rawGet(port, host)).split(" ")[1]);
}

const req = (id: number, method: string, params: unknown = {}) =>
  JSON.stringify({ jsonrpc: "2.0", id, method, params });

Deno.test("ws: requests, batches, notifications, oversized and binary frames", async () => {
  await using r = await running();
  const { server, t } = r;
  assert.notEqual(server.config.mainPort, server.config.appPort);
  const url = `ws://127.0.0.1:${server.config.mainPort}/ws?ct=${TOKEN}`;
  const c = await connect(url);

  c.ws.send(req(1, "runtime.info"));
  const info = JSON.parse(await c.next());
  assert.equal(info.id, 1);
  assert.equal(info.result.mode, "serve");

  // a notification gets no reply: the next frame answers the request after it
  c.ws.send(JSON.stringify({ jsonrpc: "2.0", method: "runtime.info" }));
  c.ws.send(`[${req(2, "session.list")},${req(3, "nope.method")}]`);
  const batch = JSON.parse(await c.next());
  assert.deepEqual(batch.map((x: { id: number }) => x.id), [2, 3]);
  assert.equal(batch[1].error.code, -32601);

  // session.create over ws, then app.call with the dev token (the browser path)
  c.ws.send(
    req(4, "session.create", {
      app_slug: "notes",
      manifest: manifest({ storage: ["get", "set"] }),
    }),
  );
  const created = JSON.parse(await c.next()).result;
  c.ws.send(
    req(5, "app.call", {
      token: created.token,
      ns: "storage",
      method: "set",
      args: { key: "a", value: 1 },
    }),
  );
  assert.equal(JSON.parse(await c.next()).result.ok, true);
  assert.ok(t.rt.log.entries().some((e) => e.type === "rpc" && e.transport === "app"));

  // an oversized frame is answered and the socket stays open
  server.ctx.maxBodyBytes = 512;
  c.ws.send(req(6, "runtime.info", { pad: "y".repeat(600) }));
  const big = JSON.parse(await c.next());
  assert.equal(big.id, null);
  assert.equal(big.error.message, "frame_too_large");
  assert.equal(big.error.data.max_frame_bytes, 512);
  c.ws.send(req(7, "session.list"));
  assert.equal(JSON.parse(await c.next()).id, 7);
  // the limit counts UTF-8 bytes: exactly 512 passes; 300 "é" are 600 bytes in fewer UTF-16 units
  const sized = (id: number, bytes: number) => {
    const base = req(id, "runtime.info", { pad: "" });
    return req(id, "runtime.info", { pad: "x".repeat(bytes - base.length) });
  };
  c.ws.send(sized(8, 512));
  assert.equal(JSON.parse(await c.next()).id, 8);
  c.ws.send(sized(9, 513));
  assert.equal(JSON.parse(await c.next()).error.data.frame_bytes, 513);
  const wide = req(10, "runtime.info", { pad: "é".repeat(300) });
  assert.ok(wide.length <= 512);
  c.ws.send(wide);
  const tooWide = JSON.parse(await c.next());
  assert.equal(tooWide.error.message, "frame_too_large");
  assert.equal(tooWide.error.data.frame_bytes, new TextEncoder().encode(wide).length);

  // a binary frame closes the socket with 1003
  c.ws.send(new Uint8Array([1, 2, 3]));
  const closed = await c.closed;
  assert.equal(closed.code, 1003);
});

Deno.test("ws: the upgrade without the control token is refused; healthz on both listeners", async () => {
  await using r = await running();
  const { server } = r;
  await assert.rejects(connect(`ws://127.0.0.1:${server.config.mainPort}/ws`));
  await assert.rejects(connect(`ws://127.0.0.1:${server.config.mainPort}/ws?ct=wrong`));
  // ws is a main-origin route only
  await assert.rejects(connect(`ws://127.0.0.1:${server.config.appPort}/ws?ct=${TOKEN}`));
  for (const origin of [server.mainOrigin, server.appOrigin]) {
    const h = await fetch(`${origin}/healthz`);
    assert.deepEqual(await h.json(), { ok: true, version: "9.9.9" });
  }
  // a localhost Host is accepted on the real listener too, a foreign one is not
  assert.equal(await rawStatus(server.config.mainPort, "evil.test"), 403);
  assert.equal(await rawStatus(server.config.mainPort, `localhost:${server.config.mainPort}`), 200);
  assert.equal(await rawStatus(server.config.appPort, `[::1]:${server.config.appPort}`), 200);
});

Deno.test("ws: a malformed upgrade (no key, no Connection: Upgrade) is the client's error (400), not a server fault", async () => {
  await using r = await running();
  const port = r.server.config.mainPort;
  for (const extra of ["", "Sec-WebSocket-Version: 13\r\n"]) {
    const text = await rawGet(
      port,
      `127.0.0.1:${port}`,
      `/ws?ct=${TOKEN}`,
      `Upgrade: websocket\r\n${extra}`,
    );
    assert.match(text, /^HTTP\/1\.1 400 /, text);
    assert.match(text, /"code":"bad_request"/);
    assert.match(text, /invalid WebSocket upgrade: Invalid Header/);
  }
  // and a good socket still opens afterwards
  const c = await connect(`ws://127.0.0.1:${port}/ws?ct=${TOKEN}`);
  c.ws.send(req(1, "session.list"));
  assert.deepEqual(JSON.parse(await c.next()).result, { sessions: [] });
  c.ws.close();
  await c.closed;
});

Deno.test("ws: closing the server closes open sockets with 1001 (going away)", async () => {
  await using r = await running();
  const c = await connect(`ws://127.0.0.1:${r.server.config.mainPort}/ws?ct=${TOKEN}`);
  c.ws.send(req(1, "runtime.info"));
  assert.equal(JSON.parse(await c.next()).id, 1);
  const closing = r.server.close();
  const closed = await c.closed;
  await closing;
  assert.equal(closed.code, 1001);
});

Deno.test("ws: a frame starting with a byte order mark is read like stdio and /rpc read it (§11.6)", async () => {
  await using r = await running();
  const { server } = r;
  const c = await connect(`ws://127.0.0.1:${server.config.mainPort}/ws?ct=${TOKEN}`);
  c.ws.send("\uFEFF" + req(1, "session.list"));
  assert.deepEqual(JSON.parse(await c.next()), { jsonrpc: "2.0", id: 1, result: { sessions: [] } });
  // the same frame over /rpc gets the same answer
  const res = await fetch(`http://127.0.0.1:${server.config.mainPort}/rpc`, {
    method: "POST",
    headers: { "X-Anna-Control-Token": TOKEN },
    body: "\uFEFF" + req(2, "session.list"),
  });
  assert.deepEqual(await res.json(), { jsonrpc: "2.0", id: 2, result: { sessions: [] } });
  // only a leading one: a BOM anywhere else is still not JSON
  c.ws.send(req(3, "session.list") + "\uFEFF");
  assert.equal(JSON.parse(await c.next()).error.code, -32700);
  c.ws.close();
  await c.closed;
});
