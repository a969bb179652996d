/**
 * What a provider_error message says besides the status (CONTRACT §10.5 leaves the text open): the
 * provider's own words from its error body, and the setting that fixes the usual local-server
 * mistakes (no `/v1` in the base URL, a model the server does not have, a missing key).
 */
import { isPlainObject } from "../util/json.ts";
import { headChars } from "../util/text.ts";

const SAID_MAX = 300;

const squash = (s: string) => s.replace(/\s+/g, " ").trim();

function cut(s: string): string {
  const t = squash(s);
  return t.length > SAID_MAX ? `${headChars(t, SAID_MAX)}…` : t;
}

/** The message of a parsed error body, in the shapes servers use. */
function fromJson(j: unknown): string | undefined {
  if (!isPlainObject(j)) return undefined;
  const e = j.error;
  if (typeof e === "string") return e; // LM Studio, some proxies
  if (isPlainObject(e) && typeof e.message === "string") return e.message; // OpenAI, Ollama, llama.cpp
  if (typeof j.message === "string") return j.message; // vLLM: {object:"error", message}
  const d = j.detail; // FastAPI-based servers and proxies
  if (typeof d === "string") return d;
  if (isPlainObject(d) && typeof d.message === "string") return d.message;
  if (Array.isArray(d)) {
    const parts = d.flatMap((x) => {
      if (!isPlainObject(x) || typeof x.msg !== "string") return [];
      return [Array.isArray(x.loc) ? `${x.loc.join(".")}: ${x.msg}` : x.msg];
    });
    return parts.length ? parts.join("; ") : undefined;
  }
  return undefined;
}

/**
 * The provider's own words in a reply body, short: an error member of a JSON body, an HTML page's
 * title (a proxy's 502 page), or the first line of plain text ("404 page not found").
 */
export function providerSays(text: string): string | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    const title = /<title>([^<]*)<\/title>/i.exec(text)?.[1];
    if (title !== undefined) return squash(title) ? cut(title) : undefined;
    if (/^\s*</.test(text)) return undefined;
    const line = text.split("\n").find((l) => l.trim());
    return line ? cut(line) : undefined;
  }
  const said = fromJson(parsed);
  return said && squash(said) ? cut(said) : undefined;
}

/** Whether a JSON body is an error report rather than the reply asked for. */
export function isErrorBody(j: unknown): boolean {
  return isPlainObject(j) && j.error !== undefined && j.error !== null;
}

export interface HintInput {
  status: number;
  /** `/chat/completions` or `/embeddings` */
  path: string;
  /** the base URL as failures show it */
  base: string;
  /** the model sent */
  model: string;
  hasKey: boolean;
  said?: string;
  retryAfter?: string | null;
}

const MODEL_MISSING =
  /\bmodel\b.*\b(not found|does not exist|not loaded|unknown)|\b(invalid|unknown|not a valid) model\b/i;

/** The fix for an error answer, as " (…)", or "". */
export function errorHint(h: HintInput): string {
  const said = h.said ?? "";
  if (h.status === 401 || h.status === 403) {
    return h.hasKey
      ? " (check OPENAI_API_KEY: the provider refused the key sent as a Bearer token)"
      : " (OPENAI_API_KEY is not set: set it to the provider's API key)";
  }
  if (h.status === 429) {
    const after = retryAfterText(h.retryAfter);
    return after ? ` (rate limited: retry after ${after})` : " (rate limited: retry later)";
  }
  const noModel = MODEL_MISSING.test(said) || (h.status === 404 && said.includes(h.model));
  if (h.status >= 400 && h.status < 500 && noModel) {
    const setting = h.path === "/embeddings"
      ? "--llm-embed-model or the call's model"
      : "--llm-model or OPENAI_MODEL";
    return ` (the server has no model '${h.model}'? set it with ${setting})`;
  }
  if (h.status === 400 && /context length|context window|maximum context/i.test(said)) {
    // vLLM refuses max_tokens past the room its max_model_len leaves; the default is 4096 (§5.8)
    return " (the model's context cannot hold the prompt plus maxTokens: pass a smaller " +
      "maxTokens (default 4096), or start the server with a longer context)";
  }
  const notHere = h.status === 404 || h.status === 405 ||
    (h.status < 300 && /endpoint|not found/i.test(said));
  if (!notHere) return "";
  // the endpoint URL a server's docs print, pasted as the base: the path went on twice
  const endpoint = /\/(chat\/completions|completions|embeddings|responses|models)$/.exec(h.base);
  if (endpoint) {
    return ` (--llm-base-url ends in the endpoint /${endpoint[1]}; give the API root: ` +
      `--llm-base-url ${h.base.slice(0, endpoint.index)})`;
  }
  if (!/\/v\d+[a-z]*(\/|$)/.test(new URL(h.base).pathname)) {
    // Ollama, llama.cpp, LM Studio, vLLM and LiteLLM all serve the OpenAI API under /v1
    return ` (no ${h.path} here: local servers serve the OpenAI API under /v1; ` +
      `try --llm-base-url ${h.base}/v1)`;
  }
  return ` (no ${h.path} here: --llm-base-url must be the API root that ${h.path} is appended to)`;
}

/** `Retry-After` (seconds or an HTTP date) as "N s", or "" when absent or unreadable. */
function retryAfterText(v: string | null | undefined): string {
  if (!v) return "";
  const t = v.trim();
  if (/^\d+$/.test(t)) return `${Number(t)} s`;
  const at = Date.parse(t);
  if (Number.isNaN(at)) return "";
  return `${Math.max(0, Math.ceil((at - Date.now()) / 1000))} s`;
}

/** The fix for a connection failure, as " (…)", or "". */
export function networkHint(why: string): string {
  if (!/connection refused/i.test(why)) return "";
  return " (is the server running? start it, or point --llm-base-url / OPENAI_BASE_URL at where " +
    "it listens)";
}

export const TIMEOUT_HINT =
  " (raise --llm-timeout-ms if the model needs longer; a local server's first call also loads the model)";
