/**
 * Every event kind of CONTRACT §7.2 through the real core, read back where events surface: the
 * envelope of §7.1 (every member, its type, `by_client_id`, `ts` epoch ms, `seq` from 1 by one),
 * the exact payload members per kind, `session.drain_events` (§4.4.4) and the SSE stream (§11.5)
 * handing out the same envelopes, the synthetic `events_dropped` (§6.5) and the refresh timer's
 * `auth.refresh` (§8.4).
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { createMainApp } from "../lib/server/app.ts";
import { makeRuntime, openSession, type TestEvent } from "./helpers/runtime.ts";
import { EVENT_ENVELOPE_KEYS } from "./helpers/contract_values.ts";
import { MAIN, readSse, serverContext, sseEvents, TOKEN, writeApp } from "./helpers/server.ts";
import { tmpDir } from "./helpers/tmp.ts";
import { explain, smokeJson } from "./fixtures/smoke/harness.ts";
import { startRecording } from "../lib/smoke/recorder.ts";

/** §7.2: the payload members of each kind (sorted). */
const PAYLOAD_KEYS: Record<string, string[]> = {
  title_changed: ["title"],
  geometry_changed: ["geometry"],
  window_focus_changed: ["window_uuid", "z_index"],
  close_view: ["reason", "window_uuid"],
  status_changed: ["status"],
  open_view: [
    "app_id",
    "entry_payload",
    "geometry",
    "reopened",
    "runtime_state",
    "source",
    "version_id",
    "view",
    "window_uuid",
  ],
  runtime_state_synced: ["runtime_state"],
  chat_message_from_app: ["content", "message_id", "role"],
  artifact_appended: ["artifact_id", "kind", "payload", "payload_ref", "summary"],
  "auth.refresh": ["expires_at", "token"],
  events_dropped: ["count", "first_seq", "last_seq"],
  tool_job: ["event", "job_id", "seq", "state", "terminal", "tool_id"],
};

const MANIFEST = {
  schema: 2,
  required_executas: [{ tool_id: "mocked" }],
  ui: {
    bundle: { entry: "index.html" },
    views: [{ name: "main", title: "Main" }, { name: "side", single_instance: true }],
    host_api: { storage: ["*"], chat: ["*"], tools: ["mocked"] },
  },
};
const CSU = "conv-7f1c";

/** Checks the §7.1 envelope of `e`: members, their types and the session's fixed values. */
function assertEnvelope(e: TestEvent, from: number, to: number) {
  const at = `${e.kind} #${e.seq}`;
  assert.deepEqual(Object.keys(e).sort(), EVENT_ENVELOPE_KEYS, at);
  assert.equal(e.type, "data_model/AnnaAppEvent", at);
  assert.equal(e.app_id, "test-app", at);
  assert.equal(e.version_id, "dev", at);
  assert.equal(e.conversation_session_uuid, CSU, at);
  assert.ok(Number.isSafeInteger(e.ts) && e.ts >= from && e.ts <= to, `${at}: ts ${e.ts}`);
  assert.ok(Number.isSafeInteger(e.seq) && e.seq >= 1, `${at}: seq`);
  assert.ok(typeof e.payload === "object" && e.payload !== null && !Array.isArray(e.payload), at);
  assert.deepEqual(Object.keys(e.payload).sort(), PAYLOAD_KEYS[e.kind], `${at}: payload members`);
}

