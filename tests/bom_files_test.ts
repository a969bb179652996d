/**
 * Files saved with a UTF-8 BOM (Windows editors, PowerShell's `Set-Content -Encoding UTF8`) are
 * read like the same files without one, wherever the runtime reads JSON or TOML from disk.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { appSlugFor } from "../lib/manifest/slug.ts";
import { parseToml } from "../lib/executa/toml.ts";
import { parseSeedStorage } from "../lib/server/dev_app.ts";
import { denoDirEnv, MAIN_TS, REPO_ROOT } from "./helpers/bridge_process.ts";
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
  const out = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      MAIN_TS,
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
    ],
    env: { HOME: dir.path, NO_COLOR: "1", ...denoDirEnv() },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const stderr = new TextDecoder().decode(out.stderr);
  assert.equal(out.code, 0, stderr);
  assert.deepEqual(JSON.parse(new TextDecoder().decode(out.stdout)).result.args, { x: 1 });
});
