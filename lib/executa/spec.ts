/**
 * Executa specs from the `--executa` flag syntax (CONTRACT §2.10); missing fields are derived
 * from the directory (§9.2). The `executas.register` params (§4.4.8) live with their handler in
 * lib/bridge/executa_methods.ts.
 */
import { resolve } from "node:path";
import { UsageError } from "../cli/flags.ts";
import {
  bundledHandles,
  commandArgv,
  deriveExecuta,
  handleFor,
  splitCommand,
} from "./discovery.ts";
import { EXECUTA_TYPES, type ExecutaSpec, type ExecutaType } from "./types.ts";
import { isDir } from "../util/fs.ts";

const FLAG_KEYS = ["dir", "tool_id", "type", "handle", "command"];

/** Splits `k=v,k=v,…`; `command` may be a JSON array running to the end of the spec. */
function splitFlag(spec: string): Record<string, string> {
  const out: Record<string, string> = {};
  let rest = spec.trim();
  while (rest !== "") {
    const m = /^\s*([A-Za-z_]+)\s*=/.exec(rest);
    if (!m) throw new UsageError(`--executa '${spec}': expected key=value at '${rest}'`);
    const key = m[1].toLowerCase();
    if (!FLAG_KEYS.includes(key)) {
      throw new UsageError(
        `--executa '${spec}': unknown key '${m[1]}' (keys: ${FLAG_KEYS.join(", ")})`,
      );
    }
    if (key in out) throw new UsageError(`--executa '${spec}': key '${key}' given twice`);
    rest = rest.slice(m[0].length);
    let value: string;
    if (key === "command" && rest.trimStart().startsWith("[")) {
      value = rest.trim();
      rest = "";
    } else {
      const comma = rest.indexOf(",");
      value = (comma < 0 ? rest : rest.slice(0, comma)).trim();
      rest = comma < 0 ? "" : rest.slice(comma + 1);
    }
    if (value === "") throw new UsageError(`--executa '${spec}': '${key}' has an empty value`);
    out[key] = value;
  }
  return out;
}

function flagCommand(spec: string, value: string): string[] {
  if (!value.startsWith("[")) return splitCommand(value);
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch (e) {
    throw new UsageError(
      `--executa '${spec}': command is not a valid JSON array (${(e as Error).message}); ` +
        `command must be the last key, e.g. command=["python3","x.py"]`,
    );
  }
  const argv = commandArgv(parsed);
  if (!Array.isArray(parsed) || !argv) {
    throw new UsageError(`--executa '${spec}': command must be a non-empty array of strings`);
  }
  return argv;
}

/**
 * Parses one `--executa SPEC` (§2.10). `enabled:false` in executa.json is ignored here; a skill
 * (`executa_type: "skill"`) runs no process (§9.1), so it gives null and a line in `warnings`.
 */
export async function parseExecutaFlag(
  spec: string,
  appDir: string,
  warnings: string[] = [],
): Promise<ExecutaSpec | null> {
  const kv = splitFlag(spec);
  if (!kv.dir) throw new UsageError(`--executa '${spec}': 'dir' is required (dir=executas/<name>)`);
  const dir = resolve(appDir, kv.dir);
  if (!(await isDir(dir))) {
    throw new UsageError(`--executa '${spec}': dir ${dir} is not a directory`);
  }
  let type: ExecutaType | null = null;
  if (kv.type !== undefined) {
    if (!EXECUTA_TYPES.includes(kv.type as ExecutaType)) {
      throw new UsageError(
        `--executa '${spec}': type must be one of ${EXECUTA_TYPES.join("|")} (got '${kv.type}')`,
      );
    }
    type = kv.type as ExecutaType;
  }
  const command = kv.command !== undefined ? flagCommand(spec, kv.command) : null;
  const d = await deriveExecuta(dir, kv.dir);
  if (d.skill) {
    warnings.push(
      `--executa '${spec}': ${kv.dir} is a skill (executa_type "skill" in its executa.json); ` +
        `skills run no process, so it is skipped`,
    );
    return null;
  }
  const tool_id = kv.tool_id ?? d.tool_id;
  if (!tool_id) {
    throw new UsageError(
      `--executa '${spec}': cannot derive a tool_id from ${dir}` +
        (d.warning ? ` (${d.warning})` : "") + `; add tool_id=<id>`,
    );
  }
  // The directory's own command only applies when it describes the same type of executa.
  const derivedCommand = type === null || type === d.type ? d.command : null;
  const finalType = type ?? d.type;
  const finalCommand = command ?? derivedCommand;
  if (!finalType && !finalCommand) {
    throw new UsageError(
      `--executa '${spec}': cannot derive how to start ${dir}; add type=python|node|go|binary ` +
        `or command=...`,
    );
  }
  return {
    tool_id,
    project_dir: dir,
    command: finalCommand,
    type: finalType,
    env: {},
    handle: kv.handle ?? handleFor(dir, await bundledHandles(appDir), d.slug),
    app_slug: null,
  };
}

/**
 * Every `--executa` flag in order. A tool_id given twice keeps the first, as discovery does (§9.2):
 * the pool holds one executa per tool_id, so a later one would silently replace it.
 */
export async function parseExecutaFlags(
  flags: string[],
  appDir: string,
  warnings: string[] = [],
): Promise<ExecutaSpec[]> {
  const specs: ExecutaSpec[] = [];
  const from = new Map<string, string>();
  for (const f of flags) {
    const s = await parseExecutaFlag(f, appDir, warnings);
    if (!s) continue;
    const first = from.get(s.tool_id);
    if (first !== undefined) {
      warnings.push(
        `skipping --executa '${f}': tool_id "${s.tool_id}" already provided by --executa '${first}'`,
      );
      continue;
    }
    from.set(s.tool_id, f);
    specs.push(s);
  }
  return specs;
}
