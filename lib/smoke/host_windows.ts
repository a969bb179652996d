/**
 * Windows the host opened while a session was recorded (the dashboard's "open view", i.e.
 * `session.open_view`, CONTRACT §6.4, §13) have no request line, only their `open_view` event
 * with `source:"host"`. Replay opens them again at that point, so the calls recorded from such a
 * window (`req.window_uuid`, §14.7) go to a window of the same view, not to the primary one (where
 * a recorded `window.close` would close the primary and fail every later call).
 */
import type { EventStep } from "./fixtures.ts";
import type { CarryOver } from "./alias.ts";
import type { SmokeContext } from "./context.ts";
import { isPlainObject } from "../util/json.ts";
import { RpcError } from "../core/rpc_error.ts";

/** The host's `open_view` of this event line, done again; an error text when it failed. */
export async function reopenHostWindow(
  ctx: SmokeContext,
  sessionId: string,
  step: EventStep,
  carry: CarryOver,
): Promise<string | null> {
  const p = step.payload;
  if (step.name !== "open_view" || !isPlainObject(p) || p.source !== "host") return null;
  if (typeof p.view !== "string") return null;
  const params: Record<string, unknown> = { session_id: sessionId, view: p.view };
  if (isPlainObject(p.entry_payload)) params.payload = p.entry_payload;
  try {
    const r = await ctx.rt.call("session.open_view", params, "smoke") as Record<string, unknown>;
    if (typeof p.window_uuid === "string") carry.set(p.window_uuid, r.window_uuid);
    return null;
  } catch (e) {
    const why = e instanceof RpcError ? `${e.message} ${JSON.stringify(e.data ?? {})}` : String(e);
    return `the host opened view '${p.view}' here; opening it again failed: ${why}`;
  }
}
