/**
 * The executa pool (CONTRACT §9.5–§9.12): one lazily spawned process per registered tool_id, shared
 * by all sessions; handshake, `invoke` with the §9.7 reply mapping and §5.6 timeouts, reverse RPC
 * (§9.8), crash policy with backoff (§9.9) and graceful shutdown (§9.10).
 *
 * Files: `lifecycle.ts` (start, status, crashes and exits of one tool's process), `process.ts`
 * (one child and its stdio) with `stdout_router.ts` (its incoming lines), `handshake.ts`,
 * `invoke.ts` (one invoke on a process), `mapping.ts` (reply → outcome), `reverse.ts` +
 * `reverse_storage.ts` (plugin → host calls), `entry.ts` (per-tool bookkeeping).
 */
import type { Logger } from "../util/log.ts";
import type { LlmProvider } from "../llm/types.ts";
import { fail, type Outcome, type OutcomeError } from "../core/outcome.ts";
import type {
  AppContext,
  ExecutaEntry,
  ExecutaHost,
  ExecutaInfo,
  ExecutaSpec,
  ExecutaStatus,
  InvokeOptions,
} from "./types.ts";
import type { ExecutaProcess } from "./process.ts";
import { deadlineTimeout, parseTimeout } from "./mapping.ts";
import { ReverseRpc } from "./reverse.ts";
import { invokeOn } from "./invoke.ts";
import {
  type EnsureStarted,
  type Entry,
  newEntry,
  restartedEntry,
  toEntry,
  toInfo,
} from "./entry.ts";
import { TIMEOUT, withTimeout } from "./async.ts";
import { type HealthReport, healthReport } from "./health.ts";
import { stdoutNoiseHint } from "./stdout_noise.ts";
import { HEALTH_TIMEOUT_MS } from "./limits.ts";
import { ExecutaLifecycle } from "./lifecycle.ts";

export type ExecutaEvent =
  | { type: "executa"; tool_id: string; status: ExecutaStatus; pid?: number; message?: string }
  | { type: "stderr"; tool_id: string; line: string };

export interface ExecutaPoolOptions {
  logger: Logger;
  llm: LlmProvider;
  /** Runtime version sent as `clientInfo.version`. */
  version: string;
  onEvent?: (e: ExecutaEvent) => void;
  /** Added to every child environment (after the spec's env), e.g. the smoke HOME. */
  extraEnv?: Record<string, string>;
}

export class ExecutaPool implements ExecutaHost {
  private readonly entries = new Map<string, Entry>();
  private readonly log: Logger;
  readonly reverse: ReverseRpc; // smoke empties its `storage` between fixture files
  private closed = false;
  /** Starting processes and recording their status, crashes, exits and stderr (lifecycle.ts). */
  private readonly life: ExecutaLifecycle;
  /** Processes of restarted or re-registered executas, still in their graceful stop. */
  private readonly retiring = new Set<ExecutaProcess>();

  constructor(private readonly opts: ExecutaPoolOptions) {
    this.log = opts.logger.child("executa");
    this.reverse = new ReverseRpc(opts.llm, this.log);
    this.life = new ExecutaLifecycle(opts, this.log, this.reverse, () => this.closed);
  }

  // ---- registry ------------------------------------------------------------------------------

  async register(specs: ExecutaSpec[]): Promise<void> {
    const stops: Promise<unknown>[] = [];
    for (const spec of specs) {
      const fresh = newEntry(spec);
      const old = this.entries.get(spec.tool_id);
      // an old entry with no live process may still wait for its predecessor's stop: keep waiting
      if (old) fresh.previousStop = this.retire(old) ?? old.previousStop;
      if (fresh.previousStop) stops.push(fresh.previousStop);
      this.entries.set(spec.tool_id, fresh); // same key keeps its registration position
      this.life.emit(fresh, "registered");
    }
    await Promise.all(stops);
  }

  get(tool_id: string): ExecutaEntry | undefined {
    const e = this.entries.get(tool_id);
    return e && toEntry(e);
  }

  entriesFor(app_slug: string | null): ExecutaEntry[] {
    return [...this.entries.values()]
      .filter((e) => e.spec.app_slug === null || e.spec.app_slug === app_slug)
      .map(toEntry);
  }

  list(): ExecutaInfo[] {
    return [...this.entries.values()].map(toInfo);
  }

  /** Graceful stop, crash history cleared, respawn on next use. Unknown id → RangeError. */
  async restart(tool_id: string): Promise<void> {
    const old = this.entries.get(tool_id);
    if (!old) throw new RangeError(`unknown executa tool_id '${tool_id}'`);
    const fresh = restartedEntry(old);
    fresh.previousStop = this.retire(old) ?? old.previousStop;
    this.entries.set(tool_id, fresh);
    const exit = await fresh.previousStop;
    if (exit && !fresh.proc) fresh.last_exit = exit as Entry["last_exit"];
    this.life.emit(fresh, fresh.status);
  }

