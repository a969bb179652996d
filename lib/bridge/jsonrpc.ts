/**
 * JSON-RPC 2.0 envelope handling shared by every transport (CONTRACT §4.2–§4.3): requests,
 * notifications, batches (run concurrently, answered in element order), and bridge-level errors.
 */
import { RPC, RpcError } from "../core/rpc_error.ts";
import type { Logger } from "../util/log.ts";
import { toJson } from "../util/json.ts";

/** A bridge method: answers synchronously when it can (no promise hop on the hot path). */
export type MethodCaller = (
  method: string,
  params: Record<string, unknown>,
) => unknown | Promise<unknown>;
/** `JSON.rawJSON` text, serialised verbatim by JSON.stringify (not in Deno's lib typings yet). */
type RawJson = { readonly rawJSON: string };
const RAW = JSON as unknown as {
  rawJSON(text: string): RawJson;
  isRawJSON(v: unknown): v is RawJson;
};
type Id = string | number | null | RawJson;
export type MaybePromise<T> = T | Promise<T>;

export interface Response {
  jsonrpc: "2.0";
  id: Id;
  result?: unknown;
  error?: { code: number; message: string; data?: Record<string, unknown> };
}

export const errorResponse = (id: Id, e: RpcError): Response => ({
  jsonrpc: "2.0",
  id,
  error: e.toJSON(),
});

const isId = (v: unknown): v is Id =>
  v === null || typeof v === "string" || (typeof v === "number" && Number.isFinite(v)) ||
  RAW.isRawJSON(v);

/** A number id a JS number cannot hold exactly: an integer past 2^53, or one that overflows. */
const inexactId = (m: unknown): boolean => {
  const id = typeof m === "object" && m !== null ? (m as { id?: unknown }).id : undefined;
  return typeof id === "number" &&
    (Number.isInteger(id) ? !Number.isSafeInteger(id) : !Number.isFinite(id));
};

/**
 * Clients that draw ids from 64 bits (common in Go and Python) would get a rounded id back and
 * never match the answer (§4.2): such an id is kept as its source text, which the answer then
 * carries byte for byte. Only a frame holding one is parsed a second time.
 */
function keepExactIds(msg: unknown, text: string): unknown {
  if (!(Array.isArray(msg) ? msg.some(inexactId) : inexactId(msg))) return msg;
  const sources = new WeakMap<object, string>();
  const again = JSON.parse(
    text,
    function (this: object, key: string, value: unknown, ctx?: { source?: string }) {
      if (key === "id" && ctx?.source !== undefined) sources.set(this, ctx.source);
      return value;
    } as (key: string, value: unknown) => unknown,
  );
  for (const m of Array.isArray(again) ? again : [again]) {
    const source = inexactId(m) ? sources.get(m) : undefined;
    if (source !== undefined) m.id = RAW.rawJSON(source);
  }
  return again;
}

/** An `invalid_request` answer, logged at warn like every bridge-level error (§4.5). */
function invalidRequest(id: Id, detail: string, log: Logger): Response {
  log.warn("bridge error", {
    id,
    code: "invalid_request",
    rpc_code: RPC.INVALID_REQUEST,
    data: { detail },
  });
  return errorResponse(id, new RpcError(RPC.INVALID_REQUEST, "invalid_request", { detail }));
}

/** One element (request or notification). Returns null when no answer is due. */
function handleOne(call: MethodCaller, msg: unknown, log: Logger): MaybePromise<Response | null> {
  if (typeof msg !== "object" || msg === null || Array.isArray(msg)) {
    return invalidRequest(null, "a JSON-RPC request must be an object", log);
  }
  const m = msg as Record<string, unknown>;
  const hasId = Object.hasOwn(m, "id");
  const id: Id = hasId && isId(m.id) ? m.id : null;
  if (m.jsonrpc !== "2.0" || typeof m.method !== "string" || (hasId && !isId(m.id))) {
    const detail = m.jsonrpc !== "2.0"
      ? 'jsonrpc must be "2.0"'
      : typeof m.method !== "string"
      ? "method must be a string"
      : "id must be a string, a number or null";
    return invalidRequest(id, detail, log);
  }
  const method = m.method;
  const started = log.enabled("debug") ? performance.now() : -1;
  if (
    m.params !== undefined &&
    (typeof m.params !== "object" || m.params === null || Array.isArray(m.params))
  ) {
    return failed(
      { method, id, hasId, started, log },
      new RpcError(RPC.INVALID_PARAMS, "invalid_params", {
        reason: "params_not_object",
        issues: [{ path: "params", message: "params must be an object (named parameters)" }],
      }),
    );
  }
  // no async/await and no closures on the synchronous path: this runs for every call
  let out: unknown;
  try {
    out = call(method, (m.params ?? {}) as Record<string, unknown>);
  } catch (e) {
    return failed({ method, id, hasId, started, log }, e);
  }
  if (out instanceof Promise) {
    const t: Tracked = { method, id, hasId, started, log };
    return out.then((result) => finish(t, { jsonrpc: "2.0", id, result }), (e) => failed(t, e));
  }
  if (started < 0) return hasId ? { jsonrpc: "2.0", id, result: out } : null;
  return finish({ method, id, hasId, started, log }, { jsonrpc: "2.0", id, result: out });
}

