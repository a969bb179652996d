/**
 * Server-sent events (CONTRACT §11.5): a session's events with replay after `Last-Event-ID` /
 * `after`, live events, a `: ping` comment every 15 s and `session_closed` at close; and the log
 * stream of §11.11. Never any CORS header. SSE readers never move the drain cursor (§6.5).
 */
import type { Context } from "hono";
import { type SSEStreamingApi, streamSSE } from "hono/streaming";
import type { EventEnvelope } from "../session/events.ts";
import { toJson } from "../util/json.ts";
import { redactTokens } from "../util/redact.ts";
import type { LogEntry } from "../core/log_bus.ts";
import { type ServerContext, SSE_KEEPALIVE_MS, SSE_RETRY_MS } from "./context.ts";
import { type Backlog, BacklogBudgets } from "./backlog.ts";

/** One SSE message in the contract's field order (`id`, `event`, `data`). */
export function sseMessage(event: string, data: unknown, id?: number): string {
  const lines: string[] = [];
  if (id !== undefined) lines.push(`id: ${id}`);
  lines.push(`event: ${event}`);
  // JSON.stringify never emits raw newlines, so one data line is enough
  lines.push(`data: ${toJson(data)}`);
  return lines.join("\n") + "\n\n";
}

/**
 * A log entry's SSE message, built once and shared by every log stream: entries are complete and
 * never change once streamed, and N dashboard tabs (or N stalled readers, each holding up to
 * SSE_BACKLOG_MAX) then cost one string per entry, not N.
 */
const logMessages = new WeakMap<LogEntry, string>();
export function logMessage(e: LogEntry): string {
  let text = logMessages.get(e);
  // the log is for reading and pasting: no dev token in it (util/redact.ts)
  if (text === undefined) logMessages.set(e, text = redactTokens(sseMessage("log", e, e.seq)));
  return text;
}

/** Start position: `Last-Event-ID`, else query `after`, else 0; garbage counts as absent. */
export function startPosition(c: Context): number {
  const parse = (
    v: string | undefined,
  ) => (v !== undefined && /^\d{1,15}$/.test(v.trim()) ? Number(v.trim()) : null);
  const h = parse(c.req.header("last-event-id"));
  if (h !== null) return h;
  return parse(safeQuery(c, "after")) ?? 0;
}

/** A query parameter, or undefined (also when the query string is malformed). */
export function safeQuery(c: Context, name: string): string | undefined {
  try {
    return c.req.query(name);
  } catch {
    return undefined;
  }
}

/**
 * `type=reload,manifest`: entries of these types only (absent or empty: every type). `/dev/:wid`
 * pages read the log just to reload; without it each page load fetched the whole log (2000
 * entries, up to 64 MiB of storage buckets) and each page's stream got every bucket written.
 */
export function logTypes(c: Context): Set<string> | null {
  const v = safeQuery(c, "type");
  const types = (v ?? "").split(",").map((t) => t.trim()).filter((t) => t !== "");
  return types.length ? new Set(types) : null;
}

const SSE_HEADERS = {
  "Content-Type": "text/event-stream",
  "Cache-Control": "no-store",
  "X-Accel-Buffering": "no",
};

/** streamSSE plus the contract's headers (it sets `no-cache`; §11.5 wants `no-store`). */
function sseResponse(c: Context, body: (s: SSEStreamingApi) => Promise<void>): Response {
  if (c.req.method === "HEAD") {
    // the headers only: a stream started for HEAD is never read nor aborted, so it would keep
    // its subscriber, ping timer and closer until the session (or the process) ends
    return new Response(null, { status: 200, headers: SSE_HEADERS });
  }
  const res = streamSSE(c, body);
  for (const [k, v] of Object.entries(SSE_HEADERS)) res.headers.set(k, v);
  for (const h of [...res.headers.keys()]) {
    if (h.startsWith("access-control-")) res.headers.delete(h);
  }
  return res;
}

/**
 * What one SSE stream may have queued for a client that is not reading. Replays wait for the
 * client below REPLAY_LOW_WATER, so only live traffic can pile up; past the cap the stream is
 * dropped and the client resumes with Last-Event-ID (§11.5) instead of the runtime holding
 * everything (a stalled reader held over 1 GB).
 */
export const SSE_BACKLOG_MAX = 16 * 1024 * 1024;
const REPLAY_LOW_WATER = 1024 * 1024;

/**
 * What all SSE streams of one server may have queued together: each stalled client stays under
 * SSE_BACKLOG_MAX, but 40 of them (a script opening streams it never reads) held 900 MB. Past
 * this budget the stream with the largest backlog is dropped, as at its own cap.
 */
export const SSE_BACKLOG_TOTAL_MAX = 128 * 1024 * 1024;

const budgets = new BacklogBudgets();

/** What a stream's setup gets: queue a message, end the stream, wait for the client to catch up. */
export interface StreamIo {
  write(text: string): void;
  finish(): void;
  /** Resolves once what is queued is below the replay low-water mark (or the stream ended). */
  drained(): Promise<void>;
  /** True once the stream ended (client gone, dropped, session closed, shutdown). */
  ended(): boolean;
}

/**
 * Runs a stream until `done` resolves or the client goes away: serialised writes, keep-alive
 * pings, a closer registered for shutdown, and a cap on what waits for a client not reading.
 */
