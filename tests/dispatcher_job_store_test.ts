/**
 * The stage-2 job state machine on its own with a fake clock (CONTRACT §5.11, §15): expiry at the
 * deadline, cancellation from queued, terminal states that never change, the result limit, quota,
 * deadline clamp, retention and session close. Real executas: dispatcher_jobs_test.ts.
 */
import assert from "node:assert/strict";
import {
  clampDeadline,
  type Job,
  type JobClock,
  type JobProgress,
  JobStore,
  type NewJob,
} from "../lib/dispatcher/job_store.ts";
import { ok } from "../lib/core/outcome.ts";

function fakeClock() {
  let now = 1_000_000;
  let next = 1;
  const timers = new Map<number, { at: number; fn: () => void }>();
  const clock: JobClock = {
    now: () => now,
    setTimer(fn, ms) {
      timers.set(next, { at: now + ms, fn });
      return next++;
    },
    clearTimer: (h) => void timers.delete(h as number),
  };
  /** Moves time forward and fires every timer that became due. */
  const advance = (ms: number) => {
    now += ms;
    for (const [h, t] of [...timers]) {
      if (t.at <= now) {
        timers.delete(h);
        t.fn();
      }
    }
  };
  return { clock, timers, advance };
}

function makeStore() {
  const c = fakeClock();
  const events: { job: string; p: JobProgress; by: string | null }[] = [];
  const store = new JobStore((job, p, by) => events.push({ job: job.id, p, by }), c.clock);
  let n = 0;
  const create = (extra: Partial<NewJob> = {}): Job =>
    store.create({
      id: `tjob_${String(++n).padStart(32, "0")}`,
      tool_id: "t",
      method: "m",
      clientTag: null,
      window_uuid: "w",
      deadlineMs: 60_000,
      ...extra,
    }, "w");
  return { ...c, store, events, create };
}

Deno.test("expiry: the deadline timer moves a running job to expired and aborts its work", () => {
  const { store, events, create, advance, timers } = makeStore();
  const job = create({ deadlineMs: 90_000 });
  assert.equal(job.deadline_at, job.created_at + 90_000);
  assert.equal(timers.size, 1);
  assert.equal(store.start(job), true);
  advance(89_999);
  assert.equal(job.state, "running");
  advance(1);
  assert.equal(job.state, "expired");
  assert.equal(job.abort.signal.aborted, true);
  assert.deepEqual(job.error, {
    code: "tool_timeout",
    message: `job ${job.id} did not finish within 90000 ms`,
    details: { timeout_ms: 90_000, deadline_ms: job.deadline_at },
  });
  assert.deepEqual(events.map((e) => [e.p.seq, e.p.event, e.p.state, e.by]), [
    [1, "created", "queued", "w"],
    [2, "started", "running", null],
    [3, "expired", "expired", null],
  ]);
  assert.equal(events[2].p.code, "tool_timeout");
  assert.equal(job.updated_at, job.created_at + 90_000);
  // a late answer changes nothing and emits nothing
  assert.equal(store.settle(job, ok("late")), false);
  assert.equal(store.cancel(job, "x", null), false);
  assert.equal(store.start(job), false);
  assert.equal(job.state, "expired");
  assert.equal(events.length, 3);
  assert.equal(store.activeCount, 0);
});

Deno.test("a queued job expires too; settling clears the deadline timer", () => {
  const { store, create, advance, timers } = makeStore();
  const queued = create();
  advance(60_000);
  assert.equal(queued.state, "expired");
  assert.deepEqual(queued.progress.map((p) => p.event), ["created", "expired"]);
  const done = create();
  store.start(done);
  assert.equal(store.settle(done, ok({ v: 1 })), true);
  assert.equal(done.state, "succeeded");
  assert.deepEqual(done.result, { v: 1 });
  assert.equal(timers.size, 0, "no timer left behind");
  advance(120_000);
  assert.equal(done.state, "succeeded");
});

