/**
 * The dispatcher: every host-API call from every transport runs this pipeline (CONTRACT §5.1):
 * window → in-flight cap → ACL → handler (or mocks, or `not_implemented`) → bookkeeping.
 * It knows nothing about stdio, HTTP or the CLI.
 */
import { DispatchError, notImplemented, type Outcome } from "../core/outcome.ts";
import { aclAllows } from "../manifest/acl.ts";
import type { Session } from "../session/session.ts";
import { isOpen, type WindowState } from "../session/session.ts";
import type { CallContext, DispatchServices, NamespaceHandlers } from "./context.ts";
import { windowHandlers } from "./window.ts";
import { storageHandlers } from "./storage.ts";
import { chatHandlers } from "./chat.ts";
import { llmHandlers } from "./llm.ts";
import { invokeTool, toolEntries, toolsHandlers } from "./tools.ts";
import { invokeAsync, jobsHandlers } from "./jobs.ts";

export type { CallContext, DispatchServices } from "./context.ts";

export const MAX_INFLIGHT_PER_WINDOW = 64;

/** A handler table without a prototype: one indexed read by a fresh name, and no "constructor". */
const table = (...parts: NamespaceHandlers[]) =>
  Object.assign(Object.create(null), ...parts) as Readonly<Partial<NamespaceHandlers>>;

const HANDLERS: Readonly<Record<string, Readonly<Partial<NamespaceHandlers>> | undefined>> = Object
  .assign(Object.create(null), {
    window: table(windowHandlers),
    storage: table(storageHandlers),
    chat: table(chatHandlers),
    llm: table(llmHandlers),
    tools: table(toolsHandlers, jobsHandlers),
  });

/** Namespaces answered `not_implemented` after the ACL (§5.10). */
export const STUB_NAMESPACES = [
  "artifact",
  "fs",
  "prefs",
  "files",
  "image",
  "upload",
  "web",
  "apps",
  "agent",
  "credentials",
  "mobile",
  "video",
  "audio",
];

/** Implemented methods per namespace (for `runtime.info`). */
export const IMPLEMENTED: Record<string, string[]> = {
  window: Object.keys(windowHandlers),
  storage: Object.keys(storageHandlers),
  // invoke and invokeAsync run outside the handler table (their ACL needs the resolved tool_id)
  tools: [...Object.keys(toolsHandlers), "invoke", "invokeAsync", ...Object.keys(jobsHandlers)],
  chat: Object.keys(chatHandlers),
  llm: Object.keys(llmHandlers),
};

export interface CallRecord {
  session_id: string;
  window_uuid: string;
  ns: string;
  method: string;
  args: unknown;
  outcome: "ok" | "denied" | "error";
  error_code?: string;
  result?: unknown;
  error?: unknown;
  ms: number;
}

/** A call as it enters the pipeline, for `Dispatcher.starters`; finished-call observers get it back. */
export interface CallStart {
  session_id: string;
  window_uuid: string;
  ns: string;
  method: string;
  args: unknown;
}

/**
 * Sees a finished call; `start` is the object the starters saw for it (when there were any), `at`
 * the epoch ms the call ended (the clock read the bookkeeping made).
 */
export type CallObserver = (
  rec: CallRecord,
  transport: string,
  start: CallStart | undefined,
  at: number,
) => void;

/** What `Dispatcher.watch` adds: a hook told as a call starts, an observer told as it ends. */
export interface CallWatch {
  start?: (start: CallStart) => void;
  end?: CallObserver;
}

function remove<T>(list: T[], item: T) {
  const i = list.indexOf(item);
  if (i >= 0) list.splice(i, 1);
}

/** One call as it entered the pipeline (for the bookkeeping at its end). */
interface CallHead {
  start?: CallStart;
  session: Session;
  window_uuid: string;
  ns: string;
  method: string;
  args: unknown;
  transport: string;
  /** performance.now() at entry when observers need the duration, else 0. */
  started: number;
}

/** Why a call to this window is refused (§6.3); a crash is not a close the app ever made. */
function endedMessage(wid: string, w: WindowState | undefined): string {
  if (!w) return `unknown window ${wid}`;
  if (w.status !== "crashed") return `window ${wid} is closed`;
  return `window ${wid} crashed (window.report_error with fatal:true) and takes no more calls; ` +
    `open its view again`;
}

export class Dispatcher {
  /** Observers of every finished call (log bus, record mode). */
  readonly observers: CallObserver[] = [];
  /** Hooks told of every call as it starts, before it can fail (record mode writes its `req`). */
  readonly starters: ((start: CallStart) => void)[] = [];

  constructor(readonly services: DispatchServices) {}

  /** Adds a start hook and/or a finished-call observer; returns what removes them again. */
  watch(hooks: CallWatch): () => void {
    const { start, end } = hooks;
    if (start) this.starters.push(start);
    if (end) this.observers.push(end);
    return () => {
      if (start) remove(this.starters, start);
      if (end) remove(this.observers, end);
    };
  }

  /** Runs one host-API call (§5.1). */
  call(
    session: Session,
    window_uuid: string,
    ns: string,
    method: string,
    args: unknown,
    transport = "internal",
  ): Promise<Outcome> {
    return Promise.resolve(this.callNow(session, window_uuid, ns, method, args, transport));
  }

