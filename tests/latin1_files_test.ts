/**
 * A JSON file that is not UTF-8 (a Latin-1 `é` from an old editor) is refused with its file, the
 * line of the first bad byte and the fix, like manifest.json already is (§1.3, §10.2, §14.2). Read
 * lossily, it loaded "caf\uFFFD": a mock that never matched, a fixture or seeded state that quietly
 * held other text than the file.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { loadMockFile, MockFileError } from "../lib/llm/mocks.ts";
import { FixtureError, loadFixture } from "../lib/smoke/fixtures.ts";
import { parseSeedStorage } from "../lib/server/dev_app.ts";
import { invalidUtf8Line } from "../lib/util/json.ts";
import { tmpDir } from "./helpers/tmp.ts";
import { readArgs } from "../lib/cli/executa.ts";
import { UsageError } from "../lib/cli/flags.ts";
import { appSlugFor } from "../lib/manifest/mod.ts";
import { bundledHandles, deriveExecuta } from "../lib/executa/discovery.ts";
import { resolveCommand } from "../lib/executa/command.ts";
import type { ExecutaSpec } from "../lib/executa/types.ts";
import { Logger } from "../lib/util/log.ts";

const enc = new TextEncoder();
/** UTF-8 lines, with Latin-1 `é` (0xE9, not UTF-8) wherever `\x00` stands. */
function latin1(...lines: string[]): Uint8Array {
  const b = enc.encode(lines.join("\n") + "\n");
  return b.map((x) => (x === 0 ? 0xe9 : x));
}
const FIX = /not valid UTF-8: save the file as UTF-8/;

Deno.test("a mock table that is not UTF-8 names its line and the fix (§10.2)", async () => {
  await using dir = await tmpDir();
  const path = join(dir.path, "m.jsonl");
  await Deno.writeFile(
    path,
    latin1(
      "# cafés",
      '{"ns":"llm","method":"complete","result":1}',
      '{"ns":"llm","method":"complete","match":{"contentIncludes":"caf\x00"},"result":2}',
    ),
  );
  await assert.rejects(
    loadMockFile(path),
    (e) =>
      e instanceof MockFileError && e.line === 3 && e.message.startsWith(`${path}:3: `) &&
      FIX.test(e.message),
  );
});

Deno.test("a smoke fixture that is not UTF-8 names its line and the fix (§14.2)", async () => {
  await using dir = await tmpDir();
  const path = join(dir.path, "f.jsonl");
  await Deno.writeFile(
    path,
    latin1(
      '{"t":0,"kind":"meta"}',
      '{"t":1,"kind":"req","id":1,"ns":"storage","method":"set","args":{"key":"k","value":"caf\x00"}}',
    ),
  );
  await assert.rejects(
    loadFixture(path, dir.path),
    (e) =>
      e instanceof FixtureError && e.line === 2 && /^f\.jsonl:2: /.test(e.message) &&
      FIX.test(e.message),
  );
});

Deno.test("--seed-storage FILE that is not UTF-8 names its line and the fix", async () => {
  await using dir = await tmpDir();
  const path = join(dir.path, "seed.json");
  await Deno.writeFile(path, latin1("{", '  "name": "caf\x00"', "}"));
  await assert.rejects(
    parseSeedStorage(path),
    (e: Error) => e.message.startsWith(`--seed-storage ${path}:2: `) && FIX.test(e.message),
  );
});

Deno.test("valid UTF-8, a real U+FFFD included, still loads everywhere", async () => {
  await using dir = await tmpDir();
  const mocks = join(dir.path, "m.jsonl");
  await Deno.writeTextFile(mocks, '{"ns":"llm","method":"complete","result":"café \uFFFD"}\n');
  assert.equal((await loadMockFile(mocks))[0].result, "café \uFFFD");
  const fixture = join(dir.path, "f.jsonl");
  await Deno.writeTextFile(fixture, '{"t":0,"kind":"meta","view":"caf\u00e9"}\r\n');
  assert.equal((await loadFixture(fixture, dir.path)).format, "recorded");
  const seed = join(dir.path, "seed.json");
  await Deno.writeTextFile(seed, '{"name":"café"}');
  assert.deepEqual(await parseSeedStorage(seed), { name: "café" });
});

Deno.test("invalidUtf8Line finds the line of the first bad sequence", () => {
  const at = (...bytes: number[]) => invalidUtf8Line(new Uint8Array(bytes));
  assert.equal(at(), 0);
  assert.equal(at(0x61, 0x0a, 0xc3, 0xa9, 0x0a), 0); // "a\né\n"
  assert.equal(at(0x61, 0x0a, 0x62, 0x0a, 0xff), 3);
  assert.equal(at(0x0a, 0xc3, 0x0a, 0xa9), 2); // a character split by LF is two bad lines
  assert.equal(at(0xed, 0xa0, 0x80), 1); // an encoded lone surrogate
  assert.equal(at(0xc0, 0xaf), 1); // an overlong "/"
  assert.equal(at(0x61, 0xe2, 0x82), 1); // cut short at the end of the file
});

