/**
 * Discovery's findings as app diagnostics (§9.2 `executa_discovery`), plus one the contract leaves
 * to us: a `bundled:<h>` ref that names no folder discovery saw. Such a ref stays granted (§5.3) and
 * every `tools.invoke` of it answers `not_implemented` — a typo in the handle, or a folder the rules
 * of §9.2 skip, shows up only at run time otherwise.
 */
import type { Diagnostic, EffectiveManifest } from "../manifest/types.ts";
import { isPlainObject } from "../util/json.ts";
import { closest } from "../util/text.ts";
import type { Discovery } from "./discovery.ts";

const BUNDLED = "bundled:";

export function discoveryDiagnostics(
  found: Discovery,
  manifest: EffectiveManifest | null,
  raw: unknown,
): Diagnostic[] {
  const out: Diagnostic[] = found.warnings.map((message) => ({
    severity: "warning",
    code: "executa_discovery",
    path: "",
    message,
  }));
  if (manifest) out.push(...unmatchedBundledRefs(found, manifest, raw));
  return out;
}

/** A ref is matched by a folder's handle or name, a `<h>-…` folder (§5.3 c), or a literal id. */
function unmatchedBundledRefs(
  found: Discovery,
  m: EffectiveManifest,
  raw: unknown,
): Diagnostic[] {
  const handles = [...new Set(found.folders.map((f) => f.handle))];
  const out: Diagnostic[] = [];
  for (const list of ["required_executas", "optional_executas"] as const) {
    for (const ref of m[list]) {
      if (!ref.tool_id.startsWith(BUNDLED)) continue;
      const h = ref.tool_id.slice(BUNDLED.length);
      const matched = found.specs.some((s) => s.handle === h || s.tool_id === ref.tool_id) ||
        found.folders.some((f) => f.handle === h || f.name === h || f.name.startsWith(h + "-"));
      if (matched) continue;
      const near = closest(h, handles);
      out.push({
        severity: "warning",
        code: "executa_discovery",
        path: refPath(raw, list, ref.tool_id),
        message: `${ref.tool_id} names no executa folder of this app; tools.invoke of it answers ` +
          `not_implemented`,
        hint: near !== undefined
          ? `did you mean "${BUNDLED}${near}"?`
          : handles.length
          ? `bundled executas here: ${handles.map((x) => BUNDLED + x).join(", ")}`
          : `add executas/${h}/ with a pyproject.toml, package.json or executa.json`,
      });
    }
  }
  return out;
}

/** Where the ref sits in the manifest as written (invalid items shift the effective list). */
function refPath(raw: unknown, list: string, id: string): string {
  const items = isPlainObject(raw) && Array.isArray(raw[list]) ? raw[list] as unknown[] : [];
  const i = items.findIndex((x) => x === id || (isPlainObject(x) && x.tool_id === id));
  if (i < 0) return list;
  return typeof items[i] === "string" ? `${list}[${i}]` : `${list}[${i}].tool_id`;
}