Deno.test("every §7.2 kind: exact envelope and payload members, seq 1.., by_client_id; SSE hands out the same", async () => {
  await using t = await makeRuntime({
    mode: "serve",
    mocks: [{ ns: "tools", method: "invoke", result: { done: true } }],
  });
  const from = Date.now();
  const s = await openSession(t, MANIFEST, {
    conversation_session_uuid: CSU,
    seed_storage: { seeded: 1 },
  });
  const w = s.window_uuid;
  const ok = s.ok;
  // one action per row of §7.2, app-caused (session.call as window `w`) or host-caused
  await ok("window", "set_title", { title: "T" });
  await ok("window", "resize", { w: 500, h: 700 });
  await ok("window", "focus");
  await ok("storage", "set", { key: "k", value: 1 });
  await ok("storage", "delete", { key: "k" });
  await t.call("session.set_runtime_state", { session_id: s.session_id, runtime_state: { h: 2 } });
  const msg = await ok("chat", "write_message", { role: "user", content: "hi" });
  const art = await ok("chat", "append_artifact", { kind: "note", summary: "S", payload: [1] });
  const side = (await ok("window", "open_view", { view: "side", payload: { a: 1 } })).window_uuid;
  await ok("window", "open_view", { view: "side", payload: { b: 2 } });
  const host = await t.call("session.open_view", { session_id: s.session_id, view: "main" });
  const tok = await t.call("session.refresh_token", { session_id: s.session_id });
  const job = await ok("tools", "invokeAsync", { tool_id: "mocked", method: "m" });
  assert.equal((await ok("tools", "getJob", { jobId: job.jobId })).state, "succeeded");
  await ok("window", "report_error", { message: "x", fatal: true }, side);
  await ok("window", "close", { reason: "done" }, host.window_uuid as string);
  const to = Date.now();

  const { events, dropped, more } = await s.drain();
  assert.deepEqual([dropped, more], [0, false]);
  assert.deepEqual(events.map((e) => e.seq), events.map((_, i) => i + 1), "seq 1, 2, 3, …");
  for (const e of events) assertEnvelope(e, from, to);
  const g = { x: 0, y: 0, w: 480, h: 640 };
  const jobRow = (state: string, seq: number, event: string, terminal: boolean) => [
    "tool_job",
    w,
    seq === 1 ? w : null, // the later transitions happen in the background (§7.1: host)
    { job_id: job.jobId, tool_id: "mocked", state, seq, event, terminal },
  ];
  const openView = (
    wid: string,
    view: string,
    ep: unknown,
    state: unknown,
    src: string,
    re: boolean,
  ) => ({
    window_uuid: wid,
    app_id: "test-app",
    version_id: "dev",
    view,
    entry_payload: ep,
    geometry: g,
    runtime_state: state,
    source: src,
    reopened: re,
  });
  assert.deepEqual(events.map((e) => [e.kind, e.window_uuid, e.by_client_id, e.payload]), [
    ["title_changed", w, w, { title: "T" }],
    ["geometry_changed", w, w, { geometry: { x: 0, y: 0, w: 500, h: 700 } }],
    ["window_focus_changed", w, w, { window_uuid: w, z_index: 2 }],
    ["runtime_state_synced", w, w, { runtime_state: { seeded: 1, k: 1 } }],
    ["runtime_state_synced", w, w, { runtime_state: { seeded: 1 } }],
    ["runtime_state_synced", null, null, { runtime_state: { h: 2 } }],
    ["chat_message_from_app", w, w, { message_id: msg.message_id, role: "user", content: "hi" }],
    ["artifact_appended", w, w, {
      artifact_id: art.artifact_id,
      kind: "note",
      summary: "S",
      payload: [1],
      payload_ref: null,
    }],
    ["open_view", side, w, openView(side, "side", { a: 1 }, { h: 2 }, "app", false)],
    ["open_view", side, w, openView(side, "side", { a: 1, b: 2 }, { h: 2 }, "app", true)],
    ["window_focus_changed", side, w, { window_uuid: side, z_index: 4 }],
    [
      "open_view",
      host.window_uuid,
      null,
      openView(
        host.window_uuid as string,
        "main",
        {},
        { h: 2 },
        "host",
        false,
      ),
    ],
    ["auth.refresh", w, null, { token: tok.token, expires_at: tok.expires_at }],
    jobRow("queued", 1, "created", false),
    jobRow("running", 2, "started", false),
    jobRow("succeeded", 3, "succeeded", true),
    ["status_changed", side, side, { status: "crashed" }],
    ["close_view", host.window_uuid, host.window_uuid, {
      window_uuid: host.window_uuid,
      reason: "done",
    }],
    ["status_changed", host.window_uuid, host.window_uuid, { status: "closed" }],
  ]);
  // every kind §7.2 says is emitted now appeared (events_dropped is proven below)
  const kinds = new Set(events.map((e) => e.kind));
  for (const k of Object.keys(PAYLOAD_KEYS)) {
    if (k !== "events_dropped") assert.ok(kinds.has(k), `no ${k} event`);
  }
  assert.ok(!kinds.has("ping") && !kinds.has("rpc.stream"), "reserved kinds are never emitted");

  // the SSE stream replays the very same envelopes, with their seq as the message id
  const app = createMainApp(serverContext(t.rt));
  const res = await app.request(`/sessions/${s.session_id}/events?ct=${TOKEN}`, { headers: MAIN });
  const last = events.at(-1)!.seq;
  const text = await readSse(res.body!, (x) => x.includes(`"seq":${last},`));
  const sse = sseEvents(text).filter((m) => m.event === "data_model.AnnaAppEvent");
  assert.deepEqual(sse.map((m) => m.id), events.map((e) => String(e.seq)));
  assert.deepEqual(sse.map((m) => m.data), JSON.parse(JSON.stringify(events)));
});

