/**
 * Executa specs from the outside: the `--executa` flag syntax (CONTRACT §2.10) and the
 * `executas.register` params (§4.4.8). Missing fields are derived from the directory (§9.2).
 */
import { z } from "zod";
import { resolve } from "node:path";
import { UsageError } from "../cli/flags.ts";
import { invalidParams } from "../core/rpc_error.ts";
import { isPlainObject } from "../util/json.ts";
import { zodIssues } from "../dispatcher/validate.ts";
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

// ---- executas.register ----

const SpecSchema = z.object({
  tool_id: z.string().min(1).max(200),
  project_dir: z.string().min(1),
  // without its own wording a union failure reads "Invalid input", naming neither form
  command: z.union([z.array(z.string()), z.string()], {
    error: 'must be an argv array of strings (e.g. ["python3", "main.py"]) or one string',
  }).nullish(),
  type: z.enum(["python", "node", "go", "binary"]).nullish(),
  env: z.record(z.string(), z.string()).nullish(),
  handle: z.string().min(1).nullish(),
  app_slug: z.string().min(1).nullish(),
});
const ListSchema = z.object({ executas: z.array(SpecSchema) });
type RawSpec = z.infer<typeof SpecSchema>;

async function toSpec(raw: RawSpec, path: string, cwd: string): Promise<ExecutaSpec> {
  const at = (k: string) => (path ? `${path}.${k}` : k);
  let command: string[] | null = null;
  if (raw.command !== undefined && raw.command !== null) {
    command = commandArgv(raw.command);
    if (!command) {
      throw invalidParams({
        issues: [{ path: at("command"), message: "command must be a non-empty argv" }],
      });
    }
  }
  const dir = resolve(cwd, raw.project_dir);
  if (!(await isDir(dir))) {
    throw invalidParams({
      reason: "project_dir_not_found",
      tool_id: raw.tool_id,
      project_dir: dir,
      issues: [{ path: at("project_dir"), message: `${dir} is not an existing directory` }],
    });
  }
  let type: ExecutaType | null = raw.type ?? null;
  const d = await deriveExecuta(dir);
  if (!command && !type) {
    type = d.type;
    command = d.command;
    if (!type && !command) {
      throw invalidParams({
        reason: "no_command",
        tool_id: raw.tool_id,
        project_dir: dir,
        issues: [{
          path: at("command"),
          message: `no command or type given and none can be derived from ${dir}; ` +
            `pass "type" (python|node|go|binary) or "command"`,
        }],
      });
    }
  }
  return {
    tool_id: raw.tool_id,
    project_dir: dir,
    command,
    type,
    env: { ...(raw.env ?? {}) },
    handle: raw.handle ?? handleFor(dir, [], d.slug),
    app_slug: raw.app_slug ?? null,
  };
}

/** Validates `executas.register` params: `{executas:[Spec…]}` or one Spec. Throws -32602. */
export async function validateRegisterParams(
  params: unknown,
  cwd: string,
): Promise<ExecutaSpec[]> {
  const isList = isPlainObject(params) && "executas" in params;
  const parsed = isList ? ListSchema.safeParse(params) : SpecSchema.safeParse(params);
  if (!parsed.success) {
    // the same wording as every other method's params (§4.3)
    throw invalidParams({ issues: zodIssues(parsed.error) });
  }
  const raws: RawSpec[] = isList
    ? (parsed.data as z.infer<typeof ListSchema>).executas
    : [parsed.data as RawSpec];
  const out: ExecutaSpec[] = [];
  for (let i = 0; i < raws.length; i++) {
    out.push(await toSpec(raws[i], isList ? `executas[${i}]` : "", cwd));
  }
  return out;
}
