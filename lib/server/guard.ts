/**
 * The request guard (CONTRACT §11.2) as Hono middleware, for both origins. Order: peer address →
 * Host → Sec-Fetch-Site → Origin → control token. Applies to plain HTTP, WebSocket upgrades and
 * SSE alike, and never throws on malformed input (every parse returns null instead).
 */
import type { Context, MiddlewareHandler } from "hono";
import { sha256Bytes } from "../util/hash.ts";
import {
  hostAllowed,
  isLoopbackPeer,
  normalizeOrigin,
  originAllowed,
  type ServerConfig,
} from "./hosts.ts";

export type Role = "main" | "app";

export interface GuardOptions {
  role: Role;
  config: ServerConfig;
}

/** `{error:{code, message}}` with a status; the one shape every guard refusal uses. */
export function errorBody(
  c: Context,
  status: 400 | 401 | 403 | 404 | 405 | 413 | 500 | 503,
  code: string,
  message?: string,
) {
  const error: Record<string, unknown> = { code };
  if (message !== undefined) error.message = message;
  c.header("Cache-Control", "no-store");
  c.header("X-Content-Type-Options", "nosniff");
  return c.json({ error }, status);
}

/** Cut long/odd header values before echoing them in a message. */
function shown(v: string): string {
  return v.length > 200 ? v.slice(0, 200) + "…" : v;
}

/** Main-origin paths that need the control token (§11.2 step 4). */
export function needsControlToken(path: string): boolean {
  return path === "/rpc" || path.startsWith("/rpc/") || path === "/ws" || path.startsWith("/ws/") ||
    path === "/sessions" || path.startsWith("/sessions/") || path === "/api" ||
    path.startsWith("/api/");
}

// the expected token is the same for the whole run: hash it once, not on every request
let expectedMemo: { token: string; hash: Uint8Array } | null = null;

/** Constant-time comparison of two strings: both are hashed first so lengths do not leak. */
export function tokenEquals(given: string, expected: string): boolean {
  if (expectedMemo?.token !== expected) {
    expectedMemo = { token: expected, hash: sha256Bytes(expected) };
  }
  const a = sha256Bytes(given);
  const b = expectedMemo.hash;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a[i] ^ b[i];
  return diff === 0;
}

/** Token from `X-Anna-Control-Token`, `Authorization: Bearer`, or query `ct` (first found). */
export function presentedToken(c: Context): string | null {
  const h = c.req.header("x-anna-control-token");
  if (h) return h.trim();
  const auth = c.req.header("authorization");
  if (auth) {
    const m = /^Bearer[ \t]+(\S+)\s*$/i.exec(auth);
    if (m) return m[1];
  }
  try {
    const q = c.req.query("ct");
    if (q) return q;
  } catch { /* malformed query string: treat as absent */ }
  return null;
}

/** Remote address from Deno.serve's handler info (`c.env`); absent for in-process `app.request()`. */
function peerAddress(c: Context): string | null | undefined {
  const env = c.env as { remoteAddr?: { hostname?: unknown } } | undefined;
  if (!env || typeof env !== "object" || !env.remoteAddr) return undefined;
  const h = env.remoteAddr.hostname;
  return typeof h === "string" ? h : null;
}

/** A 307 to the `localhost` form of a browser's page navigation at `[::1]`, else null. */
function ipv6PageRedirect(c: Context, host: string, port: number): Response | null {
  if (c.req.method !== "GET" && c.req.method !== "HEAD") return null;
  const dest = c.req.header("sec-fetch-dest");
  if (dest !== "document" && dest !== "iframe") return null;
  if (!host.toLowerCase().startsWith("[::1]")) return null;
  let target: string;
  try {
    const u = new URL(c.req.url);
    target = `http://localhost:${port}${u.pathname}${u.search}`;
  } catch {
    return null;
  }
  c.header("Cache-Control", "no-store");
  return c.redirect(target, 307);
}

export function requestGuard(opts: GuardOptions): MiddlewareHandler {
  const { role, config } = opts;
  return async (c, next) => {
    let path: string;
    try {
      path = c.req.path;
    } catch {
      return errorBody(c, 404, "not_found");
    }

    // 0. peer: without --allow-remote only loopback sockets are served (undefined = in-process)
    if (!config.allowRemote) {
      const peer = peerAddress(c);
      if (peer !== undefined && !isLoopbackPeer(peer)) {
        return errorBody(
          c,
          403,
          "forbidden_remote",
          `connections from ${shown(String(peer))} are not allowed without --allow-remote`,
        );
      }
    }

    // 1. Host
    const host = c.req.header("host") ?? "";
    const port = role === "main" ? config.mainPort : config.appPort;
    if (!hostAllowed(config, host, port)) {
      const h = shown(host);
      const message = h === ""
        ? "a Host header is required"
        : `Host '${h}' is not allowed; add --allowed-host ${h}`;
      return errorBody(c, 403, "forbidden_host", message);
    }

    // 2. Sec-Fetch-Site
    const site = c.req.header("sec-fetch-site");
    // repeated headers arrive joined with commas: any cross-site among them refuses
    if (
      site !== undefined && site.split(",").some((s) => s.trim().toLowerCase() === "cross-site")
    ) {
      return errorBody(c, 403, "forbidden_origin", "cross-site requests are not allowed");
    }

    // 3. Origin (when present); browsers may send CSP reports with `Origin: null`
    const rawOrigin = c.req.header("origin");
    const cspReport = role === "app" && c.req.method === "POST" && path === "/_anna/csp-report";
    if (rawOrigin !== undefined && !cspReport) {
      const o = normalizeOrigin(rawOrigin);
      const accepted = o !== null &&
        (originAllowed(config, "main", o) || (role === "app" && originAllowed(config, "app", o)));
      if (!accepted) {
        return errorBody(c, 403, "forbidden_origin", `Origin '${shown(rawOrigin)}' is not allowed`);
      }
    }

    // 4. control token on the main origin's control routes
    if (role === "main" && config.controlToken !== null && needsControlToken(path)) {
      const t = presentedToken(c);
      if (t === null || !tokenEquals(t, config.controlToken)) {
        return errorBody(c, 401, "unauthorized", "missing or invalid control token");
      }
    }

    // a page opened by hand at http://[::1]:… could not frame its app nor be framed: Chromium
    // drops IPv6 literals from CSP source lists. The same listener answers to `localhost`, the
    // name the URLs announce (see `originOf`), so a navigation the guard lets through goes there.
    const moved = ipv6PageRedirect(c, host, port);
    if (moved) return moved;
    await next();
  };
}
