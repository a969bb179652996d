/** Bridge methods on sessions (CONTRACT §4.4.1–§4.4.7), each with its zod schema. */
import type { MethodFn } from "./methods.ts";
import { z } from "zod";
import { invalidParams, RPC, RpcError, unknownSession } from "../core/rpc_error.ts";
import { fail, type Outcome } from "../core/outcome.ts";
import { UnknownViewError } from "../manifest/mod.ts";
import { isOpen, type Session, WindowLimitError } from "../session/session.ts";
import { MAX_SESSIONS } from "../session/manager.ts";
import { byteSize } from "../util/json.ts";
import type { Runtime } from "../core/runtime.ts";
import { parseParams } from "./params.ts";
import { rpcEntry } from "../core/log_bus.ts";
import { withFastGuard } from "../dispatcher/validate.ts";
import { MAX_STATE_BYTES } from "../dispatcher/storage.ts";

const obj = z.record(z.string(), z.unknown());

export const CreateParams = z.object({
  app_slug: z.string().min(1).optional(),
  manifest: obj.optional(),
  manifest_dict: obj.optional(),
  app_dir: z.string().min(1).optional(),
  register_executas: z.boolean().optional(),
  user_id: z.number().int().min(0).optional(),
  view: z.string().min(1).optional(),
  entry_payload: obj.optional(),
  seed_storage: obj.optional(),
  conversation_session_uuid: z.string().min(1).optional(),
});
export type CreateParams = z.infer<typeof CreateParams>;

const SessionRef = z.object({ session_id: z.string() });
const CallParams = withFastGuard(
  z.object({
    session_id: z.string(),
    ns: z.string().min(1).max(64),
    method: z.string().min(1).max(128),
    args: z.unknown().optional(),
    params: z.unknown().optional(),
    window_uuid: z.string().optional(),
  }),
  (p) => {
    const { ns, method, window_uuid } = p;
    return typeof p.session_id === "string" &&
      typeof ns === "string" && ns.length >= 1 && ns.length <= 64 &&
      typeof method === "string" && method.length >= 1 && method.length <= 128 &&
      (window_uuid === undefined || typeof window_uuid === "string");
  },
);
const AppCallParams = z.object({
  token: z.unknown().refine(
    (v) => v !== undefined,
    "token is required: the window's dev token (dev1.…)",
  ),
  ns: z.string().min(1).max(64),
  method: z.string().min(1).max(128),
  args: z.unknown().optional(),
  params: z.unknown().optional(),
});
/** An app's call arrives over `/ws` or `/rpc` from the host page: the log calls that `app`. */
const appTransport = (t: string) => t === "ws" || t === "http" ? "app" : t;

/**
 * A call refused for its token never reaches the dispatcher, yet belongs in the RPC log (§11.11):
 * against the window a validly signed token names, so the dashboard shows it for that session.
 * A heartbeat refused again and again (a crashed window's page) is logged at 1, 2, 4, 8… times.
 */
function logRefusedCall(
  rt: Runtime,
  wid: string | undefined,
  ns: string,
  method: string,
  args: unknown,
  transport: string,
  error: { code: string; message: string; details: Record<string, unknown> },
) {
  if (!rt.log.enabled) return;
  let repeat: number | null = 1;
  if (ns === "window" && method === "heartbeat") {
    repeat = rt.refusedHeartbeats.next(wid, String(error.details.reason));
    if (repeat === null) return;
  }
  const found = wid === undefined ? undefined : rt.sessions.findWindow(wid);
  const entry = rpcEntry({
    session_id: found?.session.id ?? null,
    window_uuid: wid ?? null,
    ns,
    method,
    args,
    outcome: "error",
    error_code: error.code,
    error,
    ms: 0,
  }, transport);
  if (repeat > 1) entry.repeat = repeat;
  rt.log.push(entry);
}

const DrainParams = z.object({
  session_id: z.string(),
  limit: z.number().int().min(1).max(10000).optional(),
});
const RefreshParams = z.object({ session_id: z.string(), window_uuid: z.string().optional() });
const OpenViewParams = z.object({
  session_id: z.string(),
  view: z.string().min(1).optional(),
  payload: obj.optional(),
});
const SetStateParams = z.object({ session_id: z.string(), runtime_state: obj });

/** A validated object param exactly as sent (own keys such as "__proto__" kept). */
function asSent(
  p: Record<string, unknown>,
  key: string,
  parsed: Record<string, unknown> | undefined,
): Record<string, unknown> | undefined {
  return parsed === undefined ? undefined : { ...(p[key] as Record<string, unknown>) };
}

export function requireSession(rt: Runtime, id: string): Session {
  const s = rt.sessions.get(id);
  if (!s) throw unknownSession(id);
  return s;
}

function windowOf(s: Session, wid: string | undefined) {
  const id = wid ?? s.primary_window_uuid;
  const w = s.windows.get(id);
  if (!w || !isOpen(w)) {
    throw invalidParams({ reason: "unknown_window", window_uuid: id });
  }
  return w;
}

/**
 * A `session.call` that named no window went to the primary (§4.4.2); once that has ended, the
 * caller learns that the default was used and which windows it could name instead.
 */
