/**
 * Clients that stop reading never make the runtime hold everything for them: an SSE stream
 * whose client is not reading is dropped past its backlog cap (the client resumes with
 * Last-Event-ID, §11.5), a `/ws` socket is closed with 1008; a slow client that does read gets a
 * replay larger than the cap in full, at its own pace.
 */
import assert from "node:assert/strict";
import { Logger } from "../lib/util/log.ts";
import { manifest } from "./helpers/runtime.ts";
import { runningServer, TOKEN } from "./helpers/server.ts";
import { sseQueuedBytes } from "../lib/server/sse.ts";
import { wsQueuedBytes } from "../lib/server/ws.ts";

const CAP = 256 * 1024;

async function running() {
  const warnings: string[] = [];
  const r = await runningServer(
    new Logger({ level: "warn", sink: (line) => void warnings.push(line) }),
  );
  r.server.ctx.sseBacklogMax = CAP;
  r.server.ctx.wsBacklogMax = CAP;
  return { ...r, port: r.server.config.mainPort, warnings };
}

const enc = new TextEncoder();
const tick = () => new Promise((r) => setTimeout(r, 0));

/** Reads `conn` until EOF or `pred(bytes so far)`, at most `ms`; what ended it. */
async function readUntil(conn: Deno.Conn, pred: (all: Uint8Array) => boolean, ms: number) {
  const chunks: Uint8Array[] = [];
  let total = 0;
  const buf = new Uint8Array(1 << 16);
  const deadline = Date.now() + ms;
  let tail = new Uint8Array(0);
  while (Date.now() < deadline) {
    const n = await Promise.race([
      conn.read(buf),
      new Promise<"late">((r) => setTimeout(() => r("late"), deadline - Date.now())),
    ]);
    if (n === "late") return { how: "timeout" as const, total };
    if (n === null) return { how: "eof" as const, total };
    total += n;
    // keep only a window for the predicate: these streams run to tens of MB
    const joined = new Uint8Array(tail.length + n);
    joined.set(tail);
    joined.set(buf.subarray(0, n), tail.length);
    tail = joined.subarray(Math.max(0, joined.length - 4096));
    chunks.length = 0;
    if (pred(tail)) return { how: "match" as const, total };
  }
  return { how: "timeout" as const, total };
}

/** A client reading the log stream as fast as it comes, counting its `log` events. */
async function readingLogStream(port: number) {
  const ac = new AbortController();
  const res = await fetch(`http://127.0.0.1:${port}/api/log/stream?ct=${TOKEN}`, {
    signal: ac.signal,
  });
  const reader = res.body!.getReader();
  const dec = new TextDecoder();
  const logs = { seen: 0, stop: () => Promise.resolve() };
  let tail = "";
  const reading = (async () => {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      const text = tail + dec.decode(value, { stream: true });
      logs.seen += text.split("event: log\n").length - 1;
      tail = text.slice(-16);
    }
  })();
  logs.stop = () => {
    ac.abort();
    // here the abort alone left the read pending (the Response is out of scope): cancel it too
    reader.cancel().catch(() => {});
    return reading.catch(() => {});
  };
  return logs;
}

Deno.test("SSE: a log stream whose client stopped reading is dropped past the backlog cap", async () => {
  await using r = await running();
  const conn = await Deno.connect({ hostname: "127.0.0.1", port: r.port });
  await conn.write(enc.encode(
    `GET /api/log/stream?ct=${TOKEN} HTTP/1.1\r\nHost: 127.0.0.1:${r.port}\r\n` +
      "Connection: close\r\n\r\n",
  ));
  const head = new Uint8Array(4096);
  await conn.read(head); // the headers, then this client reads nothing more for a while
  // live traffic the client does not read: far more than the cap and the kernel's buffers
  const big = "x".repeat(60_000);
  for (let i = 0; i < 800; i++) {
    r.t.rt.log.push({ type: "rpc", args: { pad: big, i } });
    await tick();
  }
  // the server gave up on it: reading now reaches the end of the stream
  const end = await readUntil(conn, () => false, 15_000);
  conn.close();
  assert.equal(end.how, "eof", `read ${end.total} bytes without the stream ending`);
  assert.ok(end.total < 48_000_000, `${end.total} bytes: not everything was queued`);
});

Deno.test("SSE: a client that reads keeps its log stream through the same traffic", async () => {
  await using r = await running();
  const logs = await readingLogStream(r.port);
  const big = "x".repeat(60_000);
  for (let i = 0; i < 200; i++) {
    r.t.rt.log.push({ type: "rpc", args: { pad: big, i } });
    await tick();
  }
  const deadline = Date.now() + 10_000;
  while (logs.seen < 200 && Date.now() < deadline) await new Promise((res) => setTimeout(res, 20));
  await logs.stop();
  assert.equal(logs.seen, 200);
});

