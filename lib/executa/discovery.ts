/**
 * Executa discovery (CONTRACT §9.1–§9.2): candidates under `<app>/executas/`, `app.json`
 * `bundled_executas` paths, or the app directory itself; first matching rule per directory; handles.
 * Also the small readers other modules need: `readNodeEntry`, `readPyprojectScripts`.
 */
import { basename, join, relative, resolve } from "node:path";
import { decodeUserFile, isPlainObject, NOT_UTF8, parseJsonText, utf16Hint } from "../util/json.ts";
import { parseToml } from "./toml.ts";
import { EXECUTA_TYPES, type ExecutaSpec, type ExecutaType } from "./types.ts";
import { isDir, isFile } from "../util/fs.ts";

const IS_WINDOWS = Deno.build.os === "windows";

/** What a directory says about the executa in it (§9.2 rules 1–6). */
export interface Derivation {
  rule: "executa.json" | "pyproject.toml" | "package.json" | "go.mod" | "bin" | null;
  tool_id: string | null;
  type: ExecutaType | null;
  command: string[] | null;
  /** `executa.json` `slug` (a handle candidate). */
  slug: string | null;
  enabled: boolean;
  skill: boolean;
  /** Why the directory cannot be used as discovered (skipped with this warning). */
  warning?: string;
}

/**
 * A discovery file's text (null: it cannot be read), or the line of its first byte that is not
 * UTF-8: read lossily, a Latin-1 `é` in a tool_id or entry path became U+FFFD unnoticed (§1.3).
 */
async function readText(path: string): Promise<{ text: string } | { badLine: number } | null> {
  let bytes: Uint8Array;
  try {
    bytes = await Deno.readFile(path);
  } catch {
    return null;
  }
  const { text, badLine } = decodeUserFile(bytes);
  return badLine ? { badLine } : { text };
}

async function isExecutableFile(path: string): Promise<boolean> {
  try {
    const st = await Deno.stat(path);
    if (!st.isFile) return false;
    return IS_WINDOWS || st.mode === null || (st.mode & 0o111) !== 0;
  } catch {
    return false;
  }
}

/** Splits a command string on whitespace (no shell). */
export function splitCommand(s: string): string[] {
  return s.trim().split(/\s+/).filter((x) => x !== "");
}

/** `command` as argv: a non-empty string[] or a string split on whitespace; else null. */
export function commandArgv(v: unknown): string[] | null {
  if (typeof v === "string") {
    const argv = splitCommand(v);
    return argv.length ? argv : null;
  }
  if (Array.isArray(v) && v.length > 0 && v.every((x) => typeof x === "string") && v[0] !== "") {
    return [...v] as string[];
  }
  return null;
}

/** `[project] name` and `[project.scripts]` in file order; `null` when there is no pyproject.toml. */
export async function readPyprojectScripts(
  dir: string,
): Promise<{ name: string | null; scripts: [string, string][] } | null> {
  const read = await readText(join(dir, "pyproject.toml"));
  if (read === null) return null;
  if ("badLine" in read) throw new Error(`line ${read.badLine} is ${NOT_UTF8}`);
  const { text } = read;
  // UTF-16 text would parse as TOML with no tables, and the executa would seem to have no scripts
  const utf16 = utf16Hint(text);
  if (utf16) throw new Error(utf16);
  const root = parseToml(text);
  const project = isPlainObject(root.project) ? root.project : {};
  const scripts = isPlainObject(project.scripts) ? project.scripts : {};
  return {
    name: typeof project.name === "string" ? project.name : null,
    scripts: Object.entries(scripts).filter((e): e is [string, string] => typeof e[1] === "string"),
  };
}

type JsonRead = { value?: unknown; error?: string; badLine?: number };

async function readJson(path: string): Promise<JsonRead | null> {
  const read = await readText(path);
  return read === null ? null : "badLine" in read ? read : parseJsonText(read.text);
}

/** Why a JSON file gives nothing (warning text): `file:N: not valid UTF-8…`, or not an object. */
function notObject(file: string, r: JsonRead): string {
  if (r.badLine) return `${file}:${r.badLine}: ${NOT_UTF8}`;
  return `${file} is not a JSON object${r.error !== undefined ? ` (${r.error})` : ""}`;
}

function nodeToolId(pkg: Record<string, unknown>): string | null {
  const ex = pkg.executa;
  if (isPlainObject(ex) && typeof ex.tool_id === "string" && ex.tool_id) return ex.tool_id;
  if (isPlainObject(pkg.bin)) {
    const first = Object.keys(pkg.bin)[0];
    if (first) return first;
  }
  return typeof pkg.name === "string" && pkg.name ? pkg.name : null;
}

