/**
 * Flag parsing for every command, behind one module (node:util parseArgs underneath).
 * Adds what CONTRACT §2.1 needs on top: `--no-<flag>` for booleans, and usage errors (exit 2).
 */
import { parseArgs } from "node:util";
import { closest } from "../util/text.ts";

export type FlagDef = { type: "string" | "boolean"; multiple?: boolean; short?: string };
export type FlagSpec = Record<string, FlagDef>;
export type FlagValues = Record<string, string | boolean | string[] | undefined>;

export class UsageError extends Error {}

/** Flags every command accepts. */
export const COMMON_FLAGS: FlagSpec = {
  help: { type: "boolean", short: "h" },
  format: { type: "string" },
  "log-level": { type: "string" },
  "log-format": { type: "string" },
};

export const LOG_LEVEL_VALUES = ["error", "warn", "info", "debug"];
export const LOG_FORMAT_VALUES = ["pretty", "json"];
/** `--format` values of a command that prints results (§2.1); `smoke` adds `junit`. */
export const RESULT_FORMATS = ["pretty", "json"];

export interface ParseOptions {
  /** how many positional arguments the command takes (default 0) */
  positionals?: number;
  /** accepted `--format` values (default pretty|json); `null` = the command has no `--format` */
  formats?: string[] | null;
}

export function parseFlags(
  argv: string[],
  spec: FlagSpec,
  opts: ParseOptions = {},
): { values: FlagValues; positionals: string[] } {
  const formats = opts.formats === undefined ? RESULT_FORMATS : opts.formats;
  const common: FlagSpec = { ...COMMON_FLAGS };
  if (formats === null) delete common.format;
  const full: FlagSpec = { ...common, ...spec };
  const negated = new Map<string, boolean>();
  const args: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === "--") {
      args.push(...argv.slice(i));
      break;
    }
    const m = /^--no-([^=]+)(=.*)?$/s.exec(a);
    if (m && !full["no-" + m[1]] && full[m[1]]?.type === "boolean") {
      // node would call `--no-x=1` an unknown flag: it only knows `--x`
      if (m[2] !== undefined) throw new UsageError(switchValueText(`--no-${m[1]}`, full));
      negated.set(m[1], false);
      continue;
    }
    // last one wins: a later `--flag` undoes an earlier `--no-flag`
    const pos = /^--([^=]+)$/.exec(a);
    if (pos && full[pos[1]]?.type === "boolean") negated.delete(pos[1]);
    args.push(a);
  }
  let parsed;
  try {
    parsed = parseArgs({
      args,
      options: full as NonNullable<NonNullable<Parameters<typeof parseArgs>[0]>["options"]>,
      allowPositionals: true,
      strict: true,
    });
  } catch (e) {
    throw new UsageError(parseErrorText(e as Error & { code?: string }, full, args));
  }
  const values = { ...parsed.values } as FlagValues;
  for (const [k, v] of negated) values[k] = v;
  const max = opts.positionals ?? 0;
  if (parsed.positionals.length > max) {
    throw new UsageError(`unexpected argument '${parsed.positionals[max]}'`);
  }
  for (const [k, v] of Object.entries(values)) {
    // `--out=` or `--fixtures "$UNSET"`: every value flag names something, none means "" usefully
    if (v === "" || (Array.isArray(v) && v.includes(""))) {
      throw new UsageError(`--${k} is empty: give it a value, or leave the flag out`);
    }
  }
  oneOf(values, "format", formats ?? []);
  oneOf(values, "log-level", LOG_LEVEL_VALUES);
  oneOf(values, "log-format", LOG_FORMAT_VALUES);
  return { values, positionals: parsed.positionals };
}

