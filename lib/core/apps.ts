/** Apps whose bundles the app origin serves (CONTRACT §11.4): the `dev` app and `app_dir` sessions. */
import { join } from "node:path";
import type { Diagnostic, EffectiveManifest } from "../manifest/types.ts";
import type { Session } from "../session/session.ts";

export interface AppEntry {
  slug: string;
  appDir: string | null;
  bundleDir: string;
  manifest: EffectiveManifest;
  diagnostics: Diagnostic[];
}

export class AppRegistry {
  private apps = new Map<string, AppEntry>();
  /** Slugs served for the runtime's life whatever sessions do (the `dev` app). */
  private kept = new Set<string>();
  get size(): number {
    return this.apps.size;
  }
  keep(slug: string) {
    this.kept.add(slug);
  }
  get(slug: string): AppEntry | undefined {
    return this.apps.get(slug);
  }
  /** Returns the entry it replaced when the same slug came from another directory. */
  set(entry: AppEntry): AppEntry | undefined {
    const prev = this.apps.get(entry.slug);
    this.apps.set(entry.slug, entry);
    return prev && prev.bundleDir !== entry.bundleDir ? prev : undefined;
  }
  isKept(slug: string): boolean {
    return this.kept.has(slug);
  }
  delete(slug: string) {
    this.apps.delete(slug);
  }
  list(): AppEntry[] {
    return [...this.apps.values()];
  }
}

/**
 * The warning for a create that makes `slug` serve `appDir` while it serves another directory
 * (§11.4: the later one takes over). Returned with the create's warnings, not only logged: two
 * copies of one app (parallel e2e workers, a fork beside its template) share a directory-name
 * slug, and the first one's open pages silently began loading the second one's bundle.
 */
export function slugTakeover(apps: AppRegistry, slug: string, appDir: string): Diagnostic | null {
  const prev = apps.get(slug);
  if (!prev || prev.bundleDir === join(appDir, "bundle")) return null;
  return {
    severity: "warning",
    code: "app_slug_taken_over",
    path: "",
    message: `app slug '${slug}' now serves ${appDir} (was ${prev.appDir ?? prev.bundleDir}); ` +
      `open windows of that app load this directory's bundle from now on`,
    hint: "give each app directory its own app_slug in session.create",
  };
}

/**
 * A session with `app_dir` closed (§11.4: the app origin serves apps *of sessions*): its app stays
 * served while another open session of that slug and directory exists; else the newest open
 * session of the slug from another directory takes it over; else the slug is forgotten. A harness
 * creating sessions from fresh copies of an app (a new slug each) otherwise grew the registry by
 * one manifest per session for the life of the process.
 */
export function releaseApp(apps: AppRegistry, closed: Session, open: () => Session[]) {
  const slug = closed.app_slug;
  if (closed.app_dir === null || apps.isKept(slug)) return;
  const entry = apps.get(slug);
  if (!entry || entry.appDir !== closed.app_dir) return;
  const heir = open().findLast((s) => s.app_slug === slug && s.app_dir !== null);
  if (!heir) return void apps.delete(slug);
  if (heir.app_dir === closed.app_dir) return;
  apps.set({
    slug,
    appDir: heir.app_dir,
    bundleDir: join(heir.app_dir!, "bundle"),
    manifest: heir.manifest,
    diagnostics: heir.diagnostics,
  });
}

/** Whether an app still has users: dev's app always, any other while a session of it is open. */
export const appInUse =
  (rt: { apps: AppRegistry; sessions: { list(): Session[] } }) => (slug: string): boolean =>
    rt.apps.isKept(slug) || rt.sessions.list().some((s) => s.app_slug === slug);