Deno.test("seq is per session: each session's first event is seq 1", async () => {
  await using t = await makeRuntime();
  const a = await openSession(t, MANIFEST);
  const b = await openSession(t, MANIFEST);
  for (let i = 0; i < 3; i++) await a.call("window", "set_title", { title: `a${i}` });
  await b.call("window", "set_title", { title: "b" });
  assert.deepEqual((await a.events()).map((e) => e.seq), [1, 2, 3]);
  assert.deepEqual((await b.events()).map((e) => [e.seq, e.payload.title]), [[1, "b"]]);
});

Deno.test("SSE live events carry each payload as it was when emitted (storage snapshots too)", async () => {
  await using t = await makeRuntime({ mode: "serve" });
  const s = await openSession(t, MANIFEST, { conversation_session_uuid: CSU });
  const app = createMainApp(serverContext(t.rt));
  // subscribed before anything happens: every event below reaches the stream live
  const res = await app.request(`/sessions/${s.session_id}/events?ct=${TOKEN}`, { headers: MAIN });
  const reading = readSse(res.body!, (x) => x.includes("event: session_closed"));
  const from = Date.now();
  await s.call("storage", "set", { key: "a", value: 1 });
  await s.call("storage", "set", { key: "a", value: 2 });
  await s.call("window", "open_view", { view: "side" });
  await s.call("storage", "delete", { key: "a" });
  await t.call("session.set_runtime_state", { session_id: s.session_id, runtime_state: { z: 0 } });
  const to = Date.now();
  const drained = await s.events();
  await t.call("session.close", { session_id: s.session_id });
  const live = sseEvents(await reading).filter((m) => m.event === "data_model.AnnaAppEvent");
  const states = (es: TestEvent[]) => es.map((e) => [e.kind, e.payload.runtime_state]);
  const want = [
    ["runtime_state_synced", { a: 1 }],
    ["runtime_state_synced", { a: 2 }],
    ["open_view", { a: 2 }],
    ["runtime_state_synced", {}],
    ["runtime_state_synced", { z: 0 }],
  ];
  assert.deepEqual(states(live.map((m) => m.data as TestEvent)), want);
  assert.deepEqual(states(drained), want);
  for (const m of live) assertEnvelope(m.data as TestEvent, from, to);
  assert.deepEqual(live.map((m) => m.data), JSON.parse(JSON.stringify(drained)));
});