Deno.test("cancel: from queued (nothing started) and from running; reason in the progress entry", () => {
  const { store, events, create } = makeStore();
  const q = create();
  assert.equal(store.cancel(q, "not needed", "w2"), true);
  assert.equal(q.state, "cancelled");
  assert.equal(q.abort.signal.aborted, true);
  assert.equal(store.start(q), false, "a cancelled job never starts");
  assert.deepEqual(q.progress.map(({ at: _a, ...p }) => p), [
    { seq: 1, event: "created", state: "queued" },
    { seq: 2, event: "cancelled", state: "cancelled", reason: "not needed" },
  ]);
  assert.equal(events.at(-1)!.by, "w2");
  const r = create();
  store.start(r);
  assert.equal(store.cancel(r, "stop", null), true);
  assert.equal(store.cancel(r, "again", null), false);
  assert.deepEqual(r.progress.map((p) => p.event), ["created", "started", "cancelled"]);
});

Deno.test("settle: errors fail the job; results over 256 KiB fail with result_too_large", () => {
  const { store, create } = makeStore();
  const f = create();
  store.start(f);
  store.settle(f, { ok: false, error: { code: "tool_failed", message: "no" } });
  assert.equal(f.state, "failed");
  assert.deepEqual(f.error, { code: "tool_failed", message: "no" });
  assert.equal(f.progress.at(-1)!.code, "tool_failed");
  const big = create();
  store.settle(big, ok("y".repeat(262_143))); // JSON: 262 145 bytes
  assert.equal(big.state, "failed");
  assert.deepEqual(big.error!.details, { size: 262_145, max: 262_144, retriable: false });
  assert.equal("result" in big, false);
  const fits = create();
  store.settle(fits, ok("y".repeat(262_142)));
  assert.equal(fits.state, "succeeded");
});

Deno.test("quota: at most 5 unfinished jobs; finished ones do not count", () => {
  const { store, create } = makeStore();
  const jobs = Array.from({ length: 5 }, () => create());
  assert.throws(() => create(), (e: Error & { code?: string; details?: unknown }) => {
    assert.equal(e.code, "job_quota_exceeded");
    assert.deepEqual(e.details, { max: 5, active: 5 });
    return true;
  });
  store.settle(jobs[2], ok(null));
  assert.equal(store.activeCount, 4);
  create();
  assert.equal(store.activeCount, 5);
});

Deno.test("clampDeadline: default 30 min, clamp 60 s..24 h, rounded", () => {
  assert.equal(clampDeadline(undefined), 1_800_000);
  assert.equal(clampDeadline(null), 1_800_000);
  assert.equal(clampDeadline(0), 60_000);
  assert.equal(clampDeadline(-5), 60_000);
  assert.equal(clampDeadline(60_000.5), 60_001);
  assert.equal(clampDeadline(86_400_001), 86_400_000);
});

Deno.test("retention: finished jobs live as long as the session (§5.11); list order and filters", () => {
  const { store, create } = makeStore();
  const early = create({ clientTag: "early" }); // created first, finishes last
  const done: Job[] = [];
  for (let i = 0; i < 250; i++) {
    const j = create({ tool_id: i % 2 ? "odd" : "even" });
    store.settle(j, ok(i));
    done.push(j);
  }
  store.settle(early, ok("last"));
  assert.equal(store.get(done[0].id)?.state, "succeeded", "the first finished job is still known");
  assert.deepEqual(store.get(done[0].id)?.result, 0);
  assert.equal(store.get(early.id)?.state, "succeeded");
  const page = store.list({ limit: 3 });
  assert.deepEqual(page.jobs.map((j) => j.id), [done[249].id, done[248].id, done[247].id]);
  assert.equal(page.truncated, true);
  assert.equal(store.list({ limit: 200, tool_id: "even" }).jobs.length, 125);
  assert.deepEqual(store.list({ limit: 200, clientTag: "early" }).jobs, [early]);
  assert.equal(store.list({ limit: 200 }).truncated, true);
});

