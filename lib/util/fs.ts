/** Small file-system questions that must never throw (a missing or unreadable path is "no"). */

export async function statOrNull(p: string): Promise<Deno.FileInfo | null> {
  try {
    return await Deno.stat(p);
  } catch {
    return null;
  }
}

export async function isFile(p: string): Promise<boolean> {
  return (await statOrNull(p))?.isFile ?? false;
}

export async function isDir(p: string): Promise<boolean> {
  return (await statOrNull(p))?.isDirectory ?? false;
}

/**
 * The `/`-separated path below `root` as spelled on disk, when `rel` names a regular file up to
 * letter case; else null. Read from directory listings, not stat: on a case-insensitive file system
 * (macOS, Windows) stat finds `Index.html` for `index.html`, which a Linux server would not serve.
 */
export async function onDiskSpelling(root: string, rel: string): Promise<string | null> {
  let dir = root;
  const out: string[] = [];
  for (const seg of rel.split("/")) {
    if (seg === "" || seg === ".") continue;
    const names: string[] = [];
    try {
      for await (const e of Deno.readDir(dir)) names.push(e.name);
    } catch {
      return null;
    }
    const lower = seg.toLowerCase();
    const name = names.includes(seg) ? seg : names.sort().find((n) => n.toLowerCase() === lower);
    if (name === undefined) return null;
    out.push(name);
    dir = `${dir}/${name}`;
  }
  return out.length > 0 && await isFile(dir) ? out.join("/") : null;
}

/**
 * Why a file named on the command line could not be opened, in words that say what to change:
 * Deno's own text ("Is a directory (os error 21): readfile '/x'") names neither the fix nor,
 * for a missing parent directory, which part is missing.
 */
export function fileProblem(e: unknown): string {
  if (e instanceof Deno.errors.NotFound) return "no such file";
  if (e instanceof Deno.errors.IsADirectory) return "it is a directory, not a file";
  if (e instanceof Deno.errors.PermissionDenied) return "permission denied";
  return String((e as Error)?.message ?? e).replace(/ \(os error \d+\)(: \w+ '.*')?$/s, "");
}
