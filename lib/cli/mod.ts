/**
 * Command table and top-level dispatch for `anna-app-runtime <command>` (CONTRACT §2).
 * Each command module exports `run(argv): Promise<number>` (the exit code) and `help`.
 */
import {
  EXIT,
  fatalFormat,
  printFatal,
  setJsonStderr,
  writeStderr,
  writeStdout,
} from "./output.ts";
import { type FlagSpec, parseFlags, UsageError } from "./flags.ts";
import { didYouMean } from "../util/text.ts";
import { flushStderr } from "../util/stderr_queue.ts";

export interface CommandModule {
  run(argv: string[]): Promise<number>;
  help: string;
  /** the command's own flags, beside the ones every command takes (`COMMON_FLAGS`) */
  flags: FlagSpec;
  /** `null` when the command has no `--format` (it prints no results: `bridge`) */
  formats?: string[] | null;
}

const COMMANDS: Record<string, { summary: string; load: () => Promise<CommandModule> }> = {
  bridge: { summary: "stdio JSON-RPC bridge", load: () => import("./bridge.ts") },
  dev: { summary: "dev server with dashboard for one app", load: () => import("./dev.ts") },
  serve: { summary: "dev server with no app loaded", load: () => import("./serve.ts") },
  smoke: {
    summary: "CI runner: validate, executas, fixtures, browser",
    load: () => import("./smoke.ts"),
  },
  validate: { summary: "check a manifest", load: () => import("./validate.ts") },
  executa: { summary: "describe|health|invoke one executa", load: () => import("./executa.ts") },
  token: { summary: "mint|verify dev tokens", load: () => import("./token.ts") },
  version: { summary: "print the version", load: () => import("./version.ts") },
  help: { summary: "print help for a command", load: () => Promise.resolve(helpCommand) },
};

// for `help` and `--help` only: the usage text after an error stays short
const ENVIRONMENT = `Environment:
  ANNA_APP_LOG_LEVEL       default --log-level (the flag wins)
  ANNA_APP_DEV_KEY_FILE    dev key file (default ~/.anna-app/dev.key; --key-file wins)
  ANNA_APP_CONTROL_TOKEN   fixed control token for dev/serve (at least 32 characters)
  ANNA_APP_PYTHON          python for executas when uv is missing (python3; python on Windows)
  ANNA_APP_CHROMIUM        Chromium for smoke --browser (--chromium wins)
  OPENAI_BASE_URL, OPENAI_API_KEY, OPENAI_MODEL
                           --llm openai settings (--llm-base-url, --llm-model win)
  NO_COLOR                 no ANSI colour in logs`;

const EXIT_CODES = `Exit codes:
  0 success (also a clean stop on EOF, SIGINT or SIGTERM)   1 a check failed
  2 usage or configuration error   3 runtime fault   130 a second SIGINT while stopping`;

/** The command list; `full` (for `help`/`--help`) adds §2.2's variables and §2.1's exit codes. */
export function usage(full = false): string {
  const rows = Object.entries(COMMANDS).map(([k, v]) => `  ${k.padEnd(10)} ${v.summary}`);
  return [
    "Usage: anna-app-runtime <command> [args] [flags]",
    "",
    "Commands:",
    ...rows,
    ...(full ? ["", ENVIRONMENT, "", EXIT_CODES] : []),
    "",
    "Run `anna-app-runtime help <command>` for a command's flags.",
  ].join("\n");
}

/** The command called `name` (for the tests' checks of every command's help against its flags). */
export function loadCommand(name: string): Promise<CommandModule> | undefined {
  return Object.hasOwn(COMMANDS, name) ? COMMANDS[name].load() : undefined;
}
export const COMMAND_NAMES = Object.keys(COMMANDS);

