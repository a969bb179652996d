/**
 * The suite cleans up after itself: a test's temp dirs are removed when its scope ends, even when
 * it throws, and every temp dir a test or helper makes is named `anna-test-<who>-…`, so anything
 * left in TMPDIR (a killed run) says which file made it.
 */
import assert from "node:assert/strict";
import { basename, join } from "node:path";
import { fileURLToPath } from "node:url";
import { TEST_TMP_PREFIX, tmpDir } from "./helpers/tmp.ts";
import { alive, reaped } from "./helpers/processes.ts";

const TESTS = fileURLToPath(new URL(".", import.meta.url));

async function* sources(dir: string): AsyncGenerator<string> {
  for await (const e of Deno.readDir(dir)) {
    const p = join(dir, e.name);
    if (e.isDirectory) yield* sources(p);
    else if (/\.(ts|mjs|js)$/.test(e.name)) yield p;
  }
}

/** `file:line: text` of every line in tests/ matching `re` that `ok` does not accept. */
async function offending(re: RegExp, ok: (line: string) => boolean): Promise<string[]> {
  const found: string[] = [];
  for await (const p of sources(TESTS)) {
    if (p === fileURLToPath(import.meta.url)) continue;
    (await Deno.readTextFile(p)).split("\n").forEach((line, i) => {
      if (re.test(line) && !ok(line)) {
        found.push(`${p.slice(TESTS.length)}:${i + 1}: ${line.trim()}`);
      }
    });
  }
  return found;
}

Deno.test("tmpDir: named after the calling test file, removed when the scope ends", async () => {
  let path = "";
  {
    await using dir = await tmpDir();
    path = dir.path;
    await Deno.writeTextFile(join(path, "f"), "x");
    assert.ok(basename(path).startsWith(`${TEST_TMP_PREFIX}test_temp_dirs-`), path);
  }
  await assert.rejects(Deno.stat(path), Deno.errors.NotFound);
});

Deno.test("tmpDir: removed when the test throws, and a label names it", async () => {
  let path = "";
  await assert.rejects(async () => {
    await using dir = await tmpDir("anna-bridge-home-");
    path = dir.path;
    assert.ok(basename(path).startsWith("anna-test-bridge-home-"), path);
    throw new Error("boom");
  }, /boom/);
  await assert.rejects(Deno.stat(path), Deno.errors.NotFound);
});

Deno.test("tests: every temp dir or file is made by tmpDir or named with tmpPrefix", async () => {
  const bad = await offending(
    /makeTemp(Dir|File)(Sync)?\(|mkdtemp(Sync)?\(/,
    (l) => /tmpPrefix\(|"anna-test-/.test(l),
  );
  assert.deepEqual(bad, [], "use `await using dir = await tmpDir()` (tests/helpers/tmp.ts)");
});

Deno.test("tests: a spawned bridge is always bound with `await using` (no process outlives a failure)", async () => {
  const bad = await offending(
    /new BridgeProcess\(/,
    (l) => /await using \w+ = new BridgeProcess/.test(l),
  );
  assert.deepEqual(bad, [], "bind it with `await using b = new BridgeProcess(...)`");
});

Deno.test("reaped: a child still running when the scope throws is killed and awaited", async () => {
  let pid = 0;
  await assert.rejects(async () => {
    const child = new Deno.Command("sleep", { args: ["30"], stdin: "null" }).spawn();
    await using _ = reaped(child);
    pid = child.pid;
    throw new Error("assert failed");
  }, /assert failed/);
  assert.equal(alive(pid), false, `sleep ${pid} outlived its test`);
});
