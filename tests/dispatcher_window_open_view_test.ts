/**
 * `window.open_view` through the core (CONTRACT §5.4, §6.4, §7.2): new windows, bad views and
 * payloads, the 32-window cap, single_instance reuse.
 */
import assert from "node:assert/strict";
import {
  type Loose,
  makeRuntime,
  manifest,
  multiViewManifest,
  openSession,
} from "./helpers/runtime.ts";
import { UUID_RE } from "../lib/util/ids.ts";

/** main, a sized view, a single-instance view and a plain second view. */
Deno.test("window.open_view: creates a window with a token, open_view event with source app", async () => {
  await using t = await makeRuntime();
  const s = await openSession(t, multiViewManifest(), { seed_storage: { k: "v" } });
  const r = await s.call("window", "open_view", { view: "other", payload: { a: 1 } });
  assert.equal(r.ok, true);
  assert.deepEqual(Object.keys(r.result).sort(), ["ok", "window_uuid"]);
  assert.equal(r.result.ok, true);
  const wid = r.result.window_uuid;
  assert.match(wid, UUID_RE);
  assert.notEqual(wid, s.window_uuid);
  const evs = await s.events();
  assert.equal(evs.length, 1);
  assert.equal(evs[0].kind, "open_view");
  assert.equal(evs[0].window_uuid, wid);
  assert.equal(evs[0].by_client_id, s.window_uuid);
  assert.deepEqual(evs[0].payload, {
    window_uuid: wid,
    app_id: "test-app",
    version_id: "dev",
    view: "other",
    entry_payload: { a: 1 },
    geometry: { x: 0, y: 0, w: 480, h: 640 },
    runtime_state: { k: "v" },
    source: "app",
    reopened: false,
  });
  const got = await t.call("session.get", { session_id: s.session_id });
  const w = (got.windows as Loose[]).find((x) => x.window_uuid === wid);
  assert.equal(w.status, "active");
  assert.equal(w.z_index, 2);
  assert.equal(w.title, "Other");
  assert.deepEqual(w.entry_payload, { a: 1 });
  assert.equal(typeof w.token_expires_at, "number", "a token was minted for the new window");
  // the new window answers calls and knows its view
  const hello = await s.call("window", "hello", {}, wid);
  assert.equal(hello.result.view, "other");
  assert.equal(hello.result.view_meta.entry, "other.html?x=1#h");
  // payload is optional and defaults to {}
  const r2 = await s.call("window", "open_view", { view: "main" });
  const hello2 = await s.call("window", "hello", {}, r2.result.window_uuid);
  assert.deepEqual(hello2.result.entry_payload, {});
});

Deno.test("window.open_view: unknown or missing view → invalid_arg; bad payload → invalid_arg", async () => {
  await using t = await makeRuntime();
  const s = await openSession(t, multiViewManifest());
  assert.deepEqual(await s.call("window", "open_view", { view: "nope" }), {
    ok: false,
    error: {
      code: "invalid_arg",
      message: "unknown view 'nope'",
      details: { view: "nope", available: ["main", "sized", "editor", "other"] },
    },
  });
  for (
    const args of [{}, { view: 3 }, { view: "main", payload: [1] }, { view: "main", payload: "x" }]
  ) {
    assert.equal((await s.call("window", "open_view", args)).error.code, "invalid_arg");
  }
  assert.deepEqual(await s.events(), []);
});

Deno.test("window.open_view: 32 open windows max → quota_exceeded; a closed window frees a slot", async () => {
  await using t = await makeRuntime();
  const s = await openSession(t, manifest());
  const opened: string[] = [];
  for (let i = 0; i < 31; i++) {
    const r = await s.call("window", "open_view", { view: "main" });
    assert.equal(r.ok, true, `window ${i + 2}`);
    opened.push(r.result.window_uuid);
  }
  await s.drain();
  const over = await s.call("window", "open_view", { view: "main" });
  assert.equal(over.ok, false);
  assert.equal(over.error.code, "quota_exceeded");
  assert.deepEqual(await s.events(), [], "no event for a refused open");
  await s.call("window", "close", {}, opened[5]);
  assert.equal((await s.call("window", "open_view", { view: "main" })).ok, true);
  assert.equal(
    (await s.call("window", "open_view", { view: "main" })).error.code,
    "quota_exceeded",
  );
});

Deno.test("window.open_view: single_instance reuse merges payload, bumps z_index, emits open_view + focus", async () => {
  await using t = await makeRuntime();
  const s = await openSession(t, multiViewManifest());
  const a = await s.call("window", "open_view", { view: "editor", payload: { a: 1, b: 1 } });
  const wid = a.result.window_uuid;
  await s.drain();
  const b = await s.call("window", "open_view", { view: "editor", payload: { b: 2, c: 3 } });
  assert.deepEqual(b, { ok: true, result: { ok: true, window_uuid: wid } });
  const evs = await s.events();
  assert.deepEqual(evs.map((e) => e.kind), ["open_view", "window_focus_changed"]);
  assert.equal(evs[0].payload.reopened, true);
  assert.equal(evs[0].payload.source, "app");
  assert.deepEqual(evs[0].payload.entry_payload, { a: 1, b: 2, c: 3 });
  assert.equal(evs[0].window_uuid, wid);
  assert.deepEqual(evs[1].payload, { window_uuid: wid, z_index: 3 });
  for (const e of evs) assert.equal(e.by_client_id, s.window_uuid);
  const got = await t.call("session.get", { session_id: s.session_id });
  const ws = got.windows as Loose[];
  assert.equal(ws.length, 2, "no second editor window");
  assert.deepEqual(ws[1].entry_payload, { a: 1, b: 2, c: 3 });
  assert.equal(ws[1].z_index, 3);
  // reuse without payload keeps the payload
  await s.call("window", "open_view", { view: "editor" });
  assert.deepEqual((await s.call("window", "hello", {}, wid)).result.entry_payload, {
    a: 1,
    b: 2,
    c: 3,
  });
  // once closed, the next open creates a fresh window
  await s.call("window", "close", {}, wid);
  const c = await s.call("window", "open_view", { view: "editor", payload: { z: 1 } });
  assert.notEqual(c.result.window_uuid, wid);
  const fresh = (await s.events()).filter((e) => e.kind === "open_view");
  assert.equal(fresh.at(-1)!.payload.reopened, false);
  assert.deepEqual(fresh.at(-1)!.payload.entry_payload, { z: 1 });
});
