/**
 * handle → tool_id map of an app (CONTRACT §11.9): the sidecar serves it, `session.get` shows it.
 * Pure: the app's manifest and the executas applicable to it.
 */
import type { ExecutaEntry } from "../executa/types.ts";
import type { EffectiveManifest } from "./types.ts";
import { resolveToolRef } from "./acl.ts";

/** Resolves a tool ref against the app's executas (§5.3); returns the ref unchanged when unresolved. */
export type ResolveRef = (ref: string, entries: ExecutaEntry[]) => string;

const resolveShared: ResolveRef = (ref, entries) =>
  resolveToolRef(
    ref,
    entries.map((e) => ({
      tool_id: e.spec.tool_id,
      handle: e.spec.handle,
      project_dir: e.spec.project_dir,
    })),
  );

/** Every `bundled:<h>` ref in the manifest (declared executas and `host_api.tools`). */
export function bundledRefs(
  manifest: Pick<EffectiveManifest, "required_executas" | "optional_executas" | "ui"> | null,
): string[] {
  if (!manifest) return [];
  const refs: string[] = [];
  for (const r of [...manifest.required_executas, ...manifest.optional_executas]) {
    refs.push(r.tool_id);
  }
  const tools = manifest.ui.host_api?.tools;
  if (Array.isArray(tools)) {
    for (const t of tools) {
      if (typeof t !== "string") continue;
      refs.push(t.trim().replace(/^(required|optional):/, ""));
    }
  }
  return refs.filter((r) => r.startsWith("bundled:") && r.length > "bundled:".length);
}

/** handle → tool_id, registered executas first, then resolvable manifest refs. */
export function toolIdMap(
  manifest: Pick<EffectiveManifest, "required_executas" | "optional_executas" | "ui"> | null,
  entries: ExecutaEntry[],
  resolve: ResolveRef = resolveShared,
): Record<string, string> {
  const map = new Map<string, string>();
  for (const e of entries) if (e.spec.handle) map.set(e.spec.handle, e.spec.tool_id);
  for (const ref of bundledRefs(manifest)) {
    const handle = ref.slice("bundled:".length);
    const id = resolve(ref, entries);
    if (id !== ref && !map.has(handle)) map.set(handle, id);
  }
  const out: Record<string, string> = {};
  for (const k of [...map.keys()].sort()) out[k] = map.get(k)!;
  return out;
}