async function runStream(
  stream: SSEStreamingApi,
  ctx: ServerContext,
  what: string,
  setup: (io: StreamIo) => () => void,
) {
  const cap = ctx.sseBacklogMax ?? SSE_BACKLOG_MAX;
  const totalCap = ctx.sseBacklogTotalMax ?? SSE_BACKLOG_TOTAL_MAX;
  const lowWater = Math.min(REPLAY_LOW_WATER, cap >> 2);
  const all = budgets.of(ctx);
  let chain = Promise.resolve();
  let finished = false;
  let finish!: () => void;
  const done = new Promise<void>((r) => (finish = () => {
    finished = true;
    r();
  }));
  const me: Backlog = {
    queued: 0,
    drop(reason) {
      ctx.logger.warn(reason, { stream: what, queued_bytes: me.queued, total_bytes: all.total });
      forget();
      stream.abort(); // cancels what is queued; the abort listener finishes the stream
    },
  };
  // a dropped or ended stream no longer counts: its cancelled writes drain on their own
  const forget = () => void all.leave(me);
  all.join(me);
  const write = (text: string) => {
    if (finished || stream.aborted) return;
    me.queued += text.length;
    all.total += text.length;
    if (me.queued > cap) {
      return me.drop("SSE client is not reading; stream dropped (it can resume)");
    }
    if (all.total > totalCap) {
      all.largest()?.drop(
        "SSE clients not reading hold more than the runtime's budget; the stream with " +
          "the largest backlog dropped (it can resume)",
      );
    }
    if (stream.aborted) return;
    chain = chain.then(() => stream.write(text)).then(() => {
      if (!all.members.has(me)) return;
      me.queued -= text.length;
      all.total -= text.length;
    });
  };
  const drained = async () => {
    while (!finished && !stream.aborted && me.queued > lowWater) await chain;
  };
  const ended = () => finished || stream.aborted;
  stream.onAbort(finish);
  ctx.closers.add(finish);
  const ping = setInterval(() => write(": ping\n\n"), ctx.keepAliveMs ?? SSE_KEEPALIVE_MS);
  let teardown = () => {};
  try {
    write(`retry: ${SSE_RETRY_MS}\n\n`);
    teardown = setup({ write, finish, drained, ended });
    await done;
  } finally {
    forget();
    clearInterval(ping);
    ctx.closers.delete(finish);
    teardown();
    if (!stream.aborted) await chain.catch(() => {});
  }
}

/** What the server's SSE streams have queued together now (0 once none is behind). */
export function sseQueuedBytes(ctx: ServerContext): number {
  return budgets.total(ctx);
}

/** `GET /sessions/:id/events`. */
export function sessionEvents(c: Context, ctx: ServerContext): Response {
  const s = ctx.runtime.session(c.req.param("id") ?? "");
  if (!s || s.closed) {
    return c.json({ error: { code: "unknown_session" } }, 404, { "Cache-Control": "no-store" });
  }
  const start = startPosition(c);
  return sseResponse(
    c,
    (stream) =>
      runStream(stream, ctx, "session events", ({ write, finish, drained, ended }) => {
        const send = (e: EventEnvelope) => write(sseMessage("data_model.AnnaAppEvent", e, e.seq));
        const closed = () => {
          write(sseMessage("session_closed", { session_id: s.id }));
          finish();
        };
        // the replay reads the ring until it is caught up, at the client's pace; events emitted
        // meanwhile are in the ring too, so live sending starts only after the last empty read
        let replaying = true;
        let closedMeanwhile = false;
        const unsub = s.events.subscribe((e) => {
          if (!replaying) send(e);
        });
        // no position (0) = everything retained; only a client resuming after N is told of
        // events evicted before it could read them (§6.5)
        let pos = start > 0 ? start : Math.max(0, s.events.firstRetainedSeq - 1);
        const replay = async () => {
          for (;;) {
            const r = s.events.read(pos, 100);
            if (r.events.length === 0) break;
            for (const e of r.events) {
              send(e);
              await drained();
              if (ended()) return;
            }
            pos = r.position;
          }
          replaying = false;
          if (closedMeanwhile) closed();
        };
        replay().catch((e) => {
          ctx.logger.error("SSE replay failed", { error: String(e) });
          finish();
        });
        // a client still catching up gets every event emitted before the close, then the end;
        // cut short, it could not resume: the closed session's stream answers 404
        const offClose = s.onClose(() => {
          if (replaying) closedMeanwhile = true;
          else closed();
        });
        return () => {
          unsub();
          offClose();
        };
      }),
  );
}

/**
 * `GET /api/log/stream`: live log entries; replays retained ones after `Last-Event-ID` / `after`;
 * `session_id` keeps that session's entries only, `type` those of the given types (logTypes).
 */
export function logStream(c: Context, ctx: ServerContext): Response {
  const hasStart = c.req.header("last-event-id") !== undefined ||
    safeQuery(c, "after") !== undefined;
  const start = startPosition(c);
  // as on `/api/log`: one session's entries only (a test among parallel ones)
  const sid = safeQuery(c, "session_id");
  const types = logTypes(c);
  return sseResponse(c, (stream) =>
    runStream(stream, ctx, "log", ({ write, drained, ended }) => {
      const send = (e: LogEntry) => {
        if ((sid === undefined || e.session_id === sid) && (types === null || types.has(e.type))) {
          write(logMessage(e));
        }
      };
      if (!hasStart) return ctx.runtime.log.subscribe(send);
      // the same pacing as session events: retained entries after `start`, then live ones
      let replaying = true;
      let pos = start;
      const unsub = ctx.runtime.log.subscribe((e) => {
        if (!replaying) send(e);
      });
      const replay = async () => {
        for (;;) {
          const batch = ctx.runtime.log.entries().filter((e) => e.seq > pos).slice(0, 200);
          if (batch.length === 0) break;
          for (const e of batch) {
            send(e);
            pos = e.seq;
            await drained();
            if (ended()) return;
          }
        }
        replaying = false;
      };
      replay().catch(() => {});
      return unsub;
    }));
}
