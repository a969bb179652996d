/** `ui.csp_overrides` filtering (CONTRACT §3.5): only the listed directives and values survive. */
import { isPlainObject } from "../util/json.ts";
import { at, type Diags, show, typeName } from "./diag.ts";

const HASH = /^'(sha256|sha384|sha512)-[A-Za-z0-9+/_-]+={0,2}'$/;
const NONCE = /^'nonce-[A-Za-z0-9+/_=-]+'$/;
const HOST = String.raw`(\*\.)?[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*(:(\d{1,5}|\*))?`;
// the path part is printable ASCII only: the policy goes out as a header value (bytes), where a
// non-ASCII or control character made every bundle response fail with 500
const REMOTE_SOURCE = new RegExp(
  String.raw`^(https|wss)://${HOST}(/(?:(?![;,'"])[!-~])*)?$`,
);
const LOOPBACK = /^http:\/\/(localhost|127\.0\.0\.1)(:\d{1,5})?$/;
const FRAME_SOURCE = /^https:\/\/[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*(:\d{1,5})?$/;
const MAX_FRAME_SRC = 8;

const scriptOk = (v: string) =>
  v === "'self'" || v === "'wasm-unsafe-eval'" || HASH.test(v) || NONCE.test(v);
const fetchOk = (v: string) =>
  ["'self'", "'none'", "data:", "blob:", "https:", "wss:"].includes(v) ||
  REMOTE_SOURCE.test(v) || LOOPBACK.test(v);

const DIRECTIVES: Record<string, (v: string) => boolean> = {
  "script-src": scriptOk,
  "style-src": (v) => v === "'unsafe-inline'" || scriptOk(v),
  "connect-src": fetchOk,
  "img-src": fetchOk,
  "media-src": fetchOk,
  "font-src": fetchOk,
  "frame-src": (v) => FRAME_SOURCE.test(v),
};

const ALLOWED_TEXT: Record<string, string> = {
  "script-src": "'self', 'sha256-…', 'sha384-…', 'sha512-…', 'nonce-…', 'wasm-unsafe-eval'",
  "style-src": "the script-src values plus 'unsafe-inline'",
  "frame-src": "explicit https://host[:port] sources (at most 8)",
};
const FETCH_TEXT =
  "'self', 'none', data:, blob:, https:, wss:, https://… and wss://… sources, http://localhost[:port], http://127.0.0.1[:port]";

export function checkCsp(raw: unknown, d: Diags): Record<string, string[]> {
  const base = "ui.csp_overrides";
  const out: Record<string, string[]> = {};
  if (raw === undefined) return out;
  if (!isPlainObject(raw)) {
    d.warn(
      "csp_directive_unknown",
      base,
      `ui.csp_overrides must be an object mapping directive to a list of sources, got ` +
        `${typeName(raw)}; it is ignored`,
    );
    return out;
  }
  for (const [dir, values] of Object.entries(raw)) {
    const path = at(base, dir);
    const ok = Object.hasOwn(DIRECTIVES, dir) ? DIRECTIVES[dir] : undefined;
    if (!ok) {
      d.warn(
        "csp_directive_unknown",
        path,
        `CSP directive ${JSON.stringify(dir)} cannot be overridden; it is dropped`,
        `allowed directives: ${Object.keys(DIRECTIVES).join(", ")}`,
      );
      continue;
    }
    if (!Array.isArray(values)) {
      d.warn(
        "csp_value_rejected",
        path,
        `${path} must be a list of sources, got ${typeName(values)}; it is dropped`,
      );
      continue;
    }
    const accepted: string[] = [];
    values.forEach((v, i) => {
      const allowed = ALLOWED_TEXT[dir] ?? FETCH_TEXT;
      if (typeof v !== "string" || !ok(v.trim())) {
        const ascii = typeof v !== "string" || !/[^\x20-\x7e]/.test(v.trim());
        d.warn(
          "csp_value_rejected",
          at(path, i),
          `${dir} value ${show(v)} is not allowed; it is dropped`,
          ascii
            ? `allowed for ${dir}: ${allowed}`
            : "CSP sources are printable ASCII: write the host in its punycode (xn--…) form and " +
              "percent-encode the path",
        );
        return;
      }
      const s = v.trim();
      if (accepted.includes(s)) return;
      if (dir === "frame-src" && accepted.length >= MAX_FRAME_SRC) {
        d.warn(
          "csp_value_rejected",
          at(path, i),
          `frame-src allows at most ${MAX_FRAME_SRC} sources; ${show(v)} is dropped`,
        );
        return;
      }
      accepted.push(s);
    });
    if (accepted.length > 0) out[dir] = accepted;
  }
  return out;
}
