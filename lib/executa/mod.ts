/**
 * The executa pool (CONTRACT §9.5–§9.12): one lazily spawned process per registered tool_id, shared
 * by all sessions; handshake, `invoke` with the §9.7 reply mapping and §5.6 timeouts, reverse RPC
 * (§9.8), crash policy with backoff (§9.9) and graceful shutdown (§9.10).
 *
 * Files: `process.ts` (one child and its stdio), `handshake.ts`, `invoke.ts` (one invoke on a
 * process), `mapping.ts` (reply → outcome),
 * `reverse.ts` + `reverse_storage.ts` (plugin → host calls), `entry.ts` (per-tool bookkeeping).
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
import { childEnv, resolveCommand } from "./command.ts";
import { ExecutaProcess } from "./process.ts";
import { declaredCapabilities, handshake } from "./handshake.ts";
import { deadlineTimeout, exitedOutcome, parseTimeout } from "./mapping.ts";
import { ReverseRpc } from "./reverse.ts";
import { invokeOn } from "./invoke.ts";
import {
  crashLoopOutcome,
  type EnsureStarted,
  type Entry,
  newEntry,
  pushStderr,
  recentCrashes,
  restartedEntry,
  type StartResult,
  stderrFrom,
  toEntry,
  toInfo,
} from "./entry.ts";
import { sleep, TIMEOUT, withTimeout } from "./async.ts";
import { type HealthReport, healthReport } from "./health.ts";
import { stdoutNoiseHint } from "./stdout_noise.ts";
import { stripAnsi } from "../util/text.ts";
import { backoffMs, CRASH_LOOP_COUNT, HEALTH_TIMEOUT_MS } from "./limits.ts";

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
  /** Processes of restarted or re-registered executas, still in their graceful stop. */
  private readonly retiring = new Set<ExecutaProcess>();

  constructor(private readonly opts: ExecutaPoolOptions) {
    this.log = opts.logger.child("executa");
    this.reverse = new ReverseRpc(opts.llm, this.log);
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
      this.emit(fresh, "registered");
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
    this.emit(fresh, fresh.status);
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
    let loop = this.crashLoop(entry); // §5.6 step 6 before the timeout's step 7
    if (loop) return loop;
    const t = opts.deadlineAt === undefined
      ? parseTimeout(opts.timeoutMs)
      : deadlineTimeout(opts.deadlineAt);
    if ("ok" in t) return t;
    let started = await this.start(entry);
    // restarted or re-registered before this invoke was sent: the old process is stopping and
    // never saw it, so it goes to the replacement instead of failing "executa process exited"
    let next: Entry | undefined;
    while (entry.retired && !this.closed && (next = this.entries.get(tool_id)) && next !== entry) {
      entry = next;
      loop = this.crashLoop(entry);
      if (loop) return loop;
      started = await this.start(entry);
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
    const r = await this.start(entry);
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

  // ---- lifecycle -----------------------------------------------------------------------------

  /** §9.9 "next use": 3 crashes within 30 s → `failed` until register/restart. */
  private crashLoop(e: Entry): Outcome | null {
    if (e.status === "crashed" && recentCrashes(e) >= CRASH_LOOP_COUNT) {
      this.setStatus(e, "failed", `crashed ${CRASH_LOOP_COUNT} times within 30s`);
    }
    return e.status === "failed" ? crashLoopOutcome(e) : null;
  }

  private start(e: Entry): Promise<StartResult> {
    if (e.proc?.alive && e.status === "ready") return Promise.resolve({ ok: true, proc: e.proc });
    e.starting ??= this.spawnAndHandshake(e).finally(() => (e.starting = null));
    return e.starting;
  }

  private unavailable(reason: string, message: string, extra = {}): StartResult {
    return { ok: false, outcome: fail("executa_unavailable", message, { reason, ...extra }) };
  }

  private async spawnAndHandshake(e: Entry): Promise<StartResult> {
    const id = e.spec.tool_id;
    const loop = this.crashLoop(e);
    if (loop) return { ok: false, outcome: loop };
    if (e.previousStop) await e.previousStop;
    const k = recentCrashes(e);
    if (k > 0) {
      const wait = e.crashes[e.crashes.length - 1] + backoffMs(k) - Date.now();
      if (wait > 0) this.log.info("waiting before respawn", { tool_id: id, ms: wait, crashes: k });
      await sleep(wait, e.life.signal);
    }
    if (e.retired || this.closed) {
      return this.unavailable("stopped", `executa ${id} was stopped while starting`);
    }

    this.setStatus(e, "starting");
    const env = { ...childEnv(e.spec), ...this.opts.extraEnv };
    const cmd = await resolveCommand(e.spec, { env, logger: this.log });
    if ("error" in cmd) {
      // only a spawn failure counts as a crash (§9.9); with no usable entry nothing ran, so there
      // is no backoff to wait for and no crash loop to reach: the same answer until it is fixed
      if (cmd.error.reason === "spawn_failed") this.recordCrash(e, cmd.error.message);
      else this.setStatus(e, "registered", cmd.error.message);
      const extra = cmd.error.reason === "spawn_failed"
        ? { command: cmd.error.command ?? e.spec.command, error: cmd.error.message }
        : {};
      return this.unavailable(cmd.error.reason, cmd.error.message, extra);
    }
    if (e.retired || this.closed) {
      return this.unavailable("stopped", `executa ${id} was stopped while starting`);
    }
    const argv = cmd.argv;
    e.argv = argv;

    let proc!: ExecutaProcess;
    try {
      if (argv.length === 0) throw new Error("empty command");
      proc = new ExecutaProcess({
        argv,
        cwd: e.spec.project_dir,
        env,
        logger: this.log.child(`executa:${id}`, { tool_id: id }),
        hooks: {
          request: (rid, method, params) => {
            const caller = { tool_id: id, invokes: proc.invokes, declares: e.declares };
            this.reverse.handle(caller, method, params).then((p) => proc.respond(rid, p));
          },
          notification: (method) =>
            this.log.debug("plugin notification ignored", { tool_id: id, method }),
          stderr: (line) => this.onStderr(e, line, proc?.pid ?? null),
          exit: (info) => this.onExit(e, proc, info),
        },
      });
    } catch (err) {
      const error = (err as Error).message;
      this.recordCrash(e, `spawn failed: ${error}`);
      return this.unavailable("spawn_failed", `executa ${id} could not be spawned: ${error}`, {
        command: argv,
        error,
      });
    }
    if (e.spawns++ > 0) e.restarts++;
    Object.assign(e, { proc, protocol: null, describe: null, describe_error: null, init: null });
    const marker = stderrFrom(e, proc.pid);
    if (marker) this.opts.onEvent?.({ type: "stderr", tool_id: id, line: marker });
    e.declares = { sample: false, embed: false };
    this.emit(e, "starting", `spawned ${argv[0]}`);

    const hs = await handshake(proc, id, this.opts.version, this.log, (init) => {
      if (e.proc !== proc) return;
      e.protocol = "v2";
      e.init = init;
      e.declares = declaredCapabilities(init, e.describe);
      this.log.info("late initialize reply: upgraded to protocol v2", { tool_id: id });
    });
    if (!hs.ok) return { ok: false, outcome: exitedOutcome(hs.exit, e.stderr) };
    // a late v2 upgrade during describe must not be undone
    if (e.protocol !== "v2") e.protocol = hs.protocol;
    e.init = hs.init ?? e.init;
    e.describe = hs.describe;
    e.describe_error = hs.describe_error;
    e.initialize_late = hs.initialize_late;
    e.declares = declaredCapabilities(e.init, e.describe);
    this.setStatus(e, "ready", `protocol ${e.protocol}`);
    return { ok: true, proc };
  }

  private recordCrash(e: Entry, message: string) {
    const at = Date.now();
    e.crashes.push(at);
    e.last_exit = { code: null, signal: null, at };
    this.setStatus(e, "crashed", message);
  }

  private onExit(e: Entry, proc: ExecutaProcess, info: NonNullable<Entry["last_exit"]>) {
    if (e.proc === proc) e.proc = null;
    if (e.retired) return;
    e.last_exit = info;
    if (proc.stopRequested) return this.setStatus(e, "stopped", undefined, proc.pid);
    e.crashes.push(info.at);
    const how = info.signal ? `signal ${info.signal}` : `code ${info.code}`;
    this.log.warn("executa exited unexpectedly", { tool_id: e.spec.tool_id, pid: proc.pid, how });
    this.setStatus(e, "crashed", `exited with ${how}`, proc.pid);
  }

  private onStderr(e: Entry, raw: string, pid: number | null) {
    const line = pushStderr(e, raw, pid);
    const id = e.spec.tool_id; // json entries name it in tool_id too, as the pool's lines do
    e.stderrLog ??= this.opts.logger.child(`executa:${id}`, { tool_id: id });
    // colours would show as `\u001b[31m` in a log file; the ring and the dashboard keep the line
    e.stderrLog.info(stripAnsi(line));
    this.opts.onEvent?.({ type: "stderr", tool_id: id, line });
  }

  private setStatus(e: Entry, status: ExecutaStatus, message?: string, pid?: number) {
    e.status = status;
    this.emit(e, status, message, pid);
  }

  private emit(e: Entry, status: ExecutaStatus, message?: string, exitedPid?: number) {
    const pid = exitedPid ?? e.proc?.pid;
    this.log.debug(`status ${status}`, { tool_id: e.spec.tool_id, pid, message });
    this.opts.onEvent?.({
      type: "executa",
      tool_id: e.spec.tool_id,
      status,
      ...(pid !== undefined ? { pid } : {}),
      ...(message !== undefined ? { message } : {}),
    });
  }
}

export type { AppContext, ExecutaSpec, HealthReport, InvokeOptions };