  /** Stops every process in parallel (§9.10); the pool spawns nothing afterwards. */
  async shutdown(): Promise<void> {
    this.closed = true;
    await Promise.all([
      ...[...this.entries.values()].map((e) => {
        e.life.abort();
        return e.proc?.stop();
      }),
      // processes of restarted or re-registered executas still in their graceful stop
      ...[...this.retiring].map((p) => p.stop()),
    ]);
  }

  /**
   * SIGKILLs every live process at once (synchronous, best effort): the immediate exit of a second
   * SIGINT must not leave behind a plugin still in its graceful stop or ignoring SIGTERM (§9.10).
   */
  killAll(): void {
    this.closed = true;
    for (const e of this.entries.values()) e.proc?.killNow();
    for (const p of this.retiring) p.killNow();
  }

  private retire(e: Entry): Promise<unknown> | null {
    e.retired = true;
    e.life.abort();
    const proc = e.proc;
    if (!proc?.alive) return null;
    // out of `entries` now, but shutdown and killAll must still reach it until it is gone
    this.retiring.add(proc);
    return proc.stop().finally(() => this.retiring.delete(proc));
  }

  // ---- invoke --------------------------------------------------------------------------------

  /** §5.6 steps 6–10 and §9.7. */
  invoke(tool_id: string, method: string, args: unknown, opts: InvokeOptions = {}) {
    return this.runInvoke(tool_id, method, args, opts, false);
  }

  /** Like `invoke` but answers the plugin's raw `invoke` result (CLI `--raw`). */
  invokeRaw(tool_id: string, method: string, args: unknown, opts: InvokeOptions = {}) {
    return this.runInvoke(tool_id, method, args, opts, true);
  }

  private async runInvoke(
    tool_id: string,
    method: string,
    args: unknown,
    opts: InvokeOptions,
    raw: boolean,
  ): Promise<Outcome> {
    let entry = this.entries.get(tool_id);
    if (!entry) {
      return fail("not_implemented", "tools.invoke is not available in this runtime", { tool_id });
    }
    let loop = this.life.crashLoop(entry); // §5.6 step 6 before the timeout's step 7
    if (loop) return loop;
    const t = opts.deadlineAt === undefined
      ? parseTimeout(opts.timeoutMs)
      : deadlineTimeout(opts.deadlineAt);
    if ("ok" in t) return t;
    let started = await this.life.start(entry);
    // restarted or re-registered before this invoke was sent: the old process is stopping and
    // never saw it, so it goes to the replacement instead of failing "executa process exited"
    let next: Entry | undefined;
    while (entry.retired && !this.closed && (next = this.entries.get(tool_id)) && next !== entry) {
      entry = next;
      loop = this.life.crashLoop(entry);
      if (loop) return loop;
      started = await this.life.start(entry);
    }
    if (!started.ok) return started.outcome;

    const stderrOf = entry;
    return await invokeOn(started.proc, {
      tool_id,
      method,
      args,
      opts,
      raw,
      timeout: t,
      stderr: () => stderrOf.stderr,
      log: this.log,
    });
  }

  // ---- CLI helpers (`executa describe|health|invoke`, §2.9) -----------------------------------

  /** Spawns and handshakes if needed. */
  async ensureStarted(tool_id: string): Promise<EnsureStarted> {
    const entry = this.entries.get(tool_id);
    if (!entry) {
      return { ok: false, error: { code: "not_found", message: `unknown executa '${tool_id}'` } };
    }
    const r = await this.life.start(entry);
    if (!r.ok) return { ok: false, error: (r.outcome as { error: OutcomeError }).error };
    return {
      ok: true,
      protocol: entry.protocol ?? "v1",
      describe: entry.describe,
      describe_error: entry.describe_error,
      initialize_late: entry.initialize_late,
    };
  }

  /** The ignored-stdout hint (stdout_noise.ts) for the live process of `tool_id`. */
  stdoutNoiseHint(tool_id: string): string {
    return stdoutNoiseHint(this.entries.get(tool_id)?.proc?.stdoutDiagnosis());
  }

  /** Sends `health` (3 s) and classifies the answer as §2.9 does. */
  async health(tool_id: string): Promise<HealthReport> {
    const s = await this.ensureStarted(tool_id);
    if (!s.ok) return s;
    const entry = this.entries.get(tool_id)!;
    const proc = entry.proc;
    if (!proc) {
      const exit = entry.last_exit ?? { code: null, signal: null, at: Date.now() };
      return healthReport({ kind: "exit", exit }, entry.stderr);
    }
    const req = proc.request("health", {});
    const r = await withTimeout(req.reply, HEALTH_TIMEOUT_MS);
    if (r === TIMEOUT) proc.abandon(req.id);
    return healthReport(r, entry.stderr);
  }
}

export type { AppContext, ExecutaSpec, HealthReport, InvokeOptions };
