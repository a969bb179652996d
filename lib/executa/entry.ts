/** Per-tool_id bookkeeping of the pool: spec, state, crash history, stderr ring (CONTRACT §9.5–§9.11). */
import type { ExecutaEntry, ExecutaInfo, ExecutaSpec, ExecutaStatus } from "./types.ts";
import type { ExecutaProcess, ExitInfo } from "./process.ts";
import type { Protocol } from "./handshake.ts";
import { CRASH_WINDOW_MS, STDERR_RING, STDERR_TAIL_ERROR, STDERR_TAIL_LIST } from "./limits.ts";
import { fail, type Outcome, type OutcomeError } from "../core/outcome.ts";
import type { Logger } from "../util/log.ts";

export type StartResult = { ok: true; proc: ExecutaProcess } | { ok: false; outcome: Outcome };

/** What `ExecutaPool.ensureStarted` answers (CLI `executa describe|health|invoke`). */
export type EnsureStarted =
  | {
    ok: true;
    protocol: Protocol;
    describe: Record<string, unknown> | null;
    /** Set when describe answered an error, a non-object, or timed out (describe is null). */
    describe_error: unknown;
    /** initialize did not answer within 5 s (the host waits no longer; §9.6) */
    initialize_late: boolean;
  }
  | { ok: false; error: OutcomeError };

export interface Entry {
  spec: ExecutaSpec;
  status: ExecutaStatus;
  proc: ExecutaProcess | null;
  /** argv of the last spawn (resolved default command or the spec's). */
  argv: string[] | null;
  protocol: Protocol | null;
  describe: Record<string, unknown> | null;
  describe_error: unknown;
  initialize_late: boolean;
  init: Record<string, unknown> | null;
  declares: { sample: boolean; embed: boolean };
  spawns: number;
  restarts: number;
  last_exit: ExitInfo | null;
  /** Times of unrequested exits and spawn failures. */
  crashes: number[];
  stderr: string[];
  starting: Promise<StartResult> | null;
  /** Set when the entry was replaced (register/restart): its work must stop. */
  retired: boolean;
  life: AbortController;
  /** A previous process still stopping; a new one is spawned only after it is gone. */
  previousStop: Promise<unknown> | null;
  stderrLog?: Logger;
}

export function newEntry(spec: ExecutaSpec): Entry {
  return {
    spec,
    status: "registered",
    proc: null,
    argv: null,
    protocol: null,
    describe: null,
    describe_error: null,
    initialize_late: false,
    init: null,
    declares: { sample: false, embed: false },
    spawns: 0,
    restarts: 0,
    last_exit: null,
    crashes: [],
    stderr: [],
    starting: null,
    retired: false,
    life: new AbortController(),
    previousStop: null,
  };
}

/** Crashes within the last 30 s (also prunes older ones). */
export function recentCrashes(e: Entry, now = Date.now()): number {
  e.crashes = e.crashes.filter((t) => now - t < CRASH_WINDOW_MS);
  return e.crashes.length;
}

export function pushStderr(e: Entry, line: string) {
  e.stderr.push(line);
  if (e.stderr.length > STDERR_RING) e.stderr.splice(0, e.stderr.length - STDERR_RING);
}

export function toEntry(e: Entry): ExecutaEntry {
  return { spec: e.spec, status: e.status, describe: e.describe };
}

export function toInfo(e: Entry): ExecutaInfo {
  const live = e.proc?.alive ? e.proc : null;
  return {
    tool_id: e.spec.tool_id,
    handle: e.spec.handle,
    project_dir: e.spec.project_dir,
    type: e.spec.type,
    command: e.spec.command ?? e.argv,
    status: e.status,
    pid: live?.pid ?? null,
    protocol: e.protocol,
    describe: e.describe,
    restarts: e.restarts,
    last_exit: e.last_exit ? { ...e.last_exit } : null,
    in_flight: live?.invokes.size ?? 0,
    stderr_tail: e.stderr.slice(-STDERR_TAIL_LIST),
  };
}

/** §9.9: the answer of every use of a `failed` executa. */
export function crashLoopOutcome(e: Entry): Outcome {
  return fail(
    "executa_unavailable",
    `executa ${e.spec.tool_id} crashed 3 times within 30s; re-register or restart it`,
    {
      reason: "crash_loop",
      last_exit: e.last_exit ? { ...e.last_exit } : null,
      stderr_tail: e.stderr.slice(-STDERR_TAIL_ERROR),
    },
  );
}
