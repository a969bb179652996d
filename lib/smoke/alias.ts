/**
 * Tool-id aliasing and value carry-over for replay (CONTRACT §14.5).
 *
 * A recorded `tool_id` that is neither declared nor registered here is mapped by `--tool-alias
 * FROM=TO`, else to the resolved id of the single manifest handle `h` (from a `bundled:<h>` ref)
 * that appears as a `-`-delimited part of the id once a leading `tool-` and a trailing
 * `-<8 alphanumerics>` are removed (`tool-acme-notes-summarizer-k3j9x2pq` → `notes-summarizer`).
 */
import { resolveToolRef, type ToolEntry } from "../manifest/acl.ts";
import type { EffectiveManifest } from "../manifest/types.ts";
import { isPlainObject } from "../util/json.ts";

const BUNDLED = "bundled:";

/** Every `bundled:<h>` handle the manifest mentions (executa lists and `host_api.tools`). */
export function manifestHandles(m: EffectiveManifest): string[] {
  const refs: string[] = [
    ...m.required_executas.map((r) => r.tool_id),
    ...m.optional_executas.map((r) => r.tool_id),
  ];
  const tools = m.ui.host_api.tools;
  if (Array.isArray(tools)) { for (const t of tools) if (typeof t === "string") refs.push(t); }
  const out = new Set<string>();
  for (const r of refs) {
    const x = r.trim().replace(/^(required|optional):/, "");
    if (x.startsWith(BUNDLED) && x.length > BUNDLED.length) out.add(x.slice(BUNDLED.length));
  }
  return [...out];
}

/** The handle part of a published tool id, or null when no single manifest handle fits. */
export function handleInToolId(toolId: string, handles: string[]): string | null {
  const core = toolId.replace(/^tool-/, "").replace(/-[A-Za-z0-9]{8}$/, "");
  const padded = `-${core}-`;
  const hits = handles.filter((h) => padded.includes(`-${h}-`));
  return hits.length === 1 ? hits[0] : null;
}

export class ToolAliaser {
  constructor(
    private readonly opts: {
      aliases: Map<string, string>;
      handles: string[];
      /** ids the app declares (resolved) or the pool has registered */
      known: (toolId: string) => boolean;
      /** the same ids, listed for hints */
      ids: () => string[];
      entries: () => ToolEntry[];
    },
  ) {}

  /** The tool part of a top-level `args.tool_id`, without a `tool__method` / `tool.method` tail. */
  private toolOf(args: Record<string, unknown>): string {
    const id = args.tool_id as string;
    if (args.method || this.opts.known(id) || this.opts.aliases.has(id)) return id;
    const sep = id.includes("__") ? "__" : id.includes(".") ? "." : null;
    return sep ? id.slice(0, id.lastIndexOf(sep)) : id;
  }

  /**
   * For a failing case: how to map a recorded `tool_id` that replay sent to no tool of this app
   * (no alias and no manifest handle in it, or an alias to an unknown id); "" when it is known.
   * A recording from another deployment names tools by ids this app does not have, and the
   * `permission_denied` it gets says nothing about `--tool-alias`.
   */
  unmappedHint(args: unknown): string {
    if (!isPlainObject(args) || typeof args.tool_id !== "string") return "";
    const tool = this.toolOf(args);
    const sent = this.map(tool);
    if (this.opts.known(sent)) return "";
    // the app's own `bundled:<h>` ref: the call failed for the tool's reasons, not its name
    if (sent.startsWith(BUNDLED) && this.opts.handles.includes(sent.slice(BUNDLED.length))) {
      return "";
    }
    const ids = this.opts.ids();
    const here = ids.length ? ` (tool ids here: ${ids.join(", ")})` : " (this app has no tools)";
    const alias = this.opts.aliases.get(tool);
    return alias !== undefined
      ? `; --tool-alias maps '${tool}' to '${alias}', which is not a tool of this app${here}`
      : `; tool_id '${tool}' is not a tool of this app and names no manifest handle: map it ` +
        `with --tool-alias ${tool}=<tool_id>${here}`;
  }

  /** The id to replay with (unchanged when known or not mappable). */
  map(toolId: string): string {
    if (this.opts.known(toolId)) return toolId;
    const alias = this.opts.aliases.get(toolId);
    if (alias !== undefined) return alias;
    const h = handleInToolId(toolId, this.opts.handles);
    if (h === null) return toolId;
    // unresolved, `bundled:<h>` stays as it is (§5.3): the id the manifest declares, so the call
    // passes the ACL and can reach the mocks (§5.9) when no executa is registered
    return resolveToolRef(BUNDLED + h, this.opts.entries());
  }

  /** Rewrites a top-level `args.tool_id` (also its `tool__method` / `tool.method` form). */
  rewriteArgs(args: unknown): unknown {
    if (!isPlainObject(args) || typeof args.tool_id !== "string") return args;
    const id = args.tool_id;
    let mapped = this.map(id);
    if (!args.method && !this.opts.known(id) && !this.opts.aliases.has(id)) {
      const sep = id.includes("__") ? "__" : id.includes(".") ? "." : null;
      if (sep) {
        const i = id.lastIndexOf(sep);
        const tool = id.slice(0, i);
        const to = this.map(tool);
        mapped = to === tool ? id : to + sep + id.slice(i + sep.length);
      }
    }
    return mapped === id ? args : { ...args, tool_id: mapped };
  }
}

/** Parses `--tool-alias FROM=TO` values; returns the bad value's message or the map. */
export function parseAliases(values: string[]): Map<string, string> | string {
  const m = new Map<string, string>();
  for (const v of values) {
    const i = v.indexOf("=");
    if (i <= 0 || i === v.length - 1) return `--tool-alias '${v}' must be FROM=TO`;
    m.set(v.slice(0, i), v.slice(i + 1));
  }
  return m;
}

/**
 * Value carry-over: expected volatile strings (ids, uuids, …) that came back different are
 * replaced, as whole strings, in later request args.
 */
export class CarryOver {
  private readonly map = new Map<string, string>();

  set(expected: string, actual: unknown) {
    if (typeof actual === "string" && actual !== expected) this.map.set(expected, actual);
  }

  get size(): number {
    return this.map.size;
  }

  /** Whether a replayed result gave `expected` another value. */
  has(expected: string): boolean {
    return this.map.has(expected);
  }

  /** The replacement for a whole string, or the string itself. */
  value(s: string): string {
    return this.map.get(s) ?? s;
  }

  apply(v: unknown): unknown {
    if (this.map.size === 0) return v;
    if (typeof v === "string") return this.value(v);
    if (Array.isArray(v)) return v.map((x) => this.apply(x));
    if (isPlainObject(v)) {
      const out: Record<string, unknown> = {};
      for (const [k, x] of Object.entries(v)) out[k] = this.apply(x);
      return out;
    }
    return v;
  }
}
