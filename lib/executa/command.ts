/**
 * The argv and environment an executa is started with (CONTRACT §9.3, §9.4). No shell: `argv[0]`
 * with a path separator is resolved against `project_dir`, otherwise looked up on PATH.
 */
import { basename, delimiter, isAbsolute, join, resolve } from "node:path";
import { Logger } from "../util/log.ts";
import { readNodeEntry, readPyprojectScripts } from "./discovery.ts";
import type { ExecutaSpec } from "./types.ts";
import { isFile } from "../util/fs.ts";
import { isUvRun, uvRunAsPython } from "./uv_run.ts";

const IS_WINDOWS = Deno.build.os === "windows";

export interface CommandOptions {
  /** Environment used for PATH and ANNA_APP_PYTHON; default: the runtime's environment. */
  env?: Record<string, string | undefined>;
  logger?: Logger;
}
/** Why an executa cannot be started; `command` = the argv that could not be spawned (§9.9). */
export type CommandError = { reason: string; message: string; command?: string[] };
export type CommandResult = { argv: string[] } | { error: CommandError };

let defaultLogger: Logger | undefined;
/** uv lookups per PATH value: in practice PATH is constant, so this is once per process. */
const uvCache = new Map<string, string | null>();
let uvWarned = false;

/** Clears the per-process uv lookup and one-time warning (tests only). */
export function resetCommandStateForTests() {
  uvCache.clear();
  uvWarned = false;
  pythonStandInWarned.clear();
}

async function isExecutable(path: string): Promise<boolean> {
  try {
    const st = await Deno.stat(path);
    return st.isFile && (IS_WINDOWS || st.mode === null || (st.mode & 0o111) !== 0);
  } catch {
    return false;
  }
}

/**
 * The suffixes to try after a program name, in order. On Windows a name without one of PATHEXT's
 * extensions gets them, and is never taken bare: PATH directories (Node's, pyenv-win's shims) hold
 * extension-less shell scripts next to the real `npx.cmd` or `python.bat`, which cannot be spawned.
 */
export function programSuffixes(
  name: string,
  env: Record<string, string | undefined>,
  os: string = Deno.build.os,
): string[] {
  if (os !== "windows") return [""];
  const exts = (env.PATHEXT ?? env.Pathext ?? ".COM;.EXE;.BAT;.CMD").split(";").filter(Boolean);
  const dot = name.lastIndexOf(".");
  const own = dot > 0 ? name.slice(dot).toUpperCase() : "";
  return exts.some((e) => e.toUpperCase() === own) ? [""] : exts;
}

/** Looks a program name up on PATH; returns its absolute path or null. */
export async function whichOnPath(
  name: string,
  env: Record<string, string | undefined>,
): Promise<string | null> {
  const path = env.PATH ?? env.Path ?? "";
  const exts = programSuffixes(name, env);
  for (const dir of path.split(delimiter)) {
    if (!dir) continue;
    for (const ext of exts) {
      const candidate = resolve(dir, name + ext);
      if (await isExecutable(candidate)) return candidate;
    }
  }
  return null;
}

const hasSeparator = (s: string) => s.includes("/") || (IS_WINDOWS && s.includes("\\"));

/**
 * What to run for a bare `python` / `python3` that is not on PATH, in order. Apps ship both
 * spellings in executa.json, and neither exists everywhere: macOS and Debian have no `python`, a
 * python.org install on Windows has no `python3` (but has the `py` launcher).
 */
export function pythonStandIns(
  prog: string,
  env: Record<string, string | undefined>,
  os: string = Deno.build.os,
): string[] {
  if (!/^python3?(\.exe)?$/i.test(prog)) return [];
  const names = [env.ANNA_APP_PYTHON, os === "windows" ? "python" : "python3"];
  if (os === "windows") names.push("py");
  const own = prog.toLowerCase().replace(/\.exe$/, "");
  return [...new Set(names)].filter((n): n is string => !!n && n.toLowerCase() !== own);
}

const pythonStandInWarned = new Set<string>();

/** The interpreter a script is usually started with, by its extension (for a hint). */
function interpreterFor(file: string): string | null {
  if (/\.py$/i.test(file)) return IS_WINDOWS ? "python" : "python3";
  if (/\.[cm]?js$/i.test(file)) return "node";
  return null;
}

/** Why `abs` (argv[0] with a path) cannot be run, and how to start it instead. */
async function notRunnable(abs: string, prog: string, dir: string): Promise<string> {
  const st = await Deno.stat(abs).catch(() => null);
  if (!st) {
    return `command ${abs} does not exist (a relative path is taken from the executa folder ` +
      `${dir}, the process's working directory)`;
  }
  if (!st.isFile) return `command ${abs} is not a file`;
  const interp = interpreterFor(abs);
  // no shell here (§9.3): a script runs by its #! line only with the exec bit set
  return `command ${abs} is not executable: chmod +x it (with a #! line)` +
    (interp ? `, or start it with its interpreter: ["${interp}", "${prog}"]` : "");
}

