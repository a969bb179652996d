/**
 * The manifest ACL (CONTRACT §5.2), tool references and `bundled:<handle>` resolution (§5.3) and the
 * capability scopes (§5.4). Pure functions: callers pass the executa entries applicable to the app.
 */
import type { EffectiveManifest } from "./types.ts";
import { isPlainObject } from "../util/json.ts";

export type ToolEntry = { tool_id: string; handle: string; project_dir: string };
export type ToolTag = "required" | "optional";
export type DeclaredTool = { tool_id: string; tag: ToolTag };

const BUNDLED = "bundled:";

function baseName(dir: string): string {
  const parts = dir.replace(/[\\/]+$/, "").split(/[\\/]/);
  return parts[parts.length - 1] ?? "";
}

/** §5.3 resolve(x): (a) handle, (b) literal tool_id, (c) the single `<h>-*` project dir; else `x`. */
export function resolveToolRef(x: string, entries: ToolEntry[]): string {
  if (!x.startsWith(BUNDLED)) return x;
  const h = x.slice(BUNDLED.length);
  const byHandle = entries.find((e) => e.handle === h);
  if (byHandle) return byHandle.tool_id;
  const literal = entries.find((e) => e.tool_id === x);
  if (literal) return literal.tool_id;
  const byDir = entries.filter((e) => baseName(e.project_dir).startsWith(h + "-"));
  return byDir.length === 1 ? byDir[0].tool_id : x;
}

/** Declared ids with their tag, required first, each id once (first occurrence wins). */
export function declaredWith(
  m: Pick<EffectiveManifest, "required_executas" | "optional_executas">,
  resolve: (ref: string) => string,
): DeclaredTool[] {
  const out: DeclaredTool[] = [];
  const seen = new Set<string>();
  const add = (tool_id: string, tag: ToolTag) => {
    if (seen.has(tool_id)) return;
    seen.add(tool_id);
    out.push({ tool_id, tag });
  };
  for (const r of m.required_executas) add(resolve(r.tool_id), "required");
  for (const r of m.optional_executas) add(resolve(r.tool_id), "optional");
  return out;
}

export function declaredTools(m: EffectiveManifest, entries: ToolEntry[]): DeclaredTool[] {
  return declaredWith(m, (x) => resolveToolRef(x, entries));
}

/** The declared ids one `host_api.tools` ref grants (§5.3 table). */
export function refGrants(
  ref: string,
  declared: DeclaredTool[],
  resolve: (ref: string) => string,
): string[] {
  const r = ref.trim();
  if (r === "*") return declared.map((d) => d.tool_id);
  const m = /^(required|optional):(.*)$/s.exec(r);
  if (m && m[2] === "*") return declared.filter((d) => d.tag === m[1]).map((d) => d.tool_id);
  const id = resolve(m ? m[2] : r);
  return declared.some((d) => d.tool_id === id) ? [id] : [];
}

/** Granted tool ids in declaration order, each once. */
export function grantedWith(
  m: Pick<EffectiveManifest, "required_executas" | "optional_executas" | "ui">,
  resolve: (ref: string) => string,
): string[] {
  const declared = declaredWith(m, resolve);
  const refs = m.ui.host_api.tools;
  if (!Array.isArray(refs) || refs.length === 0) return declared.map((d) => d.tool_id);
  const granted = new Set<string>();
  for (const ref of refs) {
    if (typeof ref !== "string") continue;
    for (const id of refGrants(ref, declared, resolve)) granted.add(id);
  }
  return declared.map((d) => d.tool_id).filter((id) => granted.has(id));
}

export function grantedTools(m: EffectiveManifest, entries: ToolEntry[]): string[] {
  return grantedWith(m, (x) => resolveToolRef(x, entries));
}

function agentSession(m: EffectiveManifest): { auto: boolean; fixed: boolean } {
  const agent = m.ui.host_api.agent;
  const session = isPlainObject(agent) ? agent.session : undefined;
  if (!isPlainObject(session)) return { auto: false, fixed: false };
  // an object (e.g. {client_ids:[]}) counts as truthy, as in the contract
  return { auto: Boolean(session.auto), fixed: Boolean(session.fixed) };
}

/** §5.2. For `tools.invoke`/`tools.invokeAsync` pass the resolved `toolId`. */
export function aclAllows(
  m: EffectiveManifest,
  ns: string,
  method: string,
  entries: ToolEntry[],
  toolId?: string,
): boolean {
  if (ns === "window") return true;
  if (ns === "tools") {
    if (method === "list") return true;
    const granted = grantedTools(m, entries);
    if (method === "invoke" || method === "invokeAsync") {
      return toolId !== undefined && granted.includes(toolId);
    }
    return granted.length > 0;
  }
  if (ns === "agent") {
    const s = agentSession(m);
    return s.auto || s.fixed;
  }
  if (!Object.hasOwn(m.ui.host_api, ns)) return false;
  const v = m.ui.host_api[ns];
  return Array.isArray(v) && (v.includes("*") || v.includes(method));
}

/** §5.4 `scopes`: array-valued host_api keys in manifest order, agent session grants, `window.*`. */
export function scopesFor(m: EffectiveManifest): string[] {
  const out: string[] = [];
  const add = (s: string) => {
    if (!out.includes(s)) out.push(s);
  };
  for (const [ns, v] of Object.entries(m.ui.host_api)) {
    if (!Array.isArray(v)) continue;
    for (const item of v) if (typeof item === "string") add(`${ns}.${item}`);
  }
  const s = agentSession(m);
  if (s.auto) add("agent.session.auto");
  if (s.fixed) add("agent.session.fixed");
  add("window.*");
  return out;
}