Deno.test("past 10 000 events: drain and a resuming SSE reader get one synthetic events_dropped envelope", async () => {
  await using t = await makeRuntime({ mode: "serve" });
  const s = await openSession(t, MANIFEST, { conversation_session_uuid: CSU });
  const from = Date.now();
  // 10 005 real events (set_title through session.call): seq 1..5 fall out of the ring
  for (let i = 1; i <= 10_005; i++) await s.call("window", "set_title", { title: `t${i}` });
  const g = await t.call("session.get", { session_id: s.session_id });
  assert.deepEqual(g.events, { last_seq: 10_005, retained: 10_000, drain_cursor: 0 });

  const app = createMainApp(serverContext(t.rt));
  const res = await app.request(`/sessions/${s.session_id}/events?ct=${TOKEN}`, {
    headers: { ...MAIN, "last-event-id": "2" },
  });
  const text = await readSse(res.body!, (x) => x.includes('"seq":6,'));
  const [sseDropped, sseNext] = sseEvents(text).map((m) => [m.id, m.data as TestEvent]);

  const first = await s.drain(3);
  const to = Date.now();
  const [syn, next] = first.events;
  // §6.5: kind events_dropped, payload the evicted range, seq = last_seq, dropped = count
  assert.deepEqual(Object.keys(syn).sort(), EVENT_ENVELOPE_KEYS);
  assert.deepEqual(
    [syn.type, syn.kind, syn.app_id, syn.version_id, syn.conversation_session_uuid, syn.seq],
    ["data_model/AnnaAppEvent", "events_dropped", "test-app", "dev", CSU, 5],
  );
  assert.deepEqual(syn.payload, { count: 5, first_seq: 1, last_seq: 5 });
  // no window caused or owns it: it goes to every open window (§7.3); the host made it
  assert.deepEqual([syn.window_uuid, syn.by_client_id], [null, null]);
  assert.ok(Number.isSafeInteger(syn.ts) && syn.ts >= from && syn.ts <= to);
  assert.deepEqual([first.dropped, first.more], [5, true]);
  assert.deepEqual([next.kind, next.seq, next.payload], ["title_changed", 6, { title: "t6" }]);
  assert.equal(first.events.length, 3, "the synthetic envelope counts toward limit");
  // synthetic events are not stored: the ring and the next drain do not see it again
  const rest = await s.drain();
  assert.deepEqual([rest.dropped, rest.events[0].seq, rest.events.length], [0, 8, 9_998]);
  assert.ok(rest.events.every((e) => e.kind === "title_changed"));

  // the SSE reader resuming after 2 is told of 3..5 by the same rule, then gets 6
  assert.equal(sseDropped[0], "5");
  const d = sseDropped[1] as TestEvent;
  assert.deepEqual([d.kind, d.seq, d.window_uuid, d.by_client_id, d.payload], [
    "events_dropped",
    5,
    null,
    null,
    { count: 3, first_seq: 3, last_seq: 5 },
  ]);
  assert.deepEqual(Object.keys(d).sort(), EVENT_ENVELOPE_KEYS);
  assert.deepEqual([sseNext[0], (sseNext[1] as TestEvent).seq], ["6", 6]);
});

Deno.test("the refresh timer's auth.refresh (§8.4): the window's new token, by_client_id null", async () => {
  // the runtime's own interval, captured so the test fires it instead of waiting 3 s
  const real = globalThis.setInterval;
  const ticks: (() => void)[] = [];
  globalThis.setInterval = ((fn: () => void, ms?: number) => {
    ticks.push(fn);
    return real(() => {}, Math.max(ms ?? 0, 1e9));
  }) as typeof setInterval;
  try {
    await using t = await makeRuntime({ mode: "dev", autoRefresh: true, tokenTtl: 5 });
    const s = await openSession(t, MANIFEST, { conversation_session_uuid: CSU });
    const side = (await s.call("window", "open_view", { view: "side" })).result.window_uuid;
    assert.equal(ticks.length, 2, "one timer per open window");
    await s.drain();
    const from = Date.now();
    ticks[1]();
    // the tick signs a token asynchronously: wait for its event
    let evs: TestEvent[] = [];
    for (let i = 0; i < 200 && evs.length === 0; i++) {
      await new Promise((r) => setTimeout(r, 5));
      evs = await s.events();
    }
    assert.equal(evs.length, 1);
    const [e] = evs;
    assertEnvelope(e, from, Date.now());
    assert.deepEqual([e.kind, e.window_uuid, e.by_client_id], ["auth.refresh", side, null]);
    assert.equal(typeof e.payload.token, "string");
    assert.equal(typeof e.payload.expires_at, "number");
    // the pushed token is that window's and works
    const hb = await t.call("app.call", { token: e.payload.token, ns: "window", method: "hello" });
    assert.equal((hb.result as { window_uuid: string }).window_uuid, side);
    assert.equal(
      (hb.result as { token_expires_at: number }).token_expires_at,
      e.payload.expires_at,
    );
  } finally {
    globalThis.setInterval = real;
  }
});

