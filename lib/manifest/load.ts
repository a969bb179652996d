/** Reading `manifest.json` from disk (CONTRACT §3.1, §3.7 file-level errors). */
import { basename, dirname, resolve } from "node:path";
import { analyzeManifest, type AnalyzeOptions } from "./analyze.ts";
import type { ManifestResult } from "./types.ts";
import { utf16Hint, withoutBom } from "../util/json.ts";
import { fileProblem, onDiskSpelling } from "../util/fs.ts";

export type LoadedManifest = ManifestResult & { path: string; raw: unknown };

/** 1-based line:column of a character offset. */
export function lineColumn(text: string, pos: number): { line: number; column: number } {
  let line = 1, start = 0;
  for (let i = 0; i < pos && i < text.length; i++) {
    if (text.charCodeAt(i) === 10) {
      line++;
      start = i + 1;
    }
  }
  return { line, column: pos - start + 1 };
}

/**
 * Finds where JSON text stops being valid (V8's JSON.parse messages do not always carry a
 * position). Returns the offset and a short reason, or null when the text is valid.
 */
export function jsonErrorAt(text: string): { pos: number; reason: string } | null {
  let i = 0;
  const fail = (reason: string): never => {
    throw { pos: i, reason };
  };
  const ws = () => {
    while (i < text.length && " \t\n\r".includes(text[i])) i++;
  };
  const show = () => (i >= text.length ? "end of input" : `'${text[i]}'`);
  const value = (): void => {
    ws();
    const c = text[i];
    if (c === "{") {
      i++;
      ws();
      if (text[i] === "}") return void i++;
      for (;;) {
        ws();
        if (text[i] !== '"') fail(`expected a property name in double quotes, found ${show()}`);
        str();
        ws();
        if (text[i] !== ":") fail(`expected ':' after a property name, found ${show()}`);
        i++;
        value();
        ws();
        if (text[i] === ",") i++;
        else if (text[i] === "}") return void i++;
        else fail(`expected ',' or '}' in an object, found ${show()}`);
      }
    }
    if (c === "[") {
      i++;
      ws();
      if (text[i] === "]") return void i++;
      for (;;) {
        value();
        ws();
        if (text[i] === ",") i++;
        else if (text[i] === "]") return void i++;
        else fail(`expected ',' or ']' in an array, found ${show()}`);
      }
    }
    if (c === '"') return str();
    const lit = /^(true|false|null|-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?)/.exec(
      text.slice(i, i + 400),
    );
    if (!lit) fail(`unexpected ${show()}`);
    i += lit![0].length;
  };
  const str = () => {
    i++;
    while (i < text.length && text[i] !== '"') {
      const code = text.charCodeAt(i);
      if (code < 0x20) fail("control character in a string (use \\n, \\t, …)");
      if (text[i] === "\\") {
        if (!/^(["\\/bfnrt]|u[0-9a-fA-F]{4})/.test(text.slice(i + 1, i + 6))) {
          fail("invalid escape in a string");
        }
      }
      i += text[i] === "\\" ? 2 : 1;
    }
    if (i >= text.length) fail("unterminated string");
    i++;
  };
  try {
    value();
    ws();
    if (i < text.length) fail(`unexpected ${show()} after the JSON value`);
    return null;
  } catch (e) {
    // a RangeError from absurd nesting is not a located syntax error
    return e instanceof Error ? null : e as { pos: number; reason: string };
  }
}

/** What to change at a syntax error a hand-edited file often has (comments, trailing commas). */
function syntaxHint(text: string, pos: number): string {
  const c = text[pos];
  if (c === "/" && (text[pos + 1] === "/" || text[pos + 1] === "*")) {
    return "JSON has no comments: remove the comment";
  }
  if (c === "}" || c === "]") {
    let j = pos - 1;
    while (j >= 0 && " \t\n\r".includes(text[j])) j--;
    if (text[j] === ",") return `remove the comma before '${c}' (JSON allows no trailing commas)`;
  }
  if (c === "'") return "JSON strings and property names use double quotes";
  return "";
}

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
