/**
 * The HTTP body limit at its edge (CONTRACT §11.3, §15: 16 MiB, no smaller ceiling): a body of
 * exactly 16 777 216 bytes is served, one byte more is 413 with the `frame_too_large` error naming
 * both sizes — on `/rpc` and on `/api/session/call`, whether or not the client sent a length.
 */
import assert from "node:assert/strict";
import { createMainApp } from "../lib/server/app.ts";
import { MAX_BODY_BYTES } from "../lib/server/context.ts";
import { makeRuntime, manifest } from "./helpers/runtime.ts";
import { AUTH, serverContext } from "./helpers/server.ts";

const MAX = 16_777_216;

/** A JSON text of exactly `bytes` bytes: `head` + padding inside a string + `tail`. */
const sized = (head: string, tail: string, bytes: number) =>
  head + "x".repeat(bytes - head.length - tail.length) + tail;

/** As a stream: no Content-Length, so the limit is found by counting. */
const streamed = (text: string) => new Blob([text]).stream().pipeThrough(new TransformStream());

Deno.test("POST /rpc: exactly 16 MiB is answered, 16 MiB + 1 byte → 413 frame_too_large", async () => {
  assert.equal(MAX_BODY_BYTES, MAX);
  await using t = await makeRuntime({ mode: "serve" });
  const app = createMainApp(serverContext(t.rt));
  const head = '{"jsonrpc":"2.0","id":7,"method":"runtime.info","params":{"pad":"';
  for (const asStream of [false, true]) {
    const post = (text: string) =>
      app.request("/rpc", {
        method: "POST",
        headers: asStream ? AUTH : { ...AUTH, "content-length": String(text.length) },
        body: asStream ? streamed(text) : text,
      });
    const atMax = await post(sized(head, '"}}', MAX));
    assert.equal(atMax.status, 200, `stream: ${asStream}`);
    assert.equal((await atMax.json()).id, 7);
    const over = await post(sized(head, '"}}', MAX + 1));
    assert.equal(over.status, 413, `stream: ${asStream}`);
    assert.deepEqual((await over.json()).error, {
      code: -32600,
      message: "frame_too_large",
      data: { code: "frame_too_large", frame_bytes: MAX + 1, max_frame_bytes: MAX },
    });
  }
});

Deno.test("POST /api/session/call: exactly 16 MiB is dispatched, one byte more → 413", async () => {
  await using t = await makeRuntime({ mode: "serve" });
  const s = await t.call("session.create", {
    app_slug: "b",
    manifest: manifest({ storage: ["*"] }),
  });
  const app = createMainApp(serverContext(t.rt));
  const head = JSON.stringify({ session_id: s.session_id, ns: "window", method: "heartbeat" })
    .slice(0, -1) + ',"pad":"';
  const post = (text: string) =>
    app.request("/api/session/call", { method: "POST", headers: AUTH, body: streamed(text) });
  const atMax = await post(sized(head, '"}', MAX));
  assert.equal(atMax.status, 200);
  assert.deepEqual(await atMax.json(), { ok: true, result: { ok: true } });
  const over = await post(sized(head, '"}', MAX + 1));
  assert.equal(over.status, 413);
  assert.deepEqual((await over.json()).error.details, {
    frame_bytes: MAX + 1,
    max_frame_bytes: MAX,
  });
});