/** What answering one request needs to know about it. `started` < 0: no debug timing. */
interface Tracked {
  method: string;
  id: Id;
  hasId: boolean;
  started: number;
  log: Logger;
}

function finish(t: Tracked, res: Response): Response | null {
  if (t.started >= 0) {
    t.log.debug("request", {
      method: t.method,
      id: t.id,
      ms: Math.round((performance.now() - t.started) * 1000) / 1000,
      outcome: res.error ? `error ${res.error.message}` : callOutcome(res.result),
    });
  }
  return t.hasId ? res : null;
}

/**
 * A dispatcher outcome answered as a result (`session.call`, `app.call`, `executas.invoke`) is
 * not "ok" when it failed: `denied` or `error <code>`, as the dashboard's rpc entries say (§11.11).
 */
function callOutcome(result: unknown): string {
  const r = result as { ok?: unknown; error?: { code?: unknown } } | null;
  if (typeof r !== "object" || r === null || r.ok !== false) return "ok";
  const code = r.error?.code;
  return code === "permission_denied" ? "denied" : `error ${String(code)}`;
}

function failed(t: Tracked, e: unknown): Response | null {
  const err = e instanceof RpcError ? e : new RpcError(RPC.INTERNAL_ERROR, "internal_error", {
    detail: String((e as Error)?.message ?? e),
  });
  if (!(e instanceof RpcError)) {
    t.log.error("bridge method crashed", {
      method: t.method,
      error: (e as Error)?.stack ?? String(e),
    });
  } else {
    // at the default level this is all a CI log shows: the id to find the request, data for why
    // `code` is a string in every log line (manifest warnings share the bridge's log): the name
    t.log.warn("bridge error", {
      method: t.method,
      id: t.id,
      code: err.message,
      rpc_code: err.code,
      data: err.data,
    });
  }
  return finish(t, errorResponse(t.id, err));
}

/** A parsed envelope (object or batch) → the response value, or null when nothing is sent. */
export function handleEnvelope(
  call: MethodCaller,
  msg: unknown,
  log: Logger,
): MaybePromise<Response | Response[] | null> {
  if (!Array.isArray(msg)) return handleOne(call, msg, log);
  if (msg.length === 0) return invalidRequest(null, "empty batch", log);
  const collect = (all: (Response | null)[]) => {
    const out = all.filter((r): r is Response => r !== null);
    return out.length ? out : null;
  };
  const parts = msg.map((m) => handleOne(call, m, log));
  return parts.some((p) => p instanceof Promise)
    ? Promise.all(parts).then(collect)
    : collect(parts as (Response | null)[]);
}

/** Raw text of one frame → response text (compact, one line) or null. */
export function handleText(
  call: MethodCaller,
  text: string,
  log: Logger,
): MaybePromise<string | null> {
  let msg: unknown;
  try {
    msg = JSON.parse(text);
  } catch (e) {
    log.warn("parse error", { detail: (e as Error).message });
    return JSON.stringify(errorResponse(
      null,
      new RpcError(RPC.PARSE_ERROR, "parse_error", {
        detail: (e as Error).message,
      }),
    ));
  }
  const res = handleEnvelope(call, keepExactIds(msg, text), log);
  return res instanceof Promise ? res.then((r) => serialise(r, log)) : serialise(res, log);
}

function serialise(r: Response | Response[] | null, log: Logger): string | null {
  if (r === null) return null;
  try {
    return JSON.stringify(r);
  } catch {
    // nested deeper than V8's serializer goes (toJson then manages), over V8's string limit, a
    // cycle: each request still gets an answer, `internal_error` for those that cannot be sent
    // (§4.3)
    return Array.isArray(r)
      ? `[${r.map((x) => serialiseOne(x, log)).join(",")}]`
      : serialiseOne(r, log);
  }
}

function serialiseOne(r: Response, log: Logger): string {
  try {
    return toJson(r)!;
  } catch (e) {
    const detail = `the response could not be serialised: ${(e as Error)?.message ?? e}`;
    log.error("bridge response too large or not JSON", { id: r.id, detail });
    return JSON.stringify(
      errorResponse(r.id, new RpcError(RPC.INTERNAL_ERROR, "internal_error", { detail })),
    );
  }
}

export const frameTooLarge = (frame_bytes: number, max_frame_bytes: number): Response =>
  errorResponse(
    null,
    new RpcError(RPC.INVALID_REQUEST, "frame_too_large", {
      code: "frame_too_large",
      frame_bytes,
      max_frame_bytes,
    }),
  );
