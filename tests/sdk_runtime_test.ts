/**
 * The SDK core's behaviour (CONTRACT §12.2–§12.7, §12.9), exercised by running the real classic
 * build against a fake iframe window whose parent answers over a fake postMessage.
 */
import assert from "node:assert/strict";

import {
  type Any,
  fakeFrame,
  type FakeOptions,
  HELLO,
  HOST,
  until,
  WID,
} from "../lib/sdk/testing.ts";

Deno.test("connect: no_host without wid/t/host or outside an iframe", async () => {
  const variants: FakeOptions[] = [
    { search: "" },
    { search: `?wid=${WID}&host=${encodeURIComponent(HOST)}` },
    { search: `?t=x&host=${encodeURIComponent(HOST)}` },
    { search: `?wid=${WID}&t=x` }, // no host, no ancestorOrigins, no referrer
    { topLevel: true },
  ];
  for (const v of variants) {
    const f = fakeFrame(v);
    const err = await f.sdk.connect().catch((e: Any) => e);
    assert.ok(err instanceof f.sdk.HostApiError, JSON.stringify(v));
    assert.equal(err.code, "no_host");
    assert.equal(err.message, "not running inside an Anna host (missing wid/t)");
    assert.equal(f.posts.length, 0);
  }
});

Deno.test("connect: hello, runtime fields, ready in the next macrotask, heartbeat every 10 s", async () => {
  const f = fakeFrame();
  const p = f.sdk.connect();
  assert.equal(f.sdk.connect(), p, "repeated calls return the same promise");
  const rt = await p;
  const hello = f.requests("window.hello")[0];
  assert.deepEqual(
    { channel: hello.channel, kind: hello.kind, wid: hello.wid, t: hello.t },
    { channel: "anna-app/1", kind: "req", wid: WID, t: "tok1" },
  );
  assert.deepEqual(hello.args, {
    client_info: { sdk: "anna-app-runtime", version: f.sdk.version },
  });
  assert.equal(typeof hello.id, "string");
  assert.equal(f.posts[0].origin, HOST, "targetOrigin is the host origin");
  assert.equal(f.requests("window.ready").length, 0, "ready waits for the next macrotask");
  assert.equal(rt.windowUuid, WID);
  assert.equal(rt.appId, "notes-demo");
  assert.equal(rt.appSlug, "notes-demo");
  assert.equal(rt.versionId, "dev");
  assert.equal(rt.userId, 1);
  assert.equal(rt.view, "main");
  assert.deepEqual(rt.viewMeta, HELLO.view_meta);
  assert.deepEqual(rt.capabilities, HELLO.capabilities);
  assert.deepEqual(rt.entryPayload, { note: 1 });
  assert.deepEqual(rt.runtimeState, { k: "v" });
  assert.deepEqual(rt.geometry, HELLO.geometry);
  assert.equal(rt.isResume, false);
  await until(() => f.requests("window.ready").length === 1);
  assert.deepEqual(f.intervals, [10000]);
  rt.disconnect();
});

Deno.test("connect: wid/t from the hash, host from ancestorOrigins or referrer, opts win", async () => {
  const cases: Array<[FakeOptions, Any, { wid: string; t: string; origin: string }]> = [
    [{ search: "", hash: `#wid=${WID}&t=h1`, ancestorOrigins: [HOST] }, {}, {
      wid: WID,
      t: "h1",
      origin: HOST,
    }],
    [{ search: "", hash: `#/route?wid=${WID}&t=h2`, referrer: `${HOST}/dev/x` }, {}, {
      wid: WID,
      t: "h2",
      origin: HOST,
    }],
    [{ search: "" }, { windowUuid: WID, token: "o1", hostOrigin: "http://localhost:5180/" }, {
      wid: WID,
      t: "o1",
      origin: "http://localhost:5180",
    }],
  ];
  for (const [env, opts, want] of cases) {
    const f = fakeFrame({ ...env, answer: () => undefined });
    const p = f.sdk.connect({ ...opts, timeoutMs: 5 }).catch((e: Any) => e);
    const hello = f.posts[0];
    assert.equal(hello.msg.wid, want.wid);
    assert.equal(hello.msg.t, want.t);
    assert.equal(hello.origin, want.origin);
    assert.equal((await p).code, "connect_timeout");
  }
});

