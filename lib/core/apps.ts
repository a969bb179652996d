/** Apps whose bundles the app origin serves (CONTRACT §11.4): the `dev` app and `app_dir` sessions. */
import type { Diagnostic, EffectiveManifest } from "../manifest/types.ts";

export interface AppEntry {
  slug: string;
  appDir: string | null;
  bundleDir: string;
  manifest: EffectiveManifest;
  diagnostics: Diagnostic[];
}

export class AppRegistry {
  private apps = new Map<string, AppEntry>();
  get(slug: string): AppEntry | undefined {
    return this.apps.get(slug);
  }
  /** Returns the entry it replaced when the same slug came from another directory. */
  set(entry: AppEntry): AppEntry | undefined {
    const prev = this.apps.get(entry.slug);
    this.apps.set(entry.slug, entry);
    return prev && prev.bundleDir !== entry.bundleDir ? prev : undefined;
  }
  list(): AppEntry[] {
    return [...this.apps.values()];
  }
}
