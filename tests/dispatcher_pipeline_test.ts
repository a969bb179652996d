/**
 * The dispatcher pipeline (CONTRACT §5.1, §5.12): window check, in-flight cap, argument shape,
 * internal errors, bookkeeping, calls around session.close, by_client_id.
 */
import assert from "node:assert/strict";
import { makeRuntime, manifest, openSession } from "./helpers/runtime.ts";
import type { LlmProvider } from "../lib/llm/types.ts";
import type { CallRecord } from "../lib/dispatcher/mod.ts";

/** A provider whose `complete` waits until released (a mock-free slow call). */
function gate() {
  let release!: () => void;
  const opened = new Promise<void>((r) => (release = r));
  let started = 0;
  let onStart: (() => void) | null = null;
  const wrap = (inner: LlmProvider): LlmProvider => ({
    mode: inner.mode,
    async complete(args, o) {
      started++;
      onStart?.();
      await opened;
      if (args.explode) throw new TypeError("provider exploded");
      return inner.complete(args, o);
    },
    embed: (args, o) => inner.embed(args, o),
    lookupMock: (...a) => inner.lookupMock(...a),
  });
  const waitStarted = (n: number) =>
    new Promise<void>((resolve) => {
      const check = () => started >= n && resolve();
      onStart = check;
      check();
    });
  return { wrap, release: () => release(), waitStarted };
}

const LLM = { llm: ["complete"] };
const msg = { messages: [{ role: "user", content: "x" }] };

Deno.test("pipeline step 1: closed, crashed and unknown windows → not_found before the ACL", async () => {
  await using t = await makeRuntime();
  const s = await openSession(t, manifest());
  const w2 = (await s.call("window", "open_view", { view: "main" })).result.window_uuid;
  await s.call("window", "report_error", { message: "x", fatal: true }, w2);
  await s.call("window", "close");
  const crashed = "crashed (window.report_error with fatal:true) and takes no more calls; " +
    "open its view again";
  for (const [wid, how] of [[s.window_uuid, "is closed"], [w2, crashed]]) {
    assert.deepEqual(await s.call("fs", "read", {}, wid), {
      ok: false,
      error: {
        code: "not_found",
        message: `window ${wid} ${how}`,
        details: { window_uuid: wid },
      },
    });
  }
  const other = await openSession(t, manifest());
  for (const wid of [other.window_uuid, "00000000-0000-4000-8000-000000000000", "nope"]) {
    assert.deepEqual(await s.call("window", "hello", {}, wid), {
      ok: false,
      error: { code: "not_found", message: `unknown window ${wid}`, details: { window_uuid: wid } },
    });
  }
  // the other session's window is untouched
  assert.equal((await other.call("window", "hello")).ok, true);
});

Deno.test("pipeline step 2: the 65th unfinished call on a window → rate_limited; other windows unaffected", async () => {
  const g = gate();
  await using t = await makeRuntime({ wrapLlm: g.wrap });
  const s = await openSession(t, manifest(LLM));
  const w2 = (await s.call("window", "open_view", { view: "main" })).result.window_uuid;
  const pending = Array.from({ length: 64 }, () => s.call("llm", "complete", msg));
  await g.waitStarted(64);
  for (const [ns, method] of [["window", "heartbeat"], ["llm", "complete"], ["fs", "read"]]) {
    const r = await s.call(ns, method, msg);
    assert.equal(r.ok, false);
    assert.equal(r.error.code, "rate_limited", `${ns}.${method}`);
    assert.equal(r.error.details.max, 64);
  }
  assert.deepEqual(await s.call("window", "heartbeat", {}, w2), { ok: true, result: { ok: true } });
  g.release();
  const done = await Promise.all(pending);
  assert.ok(done.every((r) => r.ok && r.result.model === "mock-echo"));
  assert.deepEqual(await s.call("window", "heartbeat"), { ok: true, result: { ok: true } });
  // 64 may be in flight again (the counter went back to 0, refused calls were not counted)
  const again = Array.from({ length: 64 }, () => s.call("llm", "complete", msg));
  assert.ok((await Promise.all(again)).every((r) => r.ok));
});

