/**
 * App-token verification (CONTRACT §8.3): the signature and expiry checks of lib/token, then the
 * session-level reasons (unknown or closed window, wrong window, wrong app), in the §8.3 order.
 */
import { type DevKey, verifyToken } from "../token/mod.ts";
import type { SessionManager } from "../session/manager.ts";
import { isOpen, type Session, type WindowState } from "../session/session.ts";

export type TokenCheck =
  | { ok: true; session: Session; window: WindowState }
  /** `wid`: the window a validly signed token names (also when it is expired or closed) */
  | { ok: false; reason: string; message: string; wid?: string };

export async function verifyAppToken(
  key: DevKey,
  sessions: SessionManager,
  token: unknown,
  expectedWid?: string,
): Promise<TokenCheck> {
  // §8.3 order: signature/expiry, then the window checks, then wrong_window, then wrong_app
  const r = await verifyToken(key, token);
  if (!r.ok) {
    // expired and not-yet-valid tokens are still signed by us: the window they name is theirs
    const signed = r.claims && (r.reason === "expired" || r.reason === "not_yet_valid");
    return signed
      ? { ok: false, reason: r.reason, message: r.message, wid: r.claims!.wid }
      : { ok: false, reason: r.reason, message: r.message };
  }
  const { wid, app } = r.claims;
  const f = sessions.findWindow(wid);
  if (!f) {
    return {
      ok: false,
      reason: "unknown_window",
      message: `no open session holds window ${wid}`,
      wid,
    };
  }
  if (!isOpen(f.window)) {
    return {
      ok: false,
      reason: "window_closed",
      message: `window ${wid} is ${f.window.status}`,
      wid,
    };
  }
  if (expectedWid !== undefined && expectedWid !== wid) {
    return {
      ok: false,
      reason: "wrong_window",
      message: `token is for window ${wid}, not ${expectedWid}`,
      wid,
    };
  }
  if (f.session.app_slug !== app) {
    return {
      ok: false,
      reason: "wrong_app",
      message: `token is for app '${app}' but window ${wid} belongs to '${f.session.app_slug}'`,
      wid,
    };
  }
  return { ok: true, session: f.session, window: f.window };
}
