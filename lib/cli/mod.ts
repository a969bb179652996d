/**
 * Command table and top-level dispatch for `anna-app-runtime <command>` (CONTRACT §2).
 * Each command module exports `run(argv): Promise<number>` (the exit code) and `help`.
 */
import { EXIT, printFatal, writeStderr, writeStdout } from "./output.ts";
import { UsageError } from "./flags.ts";

export interface CommandModule {
  run(argv: string[]): Promise<number>;
  help: string;
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

export function usage(): string {
  const rows = Object.entries(COMMANDS).map(([k, v]) => `  ${k.padEnd(10)} ${v.summary}`);
  return [
    "Usage: anna-app-runtime <command> [args] [flags]",
    "",
    "Commands:",
    ...rows,
    "",
    "Run `anna-app-runtime help <command>` for a command's flags.",
  ].join("\n");
}

const helpCommand: CommandModule = {
  help: "Usage: anna-app-runtime help [COMMAND]",
  async run(argv) {
    const name = argv.find((a) => !a.startsWith("-"));
    if (!name) {
      writeStdout(usage());
      return EXIT.OK;
    }
    const c = COMMANDS[name];
    if (!c) {
      writeStderr(`error: unknown command '${name}'\n\n${usage()}`);
      return EXIT.USAGE;
    }
    writeStdout((await c.load()).help);
    return EXIT.OK;
  },
};

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === "-h" || name === "--help") {
    writeStdout(usage());
    return name ? EXIT.OK : EXIT.USAGE;
  }
  const cmdName = name === "-V" || name === "--version" ? "version" : name;
  const entry = COMMANDS[cmdName];
  if (!entry) {
    writeStderr(`error: unknown command '${name}'\n\n${usage()}`);
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
  if (rest.includes("-h") || rest.includes("--help")) {
    writeStdout(mod.help);
    return EXIT.OK;
  }
  const fmtIdx = rest.findIndex((a) => a === "--format" || a.startsWith("--format="));
  const format = fmtIdx < 0
    ? undefined
    : rest[fmtIdx].includes("=")
    ? rest[fmtIdx].split("=")[1]
    : rest[fmtIdx + 1];
  try {
    return await mod.run(rest);
  } catch (e) {
    if (e instanceof UsageError) {
      printFatal(format, "usage", `${e.message}\n\n${mod.help}`);
      return EXIT.USAGE;
    }
    printFatal(format, "internal_error", `unexpected crash: ${(e as Error)?.stack ?? e}`);
    return EXIT.FAULT;
  }
}
