/**
 * Host page duties (CONTRACT §12.8, §7.3) of host_link.js + host.js, run in a fake page
 * (lib/dashboard/testing.ts): iframe URLs and attributes, request relaying as app.call, wrong
 * window, expired-token retry, event forwarding, open/close of windows, reload and live reload.
 */
import assert from "node:assert/strict";
import {
  type Any,
  APP,
  appEvent,
  fakeHostPage,
  MAIN,
  tick,
  until,
} from "../lib/dashboard/testing.ts";

const SID = `ses_${"a".repeat(32)}`;
const W1 = "11111111-1111-4111-8111-111111111111";
const W2 = "22222222-2222-4222-8222-222222222222";
const W0 = "00000000-0000-4000-8000-000000000000";
const CHANNEL = "anna-app/1";
/** Token expiry times the fake runtime hands out: realistic epoch ms, well in the future. */
const LATER = Date.now() + 600_000;

function runtime(appCall?: (p: Any) => Any) {
  let n = 0;
  return (method: string, params: Any): Any => {
    switch (method) {
      case "session.get":
        return {
          session_id: SID,
          app_slug: "notes-demo",
          primary_window_uuid: W1,
          created_at: 1000,
          events: { last_seq: 7 },
          views: [{ name: "detail", title: "Detail", entry: "detail.html" }],
          windows: [
            {
              window_uuid: W1,
              view: "main",
              status: "active",
              title: "Notes",
              geometry: { x: 0, y: 0, w: 480, h: 640 },
              view_meta: { name: "main", title: "Notes", entry: "index.html?mode=dev#/home" },
            },
            { window_uuid: W0, view: "main", status: "closed", title: "Old" },
          ],
        };
      case "session.refresh_token":
        return { token: `tok${++n}`, expires_at: LATER + n, window_uuid: params.window_uuid };
      case "app.call":
        return appCall ? appCall(params) : { ok: true, result: { echo: params } };
      default:
        return { ok: true };
    }
  };
}

async function attached(appCall?: (p: Any) => Any, logEntries?: Any[]) {
  const page = fakeHostPage({ bridge: runtime(appCall), logEntries });
  await page.host.attach(SID);
  await until(() => page.frames.length === 1 && page.frames[0].src !== "");
  return page;
}

const env = appEvent;

const req = (wid: string, t: string, extra: Any = {}) => ({
  channel: CHANNEL,
  kind: "req",
  id: "r1",
  wid,
  t,
  ns: "storage",
  method: "get",
  args: { key: "k" },
  ...extra,
});

Deno.test("frameUrl: entry path, wid/t/host, then the entry's own query and hash", () => {
  const { host } = fakeHostPage({ bridge: runtime() });
  const base = { slug: "notes-demo", wid: W1, token: "a.b" };
  const q = `?wid=${W1}&t=a.b&host=${encodeURIComponent(MAIN)}`;
  const cases: Array<[string, string]> = [
    ["index.html", `${APP}/anna-apps/notes-demo/dev/index.html${q}`],
    ["index.html?mode=x&y=1", `${APP}/anna-apps/notes-demo/dev/index.html${q}&mode=x&y=1`],
    ["index.html#/a?b=1", `${APP}/anna-apps/notes-demo/dev/index.html${q}#/a?b=1`],
    ["views/d.html?v=2#top", `${APP}/anna-apps/notes-demo/dev/views/d.html${q}&v=2#top`],
  ];
  for (const [entry, want] of cases) assert.equal(host.frameUrl({ ...base, entry }), want);
  assert.equal(host.config.appOrigin, APP);
  assert.equal(host.config.controlToken, "CT");
});

