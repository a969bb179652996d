/**
 * The per-run control token (CONTRACT §11.2, §2.2): 32 random bytes in base64url, or
 * `ANNA_APP_CONTROL_TOKEN` when set (at least 32 characters, else a configuration error, exit 2).
 */
import { b64urlEncode } from "../token/b64url.ts";

export const CONTROL_TOKEN_MIN_CHARS = 32;

export class ControlTokenError extends Error {}

/**
 * Returns the token to use, or `null` when `--no-control-token` disables it.
 * `env` is the value of ANNA_APP_CONTROL_TOKEN (undefined when unset).
 */
export function resolveControlToken(env: string | undefined, disabled: boolean): string | null {
  if (disabled) return null;
  if (env !== undefined && env !== "") {
    if (env.length < CONTROL_TOKEN_MIN_CHARS) {
      throw new ControlTokenError(
        `ANNA_APP_CONTROL_TOKEN must be at least ${CONTROL_TOKEN_MIN_CHARS} characters (got ${env.length})`,
      );
    }
    if (/[\s]/.test(env)) {
      // a token with whitespace cannot travel in `Authorization: Bearer` or a URL unchanged
      throw new ControlTokenError("ANNA_APP_CONTROL_TOKEN must not contain whitespace");
    }
    if (/[^\x21-\x7e]/.test(env)) {
      // browsers refuse header values outside Latin-1, and servers may re-encode them
      throw new ControlTokenError(
        "ANNA_APP_CONTROL_TOKEN must be printable ASCII (it is sent in HTTP headers); " +
          "e.g. `openssl rand -base64 32 | tr '+/' '-_' | tr -d '='`",
      );
    }
    return env;
  }
  return b64urlEncode(crypto.getRandomValues(new Uint8Array(32)));
}
