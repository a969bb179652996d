/**
 * What the host did while a session was recorded, done again at the same point of the replay.
 * Such actions have no request line, only the event they caused:
 * - windows the host opened (the dashboard's "open view", i.e. `session.open_view`, CONTRACT §6.4,
 *   §13): an `open_view` event with `source:"host"`. Reopened, so the calls recorded from such a
 *   window (`req.window_uuid`, §14.7) go to a window of the same view, not to the primary one
 *   (where a recorded `window.close` would close the primary and fail every later call);
 * - storage the host replaced (the dashboard's storage panel, i.e. `session.set_runtime_state`,
 *   §4.4.7): a `runtime_state_synced` event line the recorder marks `by_client_id: null` (§7.1: the
 *   host caused it). Replaced again, so the app's later `storage.get` reads what it read in dev.
 */
import type { EventStep } from "./fixtures.ts";
import type { CarryOver } from "./alias.ts";
import type { SmokeContext } from "./context.ts";
import { isPlainObject } from "../util/json.ts";
import { RpcError } from "../core/rpc_error.ts";

const why = (e: unknown) =>
  e instanceof RpcError ? `${e.message} ${JSON.stringify(e.data ?? {})}` : String(e);

/** The host's action behind this event line, done again; an error text when it failed. */
export async function redoHostAction(
  ctx: SmokeContext,
  sessionId: string,
  step: EventStep,
  carry: CarryOver,
): Promise<string | null> {
  const p = step.payload;
  if (!isPlainObject(p)) return null;
  if (step.name === "runtime_state_synced" && step.byHost && isPlainObject(p.runtime_state)) {
    const params = { session_id: sessionId, runtime_state: p.runtime_state };
    try {
      await ctx.rt.call("session.set_runtime_state", params, "smoke");
      return null;
    } catch (e) {
      return `the host replaced the app's storage here; doing it again failed: ${why(e)}`;
    }
  }
  if (step.name !== "open_view" || p.source !== "host") return null;
  if (typeof p.view !== "string") return null;
  const params: Record<string, unknown> = { session_id: sessionId, view: p.view };
  if (isPlainObject(p.entry_payload)) params.payload = p.entry_payload;
  try {
    const r = await ctx.rt.call("session.open_view", params, "smoke") as Record<string, unknown>;
    if (typeof p.window_uuid === "string") carry.set(p.window_uuid, r.window_uuid);
    return null;
  } catch (e) {
    return `the host opened view '${p.view}' here; opening it again failed: ${why(e)}`;
  }
}
