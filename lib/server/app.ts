/**
 * The two Hono apps (CONTRACT §11.3 main origin, §11.4 app origin). Both run the request guard
 * first; bundles are never served on the main origin and control routes never on the app origin.
 */
import { type Context, Hono } from "hono";
import {
  bundleCsp,
  CSP_REPORT_MAX_BYTES,
  type CspAttribution,
  dashboardCsp,
  reportClaim,
} from "./csp.ts";
import { errorBody, requestGuard } from "./guard.ts";
import { headLength } from "./head.ts";
import { frameAncestorForms, originForms } from "./hosts.ts";
import type { ServerContext } from "./context.ts";
import { handleApiCall, handleRpc } from "./rpc.ts";
import { logStream, logTypes, safeQuery, sessionEvents } from "./sse.ts";
import type { LogEntry } from "../core/log_bus.ts";
import { wsHandler } from "./ws.ts";
import { rawAfterSegments, rawPathOf, safeSegments, serveBundleFile } from "./static.ts";
import { SIDECAR_NAME, sidecarResponse, toolIdMap } from "./sidecar.ts";
import { misplacedHint } from "./misplaced.ts";
import { forwardedPageNotifier } from "./forwarded.ts";
import { bodyCutShort, decodeUtf8, readLimited } from "./body.ts";
import { sdkResponse } from "../sdk/mod.ts";
import { isOpen } from "../session/session.ts";
import { toJson } from "../util/json.ts";
import { redactJson, redactTokens } from "../util/redact.ts";

const notFound = (c: Context) => errorBody(c, 404, "not_found");

/**
 * A JSON 200 through toJson, which also writes values nested too deep for JSON.stringify; with
 * `redact`, dev tokens anywhere in it redacted (util/redact.ts).
 */
const jsonNoStore = (c: Context, v: unknown, redact = false) =>
  c.body(redact ? redactTokens(toJson(v) ?? "null") : toJson(v) ?? "null", 200, {
    "Content-Type": "application/json; charset=utf-8",
    "Cache-Control": "no-store",
  });

function pageHeaders(c: Context, ctx: ServerContext): Record<string, string> {
  return {
    "Content-Type": "text/html; charset=utf-8",
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
    // these pages hold the control token and its buttons close sessions and invoke executas: no
    // page may frame them. Sec-Fetch-Site stops cross-site framers, not another loopback port
    // (same-site); the CSP of §11.3 is pinned without frame-ancestors, so the older header does it
    "X-Frame-Options": "DENY",
    // every app shares the one app origin (§11.1), so an app that opened this page in a popup
    // could reach its app frames, same-origin to it, and take another app's window and token;
    // a popup opened from another origin gets no handle to this page (nor loads, when sandboxed)
    "Cross-Origin-Opener-Policy": "same-origin",
    "Content-Security-Policy": dashboardCsp(
      originForms(ctx.config, "app"),
      c.req.header("host") ?? "",
    ),
  };
}