Deno.test("attach: one iframe per open window with the contract's URL and attributes", async () => {
  const page = await attached();
  const f = page.frames[0];
  assert.equal(
    f.src,
    `${APP}/anna-apps/notes-demo/dev/index.html?wid=${W1}&t=tok1&host=${
      encodeURIComponent(MAIN)
    }&mode=dev#/home`,
  );
  assert.equal(
    f.getAttribute("sandbox"),
    "allow-scripts allow-same-origin allow-forms allow-popups allow-modals allow-downloads",
  );
  assert.equal(f.getAttribute("allow"), "clipboard-write");
  assert.equal(f.getAttribute("data-testid"), "app-frame");
  assert.equal(f.getAttribute("data-wid"), W1);
  assert.equal(f.getAttribute("data-active"), "");
  assert.deepEqual(f.style, { width: "480px", height: "640px" });
  assert.deepEqual(page.called("session.refresh_token").map((c) => c.params), [
    { session_id: SID, window_uuid: W1 },
  ]);
  assert.equal(page.sockets.length, 1, "one /ws connection per page");
  assert.equal(page.sockets[0].url, "ws://127.0.0.1:5180/ws?ct=CT");
  assert.equal(page.sessionEvents().url, `/sessions/${SID}/events?after=7&ct=CT`);
  // resumes after the newest entry of /api/log (none here), so nothing falls in between
  assert.equal(page.logStream()?.url, "/api/log/stream?after=0&ct=CT");
  const [w] = page.host.windows();
  assert.deepEqual([w.wid, w.title, w.active, w.primary, w.tokenExpiresAt], [
    W1,
    "Notes",
    true,
    true,
    LATER + 1,
  ]);
});

Deno.test("requests are relayed as app.call and answered to the same iframe", async () => {
  const page = await attached();
  const f = page.frames[0];
  page.fromFrame(f, req(W1, "tokX"));
  await until(() => f.sent("res").length === 1);
  assert.deepEqual(page.called("app.call")[0].params, {
    token: "tokX",
    ns: "storage",
    method: "get",
    args: { key: "k" },
  });
  const res = f.posts.find((p) => p.msg.kind === "res")!;
  assert.equal(res.origin, APP);
  assert.deepEqual(res.msg, {
    channel: CHANNEL,
    kind: "res",
    id: "r1",
    ok: true,
    result: { echo: { token: "tokX", ns: "storage", method: "get", args: { key: "k" } } },
  });
});

Deno.test("wrong wid → invalid_token/wrong_window; foreign origins and sources are ignored", async () => {
  const page = await attached();
  const f = page.frames[0];
  page.fromFrame(f, req(W2, "tokX", { id: "bad" }));
  page.fromFrame(f, req(W1, "tokX", { id: "o" }), "http://evil.example");
  page.fromFrame(null, req(W1, "tokX", { id: "s" }));
  page.fromFrame(f, { ...req(W1, "tokX", { id: "c" }), channel: "other" });
  await until(() => f.sent("res").length === 1);
  assert.deepEqual(f.sent("res")[0], {
    channel: CHANNEL,
    kind: "res",
    id: "bad",
    ok: false,
    error: {
      code: "invalid_token",
      message: "request wid does not match this window",
      details: { reason: "wrong_window" },
    },
  });
  assert.equal(page.called("app.call").length, 0);
});

Deno.test("a token whose own wid is another window's → wrong_window, not relayed (§12.8)", async () => {
  const page = await attached();
  const f = page.frames[0];
  const b64url = (v: unknown) =>
    btoa(JSON.stringify(v)).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  const tokenFor = (wid: string) => `dev1.${b64url({ wid, app: "x", exp: 1, iat: 0 })}.c2ln`;
  page.fromFrame(f, req(W1, tokenFor(W2), { id: "borrowed" }));
  page.fromFrame(f, req(W1, tokenFor(W1), { id: "own" }));
  await until(() => f.sent("res").length === 2);
  const byId = Object.fromEntries(f.sent("res").map((r: Any) => [r.id, r]));
  assert.deepEqual(byId.borrowed.error, {
    code: "invalid_token",
    message: "token is for another window",
    details: { reason: "wrong_window" },
  });
  assert.equal(byId.own.ok, true);
  assert.deepEqual(page.called("app.call").map((c) => c.params.token), [tokenFor(W1)]);
});

