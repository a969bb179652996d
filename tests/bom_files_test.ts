/**
 * Files saved with a UTF-8 BOM (Windows editors, PowerShell's `Set-Content -Encoding UTF8`) are
 * read like the same files without one, wherever the runtime reads JSON or TOML from disk.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { appSlugFor } from "../lib/manifest/slug.ts";
import { parseToml } from "../lib/executa/toml.ts";
import { bundledHandles, deriveExecuta } from "../lib/executa/discovery.ts";
import { parseSeedStorage } from "../lib/server/dev_app.ts";
import { FixtureError, parseFixtureText } from "../lib/smoke/fixtures.ts";
import { loadMockFile } from "../lib/llm/mod.ts";
import { loadManifest } from "../lib/manifest/load.ts";
import { utf16Hint } from "../lib/util/json.ts";
import { REPO_ROOT, runMain } from "./helpers/bridge_process.ts";
import { tmpDir } from "./helpers/tmp.ts";

const BOM = "\uFEFF";

Deno.test("app.json with a BOM and CRLF still gives the app slug (§3.11)", async () => {
  await using dir = await tmpDir();
  const app = join(dir.path, "bom-app");
  await Deno.mkdir(app);
  await Deno.writeTextFile(join(app, "app.json"), `${BOM}{"slug":"my-bom-slug"}\r\n`);
  const r = await appSlugFor({ appDir: app });
  assert.deepEqual(r, { slug: "my-bom-slug", warnings: [] });
});

Deno.test("pyproject.toml with a BOM parses to its end (§9.2)", () => {
  const text = `${BOM}[project]\r\nname = "notes-summary"\r\nversion = "0.1.0"\r\n`;
  assert.deepEqual(parseToml(text), { project: { name: "notes-summary", version: "0.1.0" } });
  assert.deepEqual(parseToml(`${BOM}a = "b"`), { a: "b" });
});

Deno.test("--seed-storage FILE with a BOM is read as JSON", async () => {
  await using dir = await tmpDir();
  const file = join(dir.path, "seed.json");
  await Deno.writeTextFile(file, `${BOM}{"notes":[1,2]}\r\n`);
  assert.deepEqual(await parseSeedStorage(file), { notes: [1, 2] });
});

Deno.test("executa invoke --args @FILE with a BOM is read as JSON (§2.9)", async () => {
  await using dir = await tmpDir();
  const file = join(dir.path, "args.json");
  await Deno.writeTextFile(file, `${BOM}{"x":1}\r\n`);
  const out = await runMain([
    "executa",
    "invoke",
    `${REPO_ROOT}tests/fixtures/executas`,
    "echo",
    "--tool-id",
    "tool-fixture",
    "--command",
    "node plugin.mjs",
    "--args",
    `@${file}`,
    "--format",
    "json",
  ], { home: dir.path, env: { NO_COLOR: "1" } });
  assert.equal(out.code, 0, out.stderr);
  assert.deepEqual(JSON.parse(out.stdout).result.args, { x: 1 });
});

/** `text` as Windows PowerShell 5's `>` writes it: UTF-16LE with its BOM. */
function utf16le(text: string): Uint8Array {
  const out = new Uint8Array(2 + text.length * 2);
  out.set([0xff, 0xfe]);
  for (let i = 0; i < text.length; i++) {
    out[2 + 2 * i] = text.charCodeAt(i) & 0xff;
    out[3 + 2 * i] = text.charCodeAt(i) >> 8;
  }
  return out;
}

Deno.test("a UTF-16 file is named as UTF-16 with the fix, wherever JSON is read (§1.3)", async () => {
  await using dir = await tmpDir();
  const write = async (name: string, text: string) => {
    const path = join(dir.path, name);
    await Deno.writeFile(path, utf16le(text));
    return path;
  };
  const fix = /UTF-16 .*save it as UTF-8/;
  // smoke fixtures and mock tables
  const fixture = await write("f.jsonl", '{"t":0,"kind":"meta"}\r\n');
  assert.throws(
    () => parseFixtureText(Deno.readTextFileSync(fixture), fixture, "f.jsonl"),
    (e) => e instanceof FixtureError && /^f\.jsonl: the file looks UTF-16/.test(e.message),
  );
  const mocks = await write("m.jsonl", '{"ns":"a","method":"b","result":1}\r\n');
  await assert.rejects(loadMockFile(mocks), (e: Error) => fix.test(e.message));
  // the manifest: the diagnostic's hint
  const app = join(dir.path, "app");
  await Deno.mkdir(app);
  await Deno.writeFile(join(app, "manifest.json"), utf16le('{"schema":2}'));
  const m = await loadManifest(join(app, "manifest.json"));
  assert.equal(m.diagnostics[0].code, "manifest_not_json");
  assert.match(m.diagnostics[0].hint ?? "", fix);
  // --seed-storage FILE
  await assert.rejects(
    parseSeedStorage(await write("s.json", "{}")),
    (e: Error) => fix.test(e.message),
  );
  // plain UTF-8 text is not flagged
  assert.equal(utf16Hint('{"a":"é"}'), "");
});

Deno.test("app.json, executa.json, package.json and pyproject.toml in UTF-16 say so (§3.11, §9.2)", async () => {
  await using dir = await tmpDir();
  const fix = /UTF-16 .*save it as UTF-8/;
  const app = join(dir.path, "app");
  await Deno.mkdir(app);
  await Deno.writeFile(
    join(app, "app.json"),
    utf16le('{"slug":"x","bundled_executas":{"t":{"path":"tool"}}}'),
  );
  // the slug falls back to the directory name, with a warning that names the cause
  const slug = await appSlugFor({ appDir: app });
  assert.equal(slug.slug, "app");
  assert.equal(slug.warnings.length, 1);
  assert.match(slug.warnings[0], fix);
  const bundled: string[] = [];
  assert.deepEqual(await bundledHandles(app, bundled), []);
  assert.equal(bundled.length, 1);
  assert.match(bundled[0], /^app\.json is not a JSON object \(the file looks UTF-16/);
  for (
    const [file, text] of [
      ["executa.json", '{"tool_id":"t","type":"python"}'],
      ["package.json", '{"name":"t"}'],
      ["pyproject.toml", '[project]\nname = "t"\n[project.scripts]\nt = "t:main"\n'],
    ]
  ) {
    const tool = join(dir.path, file.replace(".", "-"));
    await Deno.mkdir(tool);
    await Deno.writeFile(join(tool, file), utf16le(text));
    const d = await deriveExecuta(tool, file);
    assert.match(d.warning ?? "", new RegExp(`^skipping executa ${file.replace(".", "\\.")}: `));
    assert.match(d.warning ?? "", fix, file);
    // the same file as UTF-8 is a usable executa
    await Deno.writeTextFile(join(tool, file), text);
    assert.equal((await deriveExecuta(tool, file)).warning, undefined, file);
  }
});
