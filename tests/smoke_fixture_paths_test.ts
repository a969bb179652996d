/**
 * Fixture paths as a CI job spells them (CONTRACT §14.2): files matching nothing pass with a note,
 * and a path without wildcards that names no file (a typo, a fixture not committed) or a directory
 * also gets a warning naming the path and the fix — in the report, and in the log of an `--out` run —
 * so a green run that replayed nothing says why. Warnings never change the exit code (§14.9).
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { explain, runCli, smokeJson } from "./fixtures/smoke/harness.ts";
import { writeAppDir } from "./helpers/app_dir.ts";
import { tmpDir } from "./helpers/tmp.ts";

/** A one-view app with no executa in `<dir>/my app` (a path with a space, as CI checkouts have). */
async function app(dir: string, fixtures: string[]): Promise<string> {
  const root = await writeAppDir(
    join(dir, "my app"),
    {
      schema: 2,
      ui: { views: [{ name: "main", title: "A" }], host_api: { storage: ["get"] } },
      dev: { fixtures },
    },
    "<!doctype html><title>a</title>",
  );
  await Deno.mkdir(join(root, "fixtures"));
  await Deno.writeTextFile(
    join(root, "fixtures/calls.jsonl"),
    JSON.stringify({ t: 1, dir: "out", ns: "storage", method: "get", args: { key: "k" } }) + "\n",
  );
  return root;
}

Deno.test("smoke: a dev.fixtures path without wildcards that names no file passes with a warning naming it", async () => {
  await using dir = await tmpDir();
  const root = await app(dir.path, ["fixtures/calls.jsonl", "fixtures/sesion.jsonl"]);
  const r = await smokeJson([root, "--no-executas"]);
  assert.equal(r.code, 0, explain(r));
  assert.deepEqual(r.report!.fixtures.map((f) => f.file), ["fixtures/calls.jsonl"]);
  const warning = r.report!.warnings.find((w) => w.includes("sesion"));
  assert.match(
    warning ?? "",
    /^fixture file 'fixtures\/sesion\.jsonl' does not exist: .*my app\/fixtures\/sesion\.jsonl \(dev\.fixtures paths are relative to the manifest directory\); nothing was replayed from it$/,
  );
});

Deno.test("smoke --fixtures: a missing file or a directory is named in a warning (also in the --out log); a glob matching nothing passes", async () => {
  await using dir = await tmpDir();
  const root = await app(dir.path, []);
  // relative to the working directory, as --help says
  const missing = await runCli(["smoke", "my app", "--no-executas", "--fixtures", "calls.jsonl"], {
    cwd: dir.path,
  });
  assert.equal(missing.code, 0, explain(missing));
  assert.match(
    missing.stdout,
    /^warning: fixture file 'calls\.jsonl' does not exist: .*calls\.jsonl \(--fixtures paths are relative to the working directory\)/m,
  );
  assert.match(missing.stdout, /no files match calls\.jsonl/);

  const folder = await runCli(
    [
      "smoke",
      "my app",
      "--no-executas",
      "--fixtures",
      "my app/fixtures/",
      "--out",
      "r.xml",
      "--format",
      "junit",
    ],
    { cwd: dir.path, env: { ANNA_APP_LOG_LEVEL: "warn" } },
  );
  assert.equal(folder.code, 0, explain(folder));
  // the CI log of an --out run says it too
  assert.match(
    folder.stderr,
    /fixture path 'my app\/fixtures\/' is a directory, so it matches no file: name its files, e\.g\. 'my app\/fixtures\/\*\.jsonl'/,
  );

  const named = await runCli(
    ["smoke", "my app", "--no-executas", "--fixtures", "my app/fixtures/calls.jsonl"],
    { cwd: dir.path },
  );
  assert.equal(named.code, 0, explain(named));
  assert.match(named.stdout, /PASS {2}#1 storage\.get \(line 1\)/);
  assert.doesNotMatch(named.stdout, /^warning: fixture/m);

  // §14.2: a glob that matches nothing is a pass with a note, and no warning
  const glob = await runCli(["smoke", root, "--no-executas", "--fixtures", "nothing/*.jsonl"]);
  assert.equal(glob.code, 0, explain(glob));
  assert.match(glob.stdout, /no files match nothing\/\*\.jsonl/);
  assert.doesNotMatch(glob.stdout, /^warning: fixture/m);
});
