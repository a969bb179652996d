/** Small JSON helpers shared by every module. */

const encoder = new TextEncoder();

/** Byte length of `JSON.stringify(v)` as UTF-8 (CONTRACT §1.3 "size of X"). */
export function byteSize(v: unknown): number {
  const s = JSON.stringify(v);
  return s === undefined ? 0 : utf8Length(s);
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
