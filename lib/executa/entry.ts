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
  /**
   * The process whose lines the ring takes as they are: shared with the entry a restart makes,
   * like the ring, so a line the replaced process writes late is tagged as its own.
   */
  stderrPid: { pid: number | null };
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
    stderrPid: { pid: null },
    starting: null,
    retired: false,
    life: new AbortController(),
    previousStop: null,
  };
}

/** Crashes within the last 30 s (also prunes older ones). */
/**
 * The entry `executas.restart` puts in place of `old`: a clean crash history (§9.9), keeping what
 * describes the executa's past (stderr ring, spawn and restart counts, last exit, argv).
 */
export function restartedEntry(old: Entry): Entry {
  return Object.assign(
    newEntry(old.spec),
    {
      stderr: old.stderr,
      stderrPid: old.stderrPid,
      spawns: old.spawns,
      restarts: old.restarts,
      last_exit: old.last_exit,
      argv: old.argv,
      status: old.proc?.alive ? "stopped" : "registered",
    } satisfies Partial<Entry>,
  );
}

export function recentCrashes(e: Entry, now = Date.now()): number {
  e.crashes = e.crashes.filter((t) => now - t < CRASH_WINDOW_MS);
  return e.crashes.length;
}

/**
 * A stderr line of process `pid` into the ring, as it is stored and shown: a line of a process
 * that has since been replaced is tagged with its pid (§9.11 keeps one ring per executa).
 */
export function pushStderr(e: Entry, line: string, pid: number | null = e.stderrPid.pid): string {
  if (pid !== e.stderrPid.pid) line = `[pid ${pid}, replaced] ${line}`;
  ringPush(e, line);
  return line;
}

/**
 * A new process of the executa starts writing to the ring. After a restart (a respawn, or
 * `executas.restart`) one marker line says where the earlier processes' lines end, so a tail
 * that spans several processes (a crash loop's, the dashboard's) reads which line came from which.
 * Returns the marker, or null when there is nothing before it.
 */
export function stderrFrom(e: Entry, pid: number): string | null {
  e.stderrPid.pid = pid;
  if (e.stderr.length === 0) return null;
  const marker = `--- executa restarted: new process pid ${pid} (restart ${e.restarts}) ---`;
  ringPush(e, marker);
  return marker;
}

function ringPush(e: Entry, line: string) {
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
