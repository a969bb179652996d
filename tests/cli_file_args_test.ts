/**
 * A directory, or a missing path, given where a command-line flag wants a file (or a file where
 * it wants a directory) is named with the flag and what to give instead, in words: never Deno's
 * "Is a directory (os error 21): readfile '/x'". `dev --record` and `--bundle` are refused before
 * anything binds or spawns.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { loadMockFile, MockFileError } from "../lib/llm/mocks.ts";
import { checkRecordPath, parseSeedStorage } from "../lib/server/dev_app.ts";
import { readArgs } from "../lib/cli/executa.ts";
import { UsageError } from "../lib/cli/flags.ts";
import { loadManifest } from "../lib/manifest/mod.ts";
import { explain, REPO_ROOT, runCli } from "./fixtures/smoke/harness.ts";
import { tmpDir } from "./helpers/tmp.ts";

const NOTES = join(REPO_ROOT, "examples", "notes-app");
const noOsText = (m: string) => !/os error|readfile|open '/.test(m);

Deno.test("flags naming a file: a directory or a missing file is said in words, with the fix", async () => {
  await using dir = await tmpDir();
  const missing = join(dir.path, "nope.json");
  await assert.rejects(parseSeedStorage(dir.path), (e: Error) => {
    assert.equal(
      e.message,
      `--seed-storage: cannot read ${dir.path}: it is a directory, not a file; ` +
        `give a JSON object, or the path of a file holding one`,
    );
    return true;
  });
  await assert.rejects(parseSeedStorage(missing), (e: Error) => {
    assert.match(e.message, /: no such file; give a JSON object, or the path of a file/);
    return true;
  });
  await assert.rejects(readArgs(`@${dir.path}`), (e) => {
    assert.ok(e instanceof UsageError);
    assert.equal(
      e.message,
      `--args @${dir.path}: cannot read file (it is a directory, not a file); ` +
        `give inline JSON, or @ and a JSON file`,
    );
    return true;
  });
  // a file that is not JSON: the file is named, so it is the one opened and fixed
  const bad = join(dir.path, "args.json");
  await Deno.writeTextFile(bad, "{text: 'hi'}");
  await assert.rejects(
    readArgs(`@${bad}`),
    (e: Error) => e.message.startsWith(`--args @${bad} is not valid JSON (`),
  );
  await assert.rejects(readArgs("{x"), (e: Error) => e.message.startsWith("--args is not valid"));
  await assert.rejects(loadMockFile(dir.path), (e) => {
    assert.ok(e instanceof MockFileError);
    assert.equal(e.message, `${dir.path}: cannot read mock file (it is a directory, not a file)`);
    return true;
  });
  const m = await loadManifest(dir.path);
  assert.equal(m.diagnostics[0].code, "manifest_unreadable");
  assert.equal(
    m.diagnostics[0].message,
    `cannot read manifest ${dir.path}: it is a directory, not a file`,
  );
});

Deno.test("dev --record: a directory or a missing parent is refused with the file to name", async () => {
  await using dir = await tmpDir();
  await assert.rejects(checkRecordPath(dir.path), (e) => {
    assert.ok(e instanceof UsageError);
    assert.equal(
      e.message,
      `--record ${dir.path}: it is a directory; name the recording file, e.g. ` +
        `--record ${join(dir.path, "session.jsonl")}`,
    );
    return true;
  });
  const deep = join(dir.path, "no-such-dir", "s.jsonl");
  await assert.rejects(
    checkRecordPath(deep),
    new UsageError(
      `--record ${deep}: ${join(dir.path, "no-such-dir")} is not a directory; create it first`,
    ),
  );
  await checkRecordPath(join(dir.path, "s.jsonl")); // a new file in an existing directory
});

Deno.test("cli: dev --record DIR, --bundle FILE and --manifest DIR exit 2 before listening; executa FILE names the directory", async () => {
  await using dir = await tmpDir();
  const env = { ANNA_APP_DEV_KEY_FILE: join(dir.path, "dev.key") };
  const dev = (...a: string[]) =>
    runCli(["dev", NOTES, "--port", "0", "--no-watch", ...a], { env });
  const record = await dev("--record", dir.path);
  assert.equal(record.code, 2, explain(record));
  assert.equal(record.stdout, "", "refused before the startup line");
  assert.match(record.stderr, /^error: --record \S+: it is a directory; name the recording file/);
  const file = join(NOTES, "manifest.json");
  const bundle = await dev("--bundle", file);
  assert.equal(bundle.code, 2, explain(bundle));
  assert.equal(bundle.stdout, "");
  assert.match(
    bundle.stderr,
    new RegExp(`^error: --bundle ${file} is a file; the bundle is the directory holding the entry`),
  );
  const manifest = await dev("--manifest", NOTES);
  assert.equal(manifest.code, 2, explain(manifest));
  assert.ok(
    manifest.stderr.includes(
      `it is a directory, not a file (hint: --manifest takes the file: ${file})`,
    ),
    manifest.stderr,
  );
  const tool = join(NOTES, "executas", "notes-summary");
  const ex = await runCli(["executa", "describe", join(tool, "pyproject.toml")], { env });
  assert.equal(ex.code, 2, explain(ex));
  assert.match(
    ex.stderr,
    new RegExp(
      `^error: ${join(tool, "pyproject.toml")} is a file; give the executa's ` +
        `project directory: ${tool}\\n`,
    ),
  );
  for (const r of [record, bundle, manifest, ex]) assert.ok(noOsText(r.stderr), r.stderr);
});
