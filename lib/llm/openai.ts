/** OpenAI-compatible HTTP client (CONTRACT §10.5): request/response mapping and provider_error. */
import { isPlainObject } from "../util/json.ts";
import { contentTexts, embedInputs } from "./args.ts";
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

type ProviderReason = "http" | "network" | "timeout" | "bad_response";

function providerError(
  reason: ProviderReason,
  message: string,
  extra: Record<string, unknown> = {},
): LlmResult {
  return { ok: false, error: { code: "provider_error", message, details: { reason, ...extra } } };
}

/** The image URL a block carries (`image_url` string or `{url}`), if any. */
function imageUrl(b: Record<string, unknown>): string | undefined {
  const iu = b.image_url;
  if (typeof iu === "string") return iu;
  if (isPlainObject(iu) && typeof iu.url === "string") return iu.url;
  if (typeof b.url === "string") return b.url;
  return undefined;
}

/** One contract message → one chat message: plain text, or parts when it carries image URLs. */
function toChatMessage(m: Record<string, unknown>): Record<string, unknown> {
  const blocks = Array.isArray(m.content) ? m.content : [m.content];
  const hasImage = blocks.some((b) => isPlainObject(b) && b.type === "image" && imageUrl(b));
  if (!hasImage) return { role: m.role, content: contentTexts(m.content).join("\n") };
  const parts: unknown[] = [];
  for (const b of blocks) {
    if (typeof b === "string") parts.push({ type: "text", text: b });
    else if (isPlainObject(b) && b.type === "text" && typeof b.text === "string") {
      parts.push({ type: "text", text: b.text });
    } else if (isPlainObject(b) && b.type === "image") {
      const url = imageUrl(b);
      if (url) parts.push({ type: "image_url", image_url: { url } });
    }
  }
  return { role: m.role, content: parts };
}

export function chatRequestBody(
  args: Record<string, unknown>,
  model: string,
): Record<string, unknown> {
  const messages: unknown[] = [];
  if (typeof args.systemPrompt === "string") {
    messages.push({ role: "system", content: args.systemPrompt });
  }
  for (const m of Array.isArray(args.messages) ? args.messages : []) {
    if (isPlainObject(m)) messages.push(toChatMessage(m));
  }
  const body: Record<string, unknown> = { model, messages, max_tokens: args.maxTokens ?? 4096 };
  if (typeof args.temperature === "number") body.temperature = args.temperature;
  if (Array.isArray(args.stopSequences)) body.stop = args.stopSequences;
  return body;
}

/** First 2 KiB of the body, cut on a UTF-8 character boundary. */
function headBytes(text: string): string {
  const bytes = new TextEncoder().encode(text);
  if (bytes.length <= ERROR_BODY_BYTES) return text;
  let end = ERROR_BODY_BYTES;
  while (end > 0 && (bytes[end] & 0xc0) === 0x80) end--;
  return new TextDecoder().decode(bytes.subarray(0, end));
}

const num = (v: unknown) => (typeof v === "number" && Number.isFinite(v) ? v : 0);

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

/** POSTs JSON and returns the parsed body or a provider_error. */
async function post(
  cfg: OpenAiConfig,
  path: string,
  body: unknown,
  signal?: AbortSignal,
): Promise<{ ok: true; json: unknown } | { ok: false; result: LlmResult }> {
  const target = new URL(`${cfg.baseUrl}${path}`);
  const url = shownUrl(target);
  const redact = redactor(cfg, target);
  const failed = (reason: ProviderReason, message: string, extra: Record<string, unknown> = {}) => {
    if (typeof extra.body === "string") extra.body = redact(extra.body);
    return { ok: false as const, result: providerError(reason, redact(message), extra) };
  };
  const timeout = AbortSignal.timeout(cfg.timeoutMs);
  const sig = signal ? AbortSignal.any([timeout, signal]) : timeout;
  const headers: Record<string, string> = {
    "content-type": "application/json",
    accept: "application/json",
  };
  if (cfg.apiKey) headers.authorization = `Bearer ${cfg.apiKey}`;
  let text: string;
  let status: number;
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
    // the timeout also covers reading the body
    const read = await readCapped(res, MAX_REPLY_BYTES);
    text = read.text;
    if (!res.ok) {
      const location = status >= 300 && status < 400 ? res.headers.get("location") : null;
      const hint = location === null ? "" : redirectHint(location, target, path);
      return failed("http", `LLM provider answered HTTP ${status} for POST ${url}${hint}`, {
        status,
        body: headBytes(text),
      });
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
        `LLM provider did not answer within ${cfg.timeoutMs} ms (POST ${url})`,
      );
    }
    const why = signal?.aborted ? "request cancelled" : fetchFailure(e);
    return failed("network", `cannot reach LLM provider at ${url}: ${why}`);
  }
  try {
    return { ok: true, json: JSON.parse(text) };
  } catch {
    return failed(
      "bad_response",
      `LLM provider at ${url} answered HTTP ${status} with a body that is not JSON`,
      { status, body: headBytes(text) },
    );
  }
}

