/** Dev token minting and verification (CONTRACT §8.2, §8.3). */
import { b64urlDecode, b64urlEncode, b64urlProblem } from "./b64url.ts";
import type { DevKey } from "./key.ts";

export const TOKEN_VERSION = "dev1";
export const TOKEN_TTL_DEFAULT = 30;
export const TOKEN_TTL_MIN = 5;
export const TOKEN_TTL_MAX = 86400;
export const TOKEN_LEEWAY_S = 5;
export const TOKEN_MAX_LENGTH = 4096;

export interface TokenClaims {
  wid: string;
  uid: number;
  app: string;
  view: string;
  scopes: string[];
  /** epoch seconds */
  iat: number;
  /** epoch seconds */
  exp: number;
  kid: string;
}

export interface MintInput {
  wid: string;
  uid: number;
  app: string;
  view: string;
  scopes: string[];
  /** seconds, 5..86400 */
  ttl: number;
  /** epoch ms; defaults to Date.now() */
  now?: number;
}

export interface MintResult {
  token: string;
  claims: TokenClaims;
  /** epoch ms = exp × 1000 */
  expires_at: number;
}

export type TokenFailureReason =
  | "malformed"
  | "unsupported_version"
  | "unknown_key"
  | "bad_signature"
  | "expired"
  | "not_yet_valid"
  | "unknown_window"
  | "window_closed"
  | "wrong_window"
  | "wrong_app";

export type TokenFailure = { ok: false; reason: string; message: string; claims?: TokenClaims };
export type VerifyResult = { ok: true; claims: TokenClaims } | TokenFailure;

export function tokenFailure(reason: string, message: string, claims?: TokenClaims): TokenFailure {
  return claims === undefined
    ? { ok: false, reason, message }
    : { ok: false, reason, message, claims };
}

/** §8.4: how often `dev`/`serve` push a fresh token to each open window. */
export function refreshIntervalMs(ttlSeconds: number): number {
  return Math.floor((ttlSeconds * 2) / 3) * 1000;
}

export function isValidTtl(ttl: number): boolean {
  return Number.isInteger(ttl) && ttl >= TOKEN_TTL_MIN && ttl <= TOKEN_TTL_MAX;
}

const ascii = new TextEncoder();
const WS = /\s/;

export async function mintToken(key: DevKey, input: MintInput): Promise<MintResult> {
  if (!isValidTtl(input.ttl)) {
    throw new RangeError(
      `token ttl must be an integer ${TOKEN_TTL_MIN}..${TOKEN_TTL_MAX} (got ${input.ttl})`,
    );
  }
  const iat = Math.floor((input.now ?? Date.now()) / 1000);
  // built literally so the JSON key order is exactly the contract's
  const claims: TokenClaims = {
    wid: input.wid,
    uid: input.uid,
    app: input.app,
    view: input.view,
    scopes: [...input.scopes],
    iat,
    exp: iat + input.ttl,
    kid: key.kid,
  };
  const signingInput = `${TOKEN_VERSION}.${b64urlEncode(JSON.stringify(claims))}`;
  const sig = new Uint8Array(
    await crypto.subtle.sign("HMAC", key.cryptoKey, ascii.encode(signingInput)),
  );
  return { token: `${signingInput}.${b64urlEncode(sig)}`, claims, expires_at: claims.exp * 1000 };
}

export interface VerifyOptions {
  /** epoch ms; defaults to Date.now() */
  now?: number;
  /** when set, a token for another window fails with `wrong_window` */
  expectedWid?: string;
}

/**
 * Format, version, signature, time window and (optionally) wid, in the order of §8.3. The session
 * layer checks unknown_window / window_closed / wrong_app afterwards.
 */