  /**
   * `call` answering synchronously when the handler is synchronous: no extra turn of the event
   * loop on the hot path, and the in-flight cap (§5.1 step 2) only counts calls really pending.
   */
  callNow(
    session: Session,
    window_uuid: string,
    ns: string,
    method: string,
    args: unknown,
    transport = "internal",
  ): Outcome | Promise<Outcome> {
    const started = this.observers.length ? performance.now() : 0;
    const start = this.starters.length
      ? this.announce({ session_id: session.id, window_uuid, ns, method, args })
      : undefined;
    const w = session.windows.get(window_uuid);
    if (!w || !isOpen(w) || w.inflight >= MAX_INFLIGHT_PER_WINDOW) {
      const head: CallHead = { session, window_uuid, ns, method, args, transport, started, start };
      const e = !w || !isOpen(w)
        ? new DispatchError(
          "not_found",
          endedMessage(window_uuid, w),
          { window_uuid },
        )
        : new DispatchError(
          "rate_limited",
          `more than ${MAX_INFLIGHT_PER_WINDOW} unfinished calls on window ${window_uuid}`,
          { max: MAX_INFLIGHT_PER_WINDOW },
        );
      return this.finish(head, e.toOutcome(), Date.now());
    }
    w.inflight++;
    // one object is both the handler's context and the call's record for the bookkeeping
    const call: CallContext & CallHead = {
      session,
      window: w,
      ns,
      method,
      services: this.services,
      window_uuid,
      args,
      transport,
      started,
      start,
    };
    const r = this.run(call, args);
    if (r instanceof Promise) return r.then((o) => this.settle(call, w, o));
    return this.settle(call, w, r);
  }

  private announce(start: CallStart): CallStart {
    for (const fn of this.starters) {
      try {
        fn(start);
      } catch (e) {
        // like observers: a broken hook never changes the call
        this.services.logger.error("call start hook failed", { error: String(e) });
      }
    }
    return start;
  }

  /** Bookkeeping after the handler (§5.1 step 6), for a call that passed the in-flight cap. */
  private settle(head: CallHead, w: WindowState, o: Outcome): Outcome {
    w.inflight--;
    const now = Date.now();
    w.last_seen_at = now;
    return this.finish(head, o, now);
  }

  /** A tool refused by the per-tool ACL is named: "tools.invoke denied" alone does not say which. */
  private logDenied(head: CallHead, outcome: Outcome) {
    const { ns, method } = head;
    const details = outcome.ok ? undefined : outcome.error.details;
    const tool_id = details?.tool_id;
    this.services.logger.info(
      "call denied",
      typeof tool_id === "string"
        ? { ns, method, tool_id, session_id: head.session.id }
        : { ns, method, session_id: head.session.id },
    );
  }

  private finish(head: CallHead, outcome: Outcome, now: number): Outcome {
    const { session, ns, method } = head;
    session.touch(now);
    const denied = !outcome.ok && outcome.error.code === "permission_denied";
    if (denied) this.logDenied(head, outcome);
    if (this.observers.length) {
      const rec: CallRecord = {
        session_id: session.id,
        window_uuid: head.window_uuid,
        ns,
        method,
        args: head.args,
        outcome: outcome.ok ? "ok" : denied ? "denied" : "error",
        ms: Math.round((performance.now() - head.started) * 1000) / 1000,
      };
      if (outcome.ok) rec.result = outcome.result;
      else {
        rec.error_code = outcome.error.code;
        rec.error = outcome.error;
      }
      for (const o of this.observers) {
        try {
          o(rec, head.transport, head.start, now);
        } catch (e) {
          // a broken observer (log bus, recorder) never changes or loses the call's answer
          this.services.logger.error("call observer failed", { error: String(e) });
        }
      }
    }
    return outcome;
  }

  /** Steps 3–6 of the pipeline; never throws (sync or async). */
  private run(ctx: CallContext, args: unknown): Outcome | Promise<Outcome> {
    const { ns, method, session } = ctx;
    try {
      if (ns === "tools" && method === "invoke") {
        return invokeTool(ctx, args, () => this.mock(ctx, args)).catch((e) => this.failure(ctx, e));
      }
      if (ns === "tools" && method === "invokeAsync") {
        return { ok: true, result: invokeAsync(ctx, args, (m) => this.mock(ctx, args, m)) };
      }
      if (ns !== "window" && !(ns === "tools" && method === "list")) {
        if (!aclAllows(session.manifest, ns, method, ns === "tools" ? toolEntries(ctx) : [])) {
          return new DispatchError(
            "permission_denied",
            `manifest does not grant '${ns}.${method}'`,
            {
              ns,
              method,
            },
          ).toOutcome();
        }
      }
      const handler = HANDLERS[ns]?.[method];
      if (!handler) return this.mock(ctx, args) ?? notImplemented(ns, method).toOutcome();
      const result = handler(ctx, args);
      if (result instanceof Promise) {
        return result.then((r): Outcome => ({ ok: true, result: r }), (e) => this.failure(ctx, e));
      }
      return { ok: true, result };
    } catch (e) {
      return this.failure(ctx, e);
    }
  }

  private failure(ctx: CallContext, e: unknown): Outcome {
    if (e instanceof DispatchError) return e.toOutcome();
    this.services.logger.error("handler crashed", {
      ns: ctx.ns,
      method: ctx.method,
      error: (e as Error)?.stack ?? String(e),
    });
    return new DispatchError("internal_error", `internal error in ${ctx.ns}.${ctx.method}`, {
      detail: String((e as Error)?.message ?? e),
    }).toOutcome();
  }

  /** §5.9: mocks answer only what would otherwise be `not_implemented`. */
  private mock(ctx: CallContext, args: unknown, method = ctx.method): Outcome | undefined {
    const entry = this.services.llm.lookupMock(ctx.ns, method, args, ctx.session.mocks);
    if (!entry) return undefined;
    if (entry.error) return { ok: false, error: entry.error };
    return { ok: true, result: entry.result };
  }
}
