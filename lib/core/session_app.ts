/**
 * The app behind a `session.create` (CONTRACT §4.4.1): either an inline manifest with an explicit
 * slug, or an app directory whose manifest.json and slug are read from disk.
 */
import { dirname, isAbsolute, join, resolve } from "node:path";
import { invalidParams } from "./rpc_error.ts";
import { analyzeManifest, appSlugFor, loadManifest, normalizeSlug } from "../manifest/mod.ts";
import type { Diagnostic, EffectiveManifest } from "../manifest/types.ts";
import type { CreateParams } from "../bridge/session_methods.ts";
import type { Logger } from "../util/log.ts";

export interface SessionApp {
  manifest: EffectiveManifest;
  diagnostics: Diagnostic[];
  slug: string;
  /** Absolute, or null for an inline manifest. */
  appDir: string | null;
  /** The manifest as parsed, for a re-analysis once the app's executas are registered. */
  raw: unknown;
}

/** The app `dev` runs: its manifest as last loaded (valid) and its slug. */
export interface DefaultApp {
  raw: Record<string, unknown>;
  slug: string;
}

/**
 * Loads and checks the app; throws invalid_params naming the field at fault. `fallback`: in
 * `dev`, a create naming no app (e.g. `POST /api/session/create` with no body, as apps' own e2e
 * harnesses send) opens another session of the dev app.
 */
export async function resolveSessionApp(
  a: CreateParams,
  cwd: string,
  logger: Logger,
  fallback?: DefaultApp | null,
): Promise<SessionApp> {
  if (
    fallback && a.manifest === undefined && a.manifest_dict === undefined && a.app_dir === undefined
  ) {
    if (a.app_slug !== undefined && a.app_slug !== fallback.slug) {
      throw invalidParams({
        issues: [{
          path: "app_slug",
          message: `this dev server runs app '${fallback.slug}'; leave 'app_slug' out, ` +
            "or give 'manifest' or 'app_dir' for another app",
        }],
      });
    }
    a = { ...a, manifest: fallback.raw, app_slug: fallback.slug };
  }
  const rawManifest = a.manifest ?? a.manifest_dict;
  if ((rawManifest === undefined) === (a.app_dir === undefined)) {
    throw invalidParams({
      reason: "manifest_or_app_dir",
      issues: [{
        path: "manifest",
        message: "give exactly one of 'manifest' (or 'manifest_dict') and 'app_dir'",
      }],
    });
  }
  let manifest: EffectiveManifest | null;
  let diagnostics: Diagnostic[];
  let slug: string;
  let appDir: string | null = null;
  let raw: unknown = rawManifest;
  if (a.app_dir !== undefined) {
    appDir = isAbsolute(a.app_dir) ? a.app_dir : resolve(cwd, a.app_dir);
    const st = await Deno.stat(appDir).catch(() => null);
    if (!st?.isDirectory) {
      throw invalidParams({
        reason: "app_dir_not_found",
        issues: [{
          path: "app_dir",
          // `app_dir: ".../manifest.json"`: the app is the directory holding it
          message: st?.isFile
            ? `'${appDir}' is a file; app_dir is the app directory: '${dirname(appDir)}'`
            : `'${appDir}' is not a directory`,
        }],
      });
    }
    ({ manifest, diagnostics, raw } = await loadManifest(join(appDir, "manifest.json")));
    const s = await appSlugFor({ explicit: a.app_slug, appDir });
    slug = s.slug;
    for (const w of s.warnings) logger.warn(w);
  } else {
    if (a.app_slug === undefined) {
      throw invalidParams({
        issues: [{
          path: "app_slug",
          message: "required when 'manifest' is given (or pass 'app_dir')",
        }],
      });
    }
    ({ manifest, diagnostics } = analyzeManifest(rawManifest));
    slug = normalizeSlug(a.app_slug);
    if (slug !== a.app_slug) logger.warn(`app slug '${a.app_slug}' normalised to '${slug}'`);
  }
  if (!manifest) throw invalidParams({ reason: "manifest_invalid", diagnostics });
  return { manifest, diagnostics, slug, appDir, raw };
}
