/**
 * Dev tokens (CONTRACT §8): the HMAC key file (`key.ts`), minting and verification (`token.ts`),
 * base64url (`b64url.ts`). Verification here covers format, version, key, signature, time and an
 * expected wid; the session layer adds unknown_window / window_closed / wrong_app.
 */
export { defaultKeyPath, type DevKey, KeyFileError, kidOf, loadOrCreateKey } from "./key.ts";
export {
  isValidTtl,
  type MintInput,
  type MintResult,
  mintToken,
  refreshIntervalMs,
  TOKEN_LEEWAY_S,
  TOKEN_MAX_LENGTH,
  TOKEN_TTL_DEFAULT,
  TOKEN_TTL_MAX,
  TOKEN_TTL_MIN,
  TOKEN_VERSION,
  type TokenClaims,
  type TokenFailure,
  tokenFailure,
  type TokenFailureReason,
  type VerifyOptions,
  type VerifyResult,
  verifyToken,
} from "./token.ts";
export { b64urlDecode, b64urlEncode } from "./b64url.ts";
