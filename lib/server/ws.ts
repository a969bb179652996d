/**
 * `GET /ws` (CONTRACT §11.6): each text frame is one JSON-RPC envelope or batch handled exactly
 * like a stdio line; responses go out as they finish (out of order). Binary frame → close 1003;
 * an oversized frame gets the `frame_too_large` error and the socket stays open. The server sends
 * no unsolicited frames, and closing the socket does not cancel running calls.
 */
import type { Context, MiddlewareHandler } from "hono";
import { errorBody } from "./guard.ts";
import { upgradeWebSocket } from "hono/deno";
import type { WSContext } from "hono/ws";
import { frameTooLarge } from "../bridge/jsonrpc.ts";
import { utf8Length, withoutBom } from "../util/json.ts";
import { MAX_BODY_BYTES, type ServerContext } from "./context.ts";
import { type Backlog, BacklogBudgets } from "./backlog.ts";

/**
 * What may wait in a socket's send buffer (twice the largest frame a client may send): past it
 * the client is not reading, and the socket is closed with 1008 rather than buffering on.
 */
export const WS_BACKLOG_MAX = 2 * MAX_BODY_BYTES;

/**
 * What all `/ws` sockets of one server may hold unsent together: each stalled client stays under
 * WS_BACKLOG_MAX, but N of them held N × 32 MiB. Past this budget the sockets with the most unsent
 * are closed with 1008 until the rest fit, as at their own cap (SSE streams have their own, sse.ts).
 */
export const WS_BACKLOG_TOTAL_MAX = 128 * 1024 * 1024;

/** A socket's share of its server's budget: `queued` is its send buffer as last read. */
interface SocketBacklog extends Backlog {
  /** Reads the send buffer again (a call into the runtime), moving the total with it. */
  read(): void;
}
const budgets = new BacklogBudgets<SocketBacklog>();

/** What the server's open sockets had unsent at their last readings (0 once none is open). */
export function wsQueuedBytes(ctx: ServerContext): number {
  return budgets.total(ctx);
}

/**
 * Reading a socket's `bufferedAmount` is a call into the runtime: it is read again only once this
 * many bytes have been sent since the last reading (so the cap may be passed by that much).
 */
const BACKLOG_CHECK_BYTES = 16_384;

export function wsHandler(ctx: ServerContext): MiddlewareHandler {
  const upgrade = wsUpgrade(ctx);
  return async (c, next) => {
    // Deno refuses an upgrade with a missing or bad Sec-WebSocket-Key or -Version by throwing:
    // that is the client's mistake (400), not a fault of ours (500 with a stack in the log)
    if (c.req.header("upgrade")?.toLowerCase() === "websocket") {
      try {
        return await upgrade(c, next);
      } catch (e) {
        if (!(e instanceof TypeError)) throw e;
        return errorBody(c, 400, "bad_request", `invalid WebSocket upgrade: ${e.message}`);
      }
    }
    return await upgrade(c, next);
  };
}

function wsUpgrade(ctx: ServerContext) {
  const all = budgets.of(ctx);
  return upgradeWebSocket((_c: Context) => {
    let closer: (() => void) | null = null;
    let me: SocketBacklog | null = null; // from onOpen to onClose (or a 1008 close)
    let unchecked = 0; // UTF-16 units sent since the backlog was last read
    // per response: one comparison and one addition; the send buffer is read only every
    // BACKLOG_CHECK_BYTES, and the other sockets only when the server is over its budget
    const sendIfOpen = (ws: WSContext, text: string) => {
      if (ws.readyState !== 1) return;
      unchecked += text.length;
      if (unchecked >= BACKLOG_CHECK_BYTES && backlogFull(text)) return;
      try {
        ws.send(text);
      } catch { /* socket went away between the check and the send */ }
    };
    // a client that stops reading would otherwise make the runtime hold every response
    const backlogFull = (text: string): boolean => {
      unchecked = 0;
      if (!me) return false;
      me.read();
      if (me.queued + text.length > (ctx.wsBacklogMax ?? WS_BACKLOG_MAX)) {
        me.drop("WebSocket client is not reading its responses; closing it");
        return true;
      }
      if (all.total > (ctx.wsBacklogTotalMax ?? WS_BACKLOG_TOTAL_MAX)) overBudget(ctx);
      return !all.members.has(me);
    };
    return {
      onOpen(_evt, ws) {
        const raw = ws.raw as WebSocket | undefined;
        const mine: SocketBacklog = {
          queued: 0,
          read() {
            const buffered = raw?.bufferedAmount ?? 0;
            all.total += buffered - mine.queued;
            mine.queued = buffered;
          },
          drop(reason) {
            ctx.logger.warn(reason, { queued_bytes: mine.queued, total_bytes: all.total });
            all.leave(mine); // what the runtime still holds for it goes with the socket
            try {
              ws.close(1008, "the client is not reading its responses");
            } catch { /* already closing */ }
          },
        };
        me = mine;
        all.join(mine);
        closer = () => {
          try {
            ws.close(1001, "server shutting down");
          } catch { /* already closed */ }
        };
        ctx.closers.add(closer);
      },
      onMessage(evt, ws) {
        const data = evt.data;
        if (typeof data !== "string") {
          ws.close(1003, "binary frames are not supported");
          return;
        }
        const max = ctx.maxBodyBytes ?? MAX_BODY_BYTES;
        // UTF-8 needs at most 3 bytes per UTF-16 unit: only long frames need counting
        const bytes = data.length * 3 <= max ? 0 : utf8Length(data);
        if (bytes > max) {
          ctx.logger.warn("frame too large", { frame_bytes: bytes, max_frame_bytes: max });
          sendIfOpen(ws, JSON.stringify(frameTooLarge(bytes, max)));
          return;
        }
        // a leading BOM is ignored, as stdio (§4.1) and /rpc (a UTF-8 decode) ignore it
        const out = ctx.runtime.handleTextNow(withoutBom(data), "ws");
        if (out instanceof Promise) {
          out.then(
            (text) => {
              if (text !== null) sendIfOpen(ws, text);
            },
            (e) => ctx.logger.error("ws frame handler crashed", { error: String(e) }),
          );
        } else if (out !== null) sendIfOpen(ws, out);
      },
      onClose() {
        if (me) all.leave(me);
        if (closer) ctx.closers.delete(closer);
      },
    };
  });
}

/**
 * Over the shared budget: the counts are re-read first (a socket that drained since its last
 * response still counts what it held then), then the sockets holding the most are closed until
 * the rest fit.
 */
function overBudget(ctx: ServerContext) {
  const all = budgets.of(ctx);
  for (const s of all.members) s.read();
  const totalCap = ctx.wsBacklogTotalMax ?? WS_BACKLOG_TOTAL_MAX;
  for (let s = all.largest(); s && all.total > totalCap; s = all.largest()) {
    s.drop(
      "WebSocket clients not reading hold more than the runtime's budget; the socket with " +
        "the most unsent closed",
    );
  }
}
