/**
 * The HTTP side of the OpenAI-compatible mode (CONTRACT §10.5): one POST with the timeout, the reply
 * cap and no redirects, and the provider_error for each way it fails, with credentials redacted.
 */
import { errorHint, isErrorBody, networkHint, providerSays, TIMEOUT_HINT } from "./openai_hints.ts";
import type { LlmResult } from "./types.ts";

export interface OpenAiConfig {
  /** without a trailing `/` */
  baseUrl: string;
  apiKey?: string;
  model: string;
  embedModel: string;
  timeoutMs: number;
}

const ERROR_BODY_BYTES = 2048;

export type ProviderReason = "http" | "network" | "timeout" | "bad_response";

export function providerError(
  reason: ProviderReason,
  message: string,
  extra: Record<string, unknown> = {},
): LlmResult {
  return { ok: false, error: { code: "provider_error", message, details: { reason, ...extra } } };
}

/** First 2 KiB of the body, cut on a UTF-8 character boundary. */
function headBytes(text: string): string {
  const bytes = new TextEncoder().encode(text);
  if (bytes.length <= ERROR_BODY_BYTES) return text;
  let end = ERROR_BODY_BYTES;
  while (end > 0 && (bytes[end] & 0xc0) === 0x80) end--;
  return new TextDecoder().decode(bytes.subarray(0, end));
}

/**
 * Largest reply body read: the bridge's frame limit (§15), since a reply passes on to the caller in
 * one frame; without a cap a runaway provider would fill memory first.
 */
export const MAX_REPLY_BYTES = 16 * 1024 * 1024;

/** The body as text, reading at most `max` bytes (`over` when there was more). */
async function readCapped(res: Response, max: number): Promise<{ text: string; over: boolean }> {
  if (!res.body) return { text: "", over: false };
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  while (true) {
    const { value, done } = await reader.read();
    if (done) break;
    if (size + value.length > max) {
      chunks.push(value.subarray(0, max - size));
      await reader.cancel().catch(() => {});
      return { text: decodeChunks(chunks), over: true };
    }
    chunks.push(value);
    size += value.length;
  }
  return { text: decodeChunks(chunks), over: false };
}

function decodeChunks(chunks: Uint8Array[]): string {
  const dec = new TextDecoder();
  let out = "";
  for (const c of chunks) out += dec.decode(c, { stream: true });
  return out + dec.decode();
}

/**
 * Keeps credentials out of what a failure reports (the app, the log, the dashboard): the API key,
 * should a provider or the fetch error echo it, and a base URL's `user:password@` (which fetch
 * sends as Basic auth, so also in base64).
 */
function redactor(cfg: OpenAiConfig, url: URL): (text: string) => string {
  const basic = url.username || url.password ? basicOf(url) : "";
  // not the user name: no secret, and a common word would be masked wherever it occurs
  const secrets = [cfg.apiKey, basic, url.password]
    .filter((x): x is string => !!x && x.length >= 4);
  return (text) => secrets.reduce((t, x) => t.replaceAll(x, "***"), text);
}

/** `user:password` as an Authorization: Basic header carries it ("" when it cannot be decoded). */
function basicOf(url: URL): string {
  try {
    const raw = `${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}`;
    return btoa(String.fromCharCode(...new TextEncoder().encode(raw)));
  } catch {
    return "";
  }
}

/** The URL as failures show it: without its user info. */
function shownUrl(url: URL): string {
  if (!url.username && !url.password) return url.href;
  const u = new URL(url.href);
  u.username = "";
  u.password = "";
  return u.href;
}

/**
 * Why fetch failed. Deno's own message is a bare "fetch failed"; the reason (connection refused,
 * DNS, TLS) is in `cause`, after an "error sending request for url (…): " prefix that repeats the
 * URL — which may carry a password, and is named already.
 */
export function fetchFailure(e: unknown): string {
  const msg = e instanceof Error ? e.message : String(e);
  const cause = e instanceof Error && e.cause instanceof Error ? e.cause.message : "";
  if (!cause) return msg;
  const reason = cause.replace(/^error sending request for url \(.*?\): /, "")
    // should the prefix ever read otherwise, a URL left in the text still shows no password
    .replace(/\/\/([^/@\s:]*):[^/@\s]*@/g, "//$1:***@");
  return `${msg} (${reason})`;
}

/** What to say about a redirect: its target and, when it keeps our path, the base URL to use. */
function redirectHint(location: string, target: URL, path: string): string {
  let base: string | null = null;
  try {
    const to = new URL(location, target);
    if (to.pathname.endsWith(path)) {
      base = shownUrl(new URL(to.pathname.slice(0, -path.length), to)).replace(/\/$/, "");
    }
  } catch { /* not a URL: name it as given */ }
  return ` (a redirect to ${location}; redirects are not followed: ` +
    (base ? `use --llm-base-url ${base})` : `point --llm-base-url at the provider's API)`);
}