Deno.test("connect: connect_timeout, and an error outcome rejects with it", async () => {
  const silent = fakeFrame({ answer: () => undefined });
  const err = await silent.sdk.connect({ timeoutMs: 10 }).catch((e: Any) => e);
  assert.equal(err.code, "connect_timeout");
  assert.ok(err instanceof silent.sdk.HostApiError);
  assert.equal(silent.listeners.size, 0, "the message listener is removed after a failed connect");

  const denied = fakeFrame({
    answer: () => ({
      ok: false,
      error: { code: "invalid_token", message: "expired", details: { reason: "expired" } },
    }),
  });
  const e2 = await denied.sdk.connect().catch((e: Any) => e);
  assert.equal(e2.code, "invalid_token");
  assert.deepEqual(e2.details, { reason: "expired" });
  assert.deepEqual(e2.error, {
    code: "invalid_token",
    message: "expired",
    details: { reason: "expired" },
  });
});

/** A host that answers every call with its own name and args (window calls with ok). */
const echoFrame = () =>
  fakeFrame({
    answer: (req) => {
      if (req.method === "hello") return { ok: true, result: HELLO };
      if (req.ns === "window") return { ok: true, result: { ok: true } };
      return { ok: true, result: { echo: `${req.ns}.${req.method}`, args: req.args } };
    },
  });

Deno.test("call and namespace proxies: nested paths, bare results, never thenable", async () => {
  const f = echoFrame();
  const rt = await f.sdk.connect();
  assert.deepEqual(await rt.storage.get({ key: "a" }), {
    echo: "storage.get",
    args: { key: "a" },
  });
  assert.equal((await rt.agent.session.create({ submode: "auto" })).echo, "agent.session.create");
  assert.equal((await rt.agent["session.create"]({})).echo, "agent.session.create");
  assert.equal((await rt.call("custom", "thing.do")).echo, "custom.thing.do");
  assert.deepEqual((await rt.call("custom", "x")).args, {}, "args default to {}");
  for (
    const ns of ["tools", "chat", "storage", "artifact", "llm", "fs", "prefs", "window", "agent"]
  ) {
    assert.equal(typeof rt[ns], "function", ns);
  }
  for (const key of ["then", "toJSON", "constructor", "prototype"]) {
    assert.equal(rt.storage[key], undefined, key);
    assert.equal(rt.agent.session[key], undefined, key);
  }
  assert.equal(rt.storage[Symbol.iterator], undefined);
  assert.equal(rt.storage[Symbol.toPrimitive], undefined);
  assert.equal(await Promise.resolve(rt.storage), rt.storage, "awaiting a proxy yields the proxy");
  assert.equal(await rt.storage, rt.storage);
  const err = await rt.storage().catch((e: Any) => e);
  assert.equal(err.code, "invalid_arg");
  rt.disconnect();
});

Deno.test("method proxies work through .call/.apply/.bind, as compiled optional calls use them", async () => {
  const f = echoFrame();
  const rt = await f.sdk.connect();
  const want = { echo: "storage.get", args: { key: "k" } };
  // what tsc (target ≤ ES2019) and esbuild emit for `rt.storage.get?.({key: "k"})`
  let a: Any, b: Any;
  const viaCall = (b = (a = rt.storage).get) === null || b === void 0
    ? void 0
    : b.call(a, { key: "k" });
  assert.deepEqual(await viaCall, want);
  // `rt.storage.get(...list)` compiled for older targets
  assert.deepEqual(await rt.storage.get.apply(rt.storage, [{ key: "k" }]), want);
  const bound = rt.storage.get.bind(rt.storage);
  assert.equal(typeof bound, "function");
  assert.deepEqual(await bound({ key: "k" }), want);
  const nested = await rt.agent.session.create.call(rt.agent.session, { submode: "auto" });
  assert.equal(nested.echo, "agent.session.create");
  assert.deepEqual(
    f.requests().filter((m: Any) => m.ns !== "window").map((m: Any) => `${m.ns}.${m.method}`),
    ["storage.get", "storage.get", "storage.get", "agent.session.create"],
  );
  rt.disconnect();
});

