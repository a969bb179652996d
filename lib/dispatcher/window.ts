/** `window.*` handlers (CONTRACT §5.4): always granted. */
import { z } from "zod";
import { DispatchError } from "../core/outcome.ts";
import { scopesFor } from "../manifest/acl.ts";
import { UnknownViewError } from "../manifest/mod.ts";
import { WindowLimitError } from "../session/session.ts";
import type { CallContext, NamespaceHandlers } from "./context.ts";
import { parseArgs } from "./validate.ts";
import { codePointLength } from "../util/text.ts";
import { grantedToolIds } from "./tools.ts";

const HelloArgs = z.object({ client_info: z.record(z.string(), z.unknown()).optional() });
// refine, not min/max: the 1..120 bound applies after trimming (§5.4), and the generic size
// wording ("must have at least 1 character") would tell a caller who sent "   " the wrong thing
const SetTitleArgs = z.object({
  title: z.string().transform((s) => s.trim()).pipe(
    z.string()
      .refine((t) => t.length >= 1, "must not be empty or only whitespace")
      // code points, as the manifest's view title (§3.9): 61 emoji are 61 chars, not 122
      .refine((t) => codePointLength(t) <= 120, "must have at most 120 characters after trimming"),
  ),
});
const ResizeArgs = z.object({ w: z.number().finite(), h: z.number().finite() });
const CloseArgs = z.object({ reason: z.string().optional() });
const OpenViewArgs = z.object({
  view: z.string().min(1),
  payload: z.record(z.string(), z.unknown()).optional(),
});
const ReportErrorArgs = z.object({
  message: z.unknown().refine((v) => v !== undefined, "message is required"),
  stack: z.string().optional(),
  context: z.unknown().optional(),
  fatal: z.boolean().optional(),
});

const clamp = (v: number, lo: number, hi: number) => Math.min(hi, Math.max(lo, v));

export function helloResult(ctx: CallContext) {
  const { session: s, window: w } = ctx;
  return {
    window_uuid: w.window_uuid,
    app_id: s.app_id,
    app_slug: s.app_slug,
    version_id: s.version_id,
    user_id: s.user_id,
    view: w.view,
    view_meta: w.view_meta,
    capabilities: {
      host_api_version: "0.1.0",
      scopes: scopesFor(s.manifest),
      host_api: s.manifest.ui.host_api,
      tools: grantedToolIds(ctx),
    },
    entry_payload: w.entry_payload,
    runtime_state: s.runtime_state,
    geometry: w.geometry,
    is_resume: w.hello_count > 1,
    token_expires_at: w.token_expires_at,
  };
}

export const windowHandlers: NamespaceHandlers = {
  hello(ctx, args) {
    parseArgs(HelloArgs, args);
    ctx.window.hello_count += 1;
    return helloResult(ctx);
  },
  ready(ctx) {
    ctx.window.ready_at = Date.now();
    return { ok: true };
  },
  heartbeat() {
    // last_seen_at is bookkept for every call by the pipeline
    return { ok: true };
  },
  set_title(ctx, args) {
    const { title } = parseArgs(SetTitleArgs, args);
    ctx.window.title = title;
    ctx.session.emit("title_changed", ctx.window.window_uuid, ctx.window.window_uuid, { title });
    return { ok: true };
  },
  resize(ctx, args) {
    const a = parseArgs(ResizeArgs, args);
    const m = ctx.window.view_meta;
    const w = clamp(Math.round(a.w), m.min_size.w, m.max_size.w);
    const h = clamp(Math.round(a.h), m.min_size.h, m.max_size.h);
    ctx.window.geometry = { ...ctx.window.geometry, w, h };
    ctx.session.emit("geometry_changed", ctx.window.window_uuid, ctx.window.window_uuid, {
      geometry: ctx.window.geometry,
    });
    return { ok: true, w, h };
  },
  focus(ctx) {
    ctx.session.focus(ctx.window, ctx.window.window_uuid);
    return { ok: true };
  },
  close(ctx, args) {
    const { reason } = parseArgs(CloseArgs, args);
    const wid = ctx.window.window_uuid;
    ctx.window.status = "closed";
    ctx.session.emit("close_view", wid, wid, { window_uuid: wid, reason: reason ?? "app" });
    ctx.session.setStatus(ctx.window, "closed", wid);
    return { ok: true };
  },
  async open_view(ctx, args) {
    const a = parseArgs(OpenViewArgs, args);
    try {
      // the payload as sent: zod's record parse drops an own "__proto__" key
      const payload = a.payload === undefined
        ? undefined
        : { ...((args as Record<string, unknown>).payload as Record<string, unknown>) };
      const { window, created } = ctx.session.openView(
        a.view,
        payload,
        "app",
        ctx.window.window_uuid,
      );
      if (created) {
        ctx.services.windowCreated(ctx.session, window);
        await ctx.services.mintWindowToken(ctx.session, window);
      }
      return { ok: true, window_uuid: window.window_uuid };
    } catch (e) {
      if (e instanceof UnknownViewError) {
        throw new DispatchError("invalid_arg", `unknown view '${a.view}'`, {
          view: a.view,
          available: e.available,
        });
      }
      if (e instanceof WindowLimitError) {
        throw new DispatchError("quota_exceeded", e.message, { max: 32 });
      }
      throw e;
    }
  },
  report_error(ctx, args) {
    const a = parseArgs(ReportErrorArgs, args);
    const message = typeof a.message === "string" ? a.message : String(
      typeof a.message === "object" ? JSON.stringify(a.message) : a.message,
    );
    ctx.services.logger.warn("app reported an error", {
      session_id: ctx.session.id,
      window_uuid: ctx.window.window_uuid,
      message,
      stack: a.stack,
      fatal: a.fatal ?? false,
    });
    if (a.fatal) ctx.session.setStatus(ctx.window, "crashed", ctx.window.window_uuid);
    return { ok: true };
  },
};
