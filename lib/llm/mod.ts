/**
 * LLM provider layer (CONTRACT §10). `createProvider` answers `llm.complete` / `llm.embed` (and the
 * executa reverse calls `sampling/createMessage` / `embeddings/create` through `lookupKeys`):
 * - mock: mock table (§10.2), else echo (§10.3) / deterministic vectors (§10.4);
 * - off: `llm_disabled` without consulting the table;
 * - openai: mock table, else the OpenAI-compatible HTTP API (§10.5).
 * Files: `args.ts` (zod schemas), `mocks.ts` (table), `echo.ts`, `openai.ts`, `config.ts`.
 */
import type { Logger } from "../util/log.ts";
import { describeIssues, parseCompleteArgs, parseEmbedArgs } from "./args.ts";
import { echoComplete, mockEmbed } from "./echo.ts";
import { type MatchKind, matchMock, matchTextFor, normaliseError } from "./mocks.ts";
import { openaiComplete, type OpenAiConfig, openaiEmbed } from "./openai.ts";
import type { LlmCallOptions, LlmMode, LlmProvider, LlmResult, MockEntry } from "./types.ts";

export type { LlmCallOptions, LlmMode, LlmProvider, LlmResult, MockEntry } from "./types.ts";
export * from "./args.ts";
export {
  LlmConfigError,
  loadMockFile,
  type MatchKind,
  matchMock,
  matchTextFor,
  MockFileError,
  mocksFromManifest,
  normaliseError,
  parseMockText,
} from "./mocks.ts";
export { mockFileWarnings, mockLineWarnings } from "./mock_keys.ts";
export { echoComplete, echoText, MOCK_EMBED_DIMS, mockEmbed, mockVector } from "./echo.ts";
export { chatRequestBody, type OpenAiConfig } from "./openai.ts";
export * from "./config.ts";

export const LLM_DISABLED_MESSAGE = "harness started with --no-llm";

export interface ProviderOptions {
  mode: LlmMode;
  mocks: MockEntry[];
  openai?: OpenAiConfig;
  logger?: Logger;
}

const disabled = (): LlmResult => ({
  ok: false,
  error: { code: "llm_disabled", message: LLM_DISABLED_MESSAGE },
});

function invalidArg(issues: { path: string; message: string }[]): LlmResult {
  return {
    ok: false,
    error: { code: "invalid_arg", message: describeIssues(issues), details: { issues } },
  };
}

function answer(entry: MockEntry): LlmResult {
  return Object.hasOwn(entry, "error") && entry.error !== undefined
    ? { ok: false, error: normaliseError(entry.error) }
    : { ok: true, result: entry.result };
}

export function createProvider(opts: ProviderOptions): LlmProvider {
  const { mode, mocks, logger } = opts;
  if (mode === "openai" && !opts.openai) {
    throw new Error("createProvider: openai mode needs opts.openai");
  }

  /** The table (then the call's extra mocks) for the first of `keys` that matches. */
  function lookup(
    kind: MatchKind,
    keys: string[],
    args: unknown,
    extra: MockEntry[] | undefined,
  ): MockEntry | undefined {
    const table = extra?.length ? [...mocks, ...extra] : mocks;
    if (table.length === 0) return undefined;
    const hit = matchMock(table, keys, args, matchTextFor(kind, args));
    if (hit) logger?.debug("mock matched", { keys: keys.join(","), source: hit.source });
    return hit;
  }

  return {
    mode,
    async complete(args: Record<string, unknown>, o: LlmCallOptions = {}): Promise<LlmResult> {
      if (mode === "off") return disabled();
      const parsed = parseCompleteArgs(args);
      if (!parsed.ok) return invalidArg(parsed.issues);
      // `match` keys compare with the args as sent (§10.2), not the defaulted, clamped copy
      const keys = o.lookupKeys ?? ["llm/complete"];
      const hit = lookup("complete", keys, o.matchArgs ?? args, o.extraMocks);
      if (hit) {
        o.onMockHit?.(hit);
        return answer(hit);
      }
      if (mode === "mock") return { ok: true, result: echoComplete(parsed.value) };
      return await openaiComplete(opts.openai!, parsed.value, o.signal);
    },
    async embed(args: Record<string, unknown>, o: LlmCallOptions = {}): Promise<LlmResult> {
      if (mode === "off") return disabled();
      const parsed = parseEmbedArgs(args);
      if (!parsed.ok) return invalidArg(parsed.issues);
      const hit = lookup("embed", o.lookupKeys ?? ["llm/embed"], o.matchArgs ?? args, o.extraMocks);
      if (hit) {
        o.onMockHit?.(hit);
        return answer(hit);
      }
      if (mode === "mock") return { ok: true, result: mockEmbed(parsed.value) };
      return await openaiEmbed(opts.openai!, parsed.value, o.signal);
    },
    lookupMock(ns: string, method: string, args: unknown, extra?: MockEntry[]) {
      // any other call, even one named like an LLM method: JSON.stringify(args) is its text
      return lookup("other", [`${ns}/${method}`], args, extra);
    },
  };
}

/** The outcome a matched mock entry stands for (for §5.9 callers of `lookupMock`). */
export function mockAnswer(entry: MockEntry): LlmResult {
  return answer(entry);
}
