/** OpenAI-compatible HTTP client (CONTRACT §10.5): request/response mapping and provider_error. */
import { isPlainObject } from "../util/json.ts";
import { contentTexts, embedInputs } from "./args.ts";
import { type OpenAiConfig, post } from "./openai_http.ts";
import type { LlmResult } from "./types.ts";

export { fetchFailure, MAX_REPLY_BYTES, type OpenAiConfig } from "./openai_http.ts";

const num = (v: unknown) => (typeof v === "number" && Number.isFinite(v) ? v : 0);

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
    return r.unusable("without choices[0] (not a chat completion)");
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

/**
 * An embedding sent as base64 (OpenAI's `encoding_format: "base64"`: little-endian float32), which
 * some servers and proxies answer with even unasked; undefined when it is not that.
 */
function fromBase64(b64: string): number[] | undefined {
  let bytes: Uint8Array;
  try {
    bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
  } catch {
    return undefined;
  }
  if (bytes.length === 0 || bytes.length % 4 !== 0) return undefined;
  const view = new DataView(bytes.buffer);
  return Array.from({ length: bytes.length / 4 }, (_, i) => view.getFloat32(i * 4, true));
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
    return r.unusable("without a data array (not an embeddings list)");
  }
  // one vector per input, or the app would pair vectors with the wrong texts
  if (j.data.length !== input.length) {
    return r.unusable(`with ${j.data.length} embeddings for ${input.length} inputs`);
  }
  const data: { object: string; index: number; embedding: number[] }[] = [];
  for (let i = 0; i < j.data.length; i++) {
    const d = j.data[i];
    const raw = isPlainObject(d) ? d.embedding : undefined;
    const emb = typeof raw === "string" ? fromBase64(raw) : raw;
    if (!Array.isArray(emb) || !emb.every((x) => typeof x === "number" && Number.isFinite(x))) {
      return r.unusable(`with data[${i}] not a numeric embedding`);
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
