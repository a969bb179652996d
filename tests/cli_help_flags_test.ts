/**
 * Every command's help against its own parser (the flag table each command hands `parseFlags`):
 * each flag the parser accepts is in the help and each flag the help names is accepted; a flag a
 * §2.2 variable sets names that variable in every command that takes it, and the §2.1/§2.3/§15
 * defaults are stated where the flag is.
 */
import assert from "node:assert/strict";
import { COMMAND_NAMES, type CommandModule, loadCommand } from "../lib/cli/mod.ts";
import { COMMON_FLAGS, type FlagSpec } from "../lib/cli/flags.ts";

const commands: [string, CommandModule][] = [];
for (const name of COMMAND_NAMES) commands.push([name, await loadCommand(name)!]);

/** What the command's parser accepts: its own flags and the common ones (§2.1). */
function accepted(mod: CommandModule): FlagSpec {
  const common: FlagSpec = { ...COMMON_FLAGS };
  if (mod.formats === null) delete common.format;
  return { ...common, ...mod.flags };
}

/** The help's entry for `--flag`: the line it starts and the continuation lines under it. */
function entry(help: string, flag: string): string | undefined {
  const lines = help.split("\n");
  const at = lines.findIndex((l) => new RegExp(`^\\s*--${flag}(?![\\w-])`).test(l));
  if (at < 0) return undefined;
  const indent = lines[at].search(/\S/);
  const out = [lines[at]];
  for (const l of lines.slice(at + 1)) {
    if (l.search(/\S/) <= indent || /^\s*--/.test(l)) break;
    out.push(l);
  }
  return out.join("\n");
}

Deno.test("help: every flag a command's parser accepts is in its help", () => {
  for (const [name, mod] of commands) {
    const missing = Object.entries(accepted(mod))
      .filter(([flag]) => flag !== "help") // -h/--help is on every command (§2.1)
      .filter(([flag, def]) => {
        const forms = def.type === "boolean" ? [flag, `no-${flag}`] : [flag];
        return !forms.some((f) => new RegExp(`--${f}(?![\\w-])`).test(mod.help));
      })
      .map(([flag]) => `--${flag}`);
    assert.deepEqual(missing, [], `help ${name} leaves out flags its parser accepts`);
  }
});

Deno.test("help: every flag a command's help names is one its parser accepts", () => {
  for (const [name, mod] of commands) {
    const spec = accepted(mod);
    const named = new Set([...mod.help.matchAll(/(?<![\w-])--([a-z][\w-]*)/g)].map((m) => m[1]));
    const unknown = [...named].filter((f) => {
      const base = f.startsWith("no-") ? f.slice(3) : "";
      return !spec[f] && spec[base]?.type !== "boolean";
    });
    assert.deepEqual(unknown, [], `help ${name} names flags its parser refuses`);
  }
});

/** §2.2: the variable that sets each flag's default. */
const ENV_OF_FLAG: [string, string][] = [
  ["key-file", "ANNA_APP_DEV_KEY_FILE"],
  ["log-level", "ANNA_APP_LOG_LEVEL"],
  ["no-control-token", "ANNA_APP_CONTROL_TOKEN"],
  ["chromium", "ANNA_APP_CHROMIUM"],
  ["llm", "OPENAI_API_KEY"],
  ["llm-base-url", "OPENAI_BASE_URL"],
  ["llm-model", "OPENAI_MODEL"],
];
/** Commands that log nothing: their --log-level has no default to tell. */
const SILENT = ["validate", "version", "help"];

Deno.test("help: a flag a §2.2 variable sets names the variable in every command that takes it", () => {
  for (const [name, mod] of commands) {
    const spec = accepted(mod);
    for (const [flag, env] of ENV_OF_FLAG) {
      if (!spec[flag] || (flag === "log-level" && SILENT.includes(name))) continue;
      const text = entry(mod.help, flag);
      assert.ok(text, `help ${name} has an entry for --${flag}`);
      assert.match(text, new RegExp(`\\b${env}\\b`), `help ${name}: --${flag} names ${env}`);
    }
  }
  for (const name of SILENT) {
    const mod = commands.find(([n]) => n === name)![1];
    assert.match(mod.help, /logs nothing/, `help ${name} says why its --log-level has no default`);
  }
});

Deno.test("help: the defaults §2.1, §2.3 and §15 give are stated where the flag is", () => {
  const defaults: Record<string, string> = {
    llm: "mock",
    "token-ttl": "30",
    "llm-timeout-ms": "120000",
    port: "5180",
    host: "127.0.0.1",
    "call-timeout-ms": "120000",
  };
  // §2.1: --log-level defaults to info, warn for bridge and smoke
  const logLevel: Record<string, string> = { bridge: "warn", smoke: "warn" };
  for (const [name, mod] of commands) {
    const spec = accepted(mod);
    const want = { ...defaults };
    if (!SILENT.includes(name)) want["log-level"] = logLevel[name] ?? "info";
    for (const [flag, value] of Object.entries(want)) {
      if (!spec[flag]) continue;
      const text = entry(mod.help, flag) ?? "";
      assert.match(
        text,
        new RegExp(`default[^)]*\\b${value.replace(/\./g, "\\.")}\\b`),
        `help ${name}: --${flag} (default ${value}): ${text}`,
      );
    }
  }
});