Deno.test("SSE: a replay larger than the backlog cap reaches a client that reads, in full", async () => {
  await using r = await running();
  const s = await r.t.call("session.create", {
    app_slug: "big",
    manifest: manifest({ storage: ["get", "set"] }),
  });
  // about 3 MB of retained events (each carries the 100 KB bucket)
  for (let i = 0; i < 30; i++) {
    await r.t.call("session.call", {
      session_id: s.session_id,
      ns: "storage",
      method: "set",
      args: { key: "k", value: `${i}`.padEnd(100_000, "y") },
    });
  }
  const ac = new AbortController();
  const res = await fetch(
    `http://127.0.0.1:${r.port}/sessions/${s.session_id}/events?after=0&ct=${TOKEN}`,
    { signal: ac.signal },
  );
  assert.equal(res.status, 200);
  const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
  let text = "";
  let ids: string[] = [];
  while (ids.length < 30) {
    const { value, done } = await reader.read();
    if (done) break;
    text += value;
    ids = [...text.matchAll(/^id: (\d+)$/gm)].map((m) => m[1]);
    await new Promise((res) => setTimeout(res, 5)); // a slow reader
  }
  ac.abort();
  await reader.cancel().catch(() => {});
  assert.deepEqual(ids, Array.from({ length: 30 }, (_, i) => String(i + 1)));
});

Deno.test("/ws: a client that sends calls but never reads the answers is closed with 1008", async () => {
  await using r = await running();
  const s = await bigSession(r);
  const conn = await rawWs(r.port);
  const get = frame(bigGet(s.session_id));
  let sent = 0;
  try {
    for (; sent < 300; sent++) {
      await conn.write(get);
      if (sent % 10 === 0) await tick();
    }
  } catch { /* the server closed the socket under us: what this test is after */ }
  const deadline = Date.now() + 10_000;
  while (!r.warnings.some((w) => /not reading its responses/.test(w)) && Date.now() < deadline) {
    await new Promise((res) => setTimeout(res, 20));
  }
  assert.ok(
    r.warnings.some((w) => /WebSocket client is not reading its responses; closing it/.test(w)),
    `after ${sent} calls: ${r.warnings.join("\n")}`,
  );
  // and the socket does end (a close frame, EOF or a reset), instead of buffering on
  const end = await readUntil(conn, hasClose1008, 10_000)
    .catch(() => ({ how: "reset" as const, total: 0 }));
  conn.close();
  assert.notEqual(end.how, "timeout");
});

Deno.test("SSE: stalled streams each under their own cap are dropped past the server's total budget; a reader keeps its stream", async () => {
  await using r = await running();
  r.server.ctx.sseBacklogMax = 64 * 1024 * 1024; // no stream reaches its own cap here
  r.server.ctx.sseBacklogTotalMax = 2 * 1024 * 1024;
  const stalled: Deno.Conn[] = [];
  for (let i = 0; i < 4; i++) {
    const conn = await Deno.connect({ hostname: "127.0.0.1", port: r.port });
    await conn.write(enc.encode(
      `GET /api/log/stream?ct=${TOKEN} HTTP/1.1\r\nHost: 127.0.0.1:${r.port}\r\n` +
        "Connection: close\r\n\r\n",
    ));
    await conn.read(new Uint8Array(4096)); // the headers; then nothing more is read for a while
    stalled.push(conn);
  }
  const logs = await readingLogStream(r.port);
  const big = "x".repeat(60_000);
  for (let i = 0; i < 400; i++) {
    r.t.rt.log.push({ type: "rpc", args: { pad: big, i } });
    await tick();
  }
  const ends = [];
  for (const conn of stalled) {
    ends.push((await readUntil(conn, () => false, 15_000)).how);
    conn.close();
  }
  const deadline = Date.now() + 10_000;
  while (logs.seen < 400 && Date.now() < deadline) await new Promise((res) => setTimeout(res, 20));
  await logs.stop();
  assert.deepEqual(ends, ["eof", "eof", "eof", "eof"]);
  assert.equal(logs.seen, 400);
  assert.ok(
    r.warnings.some((w) => /more than the runtime's budget/.test(w)),
    r.warnings.join("\n"),
  );
  // what the dropped streams had queued no longer counts against the others
  await waitFor(() => sseQueuedBytes(r.server.ctx) === 0);
  assert.equal(sseQueuedBytes(r.server.ctx), 0);
});

async function waitFor(ok: () => boolean, ms = 5_000) {
  const deadline = Date.now() + ms;
  while (!ok() && Date.now() < deadline) await new Promise((res) => setTimeout(res, 20));
}

/** A `/ws` socket on a bare TCP connection: it reads nothing the test does not ask it to. */
async function rawWs(port: number): Promise<Deno.Conn> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  await conn.write(enc.encode(
    `GET /ws?ct=${TOKEN} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nUpgrade: websocket\r\n` +
      `Connection: Upgrade\r\nSec-WebSocket-Key: ${btoa("0123456789abcdef")}\r\n` +
      `Sec-WebSocket-Version: 13\r\n\r\n`,
  ));
  const head = new Uint8Array(4096);
  const n = await conn.read(head);
  assert.match(new TextDecoder().decode(head.subarray(0, n!)), /^HTTP\/1\.1 101/);
  return conn;
}

