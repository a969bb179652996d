/** Mock-mode answers when no mock entry matched: echo (CONTRACT §10.3) and vectors (§10.4). */
import { sha256Bytes } from "../util/hash.ts";
import { isPlainObject } from "../util/json.ts";
import { contentTexts, embedInputs } from "./args.ts";
import { matchTextFor } from "./mocks.ts";

export const ECHO_MAX_CHARS = 200;
export const MOCK_EMBED_DIMS = 64;

/** Length in characters (code points), so a cut never splits a surrogate pair. */
const chars = (s: string) => Array.from(s);
const tokens = (s: string) => Math.ceil(chars(s).length / 4);

export function echoText(args: Record<string, unknown>): string {
  const msgs = Array.isArray(args.messages) ? args.messages : [];
  const last = msgs.findLast((m) => isPlainObject(m) && m.role === "user");
  if (!last) return "[mock] (no user message)";
  const text = contentTexts((last as { content: unknown }).content).join("\n");
  const cs = chars(text);
  return "[mock] " +
    (cs.length > ECHO_MAX_CHARS ? cs.slice(0, ECHO_MAX_CHARS).join("") + "…" : text);
}

export function echoComplete(args: Record<string, unknown>): Record<string, unknown> {
  const text = echoText(args);
  const inputTokens = tokens(matchTextFor("complete", args));
  const outputTokens = tokens(text);
  return {
    role: "assistant",
    content: { type: "text", text },
    model: "mock-echo",
    stopReason: "endTurn",
    usage: { inputTokens, outputTokens, totalTokens: inputTokens + outputTokens },
    _meta: { provider: "echo", latencyMs: 0 },
  };
}

/** Element j = b/127.5 − 1, b = byte (j mod 32) of SHA-256(input + "#" + floor(j/32)); L2-normalised. */
export function mockVector(input: string): number[] {
  const v: number[] = [];
  let digest: Uint8Array = new Uint8Array();
  for (let j = 0; j < MOCK_EMBED_DIMS; j++) {
    if (j % 32 === 0) digest = sha256Bytes(`${input}#${Math.floor(j / 32)}`);
    v.push(digest[j % 32] / 127.5 - 1);
  }
  const norm = Math.hypot(...v);
  return norm === 0 ? v : v.map((x) => x / norm);
}

export function mockEmbed(args: Record<string, unknown>): Record<string, unknown> {
  const inputs = embedInputs(args);
  const promptTokens = inputs.reduce((n, s) => n + tokens(s), 0);
  return {
    object: "list",
    model: typeof args.model === "string" ? args.model : "mock-embed",
    data: inputs.map((s, index) => ({ object: "embedding", index, embedding: mockVector(s) })),
    usage: { prompt_tokens: promptTokens, total_tokens: promptTokens },
    _meta: { provider: "mock", dimensions: MOCK_EMBED_DIMS, latencyMs: 0 },
  };
}
