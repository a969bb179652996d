/**
 * Stage-2 async tool jobs of one session (CONTRACT §5.11, §7.2 `tool_job`): the state machine,
 * deadlines, quota and retention. Pure state plus timers from an injectable clock; it never talks to
 * an executa: the caller runs the work and reports back through `start` / `settle`, and cancellation
 * or expiry aborts `job.abort` (the pool then sends `_cancel_invoke`).
 *
 * States: `queued` (accepted; waiting for the executa to spawn / handshake / back off) → `running`
 * (the `invoke` was written to the plugin; a mock answer starts and settles at once) → `succeeded` |
 * `failed` | `cancelled` | `expired`. `cancelled` and `expired` are reachable from both `queued` and
 * `running`; `failed` too (e.g. `executa_unavailable` before anything was sent). Terminal states
 * never change again.
 *
 * Every transition, the creation included, appends one `progress` entry and emits one `tool_job`
 * event whose payload is `{job_id, tool_id, state, seq, event, terminal}`:
 * - `seq` is the job's own transition counter (1 = created, then 2, 3 …), independent of the
 *   session's event `seq`; `getJob.lastSeq` is the latest one and `sinceSeq` pages over it;
 * - `event` names the transition: `created` (→ queued), `started` (queued → running), then one of
 *   `succeeded`, `failed`, `cancelled`, `expired` (terminal).
 */
import { DispatchError, type Outcome, type OutcomeError } from "../core/outcome.ts";
import { byteSize } from "../util/json.ts";

export const JOB_STATES = [
  "queued",
  "running",
  "succeeded",
  "failed",
  "cancelled",
  "expired",
] as const;
export type JobState = typeof JOB_STATES[number];
export type JobEvent = "created" | "started" | "succeeded" | "failed" | "cancelled" | "expired";

/**
 * CONTRACT §15 "stage-2 jobs". Finished jobs are kept while the session lives (§5.11), up to
 * `maxFinished` of them and `maxFinishedBytes` of results: past either the oldest finished ones
 * are forgotten (`job_not_found`), as the event ring and chat store drop their oldest. A `dev`
 * session polling jobs for days otherwise kept every result (up to 256 KiB each) until exit.
 */
export const JOB_LIMITS = {
  defaultDeadlineMs: 1_800_000,
  minDeadlineMs: 60_000,
  maxDeadlineMs: 86_400_000,
  maxActive: 5,
  maxResultBytes: 262_144,
  maxArgsBytes: 65_536,
  listDefault: 50,
  listMax: 200,
  maxFinished: 1000,
  maxFinishedBytes: 64 * 1024 * 1024,
} as const;

export const isTerminal = (s: JobState) => s !== "queued" && s !== "running";

export interface JobProgress {
  seq: number;
  event: JobEvent;
  state: JobState;
  /** epoch ms */
  at: number;
  /** `cancelled`: the caller's reason (default "cancelled by the app"); `session_closed` on close. */
  reason?: string;
  /** `failed` / `expired`: the error code. */
  code?: string;
}

export interface Job {
  id: string;
  tool_id: string;
  method: string;
  clientTag: string | null;
  /** The window whose `invokeAsync` created the job; its `tool_job` events concern that window. */
  window_uuid: string;
  state: JobState;
  seq: number;
  progress: JobProgress[];
  result?: unknown;
  error?: OutcomeError;
  created_at: number;
  updated_at: number;
  /** The clamped deadline duration (ms) and the absolute deadline (epoch ms) the plugin gets. */
  deadlineMs: number;
  deadline_at: number;
  /** Aborted on cancel, expiry and session close. */
  readonly abort: AbortController;
  timer: unknown;
}

export interface JobClock {
  now(): number;
  setTimer(fn: () => void, ms: number): unknown;
  clearTimer(handle: unknown): void;
}

export const systemClock: JobClock = {
  now: () => Date.now(),
  setTimer: (fn, ms) => setTimeout(fn, ms),
  clearTimer: (h) => clearTimeout(h as number),
};

export interface NewJob {
  id: string;
  tool_id: string;
  method: string;
  clientTag: string | null;
  window_uuid: string;
  deadlineMs: number;
}

export interface JobFilter {
  tool_id?: string;
  state?: JobState;
  clientTag?: string;
  /** epoch ms: jobs updated at or after it */
  since?: number;
  limit: number;
}

/** Receives every transition: the job, its new progress entry and the causing window (or null). */
export type JobListener = (job: Job, p: JobProgress, by_client_id: string | null) => void;

/** `timeoutMs` → the job deadline: default 30 min, clamp(round(x), 60 s, 24 h). */
export function clampDeadline(timeoutMs: number | undefined | null): number {
  const requested = timeoutMs ?? JOB_LIMITS.defaultDeadlineMs;
  return Math.min(
    JOB_LIMITS.maxDeadlineMs,
    Math.max(JOB_LIMITS.minDeadlineMs, Math.round(requested)),
  );
}

export class JobStore {
  /** Insertion order = creation order. */
  private readonly jobs = new Map<string, Job>();
  /** Result bytes of each finished job still kept (its share of `maxFinishedBytes`). */
  private readonly finishedBytes = new Map<string, number>();
  private finishedTotal = 0;
  private closed = false;

  constructor(private readonly listener: JobListener, private readonly clock = systemClock) {}

  /** How many jobs are kept, finished or not (for tests of the retention cap). */
  get size(): number {
    return this.jobs.size;
  }

