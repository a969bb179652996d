/**
 * Pieces shared by the commands that run the core (`bridge`, `dev`, `serve`, `smoke`, `executa`):
 * flag groups of CONTRACT §2.3, logger, dev key, LLM provider and executa pool construction.
 */
import { bool, type FlagSpec, type FlagValues, int, list, str, UsageError } from "./flags.ts";
import { type LogFormat, Logger, type LogLevel, parseLogLevel } from "../util/log.ts";
import { setDropNoteJson } from "../util/stderr_queue.ts";
import {
  defaultKeyPath,
  type DevKey,
  KeyFileError,
  loadOrCreateKey,
  TOKEN_TTL_DEFAULT,
  TOKEN_TTL_MAX,
  TOKEN_TTL_MIN,
} from "../token/mod.ts";
import { createProvider, LlmConfigError, mockFileWarnings, resolveLlmConfig } from "../llm/mod.ts";
import type { LlmProvider } from "../llm/types.ts";

export const LLM_FLAGS: FlagSpec = {
  llm: { type: "string" },
  "no-llm": { type: "boolean" },
  "mock-llm": { type: "string", multiple: true },
  "llm-base-url": { type: "string" },
  "llm-model": { type: "string" },
  "llm-embed-model": { type: "string" },
  "llm-timeout-ms": { type: "string" },
};
export const TOKEN_FLAGS: FlagSpec = {
  "key-file": { type: "string" },
  "token-ttl": { type: "string" },
};
export const EXECUTA_FLAGS: FlagSpec = {
  executa: { type: "string", multiple: true },
  "no-executas": { type: "boolean" },
};
export const SERVER_FLAGS: FlagSpec = {
  host: { type: "string" },
  port: { type: "string" },
  "app-port": { type: "string" },
  "allow-remote": { type: "boolean" },
  "allowed-host": { type: "string", multiple: true },
  "no-control-token": { type: "boolean" },
};

/** A configuration problem the command reports with exit 2 (§2.1). */
export class ConfigError extends Error {}

export function makeLogger(
  v: FlagValues,
  defaults: { level: LogLevel; format?: LogFormat },
): Logger {
  const lvFlag = str(v, "log-level");
  if (lvFlag !== undefined && !parseLogLevel(lvFlag)) {
    throw new UsageError(`--log-level must be one of error, warn, info, debug (got '${lvFlag}')`);
  }
  // the environment is forgiving about case (DEBUG), and says when it cannot be used
  const lvEnv = Deno.env.get("ANNA_APP_LOG_LEVEL")?.trim();
  const envLevel = parseLogLevel(lvEnv?.toLowerCase());
  const level = parseLogLevel(lvFlag) ?? envLevel ?? defaults.level;
  const lf = str(v, "log-format");
  if (lf !== undefined && lf !== "pretty" && lf !== "json") {
    throw new UsageError(`--log-format must be pretty or json (got '${lf}')`);
  }
  const format =
    (lf ?? defaults.format ?? (str(v, "format") === "json" ? "json" : "pretty")) as LogFormat;
  let color = false;
  try {
    // §2.1: colour only while NO_COLOR is unset; `NO_COLOR=` (set, empty) turns it off too
    color = Deno.stderr.isTerminal() && Deno.env.get("NO_COLOR") === undefined;
  } catch { /* not a terminal */ }
  if (lvEnv && !envLevel && lvFlag === undefined) {
    // said even where the command's default level is quieter than warn: it is why logs are missing
    new Logger({ level: "warn", format, color }).warn(
      `ANNA_APP_LOG_LEVEL='${lvEnv}' is not a log level (error, warn, info, debug); using ${level}`,
    );
  }
  setDropNoteJson(format === "json");
  return new Logger({ level, format, color });
}

export function tokenTtl(v: FlagValues): number {
  return int(v, "token-ttl", [TOKEN_TTL_MIN, TOKEN_TTL_MAX]) ?? TOKEN_TTL_DEFAULT;
}

export async function loadKey(v: FlagValues, logger: Logger): Promise<DevKey> {
  try {
    // inside the try: with HOME unset, locating the default key file is itself a config error
    const path = str(v, "key-file") ?? defaultKeyPath();
    return await loadOrCreateKey(path, logger.child("token"));
  } catch (e) {
    if (e instanceof KeyFileError) throw new ConfigError(e.message);
    throw e;
  }
}

export async function makeLlm(v: FlagValues, logger: Logger): Promise<LlmProvider> {
  try {
    const cfg = await resolveLlmConfig({
      llm: str(v, "llm"),
      noLlm: bool(v, "no-llm"),
      mockLlm: list(v, "mock-llm"),
      baseUrl: str(v, "llm-base-url"),
      model: str(v, "llm-model"),
      embedModel: str(v, "llm-embed-model"),
      timeoutMs: int(v, "llm-timeout-ms", [1, 86_400_000]),
    }, Deno.env.toObject());
    for (const w of mockFileWarnings(cfg.mocks)) logger.warn(w);
    return createProvider({ ...cfg, logger: logger.child("llm") });
  } catch (e) {
    if (e instanceof LlmConfigError) throw new ConfigError(e.message);
    throw e;
  }
}
