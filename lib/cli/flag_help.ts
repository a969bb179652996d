/**
 * Help lines of the shared flag groups (CONTRACT §2.3) and of the log flags (§2.1), in one
 * wording for every command: each names its default and the §2.2 variable that sets it, so
 * `bridge --help` says what `dev --help` says about the same flag.
 */
import {
  DEFAULT_EMBED_MODEL,
  DEFAULT_LLM_TIMEOUT_MS,
  DEFAULT_OPENAI_BASE_URL,
  DEFAULT_OPENAI_MODEL,
} from "../llm/config.ts";
import { TOKEN_TTL_DEFAULT, TOKEN_TTL_MAX, TOKEN_TTL_MIN } from "../token/token.ts";

/** `flag  description` rows, descriptions aligned; a row with no flag continues the one above. */
export function flagRows(rows: [string, string][], indent = 2, width = 25): string {
  const pad = " ".repeat(indent);
  return rows.map(([flag, text]) =>
    flag.length >= width
      ? `${pad}${flag}\n${pad}${" ".repeat(width)}${text}`
      : `${pad}${flag.padEnd(width)}${text}`
  ).join("\n");
}

export const llmHelp = (indent = 2) =>
  flagRows([
    ["--llm mock|off|openai", "LLM provider mode (default mock); --no-llm = --llm off;"],
    ["", "openai mode reads its API key from $OPENAI_API_KEY"],
    ["--mock-llm FILE", "mock table (JSONL), repeatable"],
    [
      "--llm-base-url URL",
      `openai API (default $OPENAI_BASE_URL, else ${DEFAULT_OPENAI_BASE_URL})`,
    ],
    ["--llm-model NAME", `openai chat model (default $OPENAI_MODEL, else ${DEFAULT_OPENAI_MODEL})`],
    ["--llm-embed-model NAME", `openai embedding model (default ${DEFAULT_EMBED_MODEL})`],
    ["--llm-timeout-ms N", `openai call timeout (default ${DEFAULT_LLM_TIMEOUT_MS})`],
  ], indent);

export const TOKEN_HELP = flagRows([
  ["--key-file PATH", "dev key file (default $ANNA_APP_DEV_KEY_FILE, else ~/.anna-app/dev.key;"],
  ["", "created with mode 0600 when missing)"],
  [
    "--token-ttl SECONDS",
    `dev token lifetime, ${TOKEN_TTL_MIN}..${TOKEN_TTL_MAX} (default ${TOKEN_TTL_DEFAULT})`,
  ],
]);

export const EXECUTA_HELP = flagRows([
  ["--executa SPEC", "use this executa instead of discovery (repeatable)"],
  ["", "SPEC: dir=executas/x[,tool_id=ID][,type=python|node|go|binary]"],
  ["", '      [,handle=H][,command=["argv",...]]'],
  ["--no-executas", "no executas (no discovery)"],
]);

export const SERVER_HELP = flagRows([
  ["--host ADDR", "bind address (default 127.0.0.1; loopback only unless --allow-remote)"],
  ["--port N", "main origin port (default 5180; 0 = any free port)"],
  ["--app-port N", "app origin port (default main port + 1; 0 = any)"],
  ["--allow-remote", "allow a non-loopback bind and non-loopback peers (needs the control token)"],
  ["--allowed-host HOST", "extra accepted Host (HOST or HOST:PORT), repeatable"],
  ["--no-control-token", "do not require the control token (loopback only); the token is"],
  ["", "random per run unless $ANNA_APP_CONTROL_TOKEN fixes it"],
]);

/**
 * `--log-level` / `--log-format` of a command that logs. `format` is the command's `--format`
 * values (the log format follows `--format json`), or null for `bridge`, which has none.
 */
export function logHelp(level: "info" | "warn", format: "json" | null): string {
  return flagRows([
    ["--log-level LEVEL", `error|warn|info|debug (default $ANNA_APP_LOG_LEVEL, else ${level});`],
    ["", "logs go to stderr"],
    [
      "--log-format pretty|json",
      format ? "log lines (default json with --format json, else pretty)" : "(default pretty)",
    ],
  ]);
}