export async function verifyToken(
  key: DevKey,
  token: unknown,
  opts: VerifyOptions = {},
): Promise<VerifyResult> {
  if (typeof token !== "string") return tokenFailure("malformed", "dev token must be a string");
  if (token.length > TOKEN_MAX_LENGTH) {
    return tokenFailure("malformed", `dev token is longer than ${TOKEN_MAX_LENGTH} characters`);
  }
  // a token read from a file or pasted keeps its line break: say so, not "bad base64url"
  if (WS.test(token[0] ?? "") || WS.test(token.at(-1) ?? "")) {
    return tokenFailure(
      "malformed",
      "dev token has whitespace or a line break at its start or end; pass the token alone",
    );
  }
  const parts = token.split(".");
  const format = parseParts(parts);
  if (typeof format === "string") {
    // a JWT or another service's token fails on shape first: say it is not a dev token at all
    const other = parts[0] === TOKEN_VERSION
      ? ""
      : `; it does not start with '${TOKEN_VERSION}.' either (not a dev token?)`;
    return tokenFailure("malformed", format + other);
  }
  const { claims, sig } = format;
  if (parts[0] !== TOKEN_VERSION) {
    return tokenFailure(
      "unsupported_version",
      `unsupported dev token version '${unverified(parts[0])}' (expected ${TOKEN_VERSION})`,
      claims,
    );
  }
  const good = await crypto.subtle.verify(
    "HMAC",
    key.cryptoKey,
    sig,
    ascii.encode(`${parts[0]}.${parts[1]}`),
  );
  if (!good) {
    return claims.kid !== key.kid
      ? tokenFailure(
        "unknown_key",
        `dev token was signed with key ${unverified(claims.kid)}, not the current key ${key.kid}`,
        claims,
      )
      : tokenFailure("bad_signature", "dev token signature is invalid", claims);
  }
  const now = opts.now ?? Date.now();
  const leewayMs = TOKEN_LEEWAY_S * 1000;
  if (now > claims.exp * 1000 + leewayMs) {
    const ago = Math.floor((now - claims.exp * 1000) / 1000);
    return tokenFailure("expired", `dev token expired ${ago}s ago`, claims);
  }
  if (claims.iat * 1000 > now + leewayMs) {
    const ahead = Math.ceil((claims.iat * 1000 - now) / 1000);
    return tokenFailure("not_yet_valid", `dev token is not valid for another ${ahead}s`, claims);
  }
  if (opts.expectedWid !== undefined && opts.expectedWid !== claims.wid) {
    return tokenFailure(
      "wrong_window",
      `dev token is for window ${claims.wid}, not ${opts.expectedWid}`,
      claims,
    );
  }
  return { ok: true, claims };
}

/**
 * Text from a token no signature vouches for, as it may appear in a message: cut short, and with
 * control and direction characters escaped (`token verify` prints the message to a terminal).
 */
function unverified(s: string): string {
  return s.slice(0, 32).replace(
    // deno-lint-ignore no-control-regex
    /[\u0000-\u001f\u007f-\u009f\u200e\u200f\u2028-\u202e\u2066-\u2069]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`,
  );
}

/** The §8.3 `malformed` checks after the split: claims and signature, or what is wrong. */
function parseParts(
  parts: string[],
): { claims: TokenClaims; sig: Uint8Array<ArrayBuffer> } | string {
  if (parts.length !== 3) return "dev token must have three '.'-separated parts";
  const claimBytes = b64urlDecode(parts[1]);
  if (!claimBytes) return `dev token claims are not valid base64url: ${b64urlProblem(parts[1])}`;
  const sig = b64urlDecode(parts[2]);
  if (!sig) return `dev token signature is not valid base64url: ${b64urlProblem(parts[2])}`;
  if (sig.length !== 32) return "dev token signature is not 32 bytes";
  const claims = parseClaims(claimBytes);
  return typeof claims === "string" ? `dev token claims ${claims}` : { claims, sig };
}

/** Decoded claims, or a string saying what is wrong with them. */
function parseClaims(bytes: Uint8Array): TokenClaims | string {
  let v: unknown;
  try {
    v = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes));
  } catch {
    return "are not valid JSON";
  }
  if (typeof v !== "object" || v === null || Array.isArray(v)) return "are not a JSON object";
  const o = v as Record<string, unknown>;
  for (const k of ["wid", "app", "view", "kid"] as const) {
    if (typeof o[k] !== "string") return `field '${k}' must be a string`;
  }
  for (const k of ["uid", "iat", "exp"] as const) {
    if (!Number.isSafeInteger(o[k])) return `field '${k}' must be an integer`;
  }
  if (!Array.isArray(o.scopes) || !o.scopes.every((s) => typeof s === "string")) {
    return "field 'scopes' must be an array of strings";
  }
  return {
    wid: o.wid as string,
    uid: o.uid as number,
    app: o.app as string,
    view: o.view as string,
    scopes: o.scopes as string[],
    iat: o.iat as number,
    exp: o.exp as number,
    kid: o.kid as string,
  };
}