Deno.test("an expired token is refreshed once and the call retried; the app hears of it at once (§12.8)", async () => {
  const page = await attached((p) =>
    p.token === "old"
      ? {
        ok: false,
        error: { code: "invalid_token", message: "expired", details: { reason: "expired" } },
      }
      : { ok: true, result: { token: p.token } }
  );
  const f = page.frames[0];
  page.fromFrame(f, req(W1, "old"));
  page.fromFrame(f, req(W1, "old", { id: "r2" }));
  await until(() => f.sent("res").length === 2);
  assert.deepEqual(page.called("app.call").map((c) => c.params.token), [
    "old",
    "old",
    "tok2",
    "tok2",
  ]);
  assert.equal(page.called("session.refresh_token").length, 2, "attach + one shared refresh");
  assert.deepEqual(f.sent("res")[0].result, { token: "tok2" });
  // §12.8: the host page posts auth.refresh itself (the event stream may be down), with
  // §12.7's fields, before the retried answers; only the runtime's own event knows its seq
  const posted = f.sent("event");
  assert.equal(posted.length, 1);
  const payload = { token: "tok2", expires_at: posted[0].payload.expires_at };
  assert.deepEqual(posted[0], {
    channel: "anna-app/1",
    kind: "event",
    event: "auth.refresh",
    payload,
    seq: null,
    window_uuid: W1,
    envelope: {
      type: "data_model/AnnaAppEvent",
      kind: "auth.refresh",
      window_uuid: W1,
      seq: null,
      payload,
      by_client_id: null,
    },
  });
  assert.deepEqual(f.posts.map((p: Any) => p.msg.kind), ["event", "res", "res"]);
  const env = {
    type: "data_model/AnnaAppEvent",
    kind: "auth.refresh",
    window_uuid: W1,
    seq: 8,
    payload: { token: "tok2", expires_at: LATER + 2 },
    by_client_id: null,
  };
  page.sessionEvents().push("data_model.AnnaAppEvent", env);
  // the runtime's event for the same token is not posted a second time; a later event is
  const next = { ...env, seq: 9, kind: "runtime_state_synced", payload: { runtime_state: {} } };
  page.sessionEvents().push("data_model.AnnaAppEvent", next);
  await until(() => f.sent("event").length === 2);
  assert.deepEqual(f.sent("event")[1].envelope, next);
  // a call still sent with the old token is retried with the known new one, not a new refresh
  page.fromFrame(f, req(W1, "old", { id: "r3" }));
  await until(() => f.sent("res").length === 3);
  assert.deepEqual(f.sent("res")[2].result, { token: "tok2" });
  assert.equal(page.called("session.refresh_token").length, 2);
});

Deno.test("a request the bridge refuses as invalid_params is answered invalid_arg, not internal_error", async () => {
  const page = await attached(() => {
    throw {
      code: -32602,
      message: "invalid_params",
      data: { issues: [{ path: "method", message: "Too big" }] },
    };
  });
  const f = page.frames[0];
  page.fromFrame(f, req(W1, "tokX", { method: "x".repeat(200) }));
  await until(() => f.sent("res").length === 1);
  const { error } = f.sent("res")[0];
  assert.equal(error.code, "invalid_arg");
  assert.match(error.message, /method: Too big/);
  assert.deepEqual(error.details, { issues: [{ path: "method", message: "Too big" }] });
});

Deno.test("a request over the 16 MiB /ws frame limit is answered frame_too_large at once", async () => {
  let reached = 0;
  const page = await attached(() => {
    reached++;
    return { ok: true, result: {} };
  });
  const f = page.frames[0];
  const big = "x".repeat(16 * 1024 * 1024);
  page.fromFrame(f, req(W1, "tok1", { method: "set", args: { key: "k", value: big } }));
  await until(() => f.sent("res").length === 1);
  const { ok, error } = f.sent("res")[0];
  assert.equal(ok, false);
  assert.equal(error.code, "frame_too_large");
  assert.equal(error.details.max_frame_bytes, 16 * 1024 * 1024);
  assert.ok(error.details.frame_bytes > 16 * 1024 * 1024);
  assert.equal(reached, 0, "never sent to the runtime");
});

Deno.test("while the socket is down requests are answered host_unavailable", async () => {
  const page = await attached();
  const f = page.frames[0];
  page.sockets[0].drop();
  page.fromFrame(f, req(W1, "tokX"));
  await until(() => f.sent("res").length === 1);
  assert.equal(f.sent("res")[0].error.code, "host_unavailable");
  await until(() => page.sockets.length === 2); // reconnects
});