const helpCommand: CommandModule = {
  help: `Usage: anna-app-runtime help [COMMAND]

Prints the usage text of a command (always pretty: --format is accepted and changes nothing).
Like every command it also takes --log-level and --log-format (it logs nothing).`,
  flags: {},
  async run(argv) {
    // `--format` is accepted and ignored: help is always pretty (§2.12)
    const { positionals } = parseFlags(argv, {}, { positionals: 1 });
    const name = positionals[0];
    if (!name) {
      writeStdout(usage(true));
      return EXIT.OK;
    }
    const c = COMMANDS[name];
    if (!c) {
      const hint = didYouMean(name, Object.keys(COMMANDS));
      writeStderr(`error: unknown command '${name}'${hint}\n\n${usage()}`);
      return EXIT.USAGE;
    }
    writeStdout((await c.load()).help);
    return EXIT.OK;
  },
};

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name) {
    // no command is a usage error: the usage goes to stderr, stdout stays empty (§2.1)
    writeStderr(`error: missing command\n\n${usage()}`);
    return EXIT.USAGE;
  }
  if (name === "-h" || name === "--help") {
    if (rest.length) return await helpCommand.run(rest).catch((e) => usageFailure(e, helpCommand));
    writeStdout(usage(true));
    return EXIT.OK;
  }
  // a log collector parses every stderr line: usage and fatal errors become JSON lines too
  setJsonStderr(argValue(rest, "log-format") === "json");
  installCrashHandlers(argValue(rest, "format"));
  const cmdName = name === "-V" || name === "--version" ? "version" : name;
  const entry = COMMANDS[cmdName];
  if (!entry) {
    // a flag first (`--log-level debug validate .`): flags belong to the command
    const command = name.startsWith("-") ? rest.find((a) => Object.hasOwn(COMMANDS, a)) : undefined;
    const message = command
      ? `flags go after the command: anna-app-runtime ${command} ${name} …`
      : `unknown command '${name}'` + didYouMean(name, Object.keys(COMMANDS));
    if (fatalFormat(argValue(rest, "format")) === "json") {
      printFatal("json", "usage", `${message}; run 'help' for the list`);
    } else writeStderr(`error: ${message}\n\n${usage()}`);
    return EXIT.USAGE;
  }
  let mod: CommandModule;
  try {
    mod = await entry.load();
  } catch (e) {
    if (String(e).includes("Module not found")) {
      writeStderr(`error: '${cmdName}' is not available yet in this build`);
      return EXIT.USAGE;
    }
    throw e;
  }
  const end = rest.indexOf("--");
  const flags = end < 0 ? rest : rest.slice(0, end);
  if (flags.includes("-h") || flags.includes("--help")) {
    writeStdout(mod.help);
    return EXIT.OK;
  }
  const missing = cmdName === "version" ? [] : missingPermissions();
  if (missing.length) {
    // without them, a failing stat would read as "does not exist": say the real cause first
    printFatal(
      formatOf(mod, rest),
      "permissions",
      `anna-app-runtime needs every permission (it reads apps, spawns executas and serves ` +
        `HTTP); missing: ${missing.join(", ")}. Run it with 'deno run -A …'`,
      { missing },
    );
    return EXIT.USAGE;
  }
  try {
    return await mod.run(rest);
  } catch (e) {
    return usageFailure(e, mod, rest, cmdName);
  }
}

/** Permissions `deno run` did not grant (all are needed: a bundle run without -A). */
function missingPermissions(): string[] {
  const names = ["read", "write", "env", "run", "net", "sys"] as const;
  return names.filter((name) => Deno.permissions.querySync({ name }).state !== "granted");
}

/** The `--format` of a command line, as far as it can be told without the command's parser. */
function formatOf(mod: CommandModule, argv: string[]): string | undefined {
  return mod.formats === null ? undefined : argValue(argv, "format");
}

function argValue(argv: string[], flag: "format" | "log-format"): string | undefined {
  // as the command's own parser reads it: the last `--flag` before `--`
  const end = argv.indexOf("--");
  const flags = end < 0 ? argv : argv.slice(0, end);
  const i = flags.findLastIndex((a) => a === `--${flag}` || a.startsWith(`--${flag}=`));
  if (i < 0) return undefined;
  return flags[i].includes("=") ? flags[i].slice(flags[i].indexOf("=") + 1) : flags[i + 1];
}

/**
 * A usage error (exit 2) or an unexpected crash (exit 3) on stderr: pretty = the message, the
 * command's usage line and where its full help is (the whole help would push the error off
 * screen); json = one line `{"error":{code,message,details}}` (§2.1).
 */
function usageFailure(e: unknown, mod: CommandModule, argv: string[] = [], name = "help"): number {
  const format = fatalFormat(formatOf(mod, argv));
  if (e instanceof UsageError) {
    if (format === "json") printFatal(format, "usage", e.message);
    else {
      const synopsis = mod.help.split("\n\n", 1)[0];
      printFatal(
        format,
        "usage",
        `${e.message}\n\n${synopsis}\nRun 'anna-app-runtime help ${name}' for every flag.`,
      );
    }
    return EXIT.USAGE;
  }
  printFatal(format, "internal_error", `unexpected crash: ${(e as Error)?.stack ?? e}`);
  return EXIT.FAULT;
}

/**
 * An error no code path caught (a stray rejection, a throw in a timer) is an unexpected crash like
 * one `run` throws: said in the command's format, exit 3 (§2.1), not Deno's text and exit 1.
 */
export function installCrashHandlers(format: string | undefined) {
  const crashed = (e: Event, err: unknown) => {
    e.preventDefault();
    printFatal(format, "internal_error", `unexpected crash: ${(err as Error)?.stack ?? err}`);
    flushStderr().finally(() => Deno.exit(EXIT.FAULT));
  };
  globalThis.addEventListener("unhandledrejection", (e) => crashed(e, e.reason));
  globalThis.addEventListener("error", (e) => crashed(e, e.error));
}
