/**
 * The §12 SDK rules no other test pinned (a sweep of CONTRACT §12.2–§12.9): connect's defaults and
 * where each of wid/t/host comes from when several sources are present, the ready/heartbeat life
 * cycle and its failures, all sixteen namespace proxies, the exact request envelope, calls that
 * end on the client side sending nothing to the host, positional args passed on untouched, and
 * every §7.2 kind reaching its listeners. Real classic build, fake iframe (lib/sdk/testing.ts).
 */
import assert from "node:assert/strict";
import { PROXY_NAMESPACES } from "./helpers/contract_values.ts";

import {
  type Any,
  fakeFrame,
  type FakeOptions,
  HELLO,
  HOST,
  tick,
  until,
  WID,
  windowAnswers,
} from "../lib/sdk/testing.ts";

const OTHER = "9b2e0c1e-0000-4000-8000-000000000002";
const enc = encodeURIComponent;

/** Replaces the frame's setInterval/clearInterval so a test can fire the heartbeat by hand. */
function manualIntervals(f: ReturnType<typeof fakeFrame>) {
  const started: Array<{ id: number; fn: () => void; ms: number }> = [];
  const stopped: number[] = [];
  f.win.setInterval = (fn: () => void, ms: number) => {
    const id = 1000 + started.length;
    started.push({ id, fn, ms });
    return id;
  };
  f.win.clearInterval = (id: number) => stopped.push(id);
  return { started, stopped };
}

Deno.test("connect: timeoutMs defaults to 10 000 ms, also for a value that is not a positive number", async () => {
  for (const timeoutMs of [undefined, 0, -5, NaN, "500", null]) {
    const f = fakeFrame();
    const p = f.sdk.connect(timeoutMs === undefined ? undefined : { timeoutMs });
    assert.equal(f.delays[0], 10000, `hello limit for timeoutMs=${String(timeoutMs)}`);
    (await p).disconnect();
  }
  const f = fakeFrame();
  const p = f.sdk.connect({ timeoutMs: 1234 });
  assert.equal(f.delays[0], 1234);
  (await p).disconnect();
});

Deno.test("connect: opts beat the URL, the query beats the hash, query host > ancestorOrigins > referrer", async () => {
  const cases: Array<[string, FakeOptions, Any, { wid: string; t: string; origin: string }]> = [
    [
      "opts win over a complete URL",
      { ancestorOrigins: ["http://a.example:1"], referrer: "http://r.example:2/x" },
      { windowUuid: OTHER, token: "opt", hostOrigin: "http://localhost:9/dev/x" },
      { wid: OTHER, t: "opt", origin: "http://localhost:9" },
    ],
    [
      "the query wins over the hash",
      { search: `?wid=${WID}&t=q&host=${enc(HOST)}`, hash: `#wid=${OTHER}&t=h&host=http://h:3` },
      {},
      { wid: WID, t: "q", origin: HOST },
    ],
    [
      "each value from wherever it is: wid in the query, t in the hash",
      { search: `?wid=${WID}&host=${enc(HOST)}`, hash: `#/r?t=h` },
      {},
      { wid: WID, t: "h", origin: HOST },
    ],
    [
      "query host before ancestorOrigins and referrer",
      {
        search: `?wid=${WID}&t=q&host=${enc(HOST)}`,
        ancestorOrigins: ["http://a.example:1"],
        referrer: "http://r.example:2/x",
      },
      {},
      { wid: WID, t: "q", origin: HOST },
    ],
    [
      "ancestorOrigins[0] before referrer",
      {
        search: `?wid=${WID}&t=q`,
        ancestorOrigins: ["http://a.example:1", "http://b.example:4"],
        referrer: "http://r.example:2/x",
      },
      {},
      { wid: WID, t: "q", origin: "http://a.example:1" },
    ],
  ];
  for (const [name, env, opts, want] of cases) {
    const f = fakeFrame({ ...env, answer: () => undefined });
    const p = f.sdk.connect({ ...opts, timeoutMs: 5 }).catch((e: Any) => e);
    const hello = f.posts[0];
    assert.deepEqual(
      { wid: hello.msg.wid, t: hello.msg.t, origin: hello.origin },
      want,
      name,
    );
    assert.equal((await p).code, "connect_timeout", name);
  }
});

Deno.test("connect: a failed connect stays the answer to every later connect() call", async () => {
  const f = fakeFrame({ answer: () => undefined });
  const first = f.sdk.connect({ timeoutMs: 5 });
  assert.equal((await first.catch((e: Any) => e)).code, "connect_timeout");
  assert.equal(f.sdk.connect(), first);
  assert.equal(f.requests("window.hello").length, 1, "no second hello");
});

