/** LLM settings from flags and env (CONTRACT §2.3, §10.5): flags > env > defaults. */
import { LlmConfigError, loadMockFile } from "./mocks.ts";
import type { OpenAiConfig } from "./openai.ts";
import type { LlmMode, MockEntry } from "./types.ts";

export const DEFAULT_OPENAI_BASE_URL = "https://api.openai.com/v1";
export const DEFAULT_OPENAI_MODEL = "gpt-4o-mini";
export const DEFAULT_EMBED_MODEL = "text-embedding-3-small";
export const DEFAULT_LLM_TIMEOUT_MS = 120_000;

export interface LlmFlags {
  /** `--llm mock|off|openai` */
  llm?: string;
  /** `--no-llm` */
  noLlm?: boolean;
  /** `--mock-llm FILE`, in flag order */
  mockLlm?: string[];
  baseUrl?: string;
  model?: string;
  embedModel?: string;
  timeoutMs?: number;
}

export interface LlmConfig {
  mode: LlmMode;
  /** entries of the `--mock-llm` files, flag order then line order */
  mocks: MockEntry[];
  /** set in `openai` mode only */
  openai?: OpenAiConfig;
}

/** Empty env values count as unset. */
const envOf = (env: Record<string, string | undefined>, k: string) => env[k] || undefined;

/**
 * The base URL as a config error shows it: a `user:password@` part keeps the user (no secret, and
 * it helps spot a typo) but not the password, which these errors would otherwise print to stderr
 * and CI logs. Textual, since the URL may be one `new URL` rejects.
 */
function withoutPassword(raw: string): string {
  // the scheme is optional: "alice:pw@host" parses with scheme "alice:" and is refused as such
  return raw.replace(/^((?:[^:/?#]*:\/\/)?[^/?#@:]*):[^/?#]*@/, "$1:***@");
}

/**
 * "localhost:11434/v1" (as server docs often print it) parses as scheme "localhost:" or not at
 * all: suggest the http:// form.
 */
function schemeHint(raw: string): string {
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(raw)) return "";
  try {
    const u = new URL(`http://${raw.trim()}`);
    return ` (did you mean '${withoutPassword(u.href.replace(/\/+$/, ""))}'?)`;
  } catch {
    return "";
  }
}

/** Throws `LlmConfigError` (or its subclass `MockFileError`); callers exit 2. */
export async function resolveLlmConfig(
  flags: LlmFlags,
  env: Record<string, string | undefined>,
): Promise<LlmConfig> {
  const mode = flags.noLlm ? "off" : flags.llm ?? "mock";
  if (mode !== "mock" && mode !== "off" && mode !== "openai") {
    throw new LlmConfigError(`--llm must be mock, off or openai (got '${mode}')`);
  }
  const mocks: MockEntry[] = [];
  // mocks load in every mode: §5.9 mocks for non-llm calls still apply with --no-llm
  for (const file of flags.mockLlm ?? []) mocks.push(...await loadMockFile(file));
  if (mode !== "openai") return { mode, mocks };

  const rawBase = flags.baseUrl || envOf(env, "OPENAI_BASE_URL") || DEFAULT_OPENAI_BASE_URL;
  const baseUrl = rawBase.replace(/\/+$/, "");
  let parsed: URL;
  try {
    parsed = new URL(baseUrl);
  } catch {
    throw new LlmConfigError(
      `LLM base URL '${withoutPassword(rawBase)}' is not a valid URL${schemeHint(rawBase)}`,
    );
  }
  if (parsed.protocol !== "http:" && parsed.protocol !== "https:") {
    throw new LlmConfigError(
      `LLM base URL '${withoutPassword(rawBase)}' must be http:// or https://${
        schemeHint(rawBase)
      }`,
    );
  }
  const apiKey = envOf(env, "OPENAI_API_KEY");
  const bad = apiKey ? apiKey.search(/[^\x21-\x7e]/) : -1;
  if (bad >= 0) {
    // the key itself is never printed
    throw new LlmConfigError(
      `OPENAI_API_KEY has a character an HTTP header cannot carry at position ${bad + 1} ` +
        "(a space, control character or non-ASCII; a trailing newline from a secrets file is " +
        "the usual cause): set it to the bare key",
    );
  }
  if (baseUrl === DEFAULT_OPENAI_BASE_URL && !apiKey) {
    throw new LlmConfigError(
      `--llm openai with the default base URL ${DEFAULT_OPENAI_BASE_URL} needs OPENAI_API_KEY; ` +
        "set it, or point --llm-base-url / OPENAI_BASE_URL at a local OpenAI-compatible server",
    );
  }
  const timeoutMs = flags.timeoutMs ?? DEFAULT_LLM_TIMEOUT_MS;
  if (!Number.isInteger(timeoutMs) || timeoutMs < 1) {
    throw new LlmConfigError(`--llm-timeout-ms must be a positive integer (got ${timeoutMs})`);
  }
  return {
    mode,
    mocks,
    openai: {
      baseUrl,
      apiKey,
      model: flags.model || envOf(env, "OPENAI_MODEL") || DEFAULT_OPENAI_MODEL,
      embedModel: flags.embedModel || DEFAULT_EMBED_MODEL,
      timeoutMs,
    },
  };
}