export async function openaiComplete(
  cfg: OpenAiConfig,
  args: Record<string, unknown>,
  signal?: AbortSignal,
): Promise<LlmResult> {
  const started = performance.now();
  const r = await post(cfg, "/chat/completions", chatRequestBody(args, cfg.model), signal);
  if (!r.ok) return r.result;
  const j = r.json;
  const choice = isPlainObject(j) && Array.isArray(j.choices) ? j.choices[0] : undefined;
  if (!isPlainObject(choice)) {
    return providerError("bad_response", "LLM provider response has no choices[0]");
  }
  const content = isPlainObject(choice.message) ? choice.message.content : undefined;
  let text = "";
  if (typeof content === "string") text = content;
  else if (Array.isArray(content)) text = contentTexts(content).join("");
  const u = isPlainObject(j) && isPlainObject(j.usage) ? j.usage : {};
  return {
    ok: true,
    result: {
      role: "assistant",
      content: { type: "text", text },
      model: isPlainObject(j) && typeof j.model === "string" && j.model ? j.model : cfg.model,
      stopReason: choice.finish_reason === "length" ? "maxTokens" : "endTurn",
      usage: {
        inputTokens: num(u.prompt_tokens),
        outputTokens: num(u.completion_tokens),
        totalTokens: num(u.total_tokens),
      },
      _meta: { provider: "openai", latencyMs: Math.round(performance.now() - started) },
    },
  };
}

export async function openaiEmbed(
  cfg: OpenAiConfig,
  args: Record<string, unknown>,
  signal?: AbortSignal,
): Promise<LlmResult> {
  const started = performance.now();
  const model = typeof args.model === "string" ? args.model : cfg.embedModel;
  const input = embedInputs(args);
  const r = await post(cfg, "/embeddings", { model, input }, signal);
  if (!r.ok) return r.result;
  const j = r.json;
  if (!isPlainObject(j) || !Array.isArray(j.data)) {
    return providerError("bad_response", "LLM provider embeddings response has no data array");
  }
  // one vector per input, or the app would pair vectors with the wrong texts
  if (j.data.length !== input.length) {
    return providerError(
      "bad_response",
      `LLM provider returned ${j.data.length} embeddings for ${input.length} inputs`,
    );
  }
  const data: { object: string; index: number; embedding: number[] }[] = [];
  for (let i = 0; i < j.data.length; i++) {
    const d = j.data[i];
    const emb = isPlainObject(d) ? d.embedding : undefined;
    if (!Array.isArray(emb) || !emb.every((x) => typeof x === "number")) {
      return providerError(
        "bad_response",
        `LLM provider embeddings data[${i}] has no numeric embedding`,
      );
    }
    data.push({
      object: "embedding",
      index: Number.isInteger(d.index) ? d.index as number : i,
      embedding: emb,
    });
  }
  data.sort((a, b) => a.index - b.index);
  const u = isPlainObject(j.usage) ? j.usage : {};
  return {
    ok: true,
    result: {
      object: "list",
      model: typeof j.model === "string" && j.model ? j.model : model,
      data,
      usage: { prompt_tokens: num(u.prompt_tokens), total_tokens: num(u.total_tokens) },
      _meta: {
        provider: "openai",
        dimensions: data[0]?.embedding.length ?? 0,
        latencyMs: Math.round(performance.now() - started),
      },
    },
  };
}
