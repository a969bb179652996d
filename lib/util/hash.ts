/** Hashing behind one module so the implementation can be swapped in one place. */
import { createHash } from "node:crypto";
import { flatConcat, sha256HexJs } from "./sha256.ts";

/** One 64-byte block (55 message bytes): there the plain-JS digest beats the native call overhead. */
const JS_HASH_MAX = 55;

/**
 * Synchronous SHA-256 hex digest of a string (UTF-8) or bytes; `chars` keeps a prefix of it, and
 * `prefix`/`suffix` are put around it (see sha256HexJs for why that is not left to the caller).
 */
export function sha256Hex(
  data: string | Uint8Array,
  chars = 64,
  prefix = "",
  suffix = "",
): string {
  if (data.length <= JS_HASH_MAX) return sha256HexJs(data, chars, prefix, suffix);
  const hex = createHash("sha256").update(data).digest("hex");
  const digits = chars === 64 ? hex : hex.slice(0, chars);
  return prefix || suffix ? flatConcat(prefix, digits, suffix) : digits;
}

/** Synchronous SHA-256 raw digest. */
export function sha256Bytes(data: string | Uint8Array): Uint8Array {
  return new Uint8Array(createHash("sha256").update(data).digest());
}
