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
