/**
 * Stage-2 async tool jobs through the core with the real executa pool and the fixture plugin
 * (CONTRACT §5.11, §7.2 `tool_job`, §9.7 `_cancel_invoke`, §15): lifecycle and events, failure,
 * cancellation, quota, result and args limits, deadline clamp, session isolation, listJobs, ACL,
 * mocks. Expiry (deadlines are ≥ 60 s) is proven with a fake clock in dispatcher_job_store_test.ts.
 */
import assert from "node:assert/strict";
import { FIXTURES } from "./fixtures/executas/harness.ts";
import { FakeExecutas } from "./helpers/fake_executas.ts";
import {
  type Loose,
  makeRuntime,
  manifest,
  openSession,
  type TestEvent,
  type TestRuntime,
} from "./helpers/runtime.ts";

type S = Awaited<ReturnType<typeof openSession>>;

const GRANTS = manifest({ tools: ["plug", "mocked"] }, {
  required_executas: [{ tool_id: "plug" }, { tool_id: "mocked" }, { tool_id: "other" }],
  dev: { mocks: { "tools.invokeAsync": { result: { mocked: true } } } },
});

async function setup(t: TestRuntime) {
  await t.call("executas.register", {
    tool_id: "plug",
    project_dir: FIXTURES,
    command: ["node", "plugin.mjs"],
  });
  return await openSession(t, GRANTS);
}