/**
 * §9.2 rule 3 entry file for a node executa (`index.js` without a usable package.json). Throws
 * for a package.json that is not UTF-8.
 */
export async function readNodeEntry(dir: string, toolId?: string): Promise<string> {
  const file = join(dir, "package.json");
  const r = await readJson(file);
  // its `bin` is unknown, so index.js would be a guess that fails later with a stranger message
  if (r?.badLine) throw new Error(`${file}:${r.badLine}: ${NOT_UTF8}`);
  const pkg = r && isPlainObject(r.value) ? r.value : null;
  if (!pkg) return "index.js";
  const id = toolId ?? nodeToolId(pkg);
  const bin = pkg.bin;
  if (isPlainObject(bin)) {
    if (id !== null && typeof bin[id] === "string") return bin[id] as string;
    const first = Object.values(bin).find((v) => typeof v === "string");
    if (typeof first === "string") return first;
  } else if (typeof bin === "string" && bin) return bin;
  if (typeof pkg.main === "string" && pkg.main) return pkg.main;
  if (typeof pkg.module === "string" && pkg.module) return pkg.module;
  return "index.js";
}

const none = (): Derivation => ({
  rule: null,
  tool_id: null,
  type: null,
  command: null,
  slug: null,
  enabled: true,
  skill: false,
});

/** Applies the §9.2 rules to one directory. `label` names it in warnings. */
export async function deriveExecuta(dir: string, label = dir): Promise<Derivation> {
  const d = none();
  const ej = await readJson(join(dir, "executa.json"));
  if (ej) {
    d.rule = "executa.json";
    if (!isPlainObject(ej.value)) {
      d.warning = `skipping executa ${label}: ${notObject("executa.json", ej)}`;
      return d;
    }
    const j = ej.value;
    if (typeof j.tool_id === "string" && j.tool_id) d.tool_id = j.tool_id;
    if (EXECUTA_TYPES.includes(j.type as ExecutaType)) d.type = j.type as ExecutaType;
    d.slug = typeof j.slug === "string" && j.slug ? j.slug : null;
    d.enabled = j.enabled !== false;
    d.skill = j.executa_type === "skill";
    const t = j.transport;
    d.command = j.command !== undefined
      ? commandArgv(j.command)
      : isPlainObject(t) && typeof t.command === "string"
      ? commandArgv([t.command, ...(Array.isArray(t.args) ? t.args.map(String) : [])])
      : null;
    if (j.command !== undefined && d.command === null) {
      d.warning = `skipping executa ${label}: executa.json "command" must be a non-empty ` +
        `string or list of strings`;
    } else if (!d.tool_id || !d.type) {
      // a type that is there but unknown ("nodejs", "Python") is named, not called missing
      const got = j.type === undefined ? "" : `, got ${JSON.stringify(j.type)}`;
      const missing = [
        !d.tool_id && '"tool_id"',
        !d.type && `"type" (python|node|go|binary${got})`,
      ].filter(Boolean).join(" and ");
      d.warning = `skipping executa ${label}: executa.json needs ${missing}`;
    }
    return d;
  }
  let py: Awaited<ReturnType<typeof readPyprojectScripts>> = null;
  try {
    py = await readPyprojectScripts(dir);
  } catch (e) {
    return {
      ...d,
      rule: "pyproject.toml",
      type: "python",
      warning: `skipping executa ${label}: pyproject.toml could not be read (${
        (e as Error).message
      })`,
    };
  }
  if (py) {
    d.rule = "pyproject.toml";
    d.type = "python";
    d.tool_id = py.scripts[0]?.[0] ?? null;
    if (!d.tool_id) {
      d.warning = `skipping executa ${label}: pyproject.toml has no [project.scripts] entry ` +
        `(its first key is the tool_id)`;
    }
    return d;
  }
  const pj = await readJson(join(dir, "package.json"));
  if (pj) {
    d.rule = "package.json";
    d.type = "node";
    if (!isPlainObject(pj.value)) {
      d.warning = `skipping executa ${label}: ${notObject("package.json", pj)}`;
      return d;
    }
    d.tool_id = nodeToolId(pj.value);
    if (!d.tool_id) {
      d.warning = `skipping executa ${label}: package.json has no executa.tool_id, bin or name`;
    }
    return d;
  }
  if (await isFile(join(dir, "go.mod"))) {
    d.rule = "go.mod";
    d.warning = `go executa ${label} needs executa.json with "type":"go"`;
    return d;
  }
  const name = basename(resolve(dir));
  const bin = join(dir, "bin", name);
  if ((IS_WINDOWS && await isExecutableFile(bin + ".exe")) || await isExecutableFile(bin)) {
    return { ...d, rule: "bin", type: "binary", tool_id: name };
  }
  return d;
}

