/**
 * Storage key rules (CONTRACT §5.5), shared by the dispatcher's `storage.*` (→ `invalid_path`) and
 * the executa reverse `storage/*` (→ -32027). Lengths count Unicode code points.
 */
import { codePointLength } from "../util/text.ts";

export const MAX_KEY_CHARS = 1024;
export const MAX_SEGMENT_CHARS = 128;

// deno-lint-ignore no-control-regex -- matching control characters is the point
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;
const ZERO_WIDTH = /[\u200b-\u200d\ufeff]/;
const BIDI = /[\u200e\u200f\u202a-\u202e\u2066-\u2069]/;

/**
 * True for the common key made only of printable ASCII other than space and `\`, with segments of
 * 1..128 characters that are not `.` or `..`: valid by every rule, found in one pass.
 */
export function plainValidKey(key: string): boolean {
  if (key.length > MAX_KEY_CHARS) return false;
  let seg = 0; // length of the current segment
  let dots = 0; // how many of its characters are '.'
  for (let i = 0; i < key.length; i++) {
    const c = key.charCodeAt(i);
    if (c === 0x2f) {
      if (seg === 0 || (seg === dots && seg <= 2)) return false;
      seg = dots = 0;
    } else if (c > 0x20 && c < 0x7f && c !== 0x5c) {
      if (++seg > MAX_SEGMENT_CHARS) return false;
      if (c === 0x2e) dots++;
    } else return false;
  }
  return seg > 0 && !(seg === dots && seg <= 2);
}

/** `null` when `key` is valid, else the failure reason (used as `details.reason`). */
export function checkStorageKey(key: unknown): string | null {
  if (typeof key === "string" && plainValidKey(key)) return null;
  return keyRuleViolation(key);
}

/** Every rule, one by one (the reason names the first rule broken). */
export function keyRuleViolation(key: unknown): string | null {
  if (typeof key !== "string") return "key must be a string";
  if (key.length === 0) return "key must not be empty";
  if (codePointLength(key) > MAX_KEY_CHARS) return `key is longer than ${MAX_KEY_CHARS} characters`;
  if (CONTROL.test(key)) return "key contains a control character";
  if (key.includes("\\")) return "key contains a backslash";
  if (ZERO_WIDTH.test(key)) return "key contains a zero-width character";
  if (BIDI.test(key)) return "key contains a bidi control character";
  for (const seg of key.split("/")) {
    if (seg.length === 0) return "key has an empty segment (leading, trailing or double '/')";
    if (seg === "." || seg === "..") return `key has a '${seg}' segment`;
    if (codePointLength(seg) > MAX_SEGMENT_CHARS) {
      return `key segment is longer than ${MAX_SEGMENT_CHARS} characters`;
    }
    if (seg.trim() !== seg) return "key segment has leading or trailing whitespace";
  }
  return null;
}
