/**
 * Stage 2: async tool jobs, in process (CONTRACT §5.11, §7.2 `tool_job`, §15). The state machine is
 * `job_store.ts`; this file holds the wire shapes and handlers and runs the work.
 *
 * - `tools.invokeAsync` validates like `tools.invoke` (§5.6 steps 1–3) plus `args` ≤ 64 KiB,
 *   `timeoutMs` (deadline, clamped to 60 s..24 h, default 30 min) and `clientTag`; then the per-tool
 *   ACL (step 4). With a registered executa the job's `jobId` is the plugin `invoke_id` and the plugin
 *   gets `context.deadline_ms` = creation + deadline (no 90 s clamp). Without one, the §5.9 mock table
 *   is consulted (`tools.invokeAsync` entries first, then `tools.invoke` ones): a match answers the
 *   *job's* result (`result` → succeeded, `error` → failed) while the call itself still answers
 *   `{jobId, state:"queued", deadlineMs}`; no match → `not_implemented` as `tools.invoke` step 5, and
 *   no job. More than 5 unfinished jobs → `job_quota_exceeded`.
 * - `getJob` / `cancelJob` / `listJobs` pass the generic ACL (granted tools non-empty); a job of
 *   another session is `job_not_found`, like an unknown one.
 * - Jobs live in the session's memory; closing the session cancels the unfinished ones.
 */
import { z } from "zod";
import { DispatchError, type Outcome } from "../core/outcome.ts";
import { resolveToolRef } from "../manifest/acl.ts";
import type { Session } from "../session/session.ts";
import { newJobId } from "../util/ids.ts";
import { byteSize } from "../util/json.ts";
import type { CallContext, NamespaceHandlers } from "./context.ts";
import { parseArgs } from "./validate.ts";
import { mapMockedInvoke } from "../executa/mapping.ts";
import { InvokeArgs, requireToolGrant, splitInvoke, toolEntries } from "./tools.ts";
import {
  clampDeadline,
  isTerminal,
  type Job,
  JOB_LIMITS,
  JOB_STATES,
  type JobProgress,
  JobStore,
} from "./job_store.ts";

const stores = new WeakMap<Session, JobStore>();

/** The session's job store, created on first use; it emits `tool_job` and closes with the session. */
export function jobsFor(session: Session): JobStore {
  let store = stores.get(session);
  if (store) return store;
  const created = new JobStore((job, p, by) =>
    session.emit("tool_job", job.window_uuid, by, {
      job_id: job.id,
      tool_id: job.tool_id,
      state: p.state,
      seq: p.seq,
      event: p.event,
      terminal: isTerminal(p.state),
    })
  );
  store = created;
  stores.set(session, created);
  session.onClose(() => created.close());
  return created;
}

const InvokeAsyncArgs = InvokeArgs.extend({
  timeoutMs: z.number().nullable().optional(),
  clientTag: z.string().optional(),
});

/** Looks the call up in the mock table under `tools.<method>` (§5.9). */
export type MockLookup = (method: string) => Outcome | undefined;

/** `tools.invokeAsync` → `{jobId, state:"queued", deadlineMs}`; the work continues in background. */
export function invokeAsync(ctx: CallContext, args: unknown, lookupMock: MockLookup) {
  const a = parseArgs(InvokeAsyncArgs, args);
  const p = splitInvoke(ctx, a, args);
  const size = byteSize(p.args);
  if (size > JOB_LIMITS.maxArgsBytes) {
    const message = `args of ${size} bytes exceed ${JOB_LIMITS.maxArgsBytes} bytes`;
    throw new DispatchError("invalid_arg", `invalid argument 'args': ${message}`, {
      issues: [{ path: "args", message }],
      size,
      max: JOB_LIMITS.maxArgsBytes,
    });
  }
  const deadlineMs = clampDeadline(a.timeoutMs);
  requireToolGrant(ctx, p, "invokeAsync");
  let mock: Outcome | undefined;
  if (!ctx.services.executas.get(p.tool_id)) {
    const found = lookupMock("invokeAsync") ?? lookupMock("invoke");
    mock = found && mapMockedInvoke(found);
    if (!mock) {
      throw new DispatchError(
        "not_implemented",
        "tools.invokeAsync is not available in this runtime",
        { tool_id: p.tool_id },
      );
    }
  }
  const store = jobsFor(ctx.session);
  const wid = ctx.window.window_uuid;
  const job = store.create({
    id: newJobId(),
    tool_id: p.tool_id,
    method: p.method,
    clientTag: a.clientTag ?? null,
    window_uuid: wid,
    deadlineMs,
  }, wid);
  if (mock) {
    const answer = mock;
    queueMicrotask(() => {
      if (store.start(job)) store.settle(job, answer);
    });
  } else runOnExecuta(ctx, store, job, p.args);
  return { jobId: job.id, state: job.state, deadlineMs };
}