Deno.test("list since: a job updated exactly at `since` is listed; a late expiry leaves a finished job alone", () => {
  const { store, create, advance } = makeStore();
  const old = create();
  store.settle(old, ok(1));
  advance(1000);
  const fresh = create();
  store.settle(fresh, ok(2));
  assert.deepEqual(store.list({ limit: 10, since: fresh.updated_at }).jobs, [fresh]);
  assert.deepEqual(store.list({ limit: 10, since: fresh.updated_at + 1 }).jobs, []);
  assert.deepEqual(store.list({ limit: 10, since: old.updated_at }).jobs, [fresh, old]);
  // a deadline timer that fires after the answer (a race the timer clear normally prevents)
  assert.equal(store.expire(fresh), false);
  assert.equal(fresh.state, "succeeded");
  assert.equal(fresh.error, undefined);
  assert.equal(fresh.abort.signal.aborted, false);
});

Deno.test("close: unfinished jobs are cancelled and aborted, timers cleared, the store forgets all", () => {
  const { store, create, timers, events } = makeStore();
  const a = create();
  const b = create();
  store.start(b);
  const c = create();
  store.settle(c, ok(1));
  store.close();
  assert.equal(a.state, "cancelled");
  assert.equal(b.state, "cancelled");
  assert.equal(b.progress.at(-1)!.reason, "session_closed");
  assert.equal(a.abort.signal.aborted && b.abort.signal.aborted, true);
  assert.equal(c.abort.signal.aborted, false, "finished work is not aborted");
  assert.equal(timers.size, 0);
  assert.equal(store.get(a.id), undefined);
  assert.equal(store.list({ limit: 10 }).jobs.length, 0);
  assert.equal(events.filter((e) => e.p.event === "cancelled").length, 2);
});

Deno.test("retention cap: 1000 finished jobs are kept; the 1001st to finish drops the oldest finished one", () => {
  const { store, create } = makeStore();
  const early = create(); // unfinished all along: never dropped for the cap
  const done: Job[] = [];
  for (let i = 0; i < 1000; i++) {
    const j = create();
    store.settle(j, ok(i));
    done.push(j);
  }
  assert.equal(store.size, 1001);
  assert.equal(store.get(done[0].id)?.state, "succeeded", "exactly 1000 finished: all kept");
  const next = create();
  store.cancel(next, "no", null);
  assert.equal(store.size, 1001);
  assert.equal(store.get(done[0].id), undefined, "the oldest finished job is forgotten");
  assert.equal(store.get(done[1].id)?.state, "succeeded");
  assert.equal(store.get(early.id)?.state, "queued");
  // the job that finishes last counts as the newest, whenever it was created
  store.settle(early, ok("late"));
  assert.equal(store.get(done[1].id), undefined);
  assert.equal(store.get(early.id)?.state, "succeeded");
  assert.equal(store.size, 1000);
});

Deno.test("retention cap: finished results are kept up to 64 MiB; one byte more drops the oldest", () => {
  const { store, create } = makeStore();
  const big = "x".repeat(262_144 - 2); // with its quotes, exactly 256 KiB of JSON
  const done: Job[] = [];
  for (let i = 0; i < 256; i++) {
    const j = create();
    store.settle(j, ok(big));
    done.push(j);
  }
  assert.equal(store.size, 256, "256 × 256 KiB = 64 MiB: all kept");
  const tiny = create();
  store.settle(tiny, ok(1));
  assert.equal(store.get(done[0].id), undefined, "64 MiB + 1 byte: the oldest result goes");
  assert.equal(store.get(done[1].id)?.state, "succeeded");
  assert.equal(store.get(tiny.id)?.result, 1);
  assert.equal(store.size, 256);
});
