/**
 * Which fixture files a run replays (CONTRACT §14.2): `--fixtures` globs (relative to the working
 * directory), else `dev.fixtures` (relative to the manifest directory); mock tables are loaded for
 * every session, not replayed. A bad file stops smoke (exit 2). A path without wildcards that names
 * no file matches nothing like any glob (§14.2: the step passes with a note), but a typo there
 * would otherwise go unseen in a green run, so it is also a report warning naming the fix.
 */
import type { MockEntry } from "../llm/types.ts";
import { FixtureError, type FixtureFile, loadFixture, otherAppWarnings } from "./fixtures.ts";
import { expandGlobs, missingLiterals } from "./glob.ts";

export interface FixtureSelection {
  files: FixtureFile[];
  mocks: MockEntry[];
  /** the note of a fixtures step with nothing to replay, else null */
  note: string | null;
  warnings: string[];
  /** why smoke stops before running */
  stop?: { code: string; message: string; details: Record<string, unknown> };
}

export async function selectFixtures(o: {
  /** `--fixtures` globs; undefined = `devFixtures` */
  fixtures?: string[];
  noFixtures: boolean;
  devFixtures: string[];
  cwd: string;
  appDir: string;
  slug: string;
}): Promise<FixtureSelection> {
  const sel: FixtureSelection = { files: [], mocks: [], note: null, warnings: [] };
  if (o.noFixtures) return { ...sel, note: "--no-fixtures" };
  const patterns = o.fixtures ?? o.devFixtures;
  const base = o.fixtures ? o.cwd : o.appDir;
  const from = o.fixtures
    ? "--fixtures paths are relative to the working directory"
    : "dev.fixtures paths are relative to the manifest directory";
  for (const missing of await missingLiterals(patterns, base)) {
    sel.warnings.push(
      missing.isDir
        ? `fixture path '${missing.pattern}' is a directory, so it matches no file: name its ` +
          `files, e.g. '${missing.pattern.replace(/[\\/]+$/, "")}/*.jsonl' (${from})`
        : `fixture file '${missing.pattern}' does not exist: ${missing.path} (${from}); ` +
          "nothing was replayed from it",
    );
  }
  const paths = await expandGlobs(patterns, base);
  if (paths.length === 0) {
    sel.note = patterns.length
      ? `no files match ${patterns.join(", ")}`
      : "no fixture files (dev.fixtures is empty)";
  }
  try {
    for (const p of paths) {
      const f = await loadFixture(p, o.appDir);
      sel.warnings.push(...f.warnings, ...otherAppWarnings(f, o.slug));
      if (f.format === "mocks") sel.mocks.push(...f.mocks);
      else sel.files.push(f);
    }
  } catch (e) {
    if (!(e instanceof FixtureError)) throw e;
    const details = { file: e.file, line: e.line };
    return { ...sel, stop: { code: "fixture_invalid", message: e.message, details } };
  }
  if (paths.length > 0 && sel.files.length === 0) {
    sel.note = "only mock-table fixtures; nothing to replay";
  }
  return sel;
}
