/** Hashing behind one module so the implementation can be swapped in one place. */
import { createHash } from "node:crypto";

/** Synchronous SHA-256 hex digest of a string (UTF-8) or bytes. */
export function sha256Hex(data: string | Uint8Array): string {
  return createHash("sha256").update(data).digest("hex");
}

/** Synchronous SHA-256 raw digest. */
export function sha256Bytes(data: string | Uint8Array): Uint8Array {
  return new Uint8Array(createHash("sha256").update(data).digest());
}