/** `app.json` `bundled_executas` as [handle, absolute path] pairs in declaration order. */
export async function bundledHandles(
  appDir: string,
  warnings: string[] = [],
): Promise<[string, string][]> {
  const r = await readJson(join(appDir, "app.json"));
  if (!r) return [];
  if (!isPlainObject(r.value)) {
    warnings.push(`${notObject("app.json", r)}; its bundled_executas are ignored`);
    return [];
  }
  const be = r.value.bundled_executas;
  if (be === undefined) return [];
  let pairs: [string, unknown][];
  if (Array.isArray(be)) {
    warnings.push(
      `app.json bundled_executas should be an object {handle: {path}}; ` +
        `using list indexes as handles`,
    );
    pairs = be.map((v, i) => [String(i), v]);
  } else if (isPlainObject(be)) pairs = Object.entries(be);
  else return [];
  const out: [string, string][] = [];
  for (const [handle, v] of pairs) {
    const p = typeof v === "string" ? v : isPlainObject(v) ? v.path : undefined;
    if (typeof p === "string" && p) out.push([handle, resolve(appDir, p)]);
    else warnings.push(`app.json bundled_executas.${handle} has no "path"; ignored`);
  }
  return out;
}

function byteCompare(a: string, b: string): number {
  const x = new TextEncoder().encode(a), y = new TextEncoder().encode(b);
  for (let i = 0; i < Math.min(x.length, y.length); i++) if (x[i] !== y[i]) return x[i] - y[i];
  return x.length - y.length;
}

/** The §9.2 handle of a directory: app.json key, else executa.json slug, else the directory name. */
export function handleFor(dir: string, handles: [string, string][], slug: string | null): string {
  const abs = resolve(dir);
  return handles.find(([, p]) => p === abs)?.[0] ?? slug ?? basename(abs);
}

/** What discovery found: the executas, its warnings, and every folder it looked at. */
export interface Discovery {
  specs: ExecutaSpec[];
  warnings: string[];
  /** each candidate folder's name and handle, whatever came of it (skills and skipped ones too) */
  folders: { name: string; handle: string }[];
}

export async function discoverExecutas(appDir: string): Promise<Discovery> {
  const app = resolve(appDir);
  const warnings: string[] = [];
  const handles = await bundledHandles(app, warnings);
  const candidates: string[] = [];
  try {
    const names: string[] = [];
    for await (const e of Deno.readDir(join(app, "executas"))) names.push(e.name);
    names.sort(byteCompare);
    for (const n of names) {
      const p = join(app, "executas", n);
      if (await isDir(p)) candidates.push(p);
    }
  } catch { /* no executas/ directory */ }
  for (const [handle, p] of handles) {
    if (candidates.includes(p)) continue;
    if (await isDir(p)) candidates.push(p);
    else warnings.push(`app.json bundled_executas.${handle} path ${p} is not a directory`);
  }
  const label = (p: string) => relative(app, p).split("\\").join("/") || ".";
  const specs: ExecutaSpec[] = [];
  const folders: Discovery["folders"] = [];
  const from = new Map<string, string>();
  const tryDir = async (dir: string) => {
    const d = await deriveExecuta(dir, label(dir));
    folders.push({ name: basename(dir), handle: handleFor(dir, handles, d.slug) });
    if (!d.enabled || d.skill) return; // skipped on purpose (§9.1), not a problem
    if (d.warning) return void warnings.push(d.warning);
    if (!d.rule || !d.tool_id) return;
    const other = from.get(d.tool_id);
    if (other !== undefined) {
      warnings.push(
        `skipping executa ${label(dir)}: tool_id "${d.tool_id}" already provided by ${other}`,
      );
      return;
    }
    from.set(d.tool_id, label(dir));
    specs.push({
      tool_id: d.tool_id,
      project_dir: dir,
      command: d.command,
      type: d.type,
      env: {},
      handle: handleFor(dir, handles, d.slug),
      app_slug: null,
    });
  };
  for (const c of candidates) await tryDir(c);
  if (specs.length === 0 && await isFile(join(app, "executa.json"))) {
    await tryDir(app);
  }
  return { specs, warnings, folders };
}