/** Polls `f` every 20 ms until `ok` holds (a condition wait, not a timing assertion). */
async function until<T>(f: () => Promise<T>, ok: (v: T) => boolean, what: string): Promise<T> {
  const end = Date.now() + 15_000;
  for (;;) {
    const v = await f();
    if (ok(v)) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}: ${JSON.stringify(v)}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

const TERMINAL = ["succeeded", "failed", "cancelled", "expired"];
const getJob = async (s: S, jobId: string, extra = {}) =>
  (await s.call("tools", "getJob", { jobId, ...extra })).result;
const finished = (s: S, jobId: string) =>
  until(() => getJob(s, jobId), (j) => TERMINAL.includes(j.state), `job ${jobId}`);
const start = async (s: S, method: string, args: unknown = {}, extra = {}) => {
  const r = await s.call("tools", "invokeAsync", { tool_id: "plug", method, args, ...extra });
  assert.equal(r.ok, true, JSON.stringify(r));
  return r.result.jobId as string;
};
const jobEvents = (events: TestEvent[], jobId: string) =>
  events.filter((e) => e.kind === "tool_job" && e.payload.job_id === jobId);
const strip = (progress: Loose[]) => progress.map(({ at: _at, ...p }) => p);

Deno.test("lifecycle: queued → running → succeeded, events in order, getJob paging, jobId = invoke_id", async () => {
  await using t = await makeRuntime();
  const s = await setup(t);
  const r = await s.call("tools", "invokeAsync", {
    tool_id: "plug",
    method: "echo",
    args: { a: 1 },
    clientTag: "c1",
  });
  assert.equal(r.ok, true);
  const jobId = r.result.jobId;
  assert.match(jobId, /^tjob_[0-9a-f]{32}$/);
  assert.deepEqual(r.result, { jobId, state: "queued", deadlineMs: 1_800_000 });

  const job = await finished(s, jobId);
  assert.equal(job.state, "succeeded");
  assert.equal(job.result.invoke_id, jobId, "the plugin invoke_id is the jobId");
  assert.deepEqual(job.result.args, { a: 1 });
  assert.equal(job.result.context.deadline_ms, job.created_at + 1_800_000, "no 90 s clamp");
  assert.equal(job.clientTag, "c1");
  assert.equal(job.tool_id, "plug");
  assert.equal(job.lastSeq, 3);
  assert.equal("error" in job, false);
  assert.deepEqual(strip(job.progress), [
    { seq: 1, event: "created", state: "queued" },
    { seq: 2, event: "started", state: "running" },
    { seq: 3, event: "succeeded", state: "succeeded" },
  ]);
  assert.ok(job.updated_at >= job.created_at);
  const page = await getJob(s, jobId, { sinceSeq: 1, limit: 1 });
  assert.deepEqual(strip(page.progress), [{ seq: 2, event: "started", state: "running" }]);
  assert.equal(page.lastSeq, 3);
  assert.deepEqual((await getJob(s, jobId, { sinceSeq: 3 })).progress, []);

  const evs = jobEvents(await s.events(), jobId);
  assert.deepEqual(evs.map((e) => e.payload), [
    { job_id: jobId, tool_id: "plug", state: "queued", seq: 1, event: "created", terminal: false },
    { job_id: jobId, tool_id: "plug", state: "running", seq: 2, event: "started", terminal: false },
    {
      job_id: jobId,
      tool_id: "plug",
      state: "succeeded",
      seq: 3,
      event: "succeeded",
      terminal: true,
    },
  ]);
  assert.ok(evs.every((e) => e.window_uuid === s.window_uuid));
  assert.deepEqual(evs.map((e) => e.by_client_id), [s.window_uuid, null, null]);
  assert.ok(evs[0].seq < evs[1].seq && evs[1].seq < evs[2].seq);
});

Deno.test("failed: a plugin JSON-RPC error fails the job with tool_failed", async () => {
  await using t = await makeRuntime();
  const s = await setup(t);
  const jobId = await start(s, "rpc_error", { code: -32000, message: "boom" });
  const job = await finished(s, jobId);
  assert.equal(job.state, "failed");
  assert.deepEqual(job.error, {
    code: "tool_failed",
    message: "[-32000] boom",
    details: { jsonrpc_code: -32000, data: null },
  });
  assert.equal("result" in job, false);
  assert.deepEqual(strip(job.progress).at(-1), {
    seq: 3,
    event: "failed",
    state: "failed",
    code: "tool_failed",
  });
  const evs = jobEvents(await s.events(), jobId);
  assert.deepEqual(evs.map((e) => [e.payload.event, e.payload.terminal]), [
    ["created", false],
    ["started", false],
    ["failed", true],
  ]);
});

Deno.test("cancelled: cancelJob on a running job sends _cancel_invoke; idempotent", async () => {
  await using t = await makeRuntime();
  const s = await setup(t);
  const jobId = await start(s, "hang");
  await until(() => getJob(s, jobId), (j) => j.state === "running", "running");
  assert.deepEqual(await s.call("tools", "cancelJob", { jobId, reason: "user" }), {
    ok: true,
    result: { jobId, state: "cancelled", cancelled: true },
  });
  assert.deepEqual(await s.call("tools", "cancelJob", { jobId }), {
    ok: true,
    result: { jobId, state: "cancelled", cancelled: false },
  });
  const seen = await until(
    () => s.call("tools", "invoke", { tool_id: "plug", method: "cancels" }),
    (o: Loose) => o.ok && o.result.cancelled.includes(jobId),
    "_cancel_invoke at the plugin",
  );
  assert.deepEqual(seen.result.hung, [jobId]);
  const job = await getJob(s, jobId);
  assert.equal(job.state, "cancelled");
  assert.equal("result" in job || "error" in job, false);
  assert.deepEqual(strip(job.progress).at(-1), {
    seq: 3,
    event: "cancelled",
    state: "cancelled",
    reason: "user",
  });
  const evs = jobEvents(await s.events(), jobId);
  assert.deepEqual(evs.map((e) => [e.payload.state, e.payload.terminal, e.by_client_id]), [
    ["queued", false, s.window_uuid],
    ["running", false, null],
    ["cancelled", true, s.window_uuid],
  ]);
  assert.equal(t.rt.executas.list()[0].in_flight, 0);
});

Deno.test("quota: a 6th unfinished job → job_quota_exceeded; session close cancels running jobs", async () => {
  await using t = await makeRuntime();
  const s = await setup(t);
  const ids: string[] = [];
  for (let i = 0; i < 5; i++) ids.push(await start(s, "hang"));
  const running = (n: number) =>
    until(
      () => s.call("tools", "listJobs", { state: "running" }),
      (o: Loose) => o.result.jobs.length === n,
      `${n} running`,
    );
  await running(5); // every plugin has its invoke, so cancelling sends _cancel_invoke
  assert.deepEqual(await s.call("tools", "invokeAsync", { tool_id: "plug", method: "echo" }), {
    ok: false,
    error: {
      code: "job_quota_exceeded",
      message: "more than 5 unfinished jobs in this session; wait for one to finish or cancel one",
      details: { max: 5, active: 5 },
    },
  });
  const mock = await s.call("tools", "invokeAsync", { tool_id: "mocked", method: "m" });
  assert.equal(mock.error.code, "job_quota_exceeded", "mock jobs count too");
  await s.call("tools", "cancelJob", { jobId: ids[0] });
  ids.push(await start(s, "hang"));
  await running(5);
  await t.call("session.close", { session_id: s.session_id });
  const pool = t.rt.executas;
  await until(
    () => pool.invoke("plug", "cancels", {}, {}),
    (o: Loose) => o.result.cancelled.length === 6,
    "_cancel_invoke for every job",
  );
  const seen = await pool.invoke("plug", "cancels", {}, {}) as Loose;
  assert.deepEqual([...seen.result.cancelled].sort(), [...ids].sort());
  assert.equal(pool.list()[0].in_flight, 0);
});

Deno.test("limits: result over 256 KiB fails the job; args over 64 KiB → invalid_arg; deadline clamp", async () => {
  await using t = await makeRuntime();
  const s = await setup(t);
  const big = await finished(s, await start(s, "big_result", { bytes: 300_000 }));
  assert.equal(big.state, "failed");
  assert.deepEqual(big.error, {
    code: "result_too_large",
    message: "job result of 300002 bytes exceeds 262144 bytes",
    details: { size: 300_002, max: 262_144, retriable: false },
  });
  const edge = await finished(s, await start(s, "big_result", { bytes: 262_142 }));
  assert.equal(edge.state, "succeeded", "exactly 256 KiB fits");
  // past tools.invoke's own 4 MiB too, the job still names its own limit
  const huge = await finished(s, await start(s, "big_result", { bytes: 4_200_000 }));
  assert.deepEqual(huge.error, {
    code: "result_too_large",
    message: "job result of 4200002 bytes exceeds 262144 bytes",
    details: { size: 4_200_002, max: 262_144, retriable: false },
  });

  const over = await s.call("tools", "invokeAsync", {
    tool_id: "plug",
    method: "echo",
    args: { s: "x".repeat(65_536 - 7) },
  });
  assert.equal(over.error.code, "invalid_arg");
  assert.equal(
    over.error.message,
    "invalid argument 'args': args of 65537 bytes exceed 65536 bytes",
  );
  assert.deepEqual(over.error.details.issues, [
    { path: "args", message: "args of 65537 bytes exceed 65536 bytes" },
  ]);
  const atMax = await start(s, "echo", { s: "x".repeat(65_536 - 8) });
  await finished(s, atMax);

  for (
    const [timeoutMs, deadlineMs] of [
      [10, 60_000],
      [90_000.4, 90_000],
      [1e12, 86_400_000],
      [null, 1_800_000],
    ]
  ) {
    const r = await s.call("tools", "invokeAsync", { tool_id: "plug__echo", timeoutMs });
    assert.equal(r.result.deadlineMs, deadlineMs, `timeoutMs ${timeoutMs}`);
    const job = await finished(s, r.result.jobId);
    assert.equal(job.result.context.deadline_ms, job.created_at + deadlineMs);
  }
  const bad = await s.call("tools", "invokeAsync", { tool_id: "plug__echo", timeoutMs: "soon" });
  assert.equal(bad.error.code, "invalid_arg");
  assert.equal(bad.error.details.issues[0].path, "timeoutMs");
  const tag = await s.call("tools", "invokeAsync", { tool_id: "plug__echo", clientTag: 5 });
  assert.equal(tag.error.details.issues[0].path, "clientTag");
  const listed = (await s.call("tools", "listJobs", {})).result.jobs;
  assert.equal(listed.length, 8, "rejected calls create no job");
});

Deno.test("isolation: another session's job and unknown ids → job_not_found", async () => {
  await using t = await makeRuntime();
  const s = await setup(t);
  const other = await openSession(t, GRANTS);
  const jobId = await start(s, "echo");
  await finished(s, jobId);
  const notFound = {
    ok: false,
    error: {
      code: "job_not_found",
      message: `no job '${jobId}' in this session`,
      details: { jobId },
    },
  };
  assert.deepEqual(await other.call("tools", "getJob", { jobId }), notFound);
  assert.deepEqual(await other.call("tools", "cancelJob", { jobId }), notFound);
  assert.deepEqual(await other.call("tools", "listJobs"), {
    ok: true,
    result: { jobs: [], truncated: false },
  });
  const unknown = await s.call("tools", "getJob", { jobId: "tjob_nope" });
  assert.equal(unknown.error.code, "job_not_found");
  assert.equal((await getJob(s, jobId)).state, "succeeded", "still there for its own session");
});

Deno.test("listJobs: newest first, filters, since, limit and truncated; mocks answer the job result", async () => {
  await using t = await makeRuntime();
  const s = await setup(t);
  const a1 = await start(s, "echo", {}, { clientTag: "a" });
  const b1 = await start(s, "rpc_error", { code: 1, message: "x" }, { clientTag: "b" });
  const m1 = (await s.call("tools", "invokeAsync", { tool_id: "mocked", method: "m" })).result;
  const m2 = (await s.call("tools", "invokeAsync", {
    tool_id: "mocked__n",
    clientTag: "a",
  })).result;
  for (const id of [a1, b1, m1.jobId, m2.jobId]) await finished(s, id);

  const mocked = await getJob(s, m1.jobId);
  assert.equal(m1.state, "queued");
  assert.equal(mocked.state, "succeeded");
  assert.deepEqual(mocked.result, { mocked: true }, "tools.invokeAsync mock = the job result");
  assert.deepEqual(strip(mocked.progress).map((p) => p.event), ["created", "started", "succeeded"]);

  const list = async (args: Record<string, unknown>) =>
    (await s.call("tools", "listJobs", args)).result;
  const all = await list({});
  assert.deepEqual(all.jobs.map((j: Loose) => j.jobId), [m2.jobId, m1.jobId, b1, a1]);
  assert.equal(all.truncated, false);
  assert.deepEqual(Object.keys(all.jobs[3]).sort(), [
    "clientTag",
    "created_at",
    "jobId",
    "lastSeq",
    "state",
    "tool_id",
    "updated_at",
  ]);
  assert.equal(all.jobs[2].error.code, "tool_failed", "failed jobs carry their error");
  const two = await list({ limit: 2 });
  assert.deepEqual(two.jobs.map((j: Loose) => j.jobId), [m2.jobId, m1.jobId]);
  assert.equal(two.truncated, true);
  assert.equal((await list({ limit: 4 })).truncated, false);
  assert.equal((await list({ tool_id: "mocked" })).jobs.length, 2);
  assert.deepEqual((await list({ clientTag: "a" })).jobs.map((j: Loose) => j.jobId), [
    m2.jobId,
    a1,
  ]);
  assert.deepEqual((await list({ state: "failed" })).jobs.map((j: Loose) => j.jobId), [b1]);
  assert.deepEqual((await list({ since: Date.now() + 60_000 })).jobs, []);
  assert.equal((await list({ since: 0 })).jobs.length, 4);
  for (const bad of [{ limit: 201 }, { limit: 0 }, { state: "done" }, { since: "today" }]) {
    const r = await s.call("tools", "listJobs", bad);
    assert.equal(r.error.code, "invalid_arg", JSON.stringify(bad));
  }
});

Deno.test("listJobs: 50 jobs by default; tool_id bundled:<handle> matches the jobs of the resolved executa", async () => {
  const fake = new FakeExecutas();
  fake.add("acme-notes", "notes", "/x/executas/notes-tool");
  await using t = await makeRuntime({ executas: fake });
  const s = await openSession(
    t,
    manifest({ tools: ["bundled:notes"] }, { required_executas: [{ tool_id: "bundled:notes" }] }),
  );
  const ids: string[] = [];
  for (let i = 0; i < 55; i++) {
    const r = await s.call("tools", "invokeAsync", { tool_id: "bundled:notes", method: "m" });
    assert.equal(r.ok, true, JSON.stringify(r));
    ids.push(r.result.jobId);
    await finished(s, r.result.jobId); // at most 5 unfinished at a time
  }
  const list = async (args: Record<string, unknown>) =>
    (await s.call("tools", "listJobs", args)).result;
  const all = await list({});
  assert.equal(all.jobs.length, 50);
  assert.equal(all.truncated, true);
  assert.equal(all.jobs[49].jobId, ids[5], "the newest 50");
  assert.equal(all.jobs[0].tool_id, "acme-notes", "jobs name the resolved executa");
  assert.equal((await list({ tool_id: "bundled:notes", limit: 200 })).jobs.length, 55);
  assert.equal((await list({ tool_id: "acme-notes", limit: 200 })).jobs.length, 55);
  assert.deepEqual((await list({ tool_id: "bundled:other" })).jobs, []);
});

Deno.test("mocks: tools.invoke entries answer jobs when no invokeAsync entry matches; error → failed", async () => {
  await using t = await makeRuntime();
  const m = manifest({ tools: ["*"] }, {
    required_executas: [{ tool_id: "svc" }],
    dev: { mocks: { "tools.invoke": { error: { code: "upstream", message: "mock says no" } } } },
  });
  const s = await openSession(t, m);
  const r = await s.call("tools", "invokeAsync", { tool_id: "svc", method: "go" });
  const job = await finished(s, r.result.jobId);
  assert.equal(job.state, "failed");
  assert.deepEqual(job.error, { code: "upstream", message: "mock says no" });
});

Deno.test("ACL: ungranted tool → permission_denied; job methods need a granted tool", async () => {
  await using t = await makeRuntime();
  const s = await setup(t);
  for (const tool_id of ["other", "undeclared"]) {
    assert.deepEqual(await s.call("tools", "invokeAsync", { tool_id, method: "m" }), {
      ok: false,
      error: {
        code: "permission_denied",
        message: `manifest does not grant 'tools.invokeAsync' for tool_id '${tool_id}'`,
        details: { ns: "tools", method: "invokeAsync", tool_id },
      },
    });
  }
  const none = await openSession(t, manifest({ tools: [] }));
  for (const method of ["getJob", "cancelJob", "listJobs"]) {
    assert.deepEqual(await none.call("tools", method, { jobId: "x" }), {
      ok: false,
      error: {
        code: "permission_denied",
        message: `manifest does not grant 'tools.${method}'`,
        details: { ns: "tools", method },
      },
    });
  }
  assert.deepEqual((await s.call("tools", "listJobs")).result.jobs, [], "denied: no job");
});

Deno.test("no limits beyond §5.11: a long clientTag, a long cancel reason, getJob limit over 200", async () => {
  await using t = await makeRuntime();
  const s = await setup(t);
  const clientTag = "t".repeat(1000);
  const jobId = await start(s, "hang", {}, { clientTag });
  assert.equal((await getJob(s, jobId, { limit: 5000 })).clientTag, clientTag);
  const listed = await s.call("tools", "listJobs", { tool_id: "p".repeat(300) });
  assert.deepEqual(listed.result.jobs, [], "a long tool_id filter just matches nothing");
  const reason = "r".repeat(2000);
  const cancelled = await s.call("tools", "cancelJob", { jobId, reason });
  assert.equal(cancelled.result.cancelled, true, JSON.stringify(cancelled));
  assert.equal(strip((await getJob(s, jobId)).progress).at(-1).reason, reason);
});
