/**
 * An endless (or huge) body without Content-Length is not read to its end (CONTRACT §11.3, §4.1):
 * `/rpc` and `/api/*` answer 413 `frame_too_large` once the body passes the cap, and cancel the
 * body stream. Before, the whole body was counted first, so an endless one was never answered.
 */
import assert from "node:assert/strict";
import { createMainApp } from "../lib/server/app.ts";
import { makeRuntime } from "./helpers/runtime.ts";
import { AUTH, serverContext } from "./helpers/server.ts";

const MAX = 4096;
const CHUNK = 1024;

/** A body that never ends by itself; records how much was pulled and whether it was cancelled. */
function endless() {
  const seen = { pulled: 0, cancelled: false };
  const stream = new ReadableStream<Uint8Array>({
    async pull(ctl) {
      // a macrotask per chunk, like a socket: lets the test's deadline fire if nothing answers
      await new Promise((r) => setTimeout(r, 0));
      seen.pulled += CHUNK;
      ctl.enqueue(new Uint8Array(CHUNK).fill(0x20));
    },
    cancel() {
      seen.cancelled = true;
    },
  });
  return { stream, seen };
}

/** Fails the test instead of hanging it when no answer comes. */
function within<T>(ms: number, p: Promise<T>): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  return Promise.race([
    p,
    new Promise<never>((_, rej) => {
      timer = setTimeout(() => rej(new Error(`no answer within ${ms} ms`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

for (const path of ["/rpc", "/api/session/call"]) {
  Deno.test(`POST ${path}: an endless chunked body → 413 at the cap, body stream cancelled`, async () => {
    await using t = await makeRuntime({ mode: "serve" });
    const app = createMainApp(serverContext(t.rt, { maxBodyBytes: MAX }));
    const { stream, seen } = endless();
    const res = await within(
      5000,
      Promise.resolve(app.request(path, { method: "POST", headers: AUTH, body: stream })),
    );
    assert.equal(res.status, 413);
    const body = await res.json();
    const data = path === "/rpc" ? body.error.data : body.error.details;
    assert.equal(data.max_frame_bytes, MAX);
    // what was received when reading stopped: past the cap by less than one chunk
    assert.ok(data.frame_bytes > MAX && data.frame_bytes <= MAX + CHUNK, String(data.frame_bytes));
    assert.ok(seen.cancelled, "the body stream is cancelled");
    assert.ok(seen.pulled <= MAX + 4 * CHUNK, `read ${seen.pulled} bytes`);
  });
}

Deno.test("POST /rpc without the control token: 401 before any of an endless body is read", async () => {
  await using t = await makeRuntime({ mode: "serve" });
  const app = createMainApp(serverContext(t.rt, { maxBodyBytes: MAX }));
  const { stream, seen } = endless();
  const { "x-anna-control-token": _, ...noToken } = AUTH;
  const res = await within(
    5000,
    Promise.resolve(app.request("/rpc", { method: "POST", headers: noToken, body: stream })),
  );
  assert.equal(res.status, 401);
  await res.body?.cancel();
  assert.ok(seen.pulled <= CHUNK, `read ${seen.pulled} bytes`);
});
