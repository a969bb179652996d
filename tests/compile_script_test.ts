/**
 * `deno task compile` keeps a binary only when it runs as this runtime: with DENORT_BIN pointing at
 * the deno CLI (a natural guess where denort cannot be downloaded), `deno compile` succeeds but the
 * result is just deno; the script says what DENORT_BIN must be and keeps nothing.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { REPO_ROOT } from "./fixtures/smoke/harness.ts";
import { tmpDir } from "./helpers/tmp.ts";
import { TARGETS } from "../scripts/compile.ts";

Deno.test("compile: DENORT_BIN set to the deno CLI is refused and nothing is kept", async () => {
  await using dir = await tmpDir("anna-compile-");
  const r = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", join(REPO_ROOT, "scripts", "compile.ts"), "--out-dir", dir.path],
    cwd: REPO_ROOT,
    env: { DENORT_BIN: Deno.execPath(), NO_COLOR: "1" },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const stderr = new TextDecoder().decode(r.stderr);
  assert.equal(r.code, 2, stderr);
  assert.match(stderr, /does not run as anna-app-runtime .*DENORT_BIN \(.+\) must be denort/s);
  const left = [];
  for await (const e of Deno.readDir(dir.path)) left.push(e.name);
  assert.deepEqual(left, [], "no binary, checksum or SHA256SUMS is left");
});

Deno.test("compile: README names every file the compile task writes", async () => {
  const readme = await Deno.readTextFile(join(REPO_ROOT, "README.md"));
  for (const t of TARGETS) {
    const file = `anna-app-runtime-${t}${t.includes("windows") ? ".exe" : ""}`;
    assert.ok(readme.includes(`\`${file}\``), `README's Install names ${file}`);
  }
});