Deno.test("tools.invoke results get non-enumerable, read-only compat properties", async () => {
  let next: Any = null;
  const f = fakeFrame({
    answer: (req) => {
      if (req.method === "hello") return { ok: true, result: HELLO };
      if (req.ns === "window") return { ok: true, result: { ok: true } };
      return { ok: true, result: next };
    },
  });
  const rt = await f.sdk.connect();
  next = { summary: "x" };
  const r = await rt.tools.invoke({ tool_id: "t", method: "m", args: {} });
  assert.deepEqual(Object.keys(r), ["summary"]);
  assert.equal(JSON.stringify(r), '{"summary":"x"}');
  assert.deepEqual({ ...r }, { summary: "x" });
  assert.equal(r.success, true);
  assert.equal(r.ok, true);
  assert.equal(r.data, r);
  assert.equal(r.data.summary, "x");
  const { result } = r;
  assert.equal(result, r);
  assert.throws(() => {
    r.success = false; // read-only; test modules are strict
  }, TypeError);

  next = { data: "own", ok: false };
  const own = await rt.tools.invoke({ tool_id: "t", method: "m" });
  assert.equal(own.data, "own", "own properties are kept");
  assert.equal(own.ok, false);
  assert.equal(own.success, true);
  assert.deepEqual(Object.keys(own), ["data", "ok"]);

  next = [1, 2];
  const arr = await rt.tools.invoke({ tool_id: "t", method: "m" });
  assert.equal(arr.success, true);
  assert.equal(arr.data, arr);
  assert.equal(JSON.stringify(arr), "[1,2]");
  assert.deepEqual(Object.keys(arr), ["0", "1"]);

  for (const prim of [null, 3, "s", true]) {
    next = prim;
    assert.equal(await rt.tools.invoke({ tool_id: "t", method: "m" }), prim);
  }
  next = { a: 1 };
  const plain = await rt.storage.get({ key: "a" });
  assert.equal(plain.success, undefined, "only tools.invoke gets compat properties");
  rt.disconnect();
});

Deno.test("client timeouts: defaults per method, opts.timeoutMs, copy into tools.invoke args", async () => {
  const f = fakeFrame();
  const rt = await f.sdk.connect();
  const cases: Array<[() => Promise<unknown>, number]> = [
    [() => rt.tools.invoke({ tool_id: "t", method: "m" }), 70000],
    [() => rt.tools.invoke({ tool_id: "t", method: "m", timeoutMs: 1000 }), 6000],
    // (args.timeoutMs ?? 65000) + 5000: 0 is a number, not absent; below 0 counts as 0
    [() => rt.tools.invoke({ tool_id: "t", method: "m", timeoutMs: 0 }), 5000],
    [() => rt.tools.invoke({ tool_id: "t", method: "m", timeoutMs: -50 }), 5000],
    [() => rt.tools.invoke({ tool_id: "t", method: "m", timeoutMs: "9" }), 70000],
    [() => rt.llm.complete({ messages: [] }), 180000],
    [() => rt.llm.embed({ input: [] }), 180000],
    [() => rt.storage.get({ key: "a" }), 30000],
    [() => rt.storage.get({ key: "a" }, { timeoutMs: 1234 }), 1234],
    [() => rt.tools.invoke({ tool_id: "t", method: "m" }, { timeoutMs: 2500 }), 2500],
  ];
  for (const [fn, want] of cases) {
    const p = fn().catch((e) => e);
    assert.equal(f.delays.at(-1), want);
    const req = f.posts.at(-1)!.msg;
    f.deliver({ channel: "anna-app/1", kind: "res", id: req.id, ok: true, result: {} });
    await p;
  }
  const copied = f.requests("tools.invoke").at(-1);
  assert.equal(copied.args.timeoutMs, 2500, "opts.timeoutMs is copied into args.timeoutMs");
  const kept = rt.tools.invoke({ tool_id: "t", method: "m", timeoutMs: 9 }, { timeoutMs: 4000 })
    .catch(() => {});
  assert.equal(
    f.requests("tools.invoke").at(-1).args.timeoutMs,
    9,
    "an explicit args.timeoutMs stays",
  );
  // limits past setTimeout's 32-bit range: capped, and no timer at all for Infinity
  for (const [timeoutMs, want] of [[3e9, 2147483647], [Infinity, undefined]] as const) {
    const before = f.delays.length;
    const p = rt.storage.get({ key: "a" }, { timeoutMs });
    assert.equal(f.delays.length - before, want === undefined ? 0 : 1);
    if (want !== undefined) assert.equal(f.delays.at(-1), want);
    const req = f.posts.at(-1)!.msg;
    f.deliver({ channel: "anna-app/1", kind: "res", id: req.id, ok: true, result: { v: 1 } });
    assert.deepEqual(await p, { v: 1 });
  }
  const err = await rt.storage.get({ key: "a" }, { timeoutMs: 15 }).catch((e: Any) => e);
  assert.equal(err.code, "client_timeout");
  assert.equal(err.message, "RPC storage.get timed out after 15ms");
  rt.disconnect();
  await kept;
});