Deno.test("recorded `event` lines (§14.3) of every kind replay green with smoke --check-events", async () => {
  await using dir = await tmpDir();
  const appDir = join(dir.path, "app");
  await writeApp(appDir, {
    schema: 2,
    ui: {
      bundle: { entry: "index.html" },
      views: [{ name: "main", title: "Main" }, { name: "side", single_instance: true }],
      host_api: { storage: ["*"], chat: ["*"] },
    },
  });
  const file = join(dir.path, "recorded.jsonl");
  {
    await using t = await makeRuntime({ mode: "dev" });
    const created = await t.call("session.create", { app_dir: appDir });
    const session_id = created.session_id as string;
    const rec = await startRecording(t.rt, session_id, file);
    const call = async (ns: string, method: string, args: unknown, window_uuid?: string) => {
      const r = await t.call("session.call", { session_id, ns, method, args, window_uuid });
      assert.equal(r.ok, true, `${ns}.${method}: ${JSON.stringify(r)}`);
      return r.result as Record<string, unknown>;
    };
    await call("window", "set_title", { title: "T" });
    await call("window", "resize", { w: 500, h: 700 });
    await call("window", "focus", {});
    await call("storage", "set", { key: "k", value: { n: 1 } });
    await call("storage", "delete", { key: "k" });
    await call("chat", "write_message", { role: "user", content: "hi" });
    await call("chat", "append_artifact", { kind: "note", summary: "S", payload: [1] });
    const side = (await call("window", "open_view", { view: "side", payload: { a: 1 } }))
      .window_uuid as string;
    await call("window", "open_view", { view: "side", payload: { b: 2 } });
    await t.call("session.set_runtime_state", { session_id, runtime_state: { h: 2 } });
    await t.call("session.refresh_token", { session_id });
    await call("window", "report_error", { message: "x", fatal: true }, side);
    await call("window", "close", { reason: "done" });
    await rec.stop();
  }
  const lines = (await Deno.readTextFile(file)).trim().split("\n").map((l) => JSON.parse(l));
  const evLines = lines.filter((l) => l.kind === "event");
  // §14.3: `{t, kind:"event", event, payload}`; a host-caused one is marked by_client_id null
  for (const l of evLines) {
    const keys = l.by_client_id === null
      ? ["by_client_id", "event", "kind", "payload", "t"]
      : ["event", "kind", "payload", "t"];
    assert.deepEqual(Object.keys(l).sort(), keys, JSON.stringify(l));
    assert.deepEqual(Object.keys(l.payload).sort(), PAYLOAD_KEYS[l.event], l.event);
  }
  assert.deepEqual(evLines.map((l) => l.event), [
    "title_changed",
    "geometry_changed",
    "window_focus_changed",
    "runtime_state_synced",
    "runtime_state_synced",
    "chat_message_from_app",
    "artifact_appended",
    "open_view",
    "open_view",
    "window_focus_changed",
    "runtime_state_synced",
    "status_changed",
    "close_view",
    "status_changed",
  ]);
  // auth.refresh is a token push line, not an event line
  assert.deepEqual(
    lines.filter((l) => l.kind === "auth.refresh").map((l) => Object.keys(l).sort()),
    [["kind", "t", "token"]],
  );

  const r = await smokeJson([appDir, "--fixtures", file, "--check-events"]);
  assert.equal(r.code, 0, explain(r));
  const cases = r.report!.fixtures[0].cases.filter((c) => c.ns === "event");
  assert.equal(cases.length, evLines.length);
  assert.ok(cases.every((c) => c.status === "pass"), JSON.stringify(cases, null, 1));
});
