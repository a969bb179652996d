/**
 * HEAD through the real `dev` server (CONTRACT §11.4, §11.7 "GET and HEAD only"): every route that
 * answers GET answers HEAD with the same status and the length GET would send, and no body. The
 * generated responses (SDK, sidecar, pages, JSON) used to report `Content-Length: 0`.
 */
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { DevProcess } from "./helpers/dev_process.ts";

const APP = fileURLToPath(new URL("../examples/notes-app", import.meta.url));

Deno.test("dev server: HEAD gives GET's status and Content-Length, with no body", async () => {
  await using dev = await DevProcess.start(APP, { args: ["--no-watch"] });
  const { main_origin: main, app_origin: app, window_url } = dev.info;
  const urls = [
    `${main}/`,
    window_url,
    `${main}/healthz`,
    `${app}/healthz`,
    `${app}/anna-apps/notes-app/dev/index.html`,
    `${app}/anna-apps/notes-app/dev/anna-tool-ids.js`,
    `${app}/static/anna-apps/_sdk/latest/index.js`,
    `${app}/anna-apps/notes-app/dev/missing.js`,
  ];
  for (const url of urls) {
    const get = await fetch(url);
    const body = new Uint8Array(await get.arrayBuffer());
    const head = await fetch(url, { method: "HEAD" });
    assert.equal(head.status, get.status, url);
    assert.equal((await head.arrayBuffer()).byteLength, 0, url);
    assert.ok(body.byteLength > 0, url);
    assert.equal(head.headers.get("content-length"), String(body.byteLength), url);
    assert.equal(head.headers.get("content-type"), get.headers.get("content-type"), url);
  }
});
