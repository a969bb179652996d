/**
 * The life of one executa's process (CONTRACT §9.5, §9.9): bringing it up on first use (backoff
 * after crashes, command resolution, spawn, handshake), and recording what happens to it after —
 * status events, crashes and the crash loop, exits, stderr lines. The pool (mod.ts) owns the
 * entries and decides when to start, retire or stop them.
 */
import type { Logger } from "../util/log.ts";
import { fail, type Outcome } from "../core/outcome.ts";
import type { ExecutaStatus } from "./types.ts";
import { childEnv, resolveCommand } from "./command.ts";
import { ExecutaProcess } from "./process.ts";
import { declaredCapabilities, handshake } from "./handshake.ts";
import { exitedOutcome } from "./mapping.ts";
import type { ReverseRpc } from "./reverse.ts";
import {
  crashLoopOutcome,
  type Entry,
  pushStderr,
  recentCrashes,
  type StartResult,
  stderrFrom,
} from "./entry.ts";
import { sleep } from "./async.ts";
import { stripAnsi } from "../util/text.ts";
import { backoffMs, CRASH_LOOP_COUNT } from "./limits.ts";
import type { ExecutaPoolOptions } from "./mod.ts";

export class ExecutaLifecycle {
  constructor(
    private readonly opts: ExecutaPoolOptions,
    /** the pool's `executa` logger */
    private readonly log: Logger,
    private readonly reverse: ReverseRpc,
    /** true once the pool shut down: nothing is spawned any more */
    private readonly isClosed: () => boolean,
  ) {}

  /** §9.9 "next use": 3 crashes within 30 s → `failed` until register/restart. */
  crashLoop(e: Entry): Outcome | null {
    if (e.status === "crashed" && recentCrashes(e) >= CRASH_LOOP_COUNT) {
      this.setStatus(e, "failed", `crashed ${CRASH_LOOP_COUNT} times within 30s`);
    }
    return e.status === "failed" ? crashLoopOutcome(e) : null;
  }

  /** The ready process, or one start (spawn + handshake) shared by everyone who asks meanwhile. */
  start(e: Entry): Promise<StartResult> {
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
    if (e.retired || this.isClosed()) {
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
    if (e.retired || this.isClosed()) {
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

  /** Logs and reports a status (the pool's `onEvent`) without changing it. */
  emit(e: Entry, status: ExecutaStatus, message?: string, exitedPid?: number) {
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