Deno.test("events: forwarded per window, state to all, open_view creates and close_view removes", async () => {
  const page = await attached();
  const sse = page.sessionEvents();
  sse.push(
    "data_model.AnnaAppEvent",
    env(8, "open_view", W2, { window_uuid: W2, view: "detail", entry_payload: {} }),
  );
  await until(() => page.frames.length === 2 && page.frames[1].src !== "");
  const [f1, f2] = page.frames;
  assert.match(
    f2.src,
    new RegExp(`^${APP}/anna-apps/notes-demo/dev/detail\\.html\\?wid=${W2}&t=tok2&`),
  );
  assert.equal(page.host.activeWindow(), W2);
  sse.push("data_model.AnnaAppEvent", env(9, "title_changed", W1, { title: "early" }));
  assert.equal(f1.posts.length, 0, "nothing is posted before the app's SDK has spoken");
  page.fromFrame(f1, req(W1, "tok1", { id: "h1", ns: "window", method: "hello" }));
  page.fromFrame(f2, req(W2, "tok2", { id: "h2", ns: "window", method: "hello" }));
  await until(() => f1.sent("res").length === 1 && f2.sent("res").length === 1);
  sse.push("data_model.AnnaAppEvent", env(10, "title_changed", W1, { title: "Notes (2)" }));
  sse.push("data_model.AnnaAppEvent", env(10, "title_changed", W1, { title: "replayed" })); // old seq
  sse.push(
    "data_model.AnnaAppEvent",
    env(11, "runtime_state_synced", W1, { runtime_state: { a: 1 } }),
  );
  assert.deepEqual(f1.sent("event").map((m) => m.event), ["title_changed", "runtime_state_synced"]);
  assert.deepEqual(f2.sent("event").map((m) => m.event), ["runtime_state_synced"]);
  const fwd = f1.sent("event")[0];
  assert.deepEqual(
    [fwd.channel, fwd.payload, fwd.seq, fwd.window_uuid, fwd.envelope.kind],
    [CHANNEL, { title: "Notes (2)" }, 10, W1, "title_changed"],
  );
  assert.equal(page.host.windows().find((w: Any) => w.wid === W1).title, "Notes (2)");
  sse.push(
    "data_model.AnnaAppEvent",
    env(12, "close_view", W2, { window_uuid: W2, reason: "app" }),
  );
  assert.equal(f2.sent("event").at(-1).event, "close_view", "forwarded before removal");
  await until(() => f2.removed);
  assert.deepEqual(page.host.windows().map((w: Any) => w.wid), [W1]);
  assert.equal(page.host.activeWindow(), W1);
});

Deno.test("state and events_dropped go to open windows only: not crashed, not closing (§7.3)", async () => {
  const page = await attached();
  const sse = page.sessionEvents();
  const W3 = "33333333-3333-4333-8333-333333333333";
  sse.push("data_model.AnnaAppEvent", env(8, "open_view", W2, { window_uuid: W2, view: "main" }));
  sse.push("data_model.AnnaAppEvent", env(9, "open_view", W3, { window_uuid: W3, view: "main" }));
  await until(() => page.frames.length === 3 && page.frames.every((f) => f.src !== ""));
  const [f1, f2, f3] = page.frames;
  for (const [f, w] of [[f1, W1], [f2, W2], [f3, W3]] as const) {
    page.fromFrame(f, req(w, "", { id: `h-${w}`, ns: "window", method: "hello" }));
  }
  await until(() => [f1, f2, f3].every((f) => f.sent("res").length === 1));
  sse.push("data_model.AnnaAppEvent", env(10, "status_changed", W2, { status: "crashed" }));
  sse.push(
    "data_model.AnnaAppEvent",
    env(11, "close_view", W3, { window_uuid: W3, reason: "app" }),
  );
  sse.push("data_model.AnnaAppEvent", env(12, "runtime_state_synced", W1, { runtime_state: {} }));
  sse.push(
    "data_model.AnnaAppEvent",
    env(13, "events_dropped", null, { count: 1, first_seq: 1, last_seq: 1 }),
  );
  const kinds = (f: Any) => f.sent("event").map((m: Any) => m.event);
  assert.deepEqual(kinds(f1), ["runtime_state_synced", "events_dropped"]);
  assert.deepEqual(kinds(f2), ["status_changed"], "crashed: no state after its own status");
  assert.deepEqual(kinds(f3), ["close_view"], "closing: nothing after close_view");
});

