/**
 * `session.close` landing while a window is being made (CONTRACT §6.3, §6.4): `session.create`,
 * `session.open_view` and `window.open_view` each sign the new window's token after creating it,
 * and a close can run in that gap. The close must still end every window of the session, leave
 * nothing in the window index or refresh timers, and no later call may open a window in it.
 */
import assert from "node:assert/strict";
import { makeRuntime, manifest, type TestRuntime } from "./helpers/runtime.ts";

type Rt = TestRuntime["rt"];

/** Makes the next token signing close `sid()` first, through the core API, as a client racing. */
function closeDuringNextMint(rt: Rt, sid: () => string) {
  const real = rt.mintWindowToken.bind(rt);
  let closing: Promise<unknown> | null = null;
  rt.mintWindowToken = (s, w) => {
    closing ??= rt.call("session.close", { session_id: sid() }, "internal");
    return real(s, w);
  };
  return () => closing;
}

function assertNothingLeft(rt: Rt, s: NonNullable<ReturnType<Rt["session"]>>) {
  assert.equal(rt.sessions.size, 0, "no open session");
  assert.equal(rt.sessions.indexedWindows, 0, "no window left in the window index");
  assert.equal(rt.timers.size, 0, "no token-refresh timer left");
  assert.equal(s.closed, true);
  const open = [...s.windows.values()].filter((w) => w.status === "active");
  assert.deepEqual(open.map((w) => w.window_uuid), [], "every window of the closed session ended");
}

async function openSession(t: TestRuntime) {
  const c = await t.call("session.create", {
    app_slug: "race",
    manifest: {
      ...manifest(),
      ui: {
        bundle: { entry: "index.html" },
        views: [{ name: "main", title: "Main" }, { name: "side", title: "Side" }],
      },
    },
  });
  return {
    sid: c.session_id as string,
    wid: c.window_uuid as string,
    s: t.rt.session(c.session_id as string)!,
  };
}

Deno.test("session.close while session.create signs the first token: the session ends clean", async () => {
  await using t = await makeRuntime({ mode: "serve", autoRefresh: true });
  let sid = "";
  const real = t.rt.sessions.add.bind(t.rt.sessions);
  t.rt.sessions.add = (s) => {
    sid = s.id;
    real(s);
  };
  const closed = closeDuringNextMint(t.rt, () => sid);
  const created = await t.call("session.create", { app_slug: "race", manifest: manifest() });
  assert.equal(created.session_id, sid);
  assert.deepEqual(await closed(), { closed: true });
  // the session existed from `add` on, so the close came after the create: the create's answer
  // stands, and the session is gone for every later call
  assert.equal(t.rt.session(sid), undefined, "a closed session is not found");
  const e = await t.callError("session.open_view", { session_id: sid, view: "main" });
  assert.equal(e.message, "unknown_session");
  assert.equal(t.rt.sessions.size, 0);
  assert.equal(t.rt.sessions.indexedWindows, 0);
  assert.equal(t.rt.timers.size, 0);
});

for (const via of ["session.open_view", "window.open_view"] as const) {
  Deno.test(`session.close while ${via} signs the new window's token: no window outlives it`, async () => {
    await using t = await makeRuntime({ mode: "serve", autoRefresh: true });
    const { sid, wid, s } = await openSession(t);
    const closed = closeDuringNextMint(t.rt, () => sid);
    const open = () =>
      via === "session.open_view"
        ? t.call("session.open_view", { session_id: sid, view: "side" })
        : t.call("session.call", {
          session_id: sid,
          window_uuid: wid,
          ns: "window",
          method: "open_view",
          args: { view: "side" },
        });
    const first = await open();
    assert.deepEqual(await closed(), { closed: true });
    // answered as created: it was, just before the close ended it with the rest of the session
    if (via === "session.open_view") assert.equal(first.created, true);
    else assert.equal(first.ok, true, JSON.stringify(first));
    assertNothingLeft(t.rt, s);
    // and nothing opens a window in the closed session afterwards
    if (via === "session.open_view") {
      assert.equal(
        (await t.callError("session.open_view", { session_id: sid })).message,
        "unknown_session",
      );
    } else {
      const e = await t.callError("session.call", {
        session_id: sid,
        window_uuid: wid,
        ns: "window",
        method: "open_view",
        args: { view: "side" },
      });
      assert.equal(e.message, "unknown_session");
    }
    assertNothingLeft(t.rt, s);
  });
}

Deno.test("many window.open_view calls with a session.close among them: none leaks a window", async () => {
  await using t = await makeRuntime({ mode: "serve", autoRefresh: true });
  const { sid, wid, s } = await openSession(t);
  const call = (view: string) =>
    t.rt.call("session.call", {
      session_id: sid,
      window_uuid: wid,
      ns: "window",
      method: "open_view",
      args: { view },
    }, "internal").then((r) => r as { ok: boolean }, (e: Error) => ({ ok: false, e: e.message }));
  const before = Array.from({ length: 10 }, () => call("side"));
  const close = t.rt.call("session.close", { session_id: sid }, "internal");
  const after = Array.from({ length: 10 }, () => call("side"));
  const [b, , a] = await Promise.all([Promise.all(before), close, Promise.all(after)]);
  assert.ok(b.every((r) => r.ok), JSON.stringify(b));
  assert.ok(a.every((r) => !r.ok), JSON.stringify(a));
  assertNothingLeft(t.rt, s);
});
