/**
 * Fixture globs (CONTRACT §14.2): `*` (any characters but `/`), `**` (any number of path segments),
 * `?` (one character but `/`). Patterns are relative to a base directory (absolute patterns are
 * allowed); results are absolute paths of regular files, de-duplicated and sorted by path.
 */
import { isAbsolute, join, resolve } from "node:path";
import { isDir, isFile } from "../util/fs.ts";

const hasMagic = (s: string) => /[*?]/.test(s);

/** Regex for one path segment pattern. */
function segmentRegex(seg: string): RegExp {
  let re = "";
  for (const ch of seg) {
    if (ch === "*") re += "[^/]*";
    else if (ch === "?") re += "[^/]";
    else re += ch.replace(/[.+^${}()|[\]\\]/g, "\\$&");
  }
  // `u`: `?` is one character, an emoji included, not one UTF-16 half of it
  return new RegExp(`^${re}$`, "u");
}

async function listDir(dir: string): Promise<Deno.DirEntry[]> {
  const out: Deno.DirEntry[] = [];
  try {
    for await (const e of Deno.readDir(dir)) out.push(e);
  } catch { /* unreadable or gone */ }
  return out;
}

/** Walks `segs` from `dir`, collecting matching files into `out`. */
async function walk(dir: string, segs: string[], out: Set<string>, seen: Set<string>) {
  const key = `${dir}\0${segs.join("/")}`;
  if (seen.has(key)) return;
  seen.add(key);
  if (segs.length === 0) {
    if (await isFile(dir)) out.add(dir);
    return;
  }
  const [head, ...rest] = segs;
  if (head === "**") {
    await walk(dir, rest, out, seen); // zero segments
    for (const e of await listDir(dir)) {
      const p = join(dir, e.name);
      if (e.isDirectory) await walk(p, segs, out, seen);
      // a final `**` also matches the files at every depth (`fixtures/**`)
      else if (rest.length === 0 && (e.isFile || (e.isSymlink && await isFile(p)))) out.add(p);
    }
    return;
  }
  if (!hasMagic(head)) {
    await walk(join(dir, head), rest, out, seen);
    return;
  }
  const re = segmentRegex(head);
  for (const e of await listDir(dir)) {
    if (!re.test(e.name)) continue;
    const p = join(dir, e.name);
    if (rest.length === 0 ? e.isFile || (e.isSymlink && await isFile(p)) : await isDir(p)) {
      await walk(p, rest, out, seen);
    }
  }
}

/** Expands `patterns` against `base`; sorted absolute file paths. */
export async function expandGlobs(patterns: string[], base: string): Promise<string[]> {
  const out = new Set<string>();
  for (const raw of patterns) {
    const pattern = raw.replaceAll("\\", "/");
    const abs = isAbsolute(raw) ? resolve(raw) : resolve(base, raw);
    if (!hasMagic(pattern)) {
      if (await isFile(abs)) out.add(abs);
      continue;
    }
    // split into the static root and the pattern segments; the base directory is never a
    // pattern: an app under "/tmp/a*b/" must not replay the fixtures of "/tmp/aXb/"
    const parts = pattern.split("/");
    const first = parts.findIndex(hasMagic);
    const lead = parts.slice(0, first).join("/");
    const root = isAbsolute(raw) ? lead || "/" : join(resolve(base), lead);
    const segs = parts.slice(first).filter((s) => s !== "" && s !== ".");
    await walk(resolve(root), segs, out, new Set());
  }
  return [...out].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

/**
 * Patterns without a wildcard that name no regular file: `{pattern, path, isDir}`. A glob may
 * match nothing (§14.2: the step passes with a note), but a literal path names one file, and a
 * typo there must not turn a CI run green with nothing replayed.
 */
export async function missingLiterals(
  patterns: string[],
  base: string,
): Promise<{ pattern: string; path: string; isDir: boolean }[]> {
  const out = [];
  for (const raw of patterns) {
    if (hasMagic(raw)) continue;
    const path = isAbsolute(raw) ? resolve(raw) : resolve(base, raw);
    if (await isFile(path)) continue;
    out.push({ pattern: raw, path, isDir: await isDir(path) });
  }
  return out;
}
