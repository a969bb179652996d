/**
 * One executa child process speaking line-delimited JSON-RPC 2.0 on stdio (CONTRACT §9.5, §9.7,
 * §9.10–§9.12): integer request ids, serialised stdin writes, replies matched by id (the reading
 * side is stdout_router.ts), stderr ring feeding, and the graceful stop sequence. Knows nothing
 * about tools, sessions or crash policy.
 */
import type { Logger } from "../util/log.ts";
import { shownLine } from "../util/text.ts";
import type { AppContext } from "./types.ts";
import { encodeUtf8 } from "../util/json.ts";
import { LineSplitter, trimPartialUtf8 } from "./framing.ts";
import { StdoutRouter } from "./stdout_router.ts";
import type { StdoutDiagnosis } from "./stdout_noise.ts";
import { TIMEOUT, withTimeout } from "./async.ts";
import {
  IGNORED_LINE_LOG_BYTES,
  MAX_FRAME_BYTES,
  STDERR_LINE_BYTES,
  STOP_GRACE_MS,
} from "./limits.ts";

const IS_WINDOWS = Deno.build.os === "windows";

export interface ExitInfo {
  code: number | null;
  signal: string | null;
  at: number;
}

/** What a host→plugin request finally got. */
export type Reply =
  | { kind: "response"; msg: Record<string, unknown> }
  | { kind: "exit"; exit: ExitInfo }
  | { kind: "frame_too_large"; frame_bytes: number; max_frame_bytes: number; path?: string }
  | { kind: "file_error"; path: string; why: string };

/** An `invoke` in flight on this process; reverse RPC is routed to it (§9.8). */
export interface InvokeContext {
  invoke_id: string;
  app: AppContext | null;
  deadline_ms: number;
  sampling_calls: number;
  sampling_tokens: number;
  /** Aborted when the invoke settles, so pending reverse work stops. */
  abort: AbortController;
}

export interface ProcessHooks {
  request(id: string | number | null, method: string, params: unknown): void;
  notification(method: string, params: unknown): void;
  stderr(line: string): void;
  /** Called once on exit, before in-flight requests fail, so state is settled when they resume. */
  exit(info: ExitInfo, stopRequested: boolean): void;
}

export interface SpawnOptions {
  argv: string[];
  cwd: string;
  /** The complete environment of the child. */
  env: Record<string, string>;
  logger: Logger;
  hooks: ProcessHooks;
}

const decoder = new TextDecoder();
/** How long to wait for the pipes to drain after the child exited. */
const DRAIN_MS = 500;

export class ExecutaProcess {
  readonly pid: number;
  readonly exited: Promise<ExitInfo>;
  exitInfo: ExitInfo | null = null;
  /** Set once the runtime asked it to stop: the exit is then not a crash. */
  stopRequested = false;
  /** Ending a process whose stdin broke (see failWhenExited), started once. */
  private endDeaf: Promise<void> | null = null;
  readonly invokes = new Map<string, InvokeContext>();

  private readonly child: Deno.ChildProcess;
  private readonly writer: WritableStreamDefaultWriter<Uint8Array>;
  private writeChain: Promise<unknown> = Promise.resolve();
  private nextId = 1;
  /** Replies matched to their requests, and the rest of stdout (stdout_router.ts). */
  private readonly replies: StdoutRouter;
  private readonly log: Logger;
  private readonly hooks: ProcessHooks;
  private stopping: Promise<ExitInfo> | null = null;
  private readers: ReadableStreamDefaultReader<Uint8Array>[] = [];
  private readonly stdoutLines: LineSplitter;