Deno.test("connect: hello carries is_resume into isResume", async () => {
  const f = fakeFrame({
    answer: (req) =>
      req.method === "hello"
        ? { ok: true, result: { ...HELLO, is_resume: true } }
        : windowAnswers(req),
  });
  const rt = await f.sdk.connect();
  assert.equal(rt.isResume, true);
  rt.disconnect();
});

Deno.test("ready goes out in a setTimeout 0 and a failed ready is ignored: nothing logged or thrown", async () => {
  const warned: unknown[][] = [];
  const f = fakeFrame({
    answer: (req) =>
      req.method === "ready"
        ? { ok: false, error: { code: "not_found", message: "window closed" } }
        : windowAnswers(req),
  });
  f.win.console.warn = (...a: unknown[]) => warned.push(a);
  const rt = await f.sdk.connect();
  assert.equal(f.delays[1], 0, "the timer after hello's own is ready's, with delay 0");
  await until(() => f.requests("window.ready").length === 1);
  assert.deepEqual(f.requests("window.ready")[0].args, {});
  for (let i = 0; i < 5; i++) await tick(); // let the refusal arrive
  assert.deepEqual(f.errors, []);
  assert.deepEqual(warned, []);
  rt.disconnect();
});

Deno.test("heartbeat: window.heartbeat every 10 s; a failure is logged as a warning, never thrown", async () => {
  let refuse = false;
  const f = fakeFrame({
    answer: (req) =>
      req.method === "heartbeat" && refuse
        ? { ok: false, error: { code: "not_found", message: "window gone" } }
        : windowAnswers(req),
  });
  const { started, stopped } = manualIntervals(f);
  const warned: unknown[][] = [];
  f.win.console.warn = (...a: unknown[]) => warned.push(a);
  const rt = await f.sdk.connect();
  await until(() => started.length === 1);
  assert.equal(started[0].ms, 10000);
  started[0].fn();
  await until(() => f.requests("window.heartbeat").length === 1);
  assert.deepEqual(f.requests("window.heartbeat")[0].args, {});
  for (let i = 0; i < 5; i++) await tick();
  assert.deepEqual(warned, [], "an answered heartbeat logs nothing");

  refuse = true;
  started[0].fn(); // a throw here would fail the test; a rejection left unhandled too
  await until(() => warned.length === 1);
  assert.match(String(warned[0][0]), /heartbeat failed/);
  assert.match(String(warned[0][1]), /window gone/);
  assert.deepEqual(f.errors, []);

  rt.disconnect();
  assert.deepEqual(stopped, [started[0].id], "disconnect stops the heartbeat");
});

Deno.test("disconnect before the ready timer fires: no ready, no heartbeat", async () => {
  const f = fakeFrame();
  const { started } = manualIntervals(f);
  const rt = await f.sdk.connect(); // resolved in a microtask: the ready timer has not run yet
  rt.disconnect();
  for (let i = 0; i < 5; i++) await tick();
  assert.equal(f.requests("window.ready").length, 0);
  assert.equal(started.length, 0);
});

Deno.test("namespace proxies: all sixteen of §12.4, each posting its ns and method; others only via call", async () => {
  const f = fakeFrame();
  const rt = await f.sdk.connect();
  const all = PROXY_NAMESPACES;
  for (const ns of all) {
    assert.equal(typeof rt[ns], "function", ns);
    rt[ns].probe({ n: ns }, { timeoutMs: 60000 }).catch(() => {});
    const sent = f.posts.at(-1)!.msg;
    assert.deepEqual([sent.ns, sent.method, sent.args], [ns, "probe", { n: ns }]);
  }
  for (const ns of ["video", "audio", "custom"]) assert.equal(rt[ns], undefined, ns);
  rt.call("video", "probe", {}).catch(() => {});
  assert.deepEqual([f.posts.at(-1)!.msg.ns, f.posts.at(-1)!.msg.method], ["video", "probe"]);
  rt.disconnect();
});

Deno.test("request envelope: exactly {channel, kind, id, wid, t, ns, method, args}; ids unique per page", async () => {
  const f = fakeFrame();
  const rt = await f.sdk.connect();
  await until(() => f.requests("window.ready").length === 1);
  for (let i = 0; i < 50; i++) rt.storage.get({ key: `k${i}` }).catch(() => {});
  const req = f.requests("storage.get")[0];
  assert.deepEqual(Object.keys(req).sort(), [
    "args",
    "channel",
    "id",
    "kind",
    "method",
    "ns",
    "t",
    "wid",
  ]);
  assert.deepEqual(
    { ...req, id: "" },
    {
      channel: "anna-app/1",
      kind: "req",
      id: "",
      wid: WID,
      t: "tok1",
      ns: "storage",
      method: "get",
      args: { key: "k0" },
    },
  );
  const ids = f.posts.map((p) => p.msg.id);
  assert.ok(ids.every((id) => typeof id === "string" && id !== ""));
  assert.equal(new Set(ids).size, ids.length, "hello, ready and 50 calls: 52 distinct ids");
  assert.ok(f.posts.every((p) => p.origin === HOST));
  rt.disconnect();
});