function runOnExecuta(ctx: CallContext, store: JobStore, job: Job, args: unknown) {
  // a host that throws synchronously still settles the job (the executor turns it into a rejection)
  new Promise<Outcome>((resolve) =>
    resolve(ctx.services.executas.invoke(job.tool_id, job.method, args, {
      app: ctx.services.appContext(ctx.session),
      invokeId: job.id,
      deadlineAt: job.deadline_at,
      ownResultCap: true, // JobStore.settle: 256 KiB
      signal: job.abort.signal,
      onSent: () => store.start(job),
    }))
  ).then((outcome) => store.settle(job, outcome), (e) => {
    ctx.services.logger.error("job crashed", { job_id: job.id, error: (e as Error)?.stack ?? e });
    store.settle(job, {
      ok: false,
      error: { code: "internal_error", message: `internal error in job ${job.id}` },
    });
  });
}

function findJob(ctx: CallContext, jobId: string): Job {
  const job = jobsFor(ctx.session).get(jobId);
  if (!job) {
    throw new DispatchError("job_not_found", `no job '${jobId}' in this session`, { jobId });
  }
  return job;
}

/** The getJob shape without `progress` (and without `result`, which `getJob` adds). */
function summary(job: Job) {
  return {
    jobId: job.id,
    tool_id: job.tool_id,
    state: job.state,
    clientTag: job.clientTag,
    ...(job.error ? { error: job.error } : {}),
    lastSeq: job.seq,
    created_at: job.created_at,
    updated_at: job.updated_at,
  };
}

const GetJobArgs = z.object({
  jobId: z.string().min(1),
  sinceSeq: z.number().int().min(0).optional(),
  limit: z.number().int().min(1).optional(),
});

const CancelJobArgs = z.object({
  jobId: z.string().min(1),
  reason: z.string().optional(),
});

const ListJobsArgs = z.object({
  tool_id: z.string().min(1).optional(),
  state: z.enum(JOB_STATES).optional(),
  clientTag: z.string().optional(),
  since: z.number().optional(),
  limit: z.number().int().min(1).max(JOB_LIMITS.listMax).optional(),
});

export const jobsHandlers: NamespaceHandlers = {
  /** `progress` = the job's transitions with `seq > sinceSeq`, oldest first, at most `limit`. */
  getJob(ctx, args) {
    const a = parseArgs(GetJobArgs, args);
    const job = findJob(ctx, a.jobId);
    const since = a.sinceSeq ?? 0;
    const progress: JobProgress[] = job.progress.filter((p) => p.seq > since)
      .slice(0, a.limit ?? JOB_LIMITS.listDefault);
    const { lastSeq, created_at, updated_at, ...head } = summary(job);
    return {
      ...head,
      ...(job.state === "succeeded" ? { result: job.result } : {}),
      progress,
      lastSeq,
      created_at,
      updated_at,
    };
  },

  /** `cancelled: true` iff this call ended the job; a finished job answers its state unchanged. */
  cancelJob(ctx, args) {
    const a = parseArgs(CancelJobArgs, args);
    const job = findJob(ctx, a.jobId);
    const reason = a.reason ?? "cancelled by the app";
    const cancelled = jobsFor(ctx.session).cancel(job, reason, ctx.window.window_uuid);
    return { jobId: job.id, state: job.state, cancelled };
  },

  /** Newest first; `tool_id` accepts `bundled:<handle>`; `since` = updated at or after (epoch ms). */
  listJobs(ctx, args) {
    const a = parseArgs(ListJobsArgs, args);
    const r = jobsFor(ctx.session).list({
      tool_id: a.tool_id === undefined ? undefined : resolveToolRef(a.tool_id, toolEntries(ctx)),
      state: a.state,
      clientTag: a.clientTag,
      since: a.since,
      limit: a.limit ?? JOB_LIMITS.listDefault,
    });
    return { jobs: r.jobs.map(summary), truncated: r.truncated };
  },
};
