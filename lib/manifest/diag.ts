/** Diagnostic collection and small helpers shared by the manifest checks (CONTRACT §3.7). */
import type { Diagnostic } from "./types.ts";
import { editDistance, escapeUnsafe, headChars } from "../util/text.ts";

/**
 * A diagnostic as one line, `severity  path  code  message (hint: …)` (§2.8; `-` for no path).
 * Escaped like a log line: a manifest key with a newline forged a second diagnostic line, and a
 * bidi control made the output read reordered.
 */
export function diagnosticLine(d: Diagnostic): string {
  return escapeUnsafe(`${d.severity}  ${d.path || "-"}  ${d.code}  ${d.message}${hintText(d)}`);
}

/** ` (hint: …)` when the diagnostic has one. */
export function hintText(d: Diagnostic): string {
  return d.hint ? ` (hint: ${d.hint})` : "";
}

/** A diagnostic as log fields; the hint stays, it is the part that names the fix. */
export function diagnosticFields(d: Diagnostic): Record<string, string> {
  return { code: d.code, path: d.path, message: d.message, ...(d.hint ? { hint: d.hint } : {}) };
}

export class Diags {
  readonly list: Diagnostic[] = [];
  error(code: string, path: string, message: string, hint?: string) {
    this.push("error", code, path, message, hint);
  }
  warn(code: string, path: string, message: string, hint?: string) {
    this.push("warning", code, path, message, hint);
  }
  get hasError(): boolean {
    return this.list.some((d) => d.severity === "error");
  }
  private push(
    severity: Diagnostic["severity"],
    code: string,
    path: string,
    message: string,
    hint?: string,
  ) {
    const d: Diagnostic = { severity, code, path, message };
    if (hint !== undefined) d.hint = hint;
    this.list.push(d);
  }
}

/** Appends a key or index to a JSON-path-like location (`ui.views[1].title`, `dev.mocks["a.b"]`). */
export function at(base: string, key: string | number): string {
  if (typeof key === "number") return `${base}[${key}]`;
  if (/^[A-Za-z_$][\w$-]*$/.test(key)) return base ? `${base}.${key}` : key;
  return `${base}[${JSON.stringify(key)}]`;
}

/** Short, single-line rendering of a JSON value for messages. */
export function show(v: unknown): string {
  if (v === undefined) return "undefined";
  const s = JSON.stringify(v) ?? String(v);
  return s.length > 60 ? headChars(s, 57) + "..." : s;
}

export function typeName(v: unknown): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return "an array";
  if (typeof v === "object") return "an object";
  return `a ${typeof v}`;
}

const SAFE_PATH = /^[A-Za-z0-9_./-]+$/;

/**
 * The bundle path rule (§3.3): the part before the first `?`/`#` uses only safe characters, is
 * relative, and has no `..` segment or `//`.
 */
export function isSafeEntry(entry: unknown): entry is string {
  if (typeof entry !== "string") return false;
  const path = entry.split(/[?#]/, 1)[0];
  if (!SAFE_PATH.test(path) || path.startsWith("/") || path.includes("//")) return false;
  return !path.split("/").includes("..");
}

/**
 * Which part of a string entry breaks the path rule, in words (for the diagnostic). A file named
 * `アプリ.html` or `my page.html` is refused by the character rule: "letters" alone read as if any
 * script's letters were fine.
 */
export function entryFault(entry: string): string {
  const path = entryFile(entry);
  if (path === "") return "the path is empty";
  if (path.startsWith("/")) return "it starts with /";
  const bad = [...path].find((ch) => !SAFE_PATH.test(ch));
  if (bad !== undefined) {
    const code = `U+${bad.codePointAt(0)!.toString(16).toUpperCase().padStart(4, "0")}`;
    if (bad === " ") return "it has a space";
    return bad > "\x7f"
      ? `'${bad}' (${code}) is not ASCII`
      : `${JSON.stringify(bad)} (${code}) is not allowed`;
  }
  if (path.includes("//")) return "it has //";
  return "it has a .. segment";
}

/** The file part of an entry (query and hash removed). */
export function entryFile(entry: string): string {
  return entry.split(/[?#]/, 1)[0];
}

/**
 * The candidates within edit distance 1 of `x` (excluding `x` itself). With `transpositions`, two
 * swapped neighbours (`shcema`) count as one edit; tool refs keep the plain distance §3.7 names.
 */
export function nearMatches(
  x: string,
  candidates: Iterable<string>,
  transpositions = false,
): string[] {
  const out: string[] = [];
  for (const c of candidates) {
    if (c !== x && !out.includes(c) && editDistance(x, c, 1, transpositions) <= 1) out.push(c);
  }
  return out;
}

/** Warns `unknown_key` for keys outside `known`, with a "did you mean" hint. */
export function unknownKeys(
  obj: Record<string, unknown>,
  known: string[],
  base: string,
  d: Diags,
  label = base,
) {
  for (const k of Object.keys(obj)) {
    if (known.includes(k)) continue;
    const near = nearMatches(k, known, true);
    d.warn(
      "unknown_key",
      at(base, k),
      `${at(base, k)} is not a known ${label ? label + " " : ""}key; it is ignored`,
      near.length ? `did you mean "${near[0]}"?` : undefined,
    );
  }
}