/**
 * When a command string was split on whitespace (§9.1, §2.10) through a path with spaces: the
 * hint to give the array form, if the first words joined again name a file of the executa.
 */
async function splitPathHint(argv: string[], dir: string): Promise<string> {
  for (let n = argv.length; n >= 2; n--) {
    const joined = argv.slice(0, n).join(" ");
    if (!(await isFile(resolve(dir, joined)))) continue;
    // a word without a path would be looked up on PATH, not in the folder
    const prog = hasSeparator(joined) || isAbsolute(joined) ? joined : `./${joined}`;
    const array = JSON.stringify([prog, ...argv.slice(n)]);
    return `; a command string is split on whitespace, so the path '${joined}' became ` +
      `${n} words: give the command as a JSON array, e.g. ${array}`;
  }
  return "";
}

/**
 * Resolves argv[0] (§9.3 heading rule); a missing program is a spawn failure, and its message
 * names the executa (an app with several gets it as `executa_unavailable` from any call).
 */
async function resolveArgv(
  argv: string[],
  spec: ExecutaSpec,
  env: Record<string, string | undefined>,
  logger?: Logger,
): Promise<CommandResult> {
  const dir = spec.project_dir;
  const failed = (message: string): CommandResult => ({
    error: {
      reason: "spawn_failed",
      message: `executa ${spec.tool_id}: ${message}`,
      command: argv,
    },
  });
  const [prog, ...rest] = argv;
  if (hasSeparator(prog) || isAbsolute(prog)) {
    const abs = resolve(dir, prog);
    for (const ext of programSuffixes(prog, env)) {
      if (await isExecutable(abs + ext)) return { argv: [abs + ext, ...rest] };
    }
    return failed((await notRunnable(abs, prog, dir)) + (await splitPathHint(argv, dir)));
  }
  const found = await whichOnPath(prog, env);
  if (found) return { argv: [found, ...rest] };
  for (const alt of pythonStandIns(prog, env)) {
    const p = isAbsolute(alt)
      ? (await isExecutable(alt) ? alt : null)
      : await whichOnPath(alt, env);
    if (!p) continue;
    if (!pythonStandInWarned.has(prog)) {
      pythonStandInWarned.add(prog);
      logger?.warn(`'${prog}' is not on PATH; starting executas that name it with ${p}`);
    }
    return { argv: [p, ...rest] };
  }
  let why = prog === "uv" ? " (install uv, or give a command that runs python directly)" : "";
  // `"command": ["main.py"]` for a file of the executa: a name without a path is a PATH lookup
  if (!why && await isFile(join(dir, prog))) {
    const interp = interpreterFor(prog);
    why = `; ${prog} in the executa folder is found only with a path: ` +
      (interp ? `["${interp}", "${prog}"] or ` : "") + `"./${prog}"`;
  }
  if (!why) why = await splitPathHint(argv, dir);
  return failed(`command '${prog}' was not found on PATH${why}`);
}

async function uvOnPath(env: Record<string, string | undefined>): Promise<string | null> {
  const key = env.PATH ?? env.Path ?? "";
  if (!uvCache.has(key)) uvCache.set(key, await whichOnPath("uv", env));
  return uvCache.get(key)!;
}

const PY_NAME = /^[A-Za-z_]\w*(\.[A-Za-z_]\w*)*$/;

/** The `-c` program: dir and dir/src first on sys.path, import, resolve attr, call, exit with it. */
export function pythonLauncher(dir: string, module: string, attr: string, argv0: string): string {
  const lit = (s: string) => JSON.stringify(s); // a JSON string is a valid Python string literal
  return [
    "import importlib, os, sys",
    `d = ${lit(dir)}`,
    'sys.path[:0] = [d, os.path.join(d, "src")]',
    `sys.argv[0] = ${lit(argv0)}`,
    `obj = importlib.import_module(${lit(module)})`,
    `for part in ${lit(attr)}.split("."):`,
    "    obj = getattr(obj, part)",
    "sys.exit(obj())",
  ].join("\n");
}

const pythonName = (env: Record<string, string | undefined>) =>
  env.ANNA_APP_PYTHON || (IS_WINDOWS ? "python" : "python3");

/** §9.3's one warning per process, for every python executa started without uv. */
function warnNoUv(python: string, logger: Logger) {
  if (uvWarned) return;
  uvWarned = true;
  logger.warn(
    `uv not found on PATH; starting python executas with ${python} directly ` +
      `(dependencies are not installed)`,
  );
}