  /** Spawns the child; throws when it cannot be started (not found, not executable). */
  constructor(opts: SpawnOptions) {
    const [cmd, ...args] = opts.argv;
    this.log = opts.logger;
    this.hooks = opts.hooks;
    this.child = new Deno.Command(cmd, {
      args,
      cwd: opts.cwd,
      // `env` is the complete child environment (§9.4), so nothing the runtime removed leaks back
      env: opts.env,
      clearEnv: true,
      stdin: "piped",
      stdout: "piped",
      stderr: "piped",
      // its own process group (POSIX), so stopping it also reaches what it started (uv → python)
      detached: !IS_WINDOWS,
    }).spawn();
    this.pid = this.child.pid;
    this.writer = this.child.stdin.getWriter();
    this.replies = new StdoutRouter(this.log, this.hooks);
    this.stdoutLines = new LineSplitter(MAX_FRAME_BYTES, {
      line: (b) => this.replies.line(b),
      oversize: (head, total) => this.replies.oversize(head, total),
    });
    const stderr = new LineSplitter(STDERR_LINE_BYTES, {
      line: (b) => this.onStderr(b),
      // §9.11 cuts at 8 KiB: a character split by the cut is dropped, not shown as U+FFFD
      oversize: (head) => this.onStderr(trimPartialUtf8(head)),
    }, STDERR_LINE_BYTES);
    const drained = Promise.all([
      this.pump(this.child.stdout, this.stdoutLines),
      this.pump(this.child.stderr, stderr),
    ]);
    this.exited = this.watchExit(drained);
  }

  /** What on stdout never reached a waiter, for the hint of a reply that never came. */
  stdoutDiagnosis(): StdoutDiagnosis {
    const p = this.stdoutLines.pending(IGNORED_LINE_LOG_BYTES);
    return {
      ignored: this.replies.noise,
      stray: this.replies.stray,
      partial: { bytes: p.bytes, head: decoder.decode(p.head) },
    };
  }

  get alive(): boolean {
    return this.exitInfo === null;
  }

  /**
   * Sends a request; the promise settles with the reply, the exit, or a frame fault.
   * `onAnswered` runs synchronously when that answer is read, before later stdout lines are.
   */
  request(
    method: string,
    params?: unknown,
    onAnswered?: () => void,
  ): { id: number; reply: Promise<Reply> } {
    const id = this.nextId++;
    const reply = new Promise<Reply>((resolve) => {
      if (this.exitInfo) {
        onAnswered?.();
        resolve({ kind: "exit", exit: this.exitInfo });
      } else this.replies.wait(id, resolve, onAnswered);
    });
    const msg = params === undefined
      ? { jsonrpc: "2.0", id, method }
      : { jsonrpc: "2.0", id, method, params };
    this.write(msg).then((ok) => {
      if (!ok) this.failWhenExited(id);
    });
    return { id, reply };
  }

  notify(method: string, params: unknown): void {
    this.write({ jsonrpc: "2.0", method, params });
  }

  respond(id: string | number | null, payload: { result: unknown } | { error: unknown }): void {
    this.write({ jsonrpc: "2.0", id, ...payload });
  }

  /** Stops waiting for `id` (timeout); a reply arriving later is logged and dropped. */
  abandon(id: number): void {
    this.replies.abandon(id);
  }

  /** §9.10: close stdin → 2 s → SIGTERM → 2 s → SIGKILL. Never sends a `shutdown` request. */
  stop(): Promise<ExitInfo> {
    if (this.exitInfo) return Promise.resolve(this.exitInfo);
    this.stopRequested = true;
    this.stopping ??= (async () => {
      // after what is already queued (a `_cancel_invoke` of a job the stop cancels); a plugin that
      // stopped reading never lets the queue drain, and the signals below end it anyway
      this.writeChain.finally(() => this.writer.close()).catch(() => {});
      if ((await withTimeout(this.exited, STOP_GRACE_MS)) !== TIMEOUT) return this.exitInfo!;
      this.kill("SIGTERM");
      if ((await withTimeout(this.exited, STOP_GRACE_MS)) !== TIMEOUT) return this.exitInfo!;
      this.kill("SIGKILL");
      return await this.exited;
    })().finally(() => this.reapGroup());
    return this.stopping;
  }