function withPrimaryHint(s: Session, o: Outcome): Outcome {
  if (o.ok || o.error.code !== "not_found") return o;
  const open = [...s.windows.values()].filter(isOpen).map((w) => w.window_uuid);
  const which = open.length > 0
    ? `open: ${open.join(", ")}`
    : "no window is open; session.open_view makes one";
  const message = `${o.error.message}; it is the primary window, which session.call uses when ` +
    `window_uuid is absent: pass window_uuid (${which})`;
  return { ok: false, error: { ...o.error, message } };
}

export function sessionSummary(s: Session) {
  return {
    session_id: s.id,
    app_slug: s.app_slug,
    user_id: s.user_id,
    primary_window_uuid: s.primary_window_uuid,
    open_windows: s.openWindowCount(),
    created_at: s.created_at,
    last_activity_at: s.last_activity_at,
  };
}

type Method = MethodFn;

export const sessionMethods: Record<string, Method> = {
  "session.create": async (rt, p) => {
    // §1.3: with both present the canonical name wins, so the alias is not even checked
    const a = parseParams(
      CreateParams,
      p.manifest !== undefined && p.manifest_dict !== undefined
        ? { ...p, manifest_dict: undefined }
        : p,
    );
    if (rt.sessions.size >= MAX_SESSIONS) {
      throw new RpcError(RPC.SESSION_LIMIT, "session_limit", { max: MAX_SESSIONS });
    }
    // storage and payload objects as sent: zod's record parse drops an own "__proto__" key
    return await rt.createSession({
      ...a,
      seed_storage: asSent(p, "seed_storage", a.seed_storage),
      entry_payload: asSent(p, "entry_payload", a.entry_payload),
    });
  },
  // not async: the hot path; a thrown RpcError is caught by the JSON-RPC layer all the same
  "session.call": (rt, p, transport) => {
    const a = parseParams(CallParams, p);
    const s = requireSession(rt, a.session_id);
    const args = Object.hasOwn(p, "args") ? a.args : a.params;
    const wid = a.window_uuid ?? s.primary_window_uuid;
    const out = rt.dispatcher.callNow(s, wid, a.ns, a.method, args, transport);
    const primary = s.windows.get(wid);
    if (a.window_uuid !== undefined || (primary && isOpen(primary))) return out;
    return Promise.resolve(out).then((o) => withPrimaryHint(s, o));
  },
  "app.call": (rt, p, transport) => {
    const a = parseParams(AppCallParams, p);
    const args = Object.hasOwn(p, "args") ? a.args : a.params;
    // its dispatch waits for the token check and for every request that arrived before it
    return rt.callOrder.queue(rt.verifyAppToken(a.token), (v) => {
      if (!v.ok) {
        const error = { code: "invalid_token", message: v.message, details: { reason: v.reason } };
        logRefusedCall(rt, v.wid, a.ns, a.method, args, appTransport(transport), error);
        return fail(error.code, error.message, error.details);
      }
      return rt.dispatcher.callNow(
        v.session,
        v.window.window_uuid,
        a.ns,
        a.method,
        args,
        appTransport(transport),
      );
    });
  },
  "session.drain_events": (rt, p) => {
    const a = parseParams(DrainParams, p);
    return Promise.resolve(requireSession(rt, a.session_id).events.drain(a.limit ?? 10000));
  },
  "session.close": (rt, p) => {
    const a = parseParams(SessionRef, p);
    requireSession(rt, a.session_id);
    rt.closeSession(a.session_id);
    return Promise.resolve({ closed: true });
  },
  "session.refresh_token": async (rt, p) => {
    const a = parseParams(RefreshParams, p);
    const s = requireSession(rt, a.session_id);
    const w = windowOf(s, a.window_uuid);
    const t = await rt.refreshWindowToken(s, w);
    // closed meanwhile: answered as if the close had come first
    if (!t && s.closed) throw unknownSession(s.id);
    if (!t) throw invalidParams({ reason: "unknown_window", window_uuid: w.window_uuid });
    return { token: t.token, expires_at: t.expires_at, window_uuid: w.window_uuid };
  },
  "session.list": (rt) => Promise.resolve({ sessions: rt.sessions.list().map(sessionSummary) }),
  "session.get": (rt, p) => {
    const a = parseParams(SessionRef, p);
    return Promise.resolve(rt.describeSession(requireSession(rt, a.session_id)));
  },
  "session.open_view": async (rt, p) => {
    const a = parseParams(OpenViewParams, p);
    const s = requireSession(rt, a.session_id);
    try {
      const viewName = a.view ?? rt.defaultViewName(s);
      const payload = asSent(p, "payload", a.payload);
      const { window, created } = s.openView(viewName, payload, "host", null);
      if (created) rt.windowCreated(s, window);
      const t = await rt.mintWindowToken(s, window);
      return { window_uuid: window.window_uuid, created, token: t.token, expires_at: t.expires_at };
    } catch (e) {
      if (e instanceof UnknownViewError) {
        throw invalidParams({ reason: "unknown_view", view: e.view, available: e.available });
      }
      if (e instanceof WindowLimitError) throw invalidParams({ reason: "window_limit", max: 32 });
      throw e;
    }
  },
  "session.set_runtime_state": (rt, p) => {
    const a = parseParams(SetStateParams, p);
    const s = requireSession(rt, a.session_id);
    const state = asSent(p, "runtime_state", a.runtime_state)!;
    const size = byteSize(state);
    if (size > MAX_STATE_BYTES) {
      throw invalidParams({ reason: "state_too_large", size, max: MAX_STATE_BYTES });
    }
    s.setRuntimeState(state, size, null, null);
    return Promise.resolve({ ok: true, size });
  },
};
