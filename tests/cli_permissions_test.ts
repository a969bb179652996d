/**
 * `deno run` without `-A` (the single-file bundle run by hand): a command that needs permissions
 * says so and how to fix it (exit 2) instead of failing later with a misleading message (a stat
 * refused by Deno reads as "does not exist"); `version` needs none.
 */
import assert from "node:assert/strict";
import { MAIN_TS, REPO_ROOT } from "./fixtures/smoke/harness.ts";

async function runWithout(args: string[]) {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--no-prompt", MAIN_TS, ...args],
    cwd: REPO_ROOT,
    env: { NO_COLOR: "1" },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const dec = new TextDecoder();
  return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
}

Deno.test("without -A: a clear permissions error naming the fix; version still works", async () => {
  const v = await runWithout(["version"]);
  assert.equal(v.code, 0, v.stderr);
  assert.match(v.stdout, /^anna-app-runtime /);

  const r = await runWithout(["validate", "examples/notes-app"]);
  assert.equal(r.code, 2);
  assert.equal(r.stdout, "");
  assert.match(r.stderr, /^error: anna-app-runtime needs every permission .*missing: read, /);
  assert.match(r.stderr, /Run it with 'deno run -A …'/);
  assert.doesNotMatch(r.stderr, /does not exist|unexpected crash/);

  const j = await runWithout(["smoke", "examples/notes-app", "--format", "json"]);
  assert.equal(j.code, 2);
  const err = JSON.parse(j.stderr.trim()).error;
  assert.equal(err.code, "permissions");
  assert.ok(err.details.missing.includes("run"));
});
