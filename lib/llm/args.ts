/**
 * Argument schemas for `llm.complete` and `llm.embed` (CONTRACT §5.8). Aliases are folded into the
 * canonical names (canonical wins), defaults applied, `maxTokens` clamped; unknown keys are kept so
 * mock `match` rules (§10.2) still see what the caller sent.
 */
import { z } from "zod";
import { isPlainObject, utf8Length } from "../util/json.ts";

export const MAX_MESSAGES = 64;
export const MAX_TOKENS_DEFAULT = 4096;
export const MAX_TOKENS_CLAMP = 32768;
export const MAX_EMBED_INPUTS = 256;
export const MAX_EMBED_BYTES = 1024 * 1024;

export interface ArgIssue {
  path: string;
  message: string;
}
export type ParsedArgs<T> = { ok: true; value: T } | { ok: false; issues: ArgIssue[] };

const CONTENT_HINT =
  'content must be a string, a {type:"text", text} block, an {type:"image", …} block or an array of blocks';

/** Problem with one block, or undefined when it is a text or image block. */
function blockProblem(b: unknown): string | undefined {
  if (!isPlainObject(b)) return "block must be an object";
  if (b.type === "text") {
    return typeof b.text === "string" ? undefined : "text block needs a string 'text'";
  }
  if (b.type === "image") return undefined;
  return `unsupported block type ${JSON.stringify(b.type ?? null)} (expected "text" or "image")`;
}

const ContentSchema = z.unknown().superRefine((v, ctx) => {
  if (typeof v === "string") return;
  if (Array.isArray(v)) {
    v.forEach((b, i) => {
      const p = blockProblem(b);
      if (p) ctx.addIssue({ code: "custom", message: p, path: [i] });
    });
    return;
  }
  if (isPlainObject(v) && (v.type === "text" || v.type === "image")) {
    const p = blockProblem(v);
    if (p) ctx.addIssue({ code: "custom", message: p });
    return;
  }
  ctx.addIssue({ code: "custom", message: CONTENT_HINT });
});

export const MessageSchema = z.object({
  role: z.enum(["user", "assistant", "system"], {
    error: "role must be user, assistant or system",
  }),
  content: ContentSchema,
}, { error: "each message must be an object {role, content}" }).loose();

export const CompleteArgsSchema = z.object({
  messages: z.array(MessageSchema, { error: "messages is required: an array of {role, content}" })
    .min(1, { error: `messages must hold 1..${MAX_MESSAGES} items` })
    .max(MAX_MESSAGES, { error: `messages must hold 1..${MAX_MESSAGES} items` }),
  systemPrompt: z.string({ error: "systemPrompt must be a string" }).optional(),
  maxTokens: z.number({ error: "maxTokens must be an integer ≥ 1" })
    .int({ error: "maxTokens must be an integer ≥ 1" })
    .min(1, { error: "maxTokens must be an integer ≥ 1" })
    .optional()
    .transform((n) => Math.min(n ?? MAX_TOKENS_DEFAULT, MAX_TOKENS_CLAMP)),
  temperature: z.number({ error: "temperature must be a number 0..2" })
    .min(0, { error: "temperature must be a number 0..2" })
    .max(2, { error: "temperature must be a number 0..2" })
    .optional(),
  stopSequences: z.array(z.string(), { error: "stopSequences must be an array of strings" })
    .optional(),
});

export type LlmMessage = z.infer<typeof MessageSchema>;
export type CompleteArgs = z.infer<typeof CompleteArgsSchema> & Record<string, unknown>;

export const EmbedArgsSchema = z.object({
  input: z.union([
    z.string(),
    z.array(z.string(), { error: "input must be a string or an array of strings" })
      .min(1, { error: `input must hold 1..${MAX_EMBED_INPUTS} strings` })
      .max(MAX_EMBED_INPUTS, { error: `input must hold 1..${MAX_EMBED_INPUTS} strings` }),
  ], { error: "input must be a string or an array of 1..256 strings" })
    .superRefine((v, ctx) => {
      const total = (typeof v === "string" ? [v] : v).reduce((n, s) => n + utf8Length(s), 0);
      if (total > MAX_EMBED_BYTES) {
        ctx.addIssue({
          code: "custom",
          message: `input is ${total} bytes; the limit is 1 MiB total`,
        });
      }
    }),
  model: z.string({ error: "model must be a string" }).optional(),
});
export type EmbedArgs = z.infer<typeof EmbedArgsSchema> & Record<string, unknown>;

const NOT_OBJECT: ArgIssue[] = [{ path: "", message: "args must be an object" }];

/** Folds `alias` into `canonical`: canonical wins when both are present; nulls count as absent. */
function fold(
  args: Record<string, unknown>,
  pairs: [string, string][],
): { candidate: Record<string, unknown>; source: Record<string, string> } {
  const candidate: Record<string, unknown> = {};
  const source: Record<string, string> = {};
  for (const [canon, alias] of pairs) {
    const name = args[canon] != null ? canon : alias && args[alias] != null ? alias : undefined;
    if (name !== undefined) {
      candidate[canon] = args[name];
      source[canon] = name;
    }
  }
  return { candidate, source };
}

function issuesOf(err: z.ZodError, source: Record<string, string>): ArgIssue[] {
  return err.issues.map((i) => {
    const [head, ...rest] = i.path.map(String);
    const path = head === undefined ? "" : [source[head] ?? head, ...rest].join(".");
    return { path, message: i.message };
  });
}

/** Strips the undefined keys zod leaves for absent optionals. */
function defined(o: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined));
}

export function parseCompleteArgs(args: unknown): ParsedArgs<CompleteArgs> {
  if (!isPlainObject(args)) return { ok: false, issues: NOT_OBJECT };
  const { candidate, source } = fold(args, [
    ["messages", ""],
    ["systemPrompt", "system"],
    ["maxTokens", "max_tokens"],
    ["temperature", ""],
    ["stopSequences", "stop"],
  ]);
  const r = CompleteArgsSchema.safeParse(candidate);
  if (!r.success) return { ok: false, issues: issuesOf(r.error, source) };
  return { ok: true, value: { ...args, ...defined(r.data) } as CompleteArgs };
}

export function parseEmbedArgs(args: unknown): ParsedArgs<EmbedArgs> {
  if (!isPlainObject(args)) return { ok: false, issues: NOT_OBJECT };
  const { candidate, source } = fold(args, [["input", ""], ["model", ""]]);
  const r = EmbedArgsSchema.safeParse(candidate);
  if (!r.success) return { ok: false, issues: issuesOf(r.error, source) };
  return { ok: true, value: { ...args, ...defined(r.data) } as EmbedArgs };
}

/** The inputs of embed args as a list (a single string is one input). */
export function embedInputs(args: Record<string, unknown>): string[] {
  const v = args.input;
  return typeof v === "string"
    ? [v]
    : Array.isArray(v)
    ? v.filter((s) => typeof s === "string")
    : [];
}

/** Text pieces of one message content: the string, or the `text` of each text block. */
export function contentTexts(content: unknown): string[] {
  if (typeof content === "string") return [content];
  const blocks = Array.isArray(content) ? content : [content];
  return blocks.filter((b) => isPlainObject(b) && b.type === "text" && typeof b.text === "string")
    .map((b) => (b as { text: string }).text);
}

/** One-line summary of issues for an error message. */
export function describeIssues(issues: ArgIssue[]): string {
  return issues.map((i) => (i.path ? `${i.path}: ${i.message}` : i.message)).join("; ");
}