Deno.test("client_timeout and aborted send nothing to the host; a late answer is ignored", async () => {
  const f = fakeFrame();
  const rt = await f.sdk.connect();
  await until(() => f.requests("window.ready").length === 1);
  const before = f.posts.length;
  const timedOut = await rt.storage.get({ key: "a" }, { timeoutMs: 5 }).catch((e: Any) => e);
  assert.equal(timedOut.code, "client_timeout");
  const ac = new AbortController();
  const p = rt.storage.get({ key: "b" }, { signal: ac.signal }).catch((e: Any) => e);
  ac.abort();
  assert.equal((await p).code, "aborted");
  for (let i = 0; i < 5; i++) await tick();
  assert.equal(f.posts.length, before + 2, "only the two requests: no cancel message");
  for (const req of f.requests("storage.get")) {
    f.deliver({ channel: "anna-app/1", kind: "res", id: req.id, ok: true, result: "late" });
  }
  assert.deepEqual(f.errors, []);
  rt.disconnect();
});

Deno.test("positional call forms are sent as they are, not rewritten (§12.9)", async () => {
  const f = fakeFrame({
    answer: (req) =>
      req.ns === "storage"
        ? {
          ok: false,
          error: { code: "invalid_arg", message: "args must be an object" },
        }
        : windowAnswers(req),
  });
  const rt = await f.sdk.connect();
  const viaProxy = await rt.storage.get("k").catch((e: Any) => e);
  const viaCall = await rt.call("storage", "get", "k").catch((e: Any) => e);
  const list = await rt.storage.set(["k", 1]).catch((e: Any) => e);
  for (const err of [viaProxy, viaCall, list]) {
    assert.equal(err.code, "invalid_arg");
    assert.equal(err.message, "args must be an object");
  }
  assert.deepEqual(f.requests("storage.get").map((r: Any) => r.args), ["k", "k"]);
  assert.deepEqual(f.requests("storage.set")[0].args, ["k", 1]);
  rt.disconnect();
});

Deno.test("every §7.2 kind reaches on(kind) and '*' with its payload and envelope", async () => {
  const f = fakeFrame();
  const rt = await f.sdk.connect();
  const kinds: Array<[string, Any]> = [
    ["title_changed", { title: "T" }],
    ["geometry_changed", { geometry: { x: 1, y: 2, w: 3, h: 4 } }],
    ["window_focus_changed", { window_uuid: WID, z_index: 2 }],
    ["status_changed", { status: "minimized" }],
    ["open_view", { window_uuid: WID, view: "main", entry_payload: { a: 1 }, reopened: true }],
    ["runtime_state_synced", { runtime_state: { k: 2 } }],
    ["chat_message_from_app", { message_id: "m", role: "assistant", content: "hi" }],
    ["artifact_appended", { artifact_id: "a", kind: "k", summary: "s", payload: {} }],
    ["auth.refresh", { token: "tok2", expires_at: 5 }],
    ["events_dropped", { count: 1, first_seq: 1, last_seq: 1 }],
    ["tool_job", { job_id: "j", tool_id: "t", state: "done", seq: 1, terminal: true }],
    ["ping", {}],
    ["rpc.stream", {}],
    ["close_view", { window_uuid: WID, reason: "app" }],
  ];
  const byName: Any[] = [];
  const star: Any[] = [];
  for (const [kind] of kinds) {
    rt.on(kind, (payload: Any, envelope: Any) => byName.push([kind, payload, envelope.seq]));
  }
  rt.on("*", (kind: string, payload: Any, envelope: Any) => star.push([kind, payload, envelope]));
  kinds.forEach(([kind, payload], i) =>
    f.event(kind, payload, WID, {
      seq: i + 1,
      envelope: { type: "data_model/AnnaAppEvent", kind, window_uuid: WID, seq: i + 1, payload },
    })
  );
  assert.deepEqual(byName, kinds.map(([k, p], i) => [k, p, i + 1]));
  assert.deepEqual(star.map(([k, p]) => [k, p]), kinds);
  assert.deepEqual(star[0][2], {
    type: "data_model/AnnaAppEvent",
    kind: "title_changed",
    window_uuid: WID,
    seq: 1,
    payload: { title: "T" },
  });
  assert.deepEqual(f.errors, []);
  rt.disconnect();
});
