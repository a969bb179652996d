/**
 * What a long-lived session keeps of windows that ended (§6.3, §8.4): a closed or crashed window's
 * refresh timer stops at once, and the window itself is let go once no token of it can verify any
 * more. An app opening and closing a window per action otherwise grew the session by one window
 * (and the runtime by one timer until its next tick) each time, for as long as `dev` ran.
 */
import assert from "node:assert/strict";
import { makeRuntime, manifest } from "./helpers/runtime.ts";

const twoViews = () => {
  const m = manifest();
  m.ui.views.push({ name: "side", title: "Side" } as (typeof m.ui.views)[number]);
  return m;
};

Deno.test("window.close and a fatal report_error stop that window's refresh timer at once", async () => {
  await using t = await makeRuntime({ mode: "dev", autoRefresh: true });
  const s = await t.call("session.create", { app_slug: "w", manifest: twoViews() });
  const call = (wid: string, method: string, args: unknown = {}) =>
    t.call("session.call", {
      session_id: s.session_id,
      window_uuid: wid,
      ns: "window",
      method,
      args,
    });
  const a = await t.call("session.open_view", { session_id: s.session_id, view: "side" });
  const b = await t.call("session.open_view", { session_id: s.session_id, view: "side" });
  assert.equal(t.rt.timers.size, 3);
  assert.equal((await call(a.window_uuid as string, "close")).ok, true);
  assert.equal(t.rt.timers.size, 2);
  const crashed = await call(b.window_uuid as string, "report_error", {
    message: "x",
    fatal: true,
  });
  assert.equal(crashed.ok, true);
  assert.equal(t.rt.timers.size, 1, "only the primary window's timer is left");
  await t.call("session.close", { session_id: s.session_id });
  assert.equal(t.rt.timers.size, 0);
});

Deno.test("ended windows are forgotten once their newest token lapsed (+5 s leeway), not before", async () => {
  await using t = await makeRuntime({ mode: "dev" });
  const s = await t.call("session.create", { app_slug: "w", manifest: twoViews() });
  const session = t.rt.sessions.get(s.session_id)!;
  const open = async () =>
    (await t.call("session.open_view", { session_id: s.session_id, view: "side" }))
      .window_uuid as string;
  const close = (wid: string) =>
    t.call("session.call", {
      session_id: s.session_id,
      window_uuid: wid,
      ns: "window",
      method: "close",
      args: {},
    });
  const fresh = await open();
  await close(fresh);
  const lapsed = await open();
  await close(lapsed);
  const inLeeway = await open();
  await close(inLeeway);
  const closedPrimary = s.window_uuid as string;
  await close(closedPrimary);
  const now = Date.now();
  session.windows.get(lapsed)!.token_expires_at = now - 5_001 - 1000; // a second of slack
  session.windows.get(inLeeway)!.token_expires_at = now - 4_000; // lapsed, but within the leeway
  session.windows.get(closedPrimary)!.token_expires_at = now - 3_600_000;

  const next = await open(); // windows come and go: the sweep runs here
  assert.equal(session.windows.has(lapsed), false, "no token of it can verify: forgotten");
  assert.equal(t.rt.sessions.findWindow(lapsed), undefined, "and gone from the token index");
  assert.equal(session.windows.has(fresh), true, "its token still verifies: kept");
  assert.equal(session.windows.has(inLeeway), true, "its token verifies for 1 s more: kept");
  assert.equal(session.windows.has(closedPrimary), true, "the primary is never forgotten");
  assert.equal(session.windows.has(next), true);
  // a forgotten window is still not_found for calls, now as an unknown one (§5.1 step 1)
  const r = await close(lapsed);
  assert.equal(r.ok, false);
  assert.equal((r.error as { code: string }).code, "not_found");
});

Deno.test("a thousand open/close cycles leave the session and its index no bigger", async () => {
  await using t = await makeRuntime({ mode: "dev" });
  const s = await t.call("session.create", { app_slug: "w", manifest: twoViews() });
  const session = t.rt.sessions.get(s.session_id)!;
  for (let i = 0; i < 1000; i++) {
    const r = await t.call("session.call", {
      session_id: s.session_id,
      ns: "window",
      method: "open_view",
      args: { view: "side" },
    });
    const wid = (r.result as { window_uuid: string }).window_uuid;
    await t.call("session.call", {
      session_id: s.session_id,
      window_uuid: wid,
      ns: "window",
      method: "close",
      args: {},
    });
    // as if its 30 s token had lapsed: the loop runs faster than any TTL
    session.windows.get(wid)!.token_expires_at = Date.now() - 60_000;
  }
  assert.ok(session.windows.size <= 2, `${session.windows.size} windows kept`);
  assert.ok(t.rt.sessions.indexedWindows <= 2, `${t.rt.sessions.indexedWindows} indexed`);
  await t.call("session.close", { session_id: s.session_id });
  assert.equal(t.rt.sessions.indexedWindows, 0);
});
