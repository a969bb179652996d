/**
 * Dev tokens (CONTRACT §8.2) kept out of what is written down: stderr log lines, `/api/log` and its
 * stream, recordings, CSP reports. A token lets whoever holds it act as its window until it lapses
 * (up to a day with `--token-ttl`), and logs get pasted into issues and kept as CI artifacts.
 * The signature is the secret, so the whole token goes; `dev1.` stays to say what was there.
 */

/**
 * "dev1." and two base64url parts: the shape of §8.2, valid or not. The dashboard redacts with this
 * same pattern: scripts/gen_assets.ts writes it into the dashboard.js it embeds.
 */
export const DEV_TOKEN = /dev1\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+/g;
export const REDACTED_TOKEN = "dev1.[redacted]";

/** `text` with every token-shaped run replaced; idempotent. */
export function redactTokens(text: string): string {
  return text.includes("dev1.") ? text.replace(DEV_TOKEN, REDACTED_TOKEN) : text;
}

/** The `t` parameter (query or hash, §12.2) of an app frame URL (§12.8), whatever its value. */
const T_PARAM = /([?&#]t=)[^&#\s[][^&#\s]*/g;

/**
 * A parsed JSON value (taken over, changed in place) with tokens redacted in every string, and the
 * `t` parameter in every URL of an app page (`/anna-apps/`): a cut or mangled token is not token
 * shaped. Other URLs keep their `t` (a third-party cache buster in `blocked-uri`). Iterative: a
 * 64 KiB body can nest 32 000 deep.
 */
export function redactJson(root: unknown): unknown {
  const fix = (s: string) => {
    const r = redactTokens(s);
    return r.includes("/anna-apps/") ? r.replace(T_PARAM, "$1[redacted]") : r;
  };
  if (typeof root === "string") return fix(root);
  const stack: unknown[] = [root];
  while (stack.length) {
    const o = stack.pop();
    if (o === null || typeof o !== "object") continue;
    for (const k of Object.keys(o)) {
      const v = (o as Record<string, unknown>)[k];
      if (typeof v !== "string") {
        stack.push(v);
        continue;
      }
      const r = fix(v);
      // defined, not assigned: a JSON "__proto__" key is an own property, not the prototype
      if (r !== v) {
        Object.defineProperty(o, k, {
          value: r,
          writable: true,
          enumerable: true,
          configurable: true,
        });
      }
    }
  }
  return root;
}
