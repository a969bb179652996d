/** Reading `manifest.json` from disk (CONTRACT §3.1, §3.7 file-level errors). */
import { basename, dirname, resolve } from "node:path";
import { analyzeManifest, type AnalyzeOptions } from "./analyze.ts";
import type { ManifestResult } from "./types.ts";
import { utf16Hint, withoutBom } from "../util/json.ts";
import { fileProblem, onDiskSpelling } from "../util/fs.ts";
import { jsonErrorAt, lineColumn, syntaxHint } from "../util/json_syntax.ts";

export type LoadedManifest = ManifestResult & { path: string; raw: unknown };

/** A manifest that could not be read or parsed: one error, nothing else to analyse. */
function unloadable(abs: string, code: string, message: string, hint?: string): LoadedManifest {
  return {
    path: abs,
    raw: null,
    manifest: null,
    diagnostics: [{ severity: "error", code, path: "", message, ...(hint ? { hint } : {}) }],
  };
}

export async function loadManifest(
  path: string,
  opts: AnalyzeOptions = {},
): Promise<LoadedManifest> {
  const abs = resolve(path);
  let text: string;
  let utf8 = true;
  try {
    const bytes = await Deno.readFile(abs);
    text = new TextDecoder().decode(bytes);
    try {
      new TextDecoder("utf-8", { fatal: true }).decode(bytes);
    } catch {
      utf8 = false; // judged after parsing, so a UTF-16 file still gets its own hint
    }
  } catch (e) {
    const why = e instanceof Deno.errors.NotFound ? "file not found" : fileProblem(e);
    const other = await otherSpelling(abs);
    return unloadable(
      abs,
      "manifest_unreadable",
      `cannot read manifest ${abs}: ${why}`,
      other
        ? `rename ${other} to manifest.json (file names are case-sensitive)`
        : "pass an app directory holding manifest.json, or the manifest file itself",
    );
  }
  text = withoutBom(text);
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    const found = jsonErrorAt(text);
    const { line, column } = lineColumn(text, found?.pos ?? text.length);
    const detail = found?.reason ?? (e as Error).message.split("\n")[0];
    return unloadable(
      abs,
      "manifest_not_json",
      `${abs}:${line}:${column}: invalid JSON: ${detail}`,
      utf16Hint(text) || (found ? syntaxHint(text, found.pos) : ""),
    );
  }
  if (!utf8) {
    // §1.3: all JSON is UTF-8; a lossy decode would quietly turn Latin-1 text into U+FFFD
    const { line, column } = lineColumn(text, Math.max(0, text.indexOf("\uFFFD")));
    return unloadable(
      abs,
      "manifest_not_json",
      `${abs}:${line}:${column}: not valid UTF-8`,
      "save manifest.json as UTF-8; it looks like another encoding, e.g. Latin-1",
    );
  }
  const loaded = { ...analyzeManifest(raw, opts), path: abs, raw };
  const other = await otherSpelling(abs);
  if (other) {
    // read through a case-insensitive file system (macOS, Windows); Linux hosts would not find it
    loaded.diagnostics.push({
      severity: "warning",
      code: "manifest_name_case",
      path: "",
      message: `the manifest file is named ${other}, not manifest.json`,
      hint: `rename it to manifest.json: file names are case-sensitive where apps are published`,
    });
  }
  return loaded;
}

/** For a path ending in `manifest.json`: the file's name on disk when it is spelled otherwise. */
async function otherSpelling(abs: string): Promise<string | null> {
  if (basename(abs) !== "manifest.json") return null;
  const onDisk = await onDiskSpelling(dirname(abs), "manifest.json");
  return onDisk !== null && onDisk !== "manifest.json" ? onDisk : null;
}
