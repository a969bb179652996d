/**
 * Server-sent events (CONTRACT §11.5): a session's events with replay after `Last-Event-ID` /
 * `after`, live events, a `: ping` comment every 15 s and `session_closed` at close; and the log
 * stream of §11.11. Never any CORS header. SSE readers never move the drain cursor (§6.5).
 */
import type { Context } from "hono";
import { type SSEStreamingApi, streamSSE } from "hono/streaming";
import type { EventEnvelope } from "../session/events.ts";
import { toJson } from "../util/json.ts";
import type { LogEntry } from "../core/log_bus.ts";
import { type ServerContext, SSE_KEEPALIVE_MS, SSE_RETRY_MS } from "./context.ts";

/** One SSE message in the contract's field order (`id`, `event`, `data`). */
export function sseMessage(event: string, data: unknown, id?: number): string {
  const lines: string[] = [];
  if (id !== undefined) lines.push(`id: ${id}`);
  lines.push(`event: ${event}`);
  // JSON.stringify never emits raw newlines, so one data line is enough
  lines.push(`data: ${toJson(data)}`);
  return lines.join("\n") + "\n\n";
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
 * Runs a stream until `done` resolves or the client goes away: serialised writes, keep-alive
 * pings, and a closer registered for shutdown.
 */
async function runStream(
  stream: SSEStreamingApi,
  ctx: ServerContext,
  setup: (write: (text: string) => void, finish: () => void) => () => void,
) {
  let chain = Promise.resolve();
  let finished = false;
  let finish!: () => void;
  const done = new Promise<void>((r) => (finish = () => {
    finished = true;
    r();
  }));
  const write = (text: string) => {
    if (finished || stream.aborted) return;
    chain = chain.then(() => stream.write(text).then(() => {}));
  };
  stream.onAbort(finish);
  ctx.closers.add(finish);
  const ping = setInterval(() => write(": ping\n\n"), ctx.keepAliveMs ?? SSE_KEEPALIVE_MS);
  let teardown = () => {};
  try {
    write(`retry: ${SSE_RETRY_MS}\n\n`);
    teardown = setup(write, finish);
    await done;
  } finally {
    clearInterval(ping);
    ctx.closers.delete(finish);
    teardown();
    await chain.catch(() => {});
  }
}

/** `GET /sessions/:id/events`. */
export function sessionEvents(c: Context, ctx: ServerContext): Response {
  const s = ctx.runtime.sessions.get(c.req.param("id"));
  if (!s || s.closed) {
    return c.json({ error: { code: "unknown_session" } }, 404, { "Cache-Control": "no-store" });
  }
  const start = startPosition(c);
  return sseResponse(c, (stream) =>
    runStream(stream, ctx, (write, finish) => {
      const send = (e: EventEnvelope) => write(sseMessage("data_model.AnnaAppEvent", e, e.seq));
      // subscribe before replaying so nothing emitted meanwhile is lost; buffered ones are
      // filtered by seq against what the replay already sent
      let replaying = true;
      const buffered: EventEnvelope[] = [];
      const unsub = s.events.subscribe((e) => (replaying ? buffered.push(e) : send(e)));
      // no position (0) = everything retained; only a client resuming after N is told of
      // events evicted before it could read them (§6.5)
      let pos = start > 0 ? start : Math.max(0, s.events.firstRetainedSeq - 1);
      for (;;) {
        const r = s.events.read(pos, 1000);
        if (r.events.length === 0) break;
        for (const e of r.events) send(e);
        pos = r.position;
        if (!r.more && r.events.length < 1000) break;
      }
      for (const e of buffered) if (e.seq > pos) send(e);
      replaying = false;
      const offClose = s.onClose(() => {
        write(sseMessage("session_closed", { session_id: s.id }));
        finish();
      });
      return () => {
        unsub();
        offClose();
      };
    }));
}

/** `GET /api/log/stream`: live log entries; replays retained ones after `Last-Event-ID` / `after`. */
export function logStream(c: Context, ctx: ServerContext): Response {
  const hasStart = c.req.header("last-event-id") !== undefined ||
    safeQuery(c, "after") !== undefined;
  const start = startPosition(c);
  return sseResponse(c, (stream) =>
    runStream(stream, ctx, (write) => {
      const send = (e: LogEntry) => write(sseMessage("log", e, e.seq));
      if (hasStart) { for (const e of ctx.runtime.log.entries()) if (e.seq > start) send(e); }
      return ctx.runtime.log.subscribe(send);
    }));
}