Deno.test("AbortSignal rejects with aborted", async () => {
  const f = fakeFrame();
  const rt = await f.sdk.connect();
  const ac = new AbortController();
  const p = rt.storage.get({ key: "a" }, { signal: ac.signal }).catch((e: Any) => e);
  ac.abort();
  const err = await p;
  assert.equal(err.code, "aborted");
  const before = f.posts.length;
  const pre = await rt.storage.get({ key: "a" }, { signal: AbortSignal.abort() }).catch((e: Any) =>
    e
  );
  assert.equal(pre.code, "aborted");
  assert.equal(f.posts.length, before, "an already aborted call is not sent");
  rt.disconnect();
});

Deno.test("error outcomes reject with HostApiError carrying code, message, details, error", async () => {
  const f = fakeFrame({
    answer: (req) => {
      if (req.method === "hello") return { ok: true, result: HELLO };
      if (req.ns === "window") return { ok: true, result: { ok: true } };
      return {
        ok: false,
        error: { code: "permission_denied", message: "no", details: { ns: "fs" } },
      };
    },
  });
  const rt = await f.sdk.connect();
  const err = await rt.fs.read({ path: "x" }).catch((e: Any) => e);
  assert.ok(err instanceof f.sdk.HostApiError);
  assert.ok(err instanceof f.sdk.HostRpcError);
  assert.equal(err instanceof Error, true);
  assert.equal(err.name, "HostApiError");
  assert.equal(err.code, "permission_denied");
  assert.equal(err.message, "no");
  assert.deepEqual(err.details, { ns: "fs" });
  assert.deepEqual(err.error, { code: "permission_denied", message: "no", details: { ns: "fs" } });
  const built = new f.sdk.HostApiError({ code: "x", message: "y" });
  assert.equal(built.code, "x");
  assert.equal(built.message, "y");
  rt.disconnect();
});

Deno.test("opts.signal that is not an AbortSignal: invalid_arg, nothing posted or left pending", async () => {
  const f = fakeFrame();
  const rt = await f.sdk.connect();
  const before = f.posts.length;
  // the usual slip: the controller instead of controller.signal
  const err = await rt.storage.get({ key: "a" }, { signal: new AbortController(), timeoutMs: 20 })
    .catch((e: Any) => e);
  assert.equal(err.name, "HostApiError");
  assert.equal(err.code, "invalid_arg");
  assert.match(err.message, /opts\.signal must be an AbortSignal \(pass controller\.signal\)/);
  assert.equal(f.posts.length, before, "not sent");
  await new Promise((r) => setTimeout(r, 40)); // past the call's timer: nothing fires
  assert.deepEqual(f.errors, []);
  // disconnect still completes, and a later connect() starts afresh
  rt.disconnect();
  assert.equal(f.listeners.size, 0);
  const again = await f.sdk.connect();
  assert.notEqual(again, rt);
  again.disconnect();
});