Deno.test("executa invoke --args @FILE that is not UTF-8 names its line and the fix (§2.9)", async () => {
  await using dir = await tmpDir();
  const path = join(dir.path, "args.json");
  await Deno.writeFile(path, latin1("{", '  "text": "caf\x00"', "}"));
  await assert.rejects(
    readArgs(`@${path}`),
    (e) =>
      e instanceof UsageError && e.message.startsWith(`--args @${path}:2: `) && FIX.test(e.message),
  );
  await Deno.writeFile(path, enc.encode('{"text": "café"}'));
  assert.deepEqual(await readArgs(`@${path}`), { text: "café" });
});

Deno.test("app.json, executa.json, package.json and pyproject.toml that are not UTF-8 name file:line and the fix (§3.11, §9.2)", async () => {
  await using dir = await tmpDir();
  const app = join(dir.path, "app");
  await Deno.mkdir(app);
  await Deno.writeFile(
    join(app, "app.json"),
    latin1("{", '  "slug": "caf\x00",', '  "bundled_executas": {"t": {"path": "tool"}}', "}"),
  );
  // the slug falls back to the directory name; lossily it was "caf-"
  const slug = await appSlugFor({ appDir: app });
  assert.equal(slug.slug, "app");
  assert.equal(slug.warnings.length, 1);
  assert.ok(slug.warnings[0].startsWith(`${join(app, "app.json")}:2: `), slug.warnings[0]);
  assert.match(slug.warnings[0], FIX);
  const bundled: string[] = [];
  assert.deepEqual(await bundledHandles(app, bundled), []);
  assert.equal(bundled.length, 1);
  assert.match(bundled[0], /^app\.json:2: not valid UTF-8: save the file as UTF-8/);
  for (
    const [file, lines, line] of [
      ["executa.json", ['{"tool_id": "caf\x00", "type": "python"}'], 1],
      ["package.json", ["{", '  "name": "caf\x00"', "}"], 2],
      [
        "pyproject.toml",
        ["[project]", 'name = "t"', "[project.scripts]", '"caf\x00" = "t:main"'],
        4,
      ],
    ] as const
  ) {
    const tool = join(dir.path, file.replace(".", "-"));
    await Deno.mkdir(tool);
    await Deno.writeFile(join(tool, file), latin1(...lines));
    // lossily these were an executa named "caf\uFFFD"
    const d = await deriveExecuta(tool, "x");
    assert.equal(d.tool_id, null, file);
    assert.ok(d.warning?.startsWith(`skipping executa x: ${file}`), d.warning);
    assert.ok(d.warning?.includes(`${line}`), d.warning);
    assert.match(d.warning ?? "", FIX, file);
    // the same file as UTF-8 is a usable executa
    await Deno.writeTextFile(join(tool, file), lines.join("\n").replace("\x00", "é"));
    const ok = await deriveExecuta(tool, "x");
    assert.equal(ok.warning, undefined, file);
    assert.equal(ok.tool_id, "café", file);
  }
});

Deno.test("a default command read from a package.json or pyproject.toml that is not UTF-8 says so (§9.3)", async () => {
  await using dir = await tmpDir();
  await Deno.writeFile(
    join(dir.path, "package.json"),
    latin1("{", '  "description": "caf\x00",', '  "bin": {"t": "cli.js"}', "}"),
  );
  const spec = (type: "node" | "python"): ExecutaSpec => ({
    tool_id: "t",
    project_dir: dir.path,
    command: null,
    type,
    env: {},
    handle: "t",
    app_slug: null,
  });
  // lossily this quietly started index.js (or cli.js, by luck of where the bad byte was)
  const node = await resolveCommand(spec("node"), { env: { PATH: "" } });
  assert.ok("error" in node);
  assert.equal(node.error.reason, "no_node_entry");
  assert.ok(node.error.message.includes(`${join(dir.path, "package.json")}:2: `));
  assert.match(node.error.message, FIX);
  await Deno.writeFile(
    join(dir.path, "pyproject.toml"),
    latin1("[project]", 'description = "caf\x00"', "[project.scripts]", 't = "t:main"'),
  );
  const py = await resolveCommand(spec("python"), {
    env: { PATH: "", ANNA_APP_PYTHON: "/nonexistent/python3" },
    logger: new Logger({ level: "error" }),
  });
  assert.ok("error" in py);
  assert.equal(py.error.reason, "no_python_entry");
  // not "has no [project.scripts] entry": it has one, in a file that could not be read
  assert.match(py.error.message, /pyproject\.toml could not be read \(line 2 is not valid UTF-8/);
});
