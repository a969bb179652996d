/**
 * Fixture paths as a CI job spells them (CONTRACT §14.2): a glob that matches nothing passes with
 * a note, but a path without wildcards names one file, so a missing file (a typo, a fixture not
 * committed) or a directory stops smoke with exit 2 instead of a green run that replayed nothing.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { explain, runCli, smokeJson } from "./fixtures/smoke/harness.ts";
import { tmpDir } from "./helpers/tmp.ts";

/** A one-view app with no executa in `<dir>/my app` (a path with a space, as CI checkouts have). */
async function app(dir: string, fixtures: string[]): Promise<string> {
  const root = join(dir, "my app");
  await Deno.mkdir(join(root, "bundle"), { recursive: true });
  await Deno.mkdir(join(root, "fixtures"));
  await Deno.writeTextFile(join(root, "bundle/index.html"), "<!doctype html><title>a</title>");
  await Deno.writeTextFile(
    join(root, "manifest.json"),
    JSON.stringify({
      schema: 2,
      ui: { views: [{ name: "main", title: "A" }], host_api: { storage: ["get"] } },
      dev: { fixtures },
    }),
  );
  await Deno.writeTextFile(
    join(root, "fixtures/calls.jsonl"),
    JSON.stringify({ t: 1, dir: "out", ns: "storage", method: "get", args: { key: "k" } }) + "\n",
  );
  return root;
}

Deno.test("smoke: a dev.fixtures path without wildcards that names no file is exit 2, not a pass", async () => {
  await using dir = await tmpDir();
  const root = await app(dir.path, ["fixtures/calls.jsonl", "fixtures/sesion.jsonl"]);
  const r = await smokeJson([root, "--no-executas"]);
  assert.equal(r.code, 2, explain(r));
  assert.equal(r.report!.result, "error");
  const step = r.report!.steps.at(-1)!;
  assert.equal(step.name, "validate: fixture files");
  assert.match(
    step.message!,
    /^fixture file 'fixtures\/sesion\.jsonl' does not exist: .*my app\/fixtures\/sesion\.jsonl \(dev\.fixtures paths are relative to the manifest directory\)$/,
  );
  assert.deepEqual(r.report!.fixtures, []);
  const fatal = JSON.parse(r.stderr.trim().split("\n").at(-1)!).error;
  assert.equal(fatal.code, "fixture_not_found");
  assert.equal(fatal.details.file, join(root, "fixtures/sesion.jsonl"));
});

Deno.test("smoke --fixtures: a missing file or a directory is exit 2 naming the fix; a glob matching nothing passes", async () => {
  await using dir = await tmpDir();
  const root = await app(dir.path, []);
  // relative to the working directory, as --help says
  const missing = await runCli(["smoke", "my app", "--no-executas", "--fixtures", "calls.jsonl"], {
    cwd: dir.path,
  });
  assert.equal(missing.code, 2, explain(missing));
  assert.match(
    missing.stderr,
    /error: fixture file 'calls\.jsonl' does not exist: .*calls\.jsonl \(--fixtures paths are relative to the working directory\)/,
  );
  assert.match(missing.stdout, /^ERROR {2}validate: fixture files/m);

  const folder = await runCli(
    ["smoke", "my app", "--no-executas", "--fixtures", "my app/fixtures/"],
    { cwd: dir.path },
  );
  assert.equal(folder.code, 2, explain(folder));
  assert.match(
    folder.stderr,
    /fixture path 'my app\/fixtures\/' is a directory: name its files, e\.g\. 'my app\/fixtures\/\*\.jsonl'/,
  );

  const named = await runCli(
    ["smoke", "my app", "--no-executas", "--fixtures", "my app/fixtures/calls.jsonl"],
    { cwd: dir.path },
  );
  assert.equal(named.code, 0, explain(named));
  assert.match(named.stdout, /PASS {2}#1 storage\.get \(line 1\)/);

  // §14.2: a glob that matches nothing is still a pass with a note
  const glob = await runCli(["smoke", root, "--no-executas", "--fixtures", "nothing/*.jsonl"]);
  assert.equal(glob.code, 0, explain(glob));
  assert.match(glob.stdout, /no files match nothing\/\*\.jsonl/);
});
