/**
 * HEAD answers the length GET would send. Hono runs the GET handler for a HEAD request and then
 * drops the body, so without this a generated response (the SDK, pages, JSON) reports
 * `Content-Length: 0`. Responses that set their own length (bundle files) and streams are left alone.
 */
import type { MiddlewareHandler } from "hono";

export const headLength: MiddlewareHandler = async (c, next) => {
  await next();
  if (c.req.method !== "HEAD") return;
  const res = c.res;
  if (!res.body || res.headers.has("content-length")) return;
  if ((res.headers.get("content-type") ?? "").startsWith("text/event-stream")) return;
  const bytes = (await res.arrayBuffer()).byteLength;
  const headers = new Headers(res.headers);
  headers.set("Content-Length", String(bytes));
  c.res = new Response(null, { status: res.status, statusText: res.statusText, headers });
};