Deno.test("args: a non-object where an object is required → invalid_arg 'args must be an object'", async () => {
  await using t = await makeRuntime();
  const s = await openSession(
    t,
    manifest({ storage: ["*"], chat: ["*"], llm: ["*"] }, {
      required_executas: [{ tool_id: "t" }],
    }),
  );
  const calls: [string, string, unknown][] = [
    ["storage", "get", "key"],
    ["storage", "set", ["k", 1]],
    ["storage", "delete", 5],
    ["storage", "list", true],
    ["chat", "write_message", "hi"],
    ["chat", "append_artifact", ["x"]],
    ["chat", "read_history", 3],
    ["llm", "complete", "prompt"],
    ["llm", "embed", ["a"]],
    ["tools", "invoke", "t__m"],
    ["window", "hello", "x"],
    ["window", "set_title", "t"],
    ["window", "resize", [1, 2]],
    ["window", "close", "bye"],
    ["window", "open_view", "main"],
    ["window", "report_error", "boom"],
  ];
  for (const [ns, method, args] of calls) {
    const r = await s.call(ns, method, args);
    assert.equal(r.ok, false, `${ns}.${method}`);
    assert.equal(r.error.code, "invalid_arg", `${ns}.${method}`);
    assert.equal(r.error.message, "args must be an object", `${ns}.${method}`);
  }
  assert.deepEqual(await s.events(), []);
  // absent args count as {}
  assert.equal((await s.call("storage", "list")).ok, true);
  assert.equal((await s.call("window", "hello")).ok, true);
});

Deno.test("internal_error: an unexpected fault becomes an outcome and the runtime keeps serving", async () => {
  const g = gate();
  g.release();
  await using t = await makeRuntime({ wrapLlm: g.wrap });
  const s = await openSession(t, manifest(LLM));
  const r = await s.call("llm", "complete", { ...msg, explode: true });
  assert.deepEqual(r, {
    ok: false,
    error: {
      code: "internal_error",
      message: "internal error in llm.complete",
      details: { detail: "provider exploded" },
    },
  });
  assert.equal((await s.call("llm", "complete", msg)).ok, true);
  const results = await Promise.all(
    Array.from({ length: 70 }, () => s.call("llm", "complete", { ...msg, explode: true })),
  );
  assert.ok(
    results.every((x) => x.error?.code === "internal_error" || x.error?.code === "rate_limited"),
  );
  assert.equal(
    (await s.call("window", "heartbeat")).ok,
    true,
    "the in-flight counter was released",
  );
});

Deno.test("internal_error: a synchronous handler fault (in-process circular value) is an outcome too", async () => {
  await using t = await makeRuntime();
  const s = await openSession(t, manifest({ storage: ["set", "get"], chat: ["write_message"] }));
  const circular: Record<string, unknown> = {};
  circular.self = circular;
  for (
    const [ns, method, args] of [
      ["storage", "set", { key: "k", value: circular }],
      ["chat", "write_message", { role: "user", content: circular }],
    ] as const
  ) {
    const r = await t.rt.dispatcher.call(
      t.rt.sessions.get(s.session_id)!,
      s.window_uuid,
      ns,
      method,
      args,
    );
    assert.equal(r.ok, false);
    if (!r.ok) {
      assert.equal(r.error.code, "internal_error", `${ns}.${method}`);
      assert.equal(r.error.message, `internal error in ${ns}.${method}`);
    }
  }
  assert.equal(
    (await s.call("storage", "get", { key: "k" })).result.exists,
    false,
    "no partial write",
  );
  assert.deepEqual(await s.events(), []);
  for (let i = 0; i < 70; i++) assert.equal((await s.call("window", "heartbeat")).ok, true);
});