  /** SIGKILL now, for an immediate runtime exit that cannot wait for the graceful stop. */
  killNow() {
    if (this.exitInfo) return;
    this.stopRequested = true;
    this.kill("SIGKILL");
  }

  /** Signals the executa's whole process group (POSIX), else the process itself. */
  private kill(signal: Deno.Signal) {
    try {
      if (IS_WINDOWS) this.child.kill(signal);
      else Deno.kill(-this.pid, signal);
      this.log.debug(`sent ${signal}`, { pid: this.pid });
    } catch {
      try {
        this.child.kill(signal);
      } catch { /* already gone */ }
    }
  }

  /** After a requested stop, nothing the executa started may outlive it (§9.10: no child left). */
  private reapGroup() {
    if (IS_WINDOWS) return;
    try {
      Deno.kill(-this.pid, "SIGKILL");
    } catch { /* the group is already empty */ }
  }

  private write(obj: unknown): Promise<boolean> {
    const bytes = encodeUtf8(JSON.stringify(obj) + "\n");
    const p = this.writeChain.then(() => this.writer.write(bytes)).then(
      () => true,
      (e) => {
        if (!this.stopRequested) this.log.debug("stdin write failed", { error: String(e) });
        return false;
      },
    );
    this.writeChain = p;
    return p;
  }

  /**
   * stdin broke: the request fails like an exit once the process is gone. A process that keeps
   * running without its stdin can never be asked anything again, so after 2 s it is ended (not as
   * a requested stop): the pool then sees an unexpected exit, marks it crashed and respawns it on
   * next use (§9.5, §9.9).
   */
  private async failWhenExited(id: number) {
    let r = await withTimeout(this.exited, STOP_GRACE_MS);
    if (r === TIMEOUT && !this.stopRequested) {
      this.endDeaf ??= (async () => {
        this.log.warn("executa stdin is closed but the process runs on; ending it");
        this.kill("SIGTERM");
        if ((await withTimeout(this.exited, STOP_GRACE_MS)) === TIMEOUT) this.kill("SIGKILL");
      })();
      await this.endDeaf;
      r = await withTimeout(this.exited, STOP_GRACE_MS);
    }
    const resolve = this.replies.take(id);
    if (!resolve) return;
    resolve({
      kind: "exit",
      exit: r === TIMEOUT ? { code: null, signal: null, at: Date.now() } : r,
    });
  }

  private async pump(stream: ReadableStream<Uint8Array>, splitter: LineSplitter) {
    const reader = stream.getReader();
    this.readers.push(reader);
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        splitter.push(value);
      }
      splitter.end();
    } catch (e) {
      this.log.debug("pipe read ended", { error: String(e) });
    }
  }

  private async watchExit(drained: Promise<unknown>): Promise<ExitInfo> {
    const st = await this.child.status;
    // whatever it started goes with it, whether it was stopped or died (§9.10: no child left)
    this.reapGroup();
    // replies and stderr written just before exit must be seen before in-flight calls fail;
    // a grandchild holding the pipes open must not keep us waiting
    if ((await withTimeout(drained, DRAIN_MS)) === TIMEOUT) {
      for (const r of this.readers) r.cancel().catch(() => {});
    }
    const info: ExitInfo = {
      code: st.signal ? null : st.code,
      signal: st.signal ?? null,
      at: Date.now(),
    };
    this.exitInfo = info;
    this.writer.close().catch(() => {});
    try {
      this.hooks.exit(info, this.stopRequested);
    } catch (e) {
      this.log.error("exit hook failed", { error: String(e) });
    }
    for (const resolve of this.replies.takeAll()) resolve({ kind: "exit", exit: info });
    for (const ctx of this.invokes.values()) ctx.abort.abort();
    return info;
  }

  private onStderr(bytes: Uint8Array) {
    this.hooks.stderr(shownLine(decoder.decode(bytes)));
  }
}