  get activeCount(): number {
    let n = 0;
    for (const j of this.jobs.values()) if (!isTerminal(j.state)) n++;
    return n;
  }

  /** A new `queued` job (event `created`), or `job_quota_exceeded` with 5 unfinished. */
  create(init: NewJob, by_client_id: string | null): Job {
    if (this.closed) throw new DispatchError("job_not_found", "the session is closed");
    const active = this.activeCount;
    if (active >= JOB_LIMITS.maxActive) {
      throw new DispatchError(
        "job_quota_exceeded",
        `more than ${JOB_LIMITS.maxActive} unfinished jobs in this session; wait for one to finish or cancel one`,
        { max: JOB_LIMITS.maxActive, active },
      );
    }
    const now = this.clock.now();
    const job: Job = {
      ...init,
      state: "queued",
      seq: 0,
      progress: [],
      created_at: now,
      updated_at: now,
      deadline_at: now + init.deadlineMs,
      abort: new AbortController(),
      timer: null,
    };
    this.jobs.set(job.id, job);
    job.timer = this.clock.setTimer(() => this.expire(job), init.deadlineMs);
    this.transition(job, "queued", "created", by_client_id);
    return job;
  }

  get(id: string): Job | undefined {
    return this.jobs.get(id);
  }

  /** Newest first; `truncated` when more matched than `limit`. */
  list(f: JobFilter): { jobs: Job[]; truncated: boolean } {
    const out: Job[] = [];
    const all = [...this.jobs.values()].reverse();
    for (const j of all) {
      if (f.tool_id !== undefined && j.tool_id !== f.tool_id) continue;
      if (f.state !== undefined && j.state !== f.state) continue;
      if (f.clientTag !== undefined && j.clientTag !== f.clientTag) continue;
      if (f.since !== undefined && j.updated_at < f.since) continue;
      if (out.length === f.limit) return { jobs: out, truncated: true };
      out.push(j);
    }
    return { jobs: out, truncated: false };
  }

  /** queued → running (event `started`); false when the job is no longer queued. */
  start(job: Job): boolean {
    if (job.state !== "queued") return false;
    this.transition(job, "running", "started", null);
    return true;
  }

  /**
   * The work's outcome → `succeeded` (result ≤ 256 KiB) or `failed` (the error; `result_too_large`
   * over 256 KiB). Ignored once the job is terminal (a late answer after cancel or expiry).
   */
  settle(job: Job, outcome: Outcome): boolean {
    if (isTerminal(job.state)) return false;
    let error: OutcomeError;
    if (outcome.ok) {
      const size = byteSize(outcome.result);
      if (size <= JOB_LIMITS.maxResultBytes) {
        job.result = outcome.result;
        this.transition(job, "succeeded", "succeeded", null, {}, size);
        return true;
      }
      error = {
        code: "result_too_large",
        message: `job result of ${size} bytes exceeds ${JOB_LIMITS.maxResultBytes} bytes`,
        details: { size, max: JOB_LIMITS.maxResultBytes, retriable: false },
      };
    } else error = outcome.error;
    job.error = error;
    this.transition(job, "failed", "failed", null, { code: error.code });
    return true;
  }

  /** → `cancelled` and abort the work; false when already terminal. */
  cancel(job: Job, reason: string, by_client_id: string | null): boolean {
    if (isTerminal(job.state)) return false;
    this.transition(job, "cancelled", "cancelled", by_client_id, { reason });
    job.abort.abort();
    return true;
  }

  /** Deadline passed → `expired` with a `tool_timeout` error, and abort the work. */
  expire(job: Job): boolean {
    if (isTerminal(job.state)) return false;
    job.error = {
      code: "tool_timeout",
      message: `job ${job.id} did not finish within ${job.deadlineMs} ms`,
      details: { timeout_ms: job.deadlineMs, deadline_ms: job.deadline_at },
    };
    this.transition(job, "expired", "expired", null, { code: "tool_timeout" });
    job.abort.abort();
    return true;
  }

  /** Session closed: unfinished jobs are cancelled (their events are discarded), timers cleared. */
  close() {
    if (this.closed) return;
    for (const j of this.jobs.values()) this.cancel(j, "session_closed", null);
    this.closed = true;
    this.jobs.clear();
    this.finishedBytes.clear();
    this.finishedTotal = 0;
  }

  private transition(
    job: Job,
    state: JobState,
    event: JobEvent,
    by: string | null,
    extra: { reason?: string; code?: string } = {},
    resultBytes = 0,
  ) {
    const at = this.clock.now();
    job.state = state;
    job.seq++;
    job.updated_at = at;
    const p: JobProgress = { seq: job.seq, event, state, at, ...extra };
    job.progress.push(p);
    if (isTerminal(state)) {
      this.clock.clearTimer(job.timer);
      job.timer = null;
    }
    this.listener(job, p, by);
    if (isTerminal(state) && !this.closed) this.retain(job, resultBytes);
  }

  /** Counts a newly finished job, then forgets the oldest finished ones past the caps. */
  private retain(job: Job, bytes: number) {
    this.finishedBytes.set(job.id, bytes);
    this.finishedTotal += bytes;
    // finished ids in the order they finished: the oldest answer goes first
    for (const [id, b] of this.finishedBytes) {
      if (
        this.finishedBytes.size <= JOB_LIMITS.maxFinished &&
        this.finishedTotal <= JOB_LIMITS.maxFinishedBytes
      ) break;
      this.finishedBytes.delete(id);
      this.finishedTotal -= b;
      this.jobs.delete(id);
    }
  }
}
