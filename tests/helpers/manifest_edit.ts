/** A minimal valid manifest, edited by a test and analyzed (CONTRACT §3): shared by the §3 tests. */
import assert from "node:assert/strict";
import { analyzeManifest } from "../../lib/manifest/mod.ts";
import type { EffectiveManifest, ManifestResult } from "../../lib/manifest/types.ts";

// deno-lint-ignore no-explicit-any
export type Json = any;

/** The smallest manifest with no diagnostics: one view. */
export const minimal = (): Json => ({
  schema: 2,
  ui: { bundle: {}, views: [{ name: "main", title: "M" }] },
});

/** Each diagnostic as `code@path`. */
export const where = (r: ManifestResult) => r.diagnostics.map((d) => `${d.code}@${d.path}`);

/** `minimal()` after `edit`, analyzed; the edit must leave an effective manifest. */
export function analyzeEdited(
  edit: (m: Json) => void,
): { r: ManifestResult; m: EffectiveManifest } {
  const raw = minimal();
  edit(raw);
  const r = analyzeManifest(raw);
  assert.ok(r.manifest, `no effective manifest: ${JSON.stringify(r.diagnostics)}`);
  return { r, m: r.manifest };
}
