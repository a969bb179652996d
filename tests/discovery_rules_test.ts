/** Executa discovery (CONTRACT §9.1–§9.2) and the pyproject/package.json readers. */
import { fileURLToPath as fromFileUrl } from "node:url";
import assert from "node:assert/strict";
import { basename, join } from "node:path";
import { discoverExecutas, readNodeEntry, readPyprojectScripts } from "../lib/executa/discovery.ts";
import { parseToml } from "../lib/executa/toml.ts";
import { tmpDir } from "./helpers/tmp.ts";

const APPS = fromFileUrl(new URL("./fixtures/apps/", import.meta.url));
const DISC = join(APPS, "disc-app");

async function withTemp(fn: (dir: string) => Promise<void>) {
  await using tmp = await tmpDir();
  const dir = tmp.path;
  await fn(dir);
}
async function write(path: string, text: string, mode?: number) {
  await Deno.mkdir(join(path, ".."), { recursive: true });
  await Deno.writeTextFile(path, text, mode ? { mode } : undefined);
  if (mode) await Deno.chmod(path, mode);
}

Deno.test("discovery: rules in order, handles, app.json paths, skips and duplicates", async () => {
  const { specs, warnings } = await discoverExecutas(DISC);
  const rows = specs.map((s) => [s.tool_id, s.type, s.handle, basename(s.project_dir), s.command]);
  assert.deepEqual(rows, [
    ["tool-a", "python", "alpha", "a-json", null], // executa.json slug → handle
    ["tool-b", "python", "bee", "b-py", null], // app.json handle; first [project.scripts] key
    ["tool-c", "node", "c-node-obj", "c-node-obj", null], // first bin key
    ["tool-d", "node", "d-node-str", "d-node-str", null], // name (bin string form)
    ["tool-e", "node", "e-node-exec", "e-node-exec", null], // executa.tool_id
    ["tool-f", "node", "f-node-main", "f-node-main", null],
    ["tool-n", "node", "n-transport", "n-transport", ["node", "srv.js", "--stdio"]],
    ["tool-ext", "go", "ext", "ext", ["go", "run", "./cmd/ext"]], // app.json path outside executas/
  ]);
  for (const s of specs) {
    assert.ok(s.project_dir.startsWith(DISC), "absolute project_dir");
    assert.deepEqual(s.env, {});
    assert.equal(s.app_slug, null);
  }
  assert.deepEqual(warnings, [
    'go executa executas/g-go needs executa.json with "type":"go"',
    'skipping executa executas/k-dup: tool_id "tool-a" already provided by executas/a-json',
    'skipping executa executas/l-missing: executa.json needs "tool_id"',
    "skipping executa executas/o-node-bare: package.json has no executa.tool_id, bin or name",
  ]);
});

Deno.test("discovery: executable bin/<dirname> is a binary executa; non-executable is skipped", async () => {
  if (Deno.build.os === "windows") return;
  await withTemp(async (app) => {
    await write(join(app, "executas", "runner", "bin", "runner"), "#!/bin/sh\n", 0o755);
    await write(join(app, "executas", "plain", "bin", "plain"), "not executable", 0o644);
    const { specs, warnings } = await discoverExecutas(app);
    assert.deepEqual(specs.map((s) => [s.tool_id, s.type, s.handle]), [[
      "runner",
      "binary",
      "runner",
    ]]);
    assert.deepEqual(warnings, []);
  });
});

Deno.test("discovery: the app directory itself when no candidate yields an executa", async () => {
  await withTemp(async (root) => {
    const app = join(root, "solo-app");
    await write(join(app, "executa.json"), '{"tool_id": "solo", "type": "node"}');
    await write(join(app, "executas", "skill", "SKILL.md"), "# skill");
    const r = await discoverExecutas(app);
    assert.deepEqual(r.specs.map((s) => [s.tool_id, s.handle, s.project_dir]), [[
      "solo",
      "solo-app",
      app,
    ]]);
    // with a real candidate, the root executa.json is not used
    await write(join(app, "executas", "one", "executa.json"), '{"tool_id": "one", "type": "go"}');
    const r2 = await discoverExecutas(app);
    assert.deepEqual(r2.specs.map((s) => s.tool_id), ["one"]);
  });
});

Deno.test("discovery: enabled:false and executa_type skill are skipped silently", async () => {
  await withTemp(async (app) => {
    await write(
      join(app, "executas", "a", "executa.json"),
      '{"tool_id":"a","type":"node","enabled":false}',
    );
    await write(
      join(app, "executas", "b", "executa.json"),
      '{"tool_id":"b","executa_type":"skill"}',
    );
    await write(join(app, "executas", "c", "executa.json"), '{"tool_id":"c","type":"python"}');
    const r = await discoverExecutas(app);
    assert.deepEqual(r.specs.map((s) => s.tool_id), ["c"]);
    assert.deepEqual(r.warnings, []);
  });
});

