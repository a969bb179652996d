/**
 * One executa child process speaking line-delimited JSON-RPC 2.0 on stdio (CONTRACT §9.5, §9.7,
 * §9.10–§9.12): integer request ids, serialised stdin writes, replies matched by id, stderr ring
 * feeding, and the graceful stop sequence. Knows nothing about tools, sessions or crash policy.
 */
import type { Logger } from "../util/log.ts";
import { shownLine } from "../util/text.ts";
import type { AppContext } from "./types.ts";
import { encodeUtf8, isPlainObject } from "../util/json.ts";
import { findTopLevelId, LineSplitter, trimPartialUtf8 } from "./framing.ts";
import { readFileTransport } from "./file_transport.ts";
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
/** Remembered timed-out ids, so a late reply is recognised (bounded). */
const MAX_ABANDONED = 4096;

export class ExecutaProcess {
  readonly pid: number;
  readonly exited: Promise<ExitInfo>;
  exitInfo: ExitInfo | null = null;
  /** Set once the runtime asked it to stop: the exit is then not a crash. */
  stopRequested = false;
  /** Ending a process whose stdin broke (see failWhenExited), started once. */
  private endDeaf: Promise<void> | null = null;
  readonly invokes = new Map<string, InvokeContext>();
  /**
   * Stdout lines ignored as not JSON-RPC (§9.11): how many, and the first one (cut at 1 KiB). A
   * plugin whose replies never arrive often wrote them in another form (a Python dict's repr, a
   * log line in front): smoke names this line when it reports the timeout.
   */
  readonly stdoutNoise = { count: 0, first: "" };
  /** Replies whose id matched no request (not a timed-out one): how many, and the first id. */
  readonly strayReplies = { count: 0, first: null as number | string | null };

  private readonly child: Deno.ChildProcess;
  private readonly writer: WritableStreamDefaultWriter<Uint8Array>;
  private writeChain: Promise<unknown> = Promise.resolve();
  private nextId = 1;
  private readonly pending = new Map<number, (r: Reply) => void>();
  /** Run as soon as a request's answer is read, before its (maybe async) settling. */
  private readonly onAnswered = new Map<number, () => void>();
  private readonly abandoned = new Set<number>();
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
    this.stdoutLines = new LineSplitter(MAX_FRAME_BYTES, {
      line: (b) => this.onLine(b),
      oversize: (head, total) => this.onOversize(head, total),
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
      ignored: this.stdoutNoise,
      stray: this.strayReplies,
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
      } else {
        this.pending.set(id, resolve);
        if (onAnswered) this.onAnswered.set(id, onAnswered);
      }
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
    this.onAnswered.delete(id);
    if (!this.pending.delete(id)) return;
    if (this.abandoned.size >= MAX_ABANDONED) {
      this.abandoned.delete(this.abandoned.values().next().value!);
    }
    this.abandoned.add(id);
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
    const resolve = this.take(id);
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
    const pending = [...this.pending.keys()].map((id) => this.take(id)!);
    for (const resolve of pending) resolve({ kind: "exit", exit: info });
    for (const ctx of this.invokes.values()) ctx.abort.abort();
    return info;
  }

  private onStderr(bytes: Uint8Array) {
    this.hooks.stderr(shownLine(decoder.decode(bytes)));
  }

  /** Logs an ignored line's first 1 KiB (a character cut in two shows as U+FFFD). */
  private ignored(why: string, bytes: Uint8Array) {
    const line = decoder.decode(bytes.subarray(0, IGNORED_LINE_LOG_BYTES));
    if (this.stdoutNoise.count++ === 0) this.stdoutNoise.first = line;
    this.log.debug(`ignored stdout line (${why})`, { line });
  }

  private onLine(bytes: Uint8Array) {
    const text = decoder.decode(bytes);
    if (text.trim() === "") return;
    let msg: unknown;
    try {
      msg = JSON.parse(text);
    } catch {
      return this.ignored("not JSON", bytes);
    }
    if (!isPlainObject(msg)) return this.ignored("not a JSON-RPC message", bytes);
    const id = msg.id;
    const validId = typeof id === "number" || typeof id === "string";
    if (typeof msg.method === "string") {
      // only a missing id makes a notification (§9.8, JSON-RPC 2.0): an explicit null is a
      // request too, answered with id null, or the plugin would wait for its answer forever
      if (id === undefined) this.hooks.notification(msg.method, msg.params);
      else if (validId || id === null) this.hooks.request(id, msg.method, msg.params);
      else this.ignored("invalid request id", bytes);
      return;
    }
    if (!validId || !("result" in msg || "error" in msg || "__file_transport" in msg)) {
      return this.ignored("not a JSON-RPC message", bytes);
    }
    this.deliver(id, msg);
  }

  private deliver(id: number | string, msg: Record<string, unknown>) {
    const resolve = typeof id === "number" ? this.take(id) : undefined;
    if (!resolve) {
      if (typeof id === "number" && this.abandoned.delete(id)) {
        this.log.info("late reply dropped (the call already timed out)", { id });
      } else {
        if (this.strayReplies.count++ === 0) this.strayReplies.first = id;
        this.log.debug("reply with unknown id ignored", { id });
      }
      return;
    }
    if ("__file_transport" in msg) readFileTransport(msg.__file_transport).then(resolve);
    else resolve({ kind: "response", msg });
  }

  /** The waiter of request `id`, removed; its `onAnswered` hook has run. */
  private take(id: number): ((r: Reply) => void) | undefined {
    const resolve = this.pending.get(id);
    if (!resolve) return undefined;
    this.pending.delete(id);
    const hook = this.onAnswered.get(id);
    this.onAnswered.delete(id);
    hook?.();
    return resolve;
  }

  private onOversize(head: Uint8Array, total: number) {
    const id = findTopLevelId(decoder.decode(head));
    const resolve = typeof id === "number" ? this.take(id) : undefined;
    this.log.warn("skipped stdout line over the frame limit", {
      frame_bytes: total,
      max_frame_bytes: MAX_FRAME_BYTES,
      id,
    });
    if (!resolve) return;
    resolve({ kind: "frame_too_large", frame_bytes: total, max_frame_bytes: MAX_FRAME_BYTES });
  }
}
