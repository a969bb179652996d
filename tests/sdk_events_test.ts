/**
 * SDK events, token refresh, message filtering and disconnect (CONTRACT §12.3, §12.5, §12.7),
 * on the real classic build in a fake iframe (lib/sdk/testing.ts).
 */
import assert from "node:assert/strict";
import { type Any, fakeFrame, HELLO, HOST, tick, until, WID } from "../lib/sdk/testing.ts";

const OTHER = "9b2e0c1e-0000-4000-8000-000000000002";

Deno.test("state is updated before handlers run", async () => {
  const f = fakeFrame();
  const rt = await f.sdk.connect();
  const seen: Any[] = [];
  rt.on(
    "runtime_state_synced",
    (p: Any, env: Any) => seen.push(["state", rt.runtimeState, p, env.kind]),
  );
  rt.on("geometry_changed", () => seen.push(["geometry", rt.geometry]));
  f.event("runtime_state_synced", { runtime_state: { a: 1 } }, WID, {
    envelope: { kind: "runtime_state_synced", window_uuid: WID, seq: 1 },
  });
  f.event("geometry_changed", { geometry: { x: 0, y: 0, w: 300, h: 200 } });
  f.event("geometry_changed", { geometry: { x: 0, y: 0, w: 1, h: 1 } }, OTHER); // not ours
  assert.deepEqual(seen, [
    ["state", { a: 1 }, { runtime_state: { a: 1 } }, "runtime_state_synced"],
    ["geometry", { x: 0, y: 0, w: 300, h: 200 }],
    ["geometry", { x: 0, y: 0, w: 300, h: 200 }],
  ]);
  assert.deepEqual(rt.geometry, { x: 0, y: 0, w: 300, h: 200 });
  rt.disconnect();
});

Deno.test("open_view for this window becomes entry_payload; close_view becomes close", async () => {
  const f = fakeFrame();
  const rt = await f.sdk.connect();
  const seen: Any[] = [];
  rt.on("entry_payload", (p: Any, env: Any) => seen.push(["entry", p, rt.entryPayload, env.kind]));
  rt.on("open_view", () => seen.push(["open_view"]));
  rt.on("close", (p: Any) => seen.push(["close", p.reason]));
  const merged = { note: 1, focus: "x" };
  f.event("open_view", { window_uuid: WID, view: "main", entry_payload: merged, reopened: true });
  f.event("open_view", { window_uuid: OTHER, view: "main", entry_payload: { other: 1 } }, OTHER);
  f.event("close_view", { window_uuid: WID, reason: "app" });
  assert.deepEqual(seen, [
    ["open_view"],
    ["entry", merged, merged, "open_view"],
    ["open_view"],
    ["close", "app"],
  ]);
  assert.deepEqual(rt.entryPayload, merged);
  rt.disconnect();
});

Deno.test("'*' sees every event; throwing handlers are caught; off and unsubscribe work", async () => {
  const f = fakeFrame();
  const rt = await f.sdk.connect();
  const all: Any[] = [];
  const calls: string[] = [];
  rt.on("*", (kind: string, payload: Any, env: Any) => all.push([kind, payload, env.window_uuid]));
  rt.on("title_changed", () => {
    throw new Error("app bug");
  });
  const h = () => calls.push("h");
  const unsubscribe = rt.on("title_changed", h);
  f.event("title_changed", { title: "A" });
  f.event("some_future_kind", { x: 1 }); // unknown kinds never throw
  assert.deepEqual(calls, ["h"], "a throwing handler does not stop the others");
  assert.equal(f.errors.length, 1, "the exception is logged");
  unsubscribe();
  f.event("title_changed", { title: "B" });
  rt.on("title_changed", h);
  rt.off("title_changed", h);
  f.event("title_changed", { title: "C" });
  assert.deepEqual(calls, ["h"]);
  assert.deepEqual(all.map((a) => a[0]), [
    "title_changed",
    "some_future_kind",
    "title_changed",
    "title_changed",
  ]);
  assert.deepEqual(all[0], ["title_changed", { title: "A" }, WID]);
  assert.throws(() => rt.on("x", "not a function"), TypeError);
  rt.disconnect();
});