async function pythonFallback(
  spec: ExecutaSpec,
  env: Record<string, string | undefined>,
  logger: Logger,
): Promise<CommandResult> {
  const python = pythonName(env);
  warnNoUv(python, logger);
  const dir = spec.project_dir;
  let scripts: [string, string][] = [];
  let unreadable = "";
  try {
    scripts = (await readPyprojectScripts(dir))?.scripts ?? [];
  } catch (e) {
    unreadable = (e as Error).message; // no usable entry, for this reason
  }
  const value = (scripts.find(([k]) => k === spec.tool_id) ?? scripts[0])?.[1];
  const target = value?.replace(/\[[^\]]*\]\s*$/, "").trim(); // drop "[extras]"
  const noEntry = (why: string): CommandResult => ({
    error: {
      reason: "no_python_entry",
      message: `cannot start python executa ${spec.tool_id} without uv: ${why}`,
    },
  });
  if (!target) {
    const pyproject = join(dir, "pyproject.toml");
    return noEntry(
      unreadable
        ? `${pyproject} could not be read (${unreadable})`
        : (await isFile(pyproject))
        ? `${pyproject} has no [project.scripts] entry`
        // the fix names the executa.json field: it works under dev, smoke, bridge and the executa
        // command alike (a --command flag exists only on the latter)
        : `${dir} has no pyproject.toml; give it a command instead, e.g. ` +
          `"command": ["python3", "main.py"] in its executa.json`,
    );
  }
  let argv: string[];
  if (target.includes(":")) {
    const [module, attr] = target.split(":", 2).map((s) => s.trim());
    if (!PY_NAME.test(module) || !PY_NAME.test(attr)) {
      return noEntry(`script entry ${JSON.stringify(value)} is not "module:attr"`);
    }
    argv = [python, "-c", pythonLauncher(dir, module, attr, spec.tool_id)];
  } else {
    if (!PY_NAME.test(target)) return noEntry(`script entry ${JSON.stringify(value)} is invalid`);
    argv = [python, "-m", target];
  }
  return await resolveArgv(argv, spec, env, logger);
}

async function binaryPath(spec: ExecutaSpec): Promise<string | null> {
  const dir = spec.project_dir;
  const names = [spec.tool_id, basename(resolve(dir))];
  for (const n of names) {
    // Windows: an app may ship `bin/tool` for Linux next to `bin/tool.exe`
    for (const ext of IS_WINDOWS ? [".exe", ""] : [""]) {
      const p = join(dir, "bin", n + ext);
      if (await isExecutable(p)) return p;
    }
  }
  return null;
}

/** The argv to spawn (cwd = project_dir), or why the executa cannot be started. */
export async function resolveCommand(
  spec: ExecutaSpec,
  opts: CommandOptions = {},
): Promise<CommandResult> {
  const env = opts.env ?? Deno.env.toObject();
  const logger = opts.logger ?? (defaultLogger ??= new Logger({}, "executa"));
  const dir = spec.project_dir;
  if (spec.command && spec.command.length > 0) {
    let argv = spec.command;
    // an executa.json `uv run … script.py` on a machine without uv: as §9.3's fallback does
    if (isUvRun(argv) && !(await uvOnPath(env))) {
      const python = pythonName(env);
      const plain = uvRunAsPython(argv, python);
      if (plain) {
        warnNoUv(python, logger);
        argv = plain;
      }
    }
    return await resolveArgv(argv, spec, env, logger);
  }
  switch (spec.type) {
    case "python": {
      const uv = await uvOnPath(env);
      if (uv) return { argv: [uv, "run", "--project", dir, spec.tool_id] };
      return await pythonFallback(spec, env, logger);
    }
    case "node": {
      let entry: string;
      try {
        entry = await readNodeEntry(dir, spec.tool_id);
      } catch (e) {
        // nothing ran, as with python's no_python_entry: not a crash, the same answer until fixed
        const message = `cannot start node executa ${spec.tool_id}: ${(e as Error).message}`;
        return { error: { reason: "no_node_entry", message } };
      }
      return await resolveArgv(["node", entry], spec, env);
    }
    case "go":
      return await resolveArgv(["go", "run", "."], spec, env);
    case "binary": {
      const p = await binaryPath(spec);
      if (p) return { argv: [p] };
      const names = [join(dir, "bin", spec.tool_id), join(dir, "bin", basename(resolve(dir)))];
      let bare = "";
      for (const n of names) if (!bare && await isFile(n)) bare = n;
      return {
        error: {
          reason: "spawn_failed",
          message: `binary executa ${spec.tool_id}: neither ${names[0]} ` +
            `nor ${names[1]} is an executable file` +
            (bare ? `; ${bare} has no exec bit: chmod +x it` : ""),
          command: [join(dir, "bin", spec.tool_id)],
        },
      };
    }
    default:
      return {
        error: {
          reason: "no_command",
          message: `executa ${spec.tool_id} has neither a command nor a type`,
        },
      };
  }
}

/** §9.4: runtime env + spec env + python variables; never the control token. */
export function childEnv(
  spec: ExecutaSpec,
  base: Record<string, string> = Deno.env.toObject(),
): Record<string, string> {
  const env: Record<string, string> = { ...base };
  delete env.ANNA_APP_CONTROL_TOKEN;
  Object.assign(env, spec.env);
  if (spec.type === "python") {
    env.PYTHONUNBUFFERED = "1";
    env.PYTHONIOENCODING = "utf-8";
  }
  return env;
}