/** node:util's parse errors in our words, with a "did you mean" for a mistyped flag. */
function parseErrorText(
  e: Error & { code?: string },
  spec: FlagSpec,
  args: string[],
): string {
  // node names a flag with a short form as '-h, --help': the long form is the one to show
  const quoted = /'(-[^']+)'/.exec(e.message)?.[1];
  const named = quoted?.split(/,\s*/).pop()?.split(" ")[0];
  if (e.code === "ERR_PARSE_ARGS_UNKNOWN_OPTION" && (named === "--version" || named === "-V")) {
    // §2.1's -V/--version stands in for the command, so it goes where a command goes
    return `unknown flag '${named}': for the version run 'anna-app-runtime ${named}' on its own ` +
      `(or 'anna-app-runtime version')`;
  }
  if (e.code === "ERR_PARSE_ARGS_UNKNOWN_OPTION" && named) {
    const near = named.startsWith("--") ? closest(named.slice(2), Object.keys(spec)) : undefined;
    return `unknown flag '${named}'` + (near ? ` (did you mean --${near}?)` : "");
  }
  if (e.code === "ERR_PARSE_ARGS_INVALID_OPTION_VALUE" && named) {
    if (/argument missing/.test(e.message)) return `${named} needs a value (${named} VALUE)`;
    // node reads a value starting with '-' as a possible flag and will not take it
    if (/argument is ambiguous/.test(e.message)) {
      const at = args.indexOf(named);
      const value = (at >= 0 ? args[at + 1] : undefined) ?? "-1";
      return `${named} ${value}: write a value that starts with '-' as ${named}=${value}`;
    }
    if (/does not take an argument/.test(e.message)) return switchValueText(named, spec);
  }
  return e.message.replace(/\. To specify.*$/s, "");
}

/**
 * `--x=value` on a switch: how to write it, and the opposite. A flag that is itself a negation
 * (`--no-fixtures`) is undone by leaving it out; `--no-no-fixtures` would only confuse.
 */
function switchValueText(flag: string, spec: FlagSpec): string {
  const name = flag.replace(/^--/, "");
  const base = name.startsWith("no-") ? name.slice(3) : "";
  const other = name === "help"
    ? ""
    : spec[name] === undefined && spec[base]?.type === "boolean"
    ? `, or --${base} to turn it on` // the negated form of a switch
    : base
    ? ", or leave it out"
    : `, or --no-${name} to turn it off`;
  return `${flag} takes no value: write ${flag}${other}`;
}

/** A string flag restricted to `allowed` values: anything else is a usage error (exit 2). */
function oneOf(values: FlagValues, k: string, allowed: string[]) {
  const v = values[k];
  if (typeof v !== "string" || allowed.includes(v)) return;
  const opts = allowed.length === 2 ? allowed.join(" or ") : `one of ${allowed.join(", ")}`;
  throw new UsageError(`--${k} must be ${opts} (got '${v}')`);
}

/** A list flag and the switch that empties it (`--executa` / `--no-executas`): one or the other. */
export function notBoth(v: FlagValues, list: string, none: string, what: string) {
  const x = v[list];
  if (v[none] !== true || x === undefined || (Array.isArray(x) && x.length === 0)) return;
  throw new UsageError(
    `--${list} and --${none} cannot be combined: give --${list} for just those ${what}, ` +
      `or --${none} for none`,
  );
}

export function str(v: FlagValues, k: string): string | undefined {
  const x = v[k];
  return typeof x === "string" ? x : undefined;
}
export function list(v: FlagValues, k: string): string[] {
  const x = v[k];
  return Array.isArray(x) ? x : typeof x === "string" ? [x] : [];
}
export function bool(v: FlagValues, k: string): boolean {
  return v[k] === true;
}
export function int(
  v: FlagValues,
  k: string,
  range?: [number, number],
): number | undefined {
  const x = str(v, k);
  if (x === undefined) return undefined;
  if (!/^-?\d+$/.test(x)) throw new UsageError(`--${k} must be an integer (got '${x}')`);
  const n = Number(x);
  if (range && (n < range[0] || n > range[1])) {
    // as typed: Number() would show a long value as 1e+21
    throw new UsageError(`--${k} must be between ${range[0]} and ${range[1]} (got ${x})`);
  }
  return n;
}
