/**
 * `POST /rpc` (CONTRACT §11.3) and the `/api/session/*` routes: thin HTTP edges over the same core
 * calls as stdio. Bridge-level errors on `/api` map to HTTP statuses; `/rpc` answers JSON-RPC as is.
 */
import type { Context } from "hono";
import { RPC, RpcError } from "../core/rpc_error.ts";
import { errorResponse, frameTooLarge } from "../bridge/jsonrpc.ts";
import { isPlainObject, toJson } from "../util/json.ts";
import { bodyCutShort, decodeUtf8, readLimited } from "./body.ts";
import { errorBody } from "./guard.ts";
import { MAX_BODY_BYTES, type ServerContext } from "./context.ts";

const JSON_TYPE = "application/json; charset=utf-8";

function jsonText(c: Context, status: 200 | 400 | 404 | 413 | 500 | 503, text: string) {
  return c.body(text, status, { "Content-Type": JSON_TYPE, "Cache-Control": "no-store" });
}

/** `POST /rpc`: one envelope or batch → 200 with the response text, 204 when only notifications. */
export async function handleRpc(c: Context, ctx: ServerContext) {
  const max = ctx.maxBodyBytes ?? MAX_BODY_BYTES;
  const body = await readLimited(c.req.raw, max);
  if (!body.ok && !body.tooLarge) return errorBody(c, 400, "bad_request", bodyCutShort(body.error));
  if (!body.ok) {
    // without a Content-Length, frame_bytes is what had arrived when reading stopped (§4.1's N
    // for stdio is the whole line, which an endless body does not have)
    ctx.logger.warn("frame too large", {
      frame_bytes: body.bytes,
      max_frame_bytes: max,
      declared: body.declared,
    });
    return jsonText(c, 413, JSON.stringify(frameTooLarge(body.bytes, max)));
  }
  const text = decodeUtf8(body.bytes);
  if (text === null) {
    const err = new RpcError(RPC.PARSE_ERROR, "parse_error", {
      detail: "invalid UTF-8 in request body",
    });
    return jsonText(c, 200, JSON.stringify(errorResponse(null, err)));
  }
  const out = await ctx.runtime.handleText(text, "http");
  if (out === null) return c.body(null, 204, { "Cache-Control": "no-store" });
  return jsonText(c, 200, out);
}

const STATUS_OF: Record<number, 400 | 404 | 500 | 503> = {
  [RPC.PARSE_ERROR]: 400,
  [RPC.INVALID_REQUEST]: 400,
  [RPC.INVALID_PARAMS]: 400,
  [RPC.METHOD_NOT_FOUND]: 404,
  [RPC.UNKNOWN_SESSION]: 404,
  [RPC.SESSION_LIMIT]: 503,
  [RPC.INTERNAL_ERROR]: 500,
};

/**
 * A readable sentence for an RpcError's data: the field issues, else what the reason's data
 * says (the manifest's errors, the views there are, the size against its limit), else the code.
 * The dashboard says the same from `data` (host_link.js); a script reading `/api` gets it here.
 */
function describe(e: RpcError, method?: string): string {
  const d = e.data ?? {};
  const issues = Array.isArray(d.issues) ? d.issues as { path?: string; message?: string }[] : [];
  const said = issues.filter((i) => i?.message).map((i) =>
    i.path ? `${i.path}: ${i.message}` : String(i.message)
  );
  if (said.length) return said.join("; ");
  const errors = Array.isArray(d.diagnostics)
    ? (d.diagnostics as { severity?: string; code?: string; message?: string }[])
      .filter((x) => x?.severity === "error")
    : [];
  if (errors.length) said.push(errors.slice(0, 3).map((x) => `${x.code}: ${x.message}`).join("; "));
  if (typeof d.view === "string" && Array.isArray(d.available)) {
    said.push(`view: no view '${d.view}' (available: ${d.available.join(", ") || "none"})`);
  }
  if (typeof d.size === "number" && typeof d.max === "number") {
    // on /api only session.create has a size limit of its own: its seed
    const field = method === "session.create" ? "seed_storage is " : "";
    said.push(`${field}${d.size} bytes, max ${d.max}`);
  }
  if (said.length) {
    return `${typeof d.reason === "string" ? d.reason : e.message}: ${said.join("; ")}`;
  }
  if (typeof d.reason === "string") return `${e.message}: ${d.reason}`;
  if (e.code === RPC.UNKNOWN_SESSION) return `unknown session ${String(d.session_id)}`;
  if (e.code === RPC.SESSION_LIMIT) {
    // sessions never expire (§6.3): a suite whose failed tests left theirs open must close them
    return `too many open sessions (max ${String(d.max)}); close finished ones with ` +
      `session.close over /rpc or /ws (session.list lists them)`;
  }
  if (typeof d.detail === "string") return d.detail;
  return e.message;
}

function apiError(c: Context, e: RpcError, method?: string) {
  const status = STATUS_OF[e.code] ?? 500;
  const error = { code: e.message, message: describe(e, method), details: e.data ?? {} };
  return jsonText(c, status, JSON.stringify({ error }));
}

/** Reads a JSON object body for `/api/*`; returns the object or an error Response. */
async function jsonBody(
  c: Context,
  ctx: ServerContext,
): Promise<Record<string, unknown> | Response> {
  const max = ctx.maxBodyBytes ?? MAX_BODY_BYTES;
  const body = await readLimited(c.req.raw, max);
  if (!body.ok && !body.tooLarge) return errorBody(c, 400, "bad_request", bodyCutShort(body.error));
  if (!body.ok) {
    return jsonText(
      c,
      413,
      JSON.stringify({
        error: {
          code: "frame_too_large",
          message: body.declared
            ? `request body is ${body.bytes} bytes (max ${max})`
            : `request body is over ${max} bytes (reading stopped at ${body.bytes})`,
          details: { frame_bytes: body.bytes, max_frame_bytes: max },
        },
      }),
    );
  }
  const text = decodeUtf8(body.bytes);
  let v: unknown;
  try {
    v = text === null ? undefined : JSON.parse(text.trim() === "" ? "{}" : text);
  } catch (e) {
    return apiError(
      c,
      new RpcError(RPC.PARSE_ERROR, "parse_error", { detail: (e as Error).message }),
    );
  }
  if (text === null) {
    return apiError(c, new RpcError(RPC.PARSE_ERROR, "parse_error", { detail: "invalid UTF-8" }));
  }
  if (!isPlainObject(v)) {
    return apiError(
      c,
      new RpcError(RPC.INVALID_PARAMS, "invalid_params", {
        issues: [{ path: "", message: "the request body must be a JSON object" }],
      }),
    );
  }
  return v;
}

/** `POST /api/session/create` and `/api/session/call`: one bridge method, errors as HTTP statuses. */
export async function handleApiCall(
  c: Context,
  ctx: ServerContext,
  method: "session.create" | "session.call",
) {
  const params = await jsonBody(c, ctx);
  if (params instanceof Response) return params;
  try {
    const result = await ctx.runtime.call(method, params, "api");
    // toJson: a value nested too deep for JSON.stringify is sent as /rpc sends it (§1.1)
    return jsonText(c, 200, toJson(result) ?? "null");
  } catch (e) {
    if (e instanceof RpcError) return apiError(c, e, method);
    ctx.logger.error("api call crashed", { method, error: (e as Error)?.stack ?? String(e) });
    return apiError(
      c,
      new RpcError(RPC.INTERNAL_ERROR, "internal_error", {
        detail: String((e as Error)?.message ?? e),
      }),
    );
  }
}
