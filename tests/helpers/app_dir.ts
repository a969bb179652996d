/**
 * A fixture app folder as the smoke, validate and dev tests build it (not a test file itself):
 * `manifest.json` with the given manifest and `bundle/index.html` with the given page. Each test
 * keeps its own manifest and page text; what else the app holds (fixtures, executas) it adds.
 */
import { join } from "node:path";

/** Writes `dir/manifest.json` and `dir/bundle/index.html` (making the folders); returns `dir`. */
export async function writeAppDir(
  dir: string,
  manifest: unknown,
  page = "<!doctype html>",
): Promise<string> {
  await Deno.mkdir(join(dir, "bundle"), { recursive: true });
  await Deno.writeTextFile(join(dir, "bundle", "index.html"), page);
  await Deno.writeTextFile(join(dir, "manifest.json"), JSON.stringify(manifest));
  return dir;
}
