/** Small JSON helpers shared by every module. */
import { jsonLineProblem } from "./json_syntax.ts";

const encoder = new TextEncoder();

/** The text without a leading UTF-8 BOM (editors on Windows write one; JSON.parse rejects it). */
export function withoutBom(text: string): string {
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}

/**
 * A hint for a file read as UTF-8 that is in fact UTF-16 (Windows PowerShell 5's `>` and
 * `Out-File` write it): its BOM decodes to two U+FFFD, its ASCII to letters with NULs between.
 * "" for any other text.
 */
export function utf16Hint(text: string): string {
  return text.startsWith("\uFFFD\uFFFD") || text.includes("\u0000")
    ? "the file looks UTF-16 (PowerShell 5 writes it with > or Out-File): save it as UTF-8"
    : "";
}

const strictDecoder = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

/**
 * The 1-based line of the first byte sequence in `bytes` that is not UTF-8, or 0 when there is
 * none (§1.3: all JSON is UTF-8; a lossy decode would quietly turn Latin-1 text into U+FFFD). An LF
 * byte is never inside a multi-byte character, so splitting at it is exact.
 */
export function invalidUtf8Line(bytes: Uint8Array): number {
  try {
    strictDecoder.decode(bytes);
    return 0;
  } catch { /* find the line below */ }
  let line = 1;
  for (let start = 0; start <= bytes.length; line++) {
    const nl = bytes.indexOf(10, start);
    const end = nl < 0 ? bytes.length : nl;
    try {
      strictDecoder.decode(bytes.subarray(start, end));
    } catch {
      return line;
    }
    start = end + 1;
  }
  return line - 1;
}

/**
 * A hand-written file's bytes as text, with the line of its first sequence that is not UTF-8 (0:
 * none; also 0 for a UTF-16 file, whose parse error gets `utf16Hint` instead).
 */
export function decodeUserFile(bytes: Uint8Array): { text: string; badLine: number } {
  const text = new TextDecoder().decode(bytes);
  return { text, badLine: utf16Hint(text) ? 0 : invalidUtf8Line(bytes) };
}

/** What a file that is not UTF-8 is told (after the line it names). */
export const NOT_UTF8 =
  "not valid UTF-8: save the file as UTF-8 (it looks like another encoding, e.g. Latin-1)";

/**
 * A JSON file's text parsed (a leading BOM dropped), or why it is not JSON: the UTF-16 hint when
 * that is the cause, else the parser's message. For every file a user writes by hand.
 */
export function parseJsonText(text: string): { value: unknown } | { error: string } {
  try {
    return { value: JSON.parse(withoutBom(text)) };
  } catch (e) {
    return { error: utf16Hint(text) || (e as Error).message };
  }
}

/**
 * The values of a hand-written JSONL text (mock tables §10.2, fixtures §14.2) with their 1-based
 * line numbers: a leading BOM dropped, blank and `#`/`//` comment lines skipped. `fail(line,
 * problem)` throws the caller's own error, for UTF-16 text (line 0) and for a line that is not
 * JSON. Lazy, so a caller checking each value as it comes still names the first bad line.
 */
export function* jsonLines(
  text: string,
  fail: (line: number, problem: string) => never,
): Generator<{ n: number; v: unknown }> {
  const lines = withoutBom(text).split("\n");
  const utf16 = utf16Hint(text);
  if (utf16) fail(0, utf16);
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i].trim();
    if (line === "" || line.startsWith("#") || line.startsWith("//")) continue;
    let v: unknown;
    try {
      v = JSON.parse(line);
    } catch (e) {
      fail(i + 1, jsonLineProblem(line, lines[i].indexOf(line), (e as Error).message));
    }
    yield { n: i + 1, v };
  }
}

/** Byte length of `JSON.stringify(v)` as UTF-8 (CONTRACT §1.3 "size of X"). */
export function byteSize(v: unknown): number {
  const s = toJson(v);
  return s === undefined ? 0 : utf8Length(s);
}

/**
 * `JSON.stringify(v)`, also for values nested too deeply for it. V8's serializer recurses on the
 * native stack, and how deep it gets depends on the value (a string that needs escaping anywhere
 * takes the slower, deeper path): a 6000-level array alone passes, inside a reply carrying an
 * etag it overflows. JSON.parse accepts any depth, so what was stored must stay readable; on a
 * stack overflow the same text is produced without recursion.
 */
