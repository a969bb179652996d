/**
 * `tools.list` / `tools.invoke` (CONTRACT §5.6) with `bundled:` resolution (§5.3); the stage-2 job
 * methods (§5.11) are in `jobs.ts` and reuse the validation, resolution and per-tool ACL here.
 */
import { z } from "zod";
import { DispatchError, type Outcome } from "../core/outcome.ts";
import { aclAllows, grantedTools, resolveToolRef, type ToolEntry } from "../manifest/acl.ts";
import type { CallContext, DispatchServices, NamespaceHandlers } from "./context.ts";
import { parseArgs } from "./validate.ts";
import { mapMockedInvoke } from "../executa/mapping.ts";

/** The executas visible to this session's app, in the shape the ACL module wants. */
export function toolEntries(ctx: Pick<CallContext, "session" | "services">): ToolEntry[] {
  return toolEntriesOf(ctx.services.executas, ctx.session.app_slug);
}

/** The registered executas that apply to an app, as the ACL's tool entries (§5.3). */
export function toolEntriesOf(executas: DispatchServices["executas"], slug: string): ToolEntry[] {
  return executas.entriesFor(slug).map((e) => ({
    tool_id: e.spec.tool_id,
    handle: e.spec.handle,
    project_dir: e.spec.project_dir,
  }));
}

export function grantedToolIds(ctx: Pick<CallContext, "session" | "services">): string[] {
  return grantedTools(ctx.session.manifest, toolEntries(ctx));
}

export const InvokeArgs = z.object({
  tool_id: z.string().min(1).max(200),
  method: z.string().optional(),
  args: z.record(z.string(), z.unknown()).optional(),
  arguments: z.record(z.string(), z.unknown()).optional(),
  // a number (or null = the default); a non-finite one cannot pass either (§5.6 step 7)
  timeoutMs: z.number().nullable().optional(),
});
type InvokeArgsT = z.infer<typeof InvokeArgs>;

/** Steps 1–3 of §5.6: validation, `tool__method` / `tool.method` splitting, resolution. */
export function prepareInvoke(ctx: CallContext, args: unknown) {
  return splitInvoke(ctx, parseArgs(InvokeArgs, args), args);
}

/**
 * Steps 2–3 of §5.6 on validated args `a` (shared with `tools.invokeAsync`); `raw` = the args as
 * sent, whose plugin arguments are passed on unchanged (zod's record parse drops own "__proto__").
 */
export function splitInvoke(ctx: CallContext, a: InvokeArgsT, raw: unknown) {
  let toolId = a.tool_id;
  let method = a.method ?? "";
  if (!method) {
    const sep = toolId.includes("__") ? "__" : toolId.includes(".") ? "." : null;
    if (!sep) {
      throw new DispatchError("invalid_arg", `method is required for tool_id '${toolId}'`, {
        tool_id: toolId,
      });
    }
    const i = toolId.lastIndexOf(sep);
    method = toolId.slice(i + sep.length);
    toolId = toolId.slice(0, i);
  }
  const entries = toolEntries(ctx);
  const resolved = resolveToolRef(toolId, entries);
  return {
    tool_id: resolved,
    method,
    args: a.args !== undefined
      ? { ...(raw as Record<string, unknown>).args as Record<string, unknown> }
      : a.arguments !== undefined
      ? { ...(raw as Record<string, unknown>).arguments as Record<string, unknown> }
      : {},
    timeoutMs: a.timeoutMs,
    entries,
  };
}

/** Step 4 of §5.6: the per-tool ACL of `tools.invoke` / `tools.invokeAsync` (§5.2). */
export function requireToolGrant(
  ctx: CallContext,
  p: { tool_id: string; entries: ToolEntry[] },
  method: "invoke" | "invokeAsync",
) {
  if (!aclAllows(ctx.session.manifest, "tools", method, p.entries, p.tool_id)) {
    throw new DispatchError(
      "permission_denied",
      `manifest does not grant 'tools.${method}' for tool_id '${p.tool_id}'`,
      { ns: "tools", method, tool_id: p.tool_id },
    );
  }
}

export const toolsHandlers: NamespaceHandlers = {
  list(ctx) {
    const tools = grantedToolIds(ctx).map((tool_id) => {
      const e = ctx.services.executas.get(tool_id);
      const d = e?.describe ?? null;
      const methods = Array.isArray(d?.tools)
        ? (d.tools as unknown[]).map((t) =>
          t && typeof t === "object" ? (t as Record<string, unknown>).name : t
        ).filter((n) => typeof n === "string")
        : null;
      return {
        tool_id,
        status: e && e.status !== "failed" ? "available" : "unavailable",
        plugin_name: d ? (typeof d.name === "string" ? d.name : tool_id) : null,
        display_name: d && typeof d.display_name === "string" ? d.display_name : null,
        description: d && typeof d.description === "string" ? d.description : null,
        methods,
      };
    });
    return { tools };
  },
};

/**
 * `tools.invoke` runs outside the generic handler table because its ACL check needs the resolved
 * tool_id (§5.1 step 3 note); the pipeline calls this directly (`tools.invokeAsync`: `jobs.ts`).
 */
export async function invokeTool(
  ctx: CallContext,
  args: unknown,
  lookupMock: () => Outcome | undefined,
): Promise<Outcome> {
  const p = prepareInvoke(ctx, args);
  requireToolGrant(ctx, p, "invoke");
  if (!ctx.services.executas.get(p.tool_id)) {
    const mock = lookupMock();
    if (mock) return mapMockedInvoke(mock);
    throw new DispatchError("not_implemented", "tools.invoke is not available in this runtime", {
      tool_id: p.tool_id,
    });
  }
  return await ctx.services.executas.invoke(p.tool_id, p.method, p.args, {
    timeoutMs: p.timeoutMs,
    app: ctx.services.appContext(ctx.session),
  });
}