/** A masked client text frame. */
function frame(text: string): Uint8Array {
  const payload = enc.encode(text);
  const mask = [7, 1, 3, 9];
  const len = payload.length;
  const header = len < 126 ? [0x81, 0x80 | len] : [0x81, 0x80 | 126, len >> 8, len & 255];
  return new Uint8Array([...header, ...mask, ...payload.map((b, i) => b ^ mask[i % 4])]);
}

/** A session whose storage holds a 200 KB value under "big". */
async function bigSession(r: Awaited<ReturnType<typeof running>>) {
  const s = await r.t.call("session.create", {
    app_slug: "ws",
    manifest: manifest({ storage: ["get", "set"] }),
  });
  await r.t.call("session.call", {
    session_id: s.session_id,
    ns: "storage",
    method: "set",
    args: { key: "big", value: "z".repeat(200_000) },
  });
  return s as { session_id: string };
}

/** The call that reads it back (an answer of about 200 KB). */
function bigGet(sessionId: string, id = 1): string {
  return JSON.stringify({
    jsonrpc: "2.0",
    id,
    method: "session.call",
    params: { session_id: sessionId, ns: "storage", method: "get", args: { key: "big" } },
  });
}

/** Whether the bytes hold a close frame with code 1008 (server frames are unmasked). */
function hasClose1008(w: Uint8Array): boolean {
  for (let i = 0; i + 3 < w.length; i++) {
    if (w[i] === 0x88 && w[i + 2] === 0x03 && w[i + 3] === 0xf0) return true;
  }
  return false;
}

Deno.test("/ws: stalled sockets each under their own cap are closed past the server's total budget, the largest first; a reader keeps its socket", async () => {
  await using r = await running();
  r.server.ctx.wsBacklogMax = 64 * 1024 * 1024; // no socket reaches its own cap here
  r.server.ctx.wsBacklogTotalMax = 20 * 1024 * 1024;
  const s = await bigSession(r);
  const get = frame(bigGet(s.session_id));
  // one socket asks five times as much as the two others, and none of them reads
  const [large, ...small] = [await rawWs(r.port), await rawWs(r.port), await rawWs(r.port)];
  // a client that reads its answers, asking alongside them
  const reader = new WebSocket(`ws://127.0.0.1:${r.port}/ws?ct=${TOKEN}`);
  await new Promise((res, rej) => {
    reader.onopen = res;
    reader.onerror = rej;
  });
  let answers = 0;
  let readerClosed: number | null = null;
  reader.onmessage = (e) => void (answers += JSON.parse(e.data).result ? 1 : 0);
  reader.onclose = (e) => void (readerClosed = e.code);
  let largeWrites = 0;
  try {
    for (let round = 0; round < 25; round++) {
      for (let i = 0; i < 5; i++, largeWrites++) await large.write(get);
      for (const conn of small) await conn.write(get);
      reader.send(bigGet(s.session_id, round));
      await tick();
    }
  } catch { /* the server closed the large socket under us */ }
  // the large socket is closed with 1008 (or reset), not left buffering
  const end = await readUntil(large, hasClose1008, 10_000)
    .catch(() => ({ how: "reset" as const, total: 0 }));
  large.close();
  assert.notEqual(end.how, "timeout", `after ${largeWrites} calls on the large socket`);

  const budget = r.warnings.filter((w) => /more than the runtime's budget/.test(w));
  assert.equal(budget.length, 1, r.warnings.join("\n"));
  // the small ones are still open: reading them now yields their answers and no close
  for (const conn of small) {
    const rest = await readUntil(conn, hasClose1008, 1_500);
    assert.equal(rest.how, "timeout");
    assert.ok(rest.total > 25 * 200_000, `${rest.total} bytes`);
  }
  await waitFor(() => answers === 25);
  assert.equal(answers, 25);
  assert.equal(readerClosed, null);
  // the small sockets still count what they held at their last reading, until they close
  assert.ok(wsQueuedBytes(r.server.ctx) > 0);
  for (const conn of small) conn.close();
  reader.close();
  await waitFor(() => wsQueuedBytes(r.server.ctx) === 0);
  assert.equal(wsQueuedBytes(r.server.ctx), 0);
});
