/**
 * Disposable temporary directories for tests (`await using dir = await tmpDir()`): removed when
 * the scope ends, also when the test throws. Every name starts with `anna-test-` and, unless a
 * label is given, the test file's name, so whatever a test leaves behind in TMPDIR says who.
 */
import { basename } from "node:path";

/** Every temp dir a test or test helper makes starts with this. */
export const TEST_TMP_PREFIX = "anna-test-";

export interface TmpDir extends AsyncDisposable {
  path: string;
}

export async function tmpDir(label = callerFile()): Promise<TmpDir> {
  const path = await Deno.makeTempDir({ prefix: tmpPrefix(label) });
  return { path, [Symbol.asyncDispose]: () => removeTree(path) };
}

/** The prefix for a test-made temp dir with this label (`bridge-home` → `anna-test-bridge-home-`). */
export function tmpPrefix(label: string): string {
  return `${TEST_TMP_PREFIX}${label.replace(/^anna-/, "").replace(/-$/, "")}-`;
}

/** Removes a temp tree; one already gone is fine (a test may remove it itself). */
export async function removeTree(path: string): Promise<void> {
  await Deno.remove(path, { recursive: true }).catch((e) => {
    if (!(e instanceof Deno.errors.NotFound)) throw e;
  });
}

/** `executa_cli` for a call from tests/executa_cli_test.ts: the first frame outside this file. */
function callerFile(): string {
  const here = import.meta.url;
  for (const line of (new Error().stack ?? "").split("\n").slice(1)) {
    const m = line.match(/\((.*?):\d+:\d+\)$|at (\S+?):\d+:\d+$/);
    const url = m?.[1] ?? m?.[2];
    if (url && url !== here) return basename(url).replace(/(_test)?\.[mc]?[jt]s$/, "");
  }
  return "tmp";
}
