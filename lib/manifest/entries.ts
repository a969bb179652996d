/**
 * `entry_not_found` (CONTRACT §3.7, §2.8): the bundle entry and every distinct view entry, looked
 * up on disk the way the app origin serves them (§11.7: an empty path or a trailing `/` means
 * that directory's `index.html`). Shared by `validate`, the validate step of `smoke`, and `dev`.
 */
import { basename, join } from "node:path";
import { entryFile } from "./diag.ts";
import type { Diagnostic, EffectiveManifest } from "./types.ts";
import { isPlainObject } from "../util/json.ts";
import { onDiskSpelling } from "../util/fs.ts";

/** The bundle-relative file an entry serves. */
export function servedEntryFile(entry: string): string {
  const file = entryFile(entry);
  return file === "" || file.endsWith("/") ? `${file}index.html` : file;
}

/** `bundleDir`: the app's `bundle/` (or `dev --bundle`); messages name it by its last segment. */
export async function entryDiagnostics(
  bundleDir: string,
  m: EffectiveManifest,
  raw: unknown,
): Promise<Diagnostic[]> {
  const out: Diagnostic[] = [];
  const checked = new Set<string>();
  const check = async (entry: string, path: string) => {
    const file = servedEntryFile(entry);
    if (checked.has(file)) return;
    checked.add(file);
    const onDisk = await onDiskSpelling(bundleDir, file);
    if (onDisk === file.split("/").filter((s) => s !== "" && s !== ".").join("/")) return;
    const dirName = basename(bundleDir);
    if (onDisk !== null) {
      // found only because macOS/Windows ignore case: a Linux host answers 404 for it
      out.push({
        severity: "warning",
        code: "entry_not_found",
        path,
        message: `bundle entry ${join(dirName, file)} differs in letter case from the file on ` +
          `disk, ${join(dirName, onDisk)}`,
        hint: `write the entry as ${onDisk}: file names are case-sensitive where apps are served`,
      });
      return;
    }
    out.push({
      severity: "warning",
      code: "entry_not_found",
      path,
      message: `bundle entry ${join(dirName, file)} does not exist (yet)`,
      hint: "build the bundle, or fix the entry path (relative to the bundle directory)",
    });
  };
  await check(m.ui.bundle.entry, "ui.bundle.entry");
  const rawViews = isPlainObject(raw) && isPlainObject(raw.ui) && Array.isArray(raw.ui.views)
    ? raw.ui.views
    : [];
  // the path names the view where the manifest has it (skipped views shift the indices)
  const indexOf = new Map<unknown, number>();
  rawViews.forEach((x, i) => {
    if (isPlainObject(x) && !indexOf.has(x.name)) indexOf.set(x.name, i);
  });
  for (const v of m.ui.views) {
    const i = indexOf.get(v.name);
    await check(v.entry, i === undefined ? "ui.views" : `ui.views[${i}].entry`);
  }
  return out;
}