Deno.test("discovery: candidates sorted by byte order; app.json list form and bad paths warn", async () => {
  await withTemp(async (app) => {
    for (const n of ["b", "B", "a"]) {
      await write(join(app, "executas", n, "executa.json"), `{"tool_id":"t-${n}","type":"go"}`);
    }
    await write(join(app, "extra", "executa.json"), '{"tool_id":"t-extra","type":"go"}');
    await write(
      join(app, "app.json"),
      JSON.stringify({ bundled_executas: [{ path: "extra" }, { path: "missing" }, {}] }),
    );
    const r = await discoverExecutas(app);
    assert.deepEqual(r.specs.map((s) => [s.tool_id, s.handle]), [
      ["t-B", "B"],
      ["t-a", "a"],
      ["t-b", "b"],
      ["t-extra", "0"],
    ]);
    assert.equal(r.warnings.length, 3);
    assert.match(r.warnings[0], /bundled_executas should be an object/);
    assert.match(r.warnings[1], /has no "path"/);
    assert.match(r.warnings[2], /bundled_executas\.1 path .*missing is not a directory/);
  });
});

Deno.test("discovery: the handle is the app.json key, then the executa.json slug, then the directory name", async () => {
  await withTemp(async (app) => {
    const spec = (dir: string, slug?: string) =>
      write(
        join(app, "executas", dir, "executa.json"),
        JSON.stringify({ tool_id: `t-${dir}`, type: "go", slug }),
      );
    await spec("both", "from-slug");
    await spec("slug-only", "only-slug");
    await spec("plain");
    await write(
      join(app, "app.json"),
      JSON.stringify({ bundled_executas: { "from-app-json": { path: "executas/both" } } }),
    );
    const r = await discoverExecutas(app);
    assert.deepEqual(r.specs.map((s) => [basename(s.project_dir), s.handle]), [
      ["both", "from-app-json"],
      ["plain", "plain"],
      ["slug-only", "only-slug"],
    ]);
  });
});

Deno.test("discovery: an executa.json type that is there but unknown is named, not called missing", async () => {
  await withTemp(async (app) => {
    await write(join(app, "executas", "a", "executa.json"), '{"tool_id":"a","type":"nodejs"}');
    await write(join(app, "executas", "b", "executa.json"), '{"type":"node"}');
    const { specs, warnings } = await discoverExecutas(app);
    assert.deepEqual(specs, []);
    assert.deepEqual(warnings, [
      'skipping executa executas/a: executa.json needs "type" (python|node|go|binary, got "nodejs")',
      'skipping executa executas/b: executa.json needs "tool_id"',
    ]);
  });
});

Deno.test("discovery: an app without executas yields nothing", async () => {
  const r = await discoverExecutas(join(APPS, "strict-app"));
  assert.deepEqual(r, { specs: [], warnings: [], folders: [] });
});

Deno.test("readNodeEntry: bin[tool_id], bin string, first bin value, main, module, index.js", async () => {
  const dir = (n: string) => join(DISC, "executas", n);
  assert.equal(await readNodeEntry(dir("c-node-obj")), "./bin/c.js");
  assert.equal(await readNodeEntry(dir("d-node-str")), "cli.js");
  assert.equal(await readNodeEntry(dir("e-node-exec"), "tool-e"), "run.js");
  assert.equal(await readNodeEntry(dir("f-node-main")), "main.js");
  assert.equal(await readNodeEntry(dir("o-node-bare")), "index.js");
  assert.equal(await readNodeEntry(dir("a-json")), "index.js", "no package.json");
  await withTemp(async (d) => {
    await write(join(d, "package.json"), '{"module": "m.mjs", "bin": {"x": "x.js", "y": "y.js"}}');
    assert.equal(await readNodeEntry(d, "y"), "y.js");
    await write(join(d, "package.json"), '{"module": "m.mjs"}');
    assert.equal(await readNodeEntry(d), "m.mjs");
  });
});

Deno.test("readPyprojectScripts: [project] name and [project.scripts] in file order", async () => {
  const r = await readPyprojectScripts(join(DISC, "executas", "b-py"));
  assert.deepEqual(r, {
    name: "b-py",
    scripts: [["tool-b", "b_pkg.main:run"], ["tool-b-extra", "b_pkg.main:other"]],
  });
  assert.equal(await readPyprojectScripts(join(DISC, "executas", "a-json")), null);
});

Deno.test("parseToml: dotted keys, inline tables, literal strings, arrays of tables", () => {
  const t = parseToml([
    "title = 'x' # comment",
    "[project]",
    'name = "p\\u00e9"',
    'scripts = { a = "m:f", "b c" = \'n:g\' }',
    'authors = [ { name = "x" }, ]',
    "[[tool.entries]]",
    'name = "ignored"',
    "[tool.other]",
    "project.name = 'dotted'",
    "n = 3",
  ].join("\n"));
  assert.deepEqual(t.project, {
    name: "pé",
    scripts: { a: "m:f", "b c": "n:g" },
    authors: [{ name: "x" }],
  });
  assert.deepEqual(t.tool, { other: { project: { name: "dotted" }, n: "3" } });
  assert.throws(() => parseToml('[project]\nname = "unterminated\n'), /unterminated|newline/);
});