Deno.test("reload to an unchanged URL (same-second token, #fragment entry) replaces the iframe", async () => {
  const base = runtime();
  const page = fakeHostPage({
    bridge: (method, params) =>
      method === "session.refresh_token"
        ? { token: "same", expires_at: LATER, window_uuid: params.window_uuid }
        : base(method, params),
  });
  await page.host.attach(SID);
  await until(() => page.frames.length === 1 && page.frames[0].src !== "");
  const old = page.frames[0];
  assert.match(old.src, /#\/home$/, "the entry carries a fragment");
  page.fromFrame(old, req(W1, "same", { id: "h1", ns: "window", method: "hello" }));
  await until(() => old.sent("res").length === 1);
  await page.host.reload(W1);
  assert.equal(old.removed, true, "setting the same src would only scroll to the fragment");
  assert.deepEqual(page.shown(), [page.frames[1]]);
  const fresh = page.frames[1];
  assert.equal(fresh.src, old.src);
  assert.equal(fresh.getAttribute("data-wid"), W1);
  assert.equal(fresh.getAttribute("data-active"), "");
  // the old document is gone: its messages are ignored; the new one is served once it speaks
  page.fromFrame(old, req(W1, "same", { id: "stale" }));
  page.fromFrame(fresh, req(W1, "same", { id: "h2", ns: "window", method: "hello" }));
  await until(() => fresh.sent("res").length === 1);
  assert.equal(old.sent("res").length, 1);
  page.sessionEvents().push(
    "data_model.AnnaAppEvent",
    env(8, "runtime_state_synced", W1, { runtime_state: {} }),
  );
  assert.deepEqual(fresh.sent("event").map((m) => m.event), ["runtime_state_synced"]);
});

Deno.test("reload gets a fresh token and sets the same URL again; live reload follows the log", async () => {
  const page = await attached(undefined, [{ seq: 3, ts: 1, type: "reload", paths: ["old.js"] }]);
  const f = page.frames[0];
  await page.host.reload(W1);
  assert.match(f.src, new RegExp(`\\?wid=${W1}&t=tok2&`));
  await until(() => page.logStream() !== undefined);
  const stream = page.logStream()!;
  // the stream resumes after the newest entry /api/log returned, so nothing logged in between
  // the two requests is lost (§11.11)
  assert.equal(new URL(stream.url, MAIN).searchParams.get("after"), "3");
  assert.equal(new URL(stream.url, MAIN).searchParams.get("ct"), "CT");
  assert.equal(page.called("session.refresh_token").length, 2, "history entries do not reload");
  stream.push("log", { seq: 3, ts: Date.now(), type: "reload", paths: ["dup.js"] }); // already seen
  stream.push("log", {
    seq: 4,
    ts: Date.now(),
    type: "manifest",
    diagnostics: [{ severity: "error" }],
  });
  stream.push("log", { seq: 5, ts: Date.now(), type: "reload", paths: ["app.js"] });
  await until(() => /t=tok3&/.test(f.src));
  assert.equal(page.called("session.refresh_token").length, 3);
  assert.deepEqual(page.host.logEntries().map((e: Any) => e.seq), [3, 4, 5]);
});

Deno.test("live reload: an edit logged while the log stream was down still reloads on resync", async () => {
  const log: Any[] = [{ seq: 1, ts: Date.now(), type: "reload", paths: ["first.js"] }];
  const page = await attached(undefined, log);
  const f = page.frames[0];
  await until(() => page.logStream() !== undefined);
  const stream = page.logStream()!;
  const refreshes = page.called("session.refresh_token").length;
  stream.push("error", {}); // dropped; the browser reconnects by itself
  log.push({ seq: 2, ts: Date.now(), type: "rpc" });
  log.push({ seq: 3, ts: Date.now(), type: "reload", paths: ["app.js"] });
  stream.push("open", {});
  await until(() => page.called("session.refresh_token").length > refreshes);
  await until(() => /t=tok2&/.test(f.src));
  assert.deepEqual(page.host.logEntries().map((e: Any) => e.seq), [1, 2, 3]);
  // a second drop with nothing new in between does not reload again
  stream.push("error", {});
  stream.push("open", {});
  for (let i = 0; i < 20; i++) await tick();
  assert.equal(page.called("session.refresh_token").length, refreshes + 1);
});

Deno.test("a window whose first token fetch fails is forgotten, so a later open_view makes it", async () => {
  let failNext = true;
  const base = runtime();
  const page = fakeHostPage({
    bridge: (method: string, params: Any) => {
      if (method === "session.refresh_token" && params.window_uuid === W2 && failNext) {
        failNext = false;
        throw { code: -32603, message: "internal error", data: { code: "internal_error" } };
      }
      return base(method, params);
    },
  });
  await page.host.attach(SID);
  await until(() => page.frames.length === 1 && page.frames[0].src !== "");
  const sse = page.sessionEvents();
  const open = (seq: number, reopened: boolean) =>
    sse.push(
      "data_model.AnnaAppEvent",
      env(seq, "open_view", W2, { window_uuid: W2, view: "detail", entry_payload: {}, reopened }),
    );
  open(8, false);
  await until(() => !failNext && !page.host.windows().some((w: Any) => w.wid === W2));
  assert.equal(page.frames.length, 1, "no iframe for the window that failed");
  open(9, true);
  await until(() => page.frames.length === 2 && page.frames[1].src !== "");
  assert.match(page.frames[1].src, new RegExp(`wid=${W2}&`));
  assert.deepEqual(page.host.windows().map((w: Any) => w.wid), [W1, W2]);
});

Deno.test("reload passes a crashed window by; its own reload says why (§6.3: crashed is final)", async () => {
  const base = runtime();
  const page = fakeHostPage({
    bridge: (method: string, params: Any) => {
      // as the runtime answers for a crashed window: no token can be minted for it
      if (method === "session.refresh_token" && params.window_uuid === W2 && crashed) {
        throw { code: -32602, message: "invalid_params", data: { reason: "unknown_window" } };
      }
      return base(method, params);
    },
  });
  let crashed = false;
  await page.host.attach(SID);
  await until(() => page.frames.length === 1 && page.frames[0].src !== "");
  const sse = page.sessionEvents();
  sse.push(
    "data_model.AnnaAppEvent",
    env(8, "open_view", W2, {
      window_uuid: W2,
      view: "detail",
      entry_payload: {},
      reopened: false,
    }),
  );
  await until(() => page.frames.length === 2 && page.frames[1].src !== "");
  crashed = true;
  sse.push("data_model.AnnaAppEvent", env(9, "status_changed", W2, { status: "crashed" }));
  await until(() => page.host.windows().some((w: Any) => w.wid === W2 && w.status === "crashed"));

  const [main, side] = page.frames;
  const sideSrc = side.src;
  const errors: string[] = [];
  page.host.on("error", (e: Any) => errors.push(e.message));
  const before = page.called("session.refresh_token").length;
  await page.host.reload(); // what live reload runs: every window
  assert.match(main.src, /t=tok\d+&/);
  assert.equal(page.called("session.refresh_token").length, before + 1, "only the open window");
  assert.equal(side.src, sideSrc, "the crashed window is left as it is");
  await assert.rejects(page.host.reload(W2), /window .* is crashed and cannot be reloaded/);
  assert.equal(page.called("session.refresh_token").length, before + 1);
  await page.host.reload("99999999-9999-4999-8999-999999999999"); // gone: nothing reloads
  assert.equal(page.called("session.refresh_token").length, before + 1, "an unknown wid: none");
  assert.deepEqual(errors, []);
});

Deno.test("a hidden page closes both streams and resumes them after the last seq when shown", async () => {
  // browsers allow 6 connections per host: tabs in the background must not hold two streams each
  const log: Any[] = [{ seq: 1, ts: Date.now(), type: "rpc" }];
  const page = await attached(undefined, log);
  const f = page.frames[0];
  await until(() => page.logStream() !== undefined);
  const [events, stream] = [page.sessionEvents(), page.logStream()!];
  events.push("data_model.AnnaAppEvent", env(8, "title_changed", W1, { title: "A" }));
  const refreshes = page.called("session.refresh_token").length;

  page.setHidden(true);
  assert.ok(events.closed && stream.closed, "both streams let go");
  // meanwhile: an edit is logged and the app's title changes
  log.push({ seq: 2, ts: Date.now(), type: "reload", paths: ["app.js"] });
  for (let i = 0; i < 10; i++) await tick();
  assert.equal(page.called("session.refresh_token").length, refreshes, "no reload while hidden");

  page.setHidden(false);
  const [events2, stream2] = [page.sessionEvents(), page.logStream()!];
  assert.notEqual(events2, events);
  assert.notEqual(stream2, stream);
  assert.equal(new URL(events2.url, MAIN).searchParams.get("after"), "8");
  assert.equal(new URL(stream2.url, MAIN).searchParams.get("after"), "1");
  // the replayed event reaches the iframe; the edit logged while hidden reloads it once
  events2.push("data_model.AnnaAppEvent", env(9, "title_changed", W1, { title: "B" }));
  assert.equal(page.host.windows()[0].title, "B");
  stream2.push("open", {});
  await until(() => /t=tok2&/.test(f.src));
  assert.deepEqual(page.host.logEntries().map((e: Any) => e.seq), [1, 2]);
});

Deno.test("a page shown again after its session closed meanwhile says the session closed", async () => {
  let closed = false;
  const base = runtime();
  const page = fakeHostPage({
    bridge: (method, params) => {
      if (closed && method === "session.get") {
        throw { code: -32001, message: "unknown_session", data: { session_id: SID } };
      }
      return base(method, params);
    },
  });
  await page.host.attach(SID);
  let saw = 0;
  page.host.on("session_closed", () => saw++);
  page.setHidden(true);
  closed = true;
  page.setHidden(false);
  const reopened = page.sessionEvents();
  reopened.readyState = 2; // the runtime answered 404 unknown_session
  reopened.push("error", {});
  await until(() => saw === 1);
});

Deno.test("args JSON cannot carry (a BigInt, a cycle) are answered invalid_arg naming why, not internal_error", async () => {
  let reached = 0;
  const page = await attached(() => {
    reached++;
    return { ok: true, result: {} };
  });
  const f = page.frames[0];
  // postMessage clones both of these fine; only the host page's JSON frame to the runtime cannot
  const cyclic: Any = { key: "k" };
  cyclic.value = { parent: cyclic };
  page.fromFrame(f, req(W1, "tok1", { id: "big", method: "set", args: { key: "k", value: 10n } }));
  page.fromFrame(f, req(W1, "tok1", { id: "cyc", method: "set", args: cyclic }));
  await until(() => f.sent("res").length === 2);
  for (const res of f.sent("res")) {
    assert.equal(res.ok, false);
    assert.equal(res.error.code, "invalid_arg", JSON.stringify(res.error));
    assert.match(res.error.message, /^args of storage\.set cannot be sent as JSON: /);
  }
  assert.equal(reached, 0, "never sent to the runtime");
});

Deno.test("a request without the §12.7 channel from an app's own shim is ignored but reported once per window", async () => {
  const page = await attached();
  const f = page.frames[0];
  const errors: string[] = [];
  page.host.on("error", (e: Any) => errors.push(e.message));
  const { channel: _, ...shim } = req(W1, "tokX", { id: "s1", ns: "llm", method: "complete" });
  page.fromFrame(null, shim); // not from an app iframe: not ours to explain
  page.fromFrame(f, shim);
  page.fromFrame(f, { ...shim, id: "s2" });
  page.fromFrame(f, req(W1, "tokX", { id: "real" })); // the SDK's own request still works
  await until(() => f.sent("res").length === 1);
  assert.equal(f.sent("res")[0].id, "real");
  assert.equal(page.called("app.call").length, 1);
  assert.equal(errors.length, 1, errors.join("\n"));
  assert.match(errors[0], /posted a request \(llm\.complete\) without channel "anna-app\/1"/);
  assert.match(errors[0], /load the SDK from \/_sdk\/latest\/index\.js/);
});

Deno.test("/ws reconnects with backoff: each failed attempt waits longer, up to a cap; an open resets it (§12.8)", async () => {
  const page = await attached();
  const Working = page.win.WebSocket;
  let attempts = 0;
  // a runtime that is down: the socket closes without ever opening, as a browser's does
  page.win.WebSocket = class {
    onopen: (() => void) | null = null;
    onmessage: ((ev: Any) => void) | null = null;
    onclose: (() => void) | null = null;
    constructor(_url: string) {
      attempts++;
      setTimeout(() => this.onclose?.(), 0);
    }
    send() {}
  };
  const waits: number[] = [];
  const setTimeoutBefore = page.win.setTimeout;
  page.win.setTimeout = (fn: () => void, ms: number) => {
    if (ms !== undefined) waits.push(ms);
    return setTimeoutBefore(fn, ms);
  };
  page.sockets[0].drop();
  await until(() => attempts >= 8);
  page.win.WebSocket = Working; // the runtime is back
  await until(() => page.sockets.length === 2);
  const grown = waits.slice(0, 8);
  for (let i = 1; i < grown.length; i++) assert.ok(grown[i] >= grown[i - 1], `${grown}`);
  assert.ok(grown.at(-1)! > grown[0], `the wait grows: ${grown}`);
  assert.ok(grown.at(-1)! <= 5000, `and is capped: ${grown}`);
  for (let i = 0; i < 5; i++) await tick(); // the new socket opens
  waits.length = 0;
  page.sockets[1].drop();
  await until(() => page.sockets.length === 3);
  assert.equal(waits[0], grown[0], "after an open the first wait is the shortest again");
});

Deno.test("an expired token is retried once only; a failed refresh answers the original refusal (§12.8)", async () => {
  const expired = {
    ok: false,
    error: { code: "invalid_token", message: "expired", details: { reason: "expired" } },
  };
  // every token is refused as expired: one refresh, one retry, then the app hears the refusal
  const page = await attached(() => expired);
  const f = page.frames[0];
  page.fromFrame(f, req(W1, "old"));
  await until(() => f.sent("res").length === 1);
  assert.deepEqual(page.called("app.call").map((c) => c.params.token), ["old", "tok2"]);
  assert.equal(page.called("session.refresh_token").length, 2, "attach + one refresh");
  assert.deepEqual(f.sent("res")[0], { channel: CHANNEL, kind: "res", id: "r1", ...expired });

  // the refresh itself fails: no retry, the original invalid_token outcome goes back
  const base = runtime(() => expired);
  let attachedYet = false;
  const broken = fakeHostPage({
    bridge: (method, params) => {
      if (method === "session.refresh_token" && attachedYet) {
        throw { code: -32603, message: "internal error", data: { code: "internal_error" } };
      }
      return base(method, params);
    },
  });
  await broken.host.attach(SID);
  await until(() => broken.frames.length === 1 && broken.frames[0].src !== "");
  attachedYet = true;
  const errors: string[] = [];
  broken.host.on("error", (e: Any) => errors.push(e.message));
  const g = broken.frames[0];
  broken.fromFrame(g, req(W1, "old", { id: "r9" }));
  await until(() => g.sent("res").length === 1);
  assert.deepEqual(broken.called("app.call").map((c) => c.params.token), ["old"]);
  assert.deepEqual(g.sent("res")[0], { channel: CHANNEL, kind: "res", id: "r9", ...expired });
  assert.equal(g.sent("event").length, 0, "no auth.refresh without a new token");
  assert.match(errors.join("\n"), /token refresh failed/);
});

Deno.test("the app origin takes the host page's hostname: a page on localhost frames localhost (§12.8)", async () => {
  const page = fakeHostPage({ bridge: runtime(), hostname: "localhost" });
  const appOrigin = "http://localhost:5181";
  assert.equal(page.host.config.appOrigin, appOrigin);
  await page.host.attach(SID);
  await until(() => page.frames.length === 1 && page.frames[0].src !== "");
  const f = page.frames[0];
  assert.ok(
    f.src.startsWith(
      `${appOrigin}/anna-apps/notes-demo/dev/index.html?wid=${W1}&t=tok1&host=${
        encodeURIComponent("http://localhost:5180")
      }`,
    ),
    f.src,
  );
  // requests count from that origin only; the 127.0.0.1 one is another origin to the browser
  page.fromFrame(f, req(W1, "tok1", { id: "ip" }), APP);
  page.fromFrame(f, req(W1, "tok1", { id: "name" }), appOrigin);
  await until(() => f.sent("res").length === 1);
  assert.equal(f.sent("res")[0].id, "name");
  assert.equal(f.posts[0].origin, appOrigin, "answers are posted to the app origin");
  assert.deepEqual(page.called("app.call").length, 1);
});