export function toJson(v: unknown): string | undefined {
  try {
    return JSON.stringify(v);
  } catch (e) {
    if (e instanceof RangeError) return stringifyIteratively(v);
    throw e;
  }
}

/** `toJSON` as JSON.stringify applies it (dates and the like). */
function prepared(v: unknown, key: string): unknown {
  if ((typeof v === "object" && v !== null) || typeof v === "bigint") {
    const f = (v as { toJSON?: unknown }).toJSON;
    if (typeof f === "function") return f.call(v, key);
  }
  return v;
}

/** The text of a non-container value; `undefined` = omitted; `null` = an object or array. */
function scalarText(v: unknown): string | undefined | null {
  if (typeof v === "object" && v !== null) {
    // boxed primitives serialise as their value, with no recursion
    return v instanceof Number || v instanceof String || v instanceof Boolean
      ? JSON.stringify(v)
      : null;
  }
  return JSON.stringify(v); // strings, numbers, booleans, null; undefined for the rest
}

/** JSON.stringify's output, built with an explicit stack instead of recursion. */
export function stringifyIteratively(root: unknown): string | undefined {
  const first = prepared(root, "");
  const text = scalarText(first);
  if (text !== null) return text;
  type Frame = { v: Record<string, unknown>; keys: string[] | null; i: number; n: number };
  const out: string[] = [];
  const stack: Frame[] = [];
  const ancestors = new Set<object>();
  const open = (v: object) => {
    if (ancestors.has(v)) throw new TypeError("Converting circular structure to JSON");
    ancestors.add(v);
    const isArray = Array.isArray(v);
    out.push(isArray ? "[" : "{");
    stack.push({
      v: v as Record<string, unknown>,
      keys: isArray ? null : Object.keys(v),
      i: 0,
      n: 0,
    });
  };
  open(first as object);
  while (stack.length) {
    const f = stack[stack.length - 1];
    const len = f.keys ? f.keys.length : (f.v as unknown as unknown[]).length;
    if (f.i >= len) {
      out.push(f.keys ? "}" : "]");
      ancestors.delete(f.v);
      stack.pop();
      continue;
    }
    const index = f.i++;
    const key = f.keys ? f.keys[index] : String(index);
    const x = prepared(f.v[key], key);
    let s = scalarText(x);
    if (f.keys) {
      if (s === undefined) continue; // undefined, functions and symbols leave objects
      if (f.n++ > 0) out.push(",");
      out.push(JSON.stringify(key), ":");
    } else {
      if (s === undefined) s = "null"; // and become null in arrays
      if (index > 0) out.push(",");
    }
    if (s === null) open(x as object);
    else out.push(s);
  }
  return out.join("");
}

/** UTF-8 byte length of a string without allocating an encoded copy for ASCII-only strings. */
export function utf8Length(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) n += 1;
    else if (c < 0x800) n += 2;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) {
      const d = s.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) {
        n += 4;
        i++;
      } else n += 3;
    } else n += 3;
  }
  return n;
}

/** Decimal digits of a non-negative integer (its JSON length), without making a string. */
export function intDigits(n: number): number {
  let d = 1;
  for (let p = 10; n >= p; p *= 10) d++;
  return d;
}

/** UTF-8 length of `JSON.stringify(s)`; plain printable ASCII is counted without stringifying. */
export function jsonStringBytes(s: string): number {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x20 || c === 0x22 || c === 0x5c || c > 0x7e) return utf8Length(JSON.stringify(s));
  }
  return s.length + 2;
}

export function encodeUtf8(s: string): Uint8Array {
  return encoder.encode(s);
}

export function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** Structural equality for JSON values. */
export function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== typeof b || a === null || b === null || typeof a !== "object") return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a)) {
    const bb = b as unknown[];
    return a.length === bb.length && a.every((x, i) => deepEqual(x, bb[i]));
  }
  const ao = a as Record<string, unknown>, bo = b as Record<string, unknown>;
  const ak = Object.keys(ao), bk = Object.keys(bo);
  return ak.length === bk.length &&
    ak.every((k) => Object.hasOwn(bo, k) && deepEqual(ao[k], bo[k]));
}