Deno.test("bookkeeping: one record per call with outcome ok/denied/error, last_activity_at moves", async () => {
  await using t = await makeRuntime();
  const recs: CallRecord[] = [];
  t.rt.dispatcher.observers.push((rec) => recs.push(rec));
  const s = await openSession(t, manifest({ storage: ["get"] }));
  const created = (await t.call("session.get", { session_id: s.session_id }))
    .last_activity_at as number;
  await s.call("storage", "get", { key: "k" });
  await s.call("storage", "set", { key: "k", value: 1 });
  await s.call("storage", "get", { key: "/bad" });
  assert.deepEqual(recs.map((r) => [r.ns, r.method, r.outcome, r.error_code]), [
    ["storage", "get", "ok", undefined],
    ["storage", "set", "denied", "permission_denied"],
    ["storage", "get", "error", "invalid_path"],
  ]);
  assert.deepEqual(recs[0].args, { key: "k" });
  assert.equal(recs[0].session_id, s.session_id);
  assert.equal(recs[0].window_uuid, s.window_uuid);
  assert.ok(recs.every((r) => typeof r.ms === "number" && r.ms >= 0));
  const after = (await t.call("session.get", { session_id: s.session_id }))
    .last_activity_at as number;
  assert.ok(after >= created);
});

Deno.test("session.close: in-flight calls complete normally; events after close are discarded", async () => {
  const g = gate();
  await using t = await makeRuntime({ wrapLlm: g.wrap });
  const s = await openSession(t, manifest({ ...LLM, storage: ["set"] }));
  const session = t.rt.sessions.get(s.session_id)!;
  const pending = s.call("llm", "complete", msg);
  await g.waitStarted(1);
  await s.call("storage", "set", { key: "k", value: 1 });
  assert.deepEqual(await t.call("session.close", { session_id: s.session_id }), { closed: true });
  const seq = session.events.lastSeq;
  g.release();
  const r = await pending;
  assert.equal(r.ok, true);
  assert.equal(r.result.model, "mock-echo");
  session.emit("title_changed", s.window_uuid, s.window_uuid, { title: "late" });
  session.setRuntimeState({ late: true }, 13, null, null);
  assert.equal(session.events.lastSeq, seq, "nothing was queued after close");
  const direct = await t.rt.dispatcher.call(session, s.window_uuid, "storage", "set", {
    key: "a",
    value: 1,
  });
  assert.equal(direct.ok, false);
  assert.equal(session.events.lastSeq, seq);
  assert.equal(
    (await t.callError("session.drain_events", { session_id: s.session_id })).code,
    -32001,
  );
});

Deno.test("by_client_id: the caller's window for app-caused events, null for host-caused ones", async () => {
  await using t = await makeRuntime();
  const m = manifest({ storage: ["set"], chat: ["write_message"] });
  const s = await openSession(t, m);
  const w2 = (await s.call("window", "open_view", { view: "main" })).result.window_uuid;
  await s.call("storage", "set", { key: "k", value: 1 }, w2);
  await s.call("chat", "write_message", { role: "user", content: "x" }, w2);
  await s.call("window", "set_title", { title: "t" }, w2);
  const app = await s.events();
  assert.deepEqual(app.map((e) => [e.kind, e.by_client_id]), [
    ["open_view", s.window_uuid],
    ["runtime_state_synced", w2],
    ["chat_message_from_app", w2],
    ["title_changed", w2],
  ]);
  await t.call("session.set_runtime_state", { session_id: s.session_id, runtime_state: { a: 1 } });
  await t.call("session.open_view", { session_id: s.session_id, view: "main" });
  await t.call("session.refresh_token", { session_id: s.session_id, window_uuid: w2 });
  const host = await s.events();
  assert.deepEqual(host.map((e) => [e.kind, e.by_client_id]), [
    ["runtime_state_synced", null],
    ["open_view", null],
    ["auth.refresh", null],
  ]);
  assert.equal(host[2].window_uuid, w2);
});
