/**
 * The static check of an app that `validate` (CONTRACT §2.8) and `smoke`'s validate step (§14)
 * both start with: load the manifest, take the executas from `--executa` flags or discovery
 * (§9.2), analyse the manifest again so `bundled:` refs resolve against them, and check the
 * bundle entries (§3.7). One function, so the two commands cannot drift apart; each edge adds
 * its own (`--strict` for validate, the run for smoke).
 */
import { dirname, join } from "node:path";
import { discoveryDiagnostics } from "../executa/bundled_refs.ts";
import { discoverExecutas } from "../executa/discovery.ts";
import { parseExecutaFlags } from "../executa/spec.ts";
import type { ExecutaSpec } from "../executa/types.ts";
import { resolveToolRef, type ToolEntry } from "../manifest/acl.ts";
import { entryDiagnostics } from "../manifest/entries.ts";
import { analyzeManifest, type LoadedManifest, loadManifest } from "../manifest/mod.ts";
import type { Diagnostic, EffectiveManifest } from "../manifest/types.ts";

export interface AppCheckOptions {
  manifestPath: string;
  /** The app directory; null for a manifest checked alone (no discovery, no bundle checks). */
  appDir: string | null;
  /** `--executa` specs, resolved against the app directory (else the manifest's); none = discovery */
  executaFlags?: string[];
  noExecutas?: boolean;
  /** Also list skipped `--executa` flags as `executa_discovery` warnings (validate does). */
  skippedAsDiagnostics?: boolean;
}

export interface AppCheck {
  loaded: LoadedManifest;
  /** The effective manifest with `bundled:` refs resolved; null when it did not load. */
  manifest: EffectiveManifest | null;
  specs: ExecutaSpec[];
  entries: ToolEntry[];
  /** Manifest diagnostics first, then discovery's, then the bundle entries'. */
  diagnostics: Diagnostic[];
  /** `--executa` flags that were skipped, each with why (each edge reports them its own way). */
  skippedFlags: string[];
}

export async function checkApp(o: AppCheckOptions): Promise<AppCheck> {
  const loaded = await loadManifest(o.manifestPath);
  const diagnostics: Diagnostic[] = [];
  const skippedFlags: string[] = [];
  let specs: ExecutaSpec[] = [];
  // a manifest that could not even be read has no executas worth reporting on
  if (loaded.raw !== null || loaded.manifest) {
    if (o.executaFlags?.length) {
      specs = await parseExecutaFlags(
        o.executaFlags,
        o.appDir ?? dirname(o.manifestPath),
        skippedFlags,
      );
      if (o.skippedAsDiagnostics) {
        for (const message of skippedFlags) {
          diagnostics.push({ severity: "warning", code: "executa_discovery", path: "", message });
        }
      }
    } else if (o.appDir !== null && !o.noExecutas) {
      const found = await discoverExecutas(o.appDir);
      specs = found.specs;
      diagnostics.push(...discoveryDiagnostics(found, loaded.manifest, loaded.raw));
    }
  }
  const entries: ToolEntry[] = specs.map((s) => ({
    tool_id: s.tool_id,
    handle: s.handle,
    project_dir: s.project_dir,
  }));
  let manifest = loaded.manifest;
  if (loaded.raw !== null && entries.length > 0) {
    const r = analyzeManifest(loaded.raw, { resolve: (x) => resolveToolRef(x, entries) });
    manifest = r.manifest;
    diagnostics.unshift(...r.diagnostics);
  } else diagnostics.unshift(...loaded.diagnostics);
  if (manifest && o.appDir !== null) {
    diagnostics.push(...await entryDiagnostics(join(o.appDir, "bundle"), manifest, loaded.raw));
  }
  return { loaded, manifest, specs, entries, diagnostics, skippedFlags };
}
