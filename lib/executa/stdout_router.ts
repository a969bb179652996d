/**
 * The reading side of one executa's JSON-RPC channel (CONTRACT §9.7, §9.8, §9.11): each stdout line
 * goes to the request waiting for its reply, or to the hooks as a plugin → host request or
 * notification, or is ignored as noise and counted. Keeps the waiters by integer request id and
 * the ids given up on after a timeout, so a late reply is told apart from a stray one. Writing,
 * framing and the process itself stay in process.ts.
 */
import type { Logger } from "../util/log.ts";
import { isPlainObject } from "../util/json.ts";
import { findTopLevelId } from "./framing.ts";
import { readFileTransport } from "./file_transport.ts";
import type { ProcessHooks, Reply } from "./process.ts";
import { IGNORED_LINE_LOG_BYTES, MAX_FRAME_BYTES } from "./limits.ts";

const decoder = new TextDecoder();
/** Remembered timed-out ids, so a late reply is recognised (bounded). */
const MAX_ABANDONED = 4096;

export type Waiter = (r: Reply) => void;

export class StdoutRouter {
  /**
   * Stdout lines ignored as not JSON-RPC (§9.11): how many, and the first one (cut at 1 KiB). A
   * plugin whose replies never arrive often wrote them in another form (a Python dict's repr, a
   * log line in front): smoke names this line when it reports the timeout.
   */
  readonly noise = { count: 0, first: "" };
  /** Replies whose id matched no request (not a timed-out one): how many, and the first id. */
  readonly stray = { count: 0, first: null as number | string | null };

  private readonly waiting = new Map<number, Waiter>();
  /** Run as soon as a request's answer is read, before its (maybe async) settling. */
  private readonly onAnswered = new Map<number, () => void>();
  private readonly abandoned = new Set<number>();

  constructor(
    private readonly log: Logger,
    private readonly hooks: Pick<ProcessHooks, "request" | "notification">,
  ) {}

  /** Request `id` waits for its answer; `onAnswered` runs the moment that answer is read. */
  wait(id: number, resolve: Waiter, onAnswered?: () => void) {
    this.waiting.set(id, resolve);
    if (onAnswered) this.onAnswered.set(id, onAnswered);
  }

  /** The waiter of request `id`, removed; its `onAnswered` hook has run. */
  take(id: number): Waiter | undefined {
    const resolve = this.waiting.get(id);
    if (!resolve) return undefined;
    this.waiting.delete(id);
    const hook = this.onAnswered.get(id);
    this.onAnswered.delete(id);
    hook?.();
    return resolve;
  }

  /** Every waiter, removed (the process exited); their hooks have run. */
  takeAll(): Waiter[] {
    return [...this.waiting.keys()].map((id) => this.take(id)!);
  }

  /** Stops waiting for `id` (timeout); a reply arriving later is logged and dropped. */
  abandon(id: number): void {
    this.onAnswered.delete(id);
    if (!this.waiting.delete(id)) return;
    if (this.abandoned.size >= MAX_ABANDONED) {
      this.abandoned.delete(this.abandoned.values().next().value!);
    }
    this.abandoned.add(id);
  }

  /** One complete stdout line (without its newline). */
  line(bytes: Uint8Array) {
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

  /** A line over the frame limit, skipped: the request it answers (if its id is seen) fails. */
  oversize(head: Uint8Array, total: number) {
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

  /** Logs an ignored line's first 1 KiB (a character cut in two shows as U+FFFD). */
  private ignored(why: string, bytes: Uint8Array) {
    const line = decoder.decode(bytes.subarray(0, IGNORED_LINE_LOG_BYTES));
    if (this.noise.count++ === 0) this.noise.first = line;
    this.log.debug(`ignored stdout line (${why})`, { line });
  }

  private deliver(id: number | string, msg: Record<string, unknown>) {
    const resolve = typeof id === "number" ? this.take(id) : undefined;
    if (!resolve) {
      if (typeof id === "number" && this.abandoned.delete(id)) {
        this.log.info("late reply dropped (the call already timed out)", { id });
      } else {
        if (this.stray.count++ === 0) this.stray.first = id;
        this.log.debug("reply with unknown id ignored", { id });
      }
      return;
    }
    if ("__file_transport" in msg) readFileTransport(msg.__file_transport).then(resolve);
    else resolve({ kind: "response", msg });
  }
}