/** A parsed 2xx reply, and the bad_response for when it is not what was asked for. */
export interface Reply {
  ok: true;
  json: unknown;
  /** bad_response naming the server, and the provider's words should the body be an error */
  unusable: (lacks: string) => LlmResult;
}

/** POSTs JSON and returns the parsed body or a provider_error. */
export async function post(
  cfg: OpenAiConfig,
  path: string,
  body: Record<string, unknown>,
  signal?: AbortSignal,
): Promise<Reply | { ok: false; result: LlmResult }> {
  const target = new URL(`${cfg.baseUrl}${path}`);
  const url = shownUrl(target);
  const redact = redactor(cfg, target);
  const failed = (reason: ProviderReason, message: string, extra: Record<string, unknown> = {}) => {
    if (typeof extra.body === "string") extra.body = redact(extra.body);
    return { ok: false as const, result: providerError(reason, redact(message), extra) };
  };
  const hintOf = (status: number, said: string | undefined, retryAfter?: string | null) =>
    errorHint({
      status,
      path,
      base: shownUrl(new URL(cfg.baseUrl)).replace(/\/$/, ""),
      model: String(body.model),
      hasKey: !!cfg.apiKey,
      said,
      retryAfter,
    });
  const timeout = AbortSignal.timeout(cfg.timeoutMs);
  const sig = signal ? AbortSignal.any([timeout, signal]) : timeout;
  const headers: Record<string, string> = {
    "content-type": "application/json",
    accept: "application/json",
  };
  if (cfg.apiKey) headers.authorization = `Bearer ${cfg.apiKey}`;
  let text: string;
  let status: number | undefined;
  let type = "";
  try {
    const res = await fetch(target, {
      method: "POST",
      headers,
      body: JSON.stringify(body),
      signal: sig,
      // not followed: a 301/302 would turn the POST into a GET, and the key would go wherever
      // the provider points; the error names the target so the user can set it as the base URL
      redirect: "manual",
    });
    status = res.status;
    type = res.headers.get("content-type")?.split(";")[0].trim() ?? "";
    // the timeout also covers reading the body
    const read = await readCapped(res, MAX_REPLY_BYTES);
    text = read.text;
    if (!res.ok) {
      const location = status >= 300 && status < 400 ? res.headers.get("location") : null;
      const said = location === null ? providerSays(text) : undefined;
      const hint = location === null
        ? hintOf(status, said, res.headers.get("retry-after"))
        : redirectHint(location, target, path);
      return failed(
        "http",
        `LLM provider answered HTTP ${status} for POST ${url}${said ? `: ${said}` : ""}${hint}`,
        { status, body: headBytes(text) },
      );
    }
    if (read.over) {
      return failed(
        "bad_response",
        `LLM provider at ${url} answered more than ${MAX_REPLY_BYTES} bytes (the frame limit)`,
        { status },
      );
    }
  } catch (e) {
    if (timeout.aborted) {
      return failed(
        "timeout",
        `LLM provider did not answer within ${cfg.timeoutMs} ms (POST ${url})${TIMEOUT_HINT}`,
      );
    }
    const why = signal?.aborted ? "request cancelled" : fetchFailure(e);
    // the headers came: the server is there, the connection broke while the body was read
    const where = status === undefined
      ? `cannot reach LLM provider at ${url}: ${why}${networkHint(why)}`
      : `LLM provider at ${url} broke off its HTTP ${status} reply: ${why}`;
    return failed("network", where);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return failed(
      "bad_response",
      `LLM provider at ${url} answered HTTP ${status} with a body that is not JSON` +
        (type && type !== "application/json" ? ` (${type})` : ""),
      { status, body: headBytes(text) },
    );
  }
  const unusable = (lacks: string) => {
    const extra = { status, body: headBytes(text) };
    // a 2xx carrying an error: LM Studio for an unknown path, OpenRouter for a failed generation
    if (isErrorBody(json)) {
      const said = providerSays(text) ?? "(no message)";
      return failed(
        "bad_response",
        `LLM provider at ${url} answered HTTP ${status} with an error: ${said}${
          hintOf(status, said)
        }`,
        extra,
      ).result;
    }
    return failed("bad_response", `LLM provider at ${url} answered HTTP ${status} ${lacks}`, extra)
      .result;
  };
  return { ok: true, json, unusable };
}