const escapeHtml = (s: string) =>
  s.replace(
    /[&<>"']/g,
    (ch) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[ch]!,
  );

function healthz(c: Context, ctx: ServerContext) {
  return c.json({ ok: true, version: ctx.version }, 200, { "Cache-Control": "no-store" });
}

export function createMainApp(ctx: ServerContext): Hono {
  const app = new Hono();
  app.use("*", headLength);
  app.use("*", requestGuard({ role: "main", config: ctx.config }));
  const token = () => ctx.config.controlToken;
  const noteForwarded = forwardedPageNotifier(ctx.config, (m) => ctx.logger.warn(m));

  app.get("/", (c) => {
    noteForwarded(c.req.header("host"));
    return c.body(
      ctx.pages.dashboard({
        controlToken: token(),
        appPort: ctx.config.appPort,
        version: ctx.version,
        liveReload: ctx.liveReload === true,
      }),
      200,
      pageHeaders(c, ctx),
    );
  });
  app.get("/_dash/:name{.+}", (c) => {
    const a = ctx.pages.asset(c.req.param("name"));
    if (!a) return notFound(c);
    return c.body(a.body, 200, {
      "Content-Type": a.contentType,
      "Cache-Control": "no-store",
      "X-Content-Type-Options": "nosniff",
    });
  });
  app.get("/dev/:wid", (c) => {
    const wid = c.req.param("wid");
    const found = ctx.runtime.findWindow(wid);
    if (!found || found.session.closed || !isOpen(found.window)) {
      const h = pageHeaders(c, ctx);
      const body = `<!doctype html><meta charset="utf-8"><title>Window not found</title>` +
        `<h1>Window not found</h1><p>No open window <code>${escapeHtml(wid)}</code>. ` +
        `Open the <a href="/">dashboard</a>.</p>`;
      return c.body(body, 404, h);
    }
    noteForwarded(c.req.header("host"));
    const html = ctx.pages.devPage({
      controlToken: token(),
      appPort: ctx.config.appPort,
      sessionId: found.session.id,
      windowUuid: wid,
      version: ctx.version,
      liveReload: ctx.liveReload === true,
    });
    return c.body(html, 200, pageHeaders(c, ctx));
  });
  app.get("/healthz", (c) => healthz(c, ctx));
  app.post("/rpc", (c) => handleRpc(c, ctx));
  app.get("/ws", wsHandler(ctx));
  app.get("/sessions/:id/events", (c) => sessionEvents(c, ctx));
  app.post("/api/session/create", (c) => handleApiCall(c, ctx, "session.create"));
  app.post("/api/session/call", (c) => handleApiCall(c, ctx, "session.call"));
  app.get("/api/log", (c) => {
    const pick = logFilter(c);
    if (pick instanceof Response) return pick;
    // an app may put its token in args or storage; the log is for reading and pasting
    return jsonNoStore(c, { entries: ctx.runtime.log.entries().filter(pick) }, true);
  });
  app.get("/api/log/stream", (c) => logStream(c, ctx));
  app.get(
    "/api/csp-reports",
    (c) => jsonNoStore(c, { reports: ctx.cspReports.list() }),
  );
  return withFallbacks(app, ctx);
}

/**
 * `GET /api/log?session_id=S&after=N&type=T,U`: a test's own entries, newer than the seq it saw
 * last; `type` as on the stream (logTypes). The contract is silent on filters; without them each
 * poll of a suite running tests in parallel read every worker's entries (up to 2000, whole storage
 * buckets in events) to keep a few.
 */
function logFilter(c: Context): ((e: LogEntry) => boolean) | Response {
  const sid = safeQuery(c, "session_id");
  const after = safeQuery(c, "after");
  if (after !== undefined && !/^\d{1,15}$/.test(after)) {
    return errorBody(
      c,
      400,
      "invalid_params",
      `after: must be a log seq (an integer >= 0, the seq of the last entry seen), got '${
        after.slice(0, 40)
      }'`,
    );
  }
  const n = after === undefined ? 0 : Number(after);
  const types = logTypes(c);
  return (e) =>
    e.seq > n && (sid === undefined || e.session_id === sid) &&
    (types === null || types.has(e.type));
}

/** 404 JSON for unknown routes; a handler fault is logged and answered 500, never rethrown. */
function withFallbacks(app: Hono, ctx: ServerContext): Hono {
  app.notFound(notFound);
  app.onError((e, c) => {
    ctx.logger.error("request failed", {
      path: c.req.path,
      error: (e as Error)?.stack ?? String(e),
    });
    return errorBody(c, 500, "internal_error", "the request failed; see the runtime log");
  });
  return app;
}

export function createAppOriginApp(ctx: ServerContext): Hono {
  const app = new Hono();
  app.use("*", headLength);
  app.use("*", requestGuard({ role: "app", config: ctx.config }));

  app.get("/healthz", (c) => healthz(c, ctx));
  app.get("/anna-apps/:slug/dev", (c) => {
    // an unknown slug is a 404 here too, not a redirect to one (§11.4)
    if (!ctx.runtime.apps.get(c.req.param("slug"))) return notFound(c);
    const url = c.req.url;
    const q = url.indexOf("?");
    const path = rawPathOf(url);
    return c.body(null, 301, {
      Location: path + "/" + (q >= 0 ? url.slice(q) : ""),
      "Cache-Control": "no-store",
      "X-Content-Type-Options": "nosniff",
    });
  });
  app.all("/anna-apps/:slug/dev/*", async (c) => {
    const entry = ctx.runtime.apps.get(c.req.param("slug"));
    if (!entry) return notFound(c);
    const rel = rawAfterSegments(rawPathOf(c.req.url), 3) ?? "";
    // recomputed per request so a reloaded manifest takes effect at once (§11.8); the sidecar is
    // a bundle response too
    const csp = bundleCsp(entry.manifest, frameAncestorForms(ctx.config));
    const segs = safeSegments(rel);
    if (segs && segs[segs.length - 1] === SIDECAR_NAME) {
      if (c.req.method !== "GET" && c.req.method !== "HEAD") {
        return c.body("method not allowed", 405, {
          Allow: "GET, HEAD",
          "Cache-Control": "no-store",
          "X-Content-Type-Options": "nosniff",
          "Content-Security-Policy": csp,
        });
      }
      const map = toolIdMap(entry.manifest, ctx.runtime.executas.entriesFor(entry.slug));
      return sidecarResponse(map, c.req.method, { "Content-Security-Policy": csp });
    }
    return await serveBundleFile(entry.bundleDir, rel, c.req.method, {
      "Content-Security-Policy": csp,
    }, {
      range: c.req.header("range"),
      navigation: ["iframe", "document"].includes(c.req.header("sec-fetch-dest") ?? ""),
    });
  });
  app.get("/static/anna-apps/_sdk/:ver/:file", (c) => {
    const r = sdkResponse(c.req.path, c.req.header("sec-fetch-mode") ?? null);
    if (!r) return notFound(c);
    return c.body(r.body, 200, {
      ...r.headers,
      "Content-Type": r.contentType,
      "X-Content-Type-Options": "nosniff",
    });
  });
  app.post("/_anna/csp-report", async (c) => {
    const body = await readLimited(c.req.raw, CSP_REPORT_MAX_BYTES);
    if (!body.ok && !body.tooLarge) {
      return errorBody(c, 400, "bad_request", bodyCutShort(body.error));
    }
    if (!body.ok) {
      return errorBody(c, 413, "too_large", `CSP report body over ${CSP_REPORT_MAX_BYTES} bytes`);
    }
    const text = decodeUtf8(body.bytes);
    let report: unknown;
    try {
      report = text === null ? undefined : JSON.parse(text);
    } catch { /* handled below */ }
    if (report === undefined) {
      return errorBody(c, 400, "invalid_report", "the CSP report must be JSON");
    }
    // the browser copies the app frame's URL, `?t=<dev token>` and all, into the report
    report = redactJson(report);
    // filed under an app this runtime serves; anything else shares one capped "unknown" bucket,
    // so invented slugs cannot open bucket after bucket. The slug is only claimed (CspAttribution)
    const claim = reportClaim(report, c.req.header("referer"));
    const slug = claim !== null && ctx.runtime.apps.get(claim.slug) ? claim.slug : "unknown";
    const attribution: CspAttribution = {
      claimed_in: claim?.claimed_in ?? null,
      sender: c.req.header("sec-fetch-dest") === "report" ? "browser" : "page",
    };
    ctx.cspReports.add(slug, report, Date.now(), body.bytes.byteLength, attribution);
    ctx.runtime.log.push({ type: "csp", slug, report, ...attribution });
    return c.body(null, 204, { "Cache-Control": "no-store" });
  });
  const warned = new Set<string>();
  app.get("*", async (c) => {
    const hint = await misplacedHint(ctx, rawPathOf(c.req.url), c.req.header("referer"), warned);
    return errorBody(c, 404, "not_found", hint ?? undefined);
  });
  return withFallbacks(app, ctx);
}