Deno.test("auth.refresh swaps the token before listeners run; requests carry the current token", async () => {
  const f = fakeFrame();
  const rt = await f.sdk.connect();
  const p1 = rt.storage.get({ key: "a" }).catch(() => {});
  assert.equal(f.requests("storage.get").at(-1).t, "tok1");
  let inListener: Any = null;
  rt.on("auth.refresh", () => {
    rt.storage.get({ key: "b" }).catch(() => {});
    inListener = f.requests("storage.get").at(-1).t;
  });
  f.event("auth.refresh", { token: "tok2", expires_at: 2 });
  assert.equal(inListener, "tok2");
  rt.storage.get({ key: "c" }).catch(() => {});
  assert.equal(f.requests("storage.get").at(-1).t, "tok2");
  f.event("auth.refresh", { token: "tok-other" }, OTHER); // another window's token is not ours
  rt.storage.get({ key: "d" }).catch(() => {});
  assert.equal(f.requests("storage.get").at(-1).t, "tok2");
  await until(() => f.requests("window.ready").length === 1);
  rt.disconnect();
  await p1;
});

Deno.test("only messages from the parent on the host origin with the channel are accepted", async () => {
  const f = fakeFrame();
  const rt = await f.sdk.connect();
  const p = rt.storage.get({ key: "a" });
  const id = f.requests("storage.get")[0].id;
  const res = { channel: "anna-app/1", kind: "res", id, ok: true, result: "forged" };
  f.deliver(res, { origin: "http://127.0.0.1:5181" });
  f.deliver(res, { source: {} });
  f.deliver({ ...res, channel: "other" });
  f.deliver("a string");
  f.deliver(null);
  const events: string[] = [];
  rt.on("*", (k: string) => events.push(k));
  f.deliver({ channel: "anna-app/1", kind: "event", event: "x", payload: {} }, {
    origin: "http://evil",
  });
  f.deliver({ ...res, result: "real" }, { origin: HOST });
  assert.equal(await p, "real");
  assert.deepEqual(events, []);
  rt.disconnect();
});

Deno.test("disconnect rejects pending calls, stops the heartbeat and drops listeners", async () => {
  const f = fakeFrame();
  const rt = await f.sdk.connect();
  await until(() => f.requests("window.ready").length === 1);
  const pending = rt.storage.get({ key: "a" }).catch((e: Any) => e);
  let heard = 0;
  rt.on("*", () => heard++);
  rt.disconnect();
  assert.equal((await pending).code, "disconnected");
  assert.equal((await rt.storage.get({ key: "b" }).catch((e: Any) => e)).code, "disconnected");
  assert.equal(f.listeners.size, 0);
  f.event("title_changed", { title: "x" });
  assert.equal(heard, 0);
  // After a disconnect, connect() starts a new connection.
  const again = f.sdk.connect();
  await tick();
  assert.equal(f.requests("window.hello").length, 2);
  (await again).disconnect();
});

Deno.test("args that cannot be posted reject with invalid_arg", async () => {
  const f = fakeFrame();
  const rt = await f.sdk.connect();
  const err = await rt.storage.set({ key: "a", value: () => 1 }).catch((e: Any) => e);
  assert.equal(err.code, "invalid_arg");
  rt.disconnect();
});

Deno.test("events that arrive before the hello reply are newer than its snapshot and stay", async () => {
  let helloReq: Any = null;
  const f = fakeFrame({
    answer: (req: Any) => {
      if (req.ns === "window" && req.method === "hello") {
        helloReq = req; // answered by hand below
        return undefined;
      }
      return req.ns === "window" ? { ok: true, result: { ok: true } } : undefined;
    },
  });
  const connecting = f.sdk.connect();
  await until(() => helloReq !== null);
  f.event("runtime_state_synced", { runtime_state: { k: "NEW" } });
  f.event("geometry_changed", { geometry: { x: 1, y: 2, w: 300, h: 200 } });
  f.deliver({ channel: "anna-app/1", kind: "res", id: helloReq.id, ok: true, result: HELLO });
  const rt = await connecting;
  assert.deepEqual(rt.runtimeState, { k: "NEW" });
  assert.deepEqual(rt.geometry, { x: 1, y: 2, w: 300, h: 200 });
  assert.deepEqual(rt.entryPayload, HELLO.entry_payload, "no event touched it: the snapshot's");
  rt.disconnect();
});
