/** `anna-app-runtime validate` end to end (CONTRACT §2.8): formats, exit codes, --strict, executas. */
import { fileURLToPath as fromFileUrl } from "node:url";
import assert from "node:assert/strict";
import { MANIFESTS_DIR } from "./helpers/corpus.ts";
import { join } from "node:path";
import { tmpDir } from "./helpers/tmp.ts";
import { denoDirEnv } from "./helpers/bridge_process.ts";
import { writeApp } from "./helpers/server.ts";

const ROOT = fromFileUrl(new URL("../", import.meta.url));
const APPS = join(ROOT, "tests", "fixtures", "apps");

async function validate(
  ...args: string[]
): Promise<{ code: number; stdout: string; stderr: string }> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", join(ROOT, "main.ts"), "validate", ...args],
    cwd: ROOT,
    stdout: "piped",
    stderr: "piped",
  }).output();
  const dec = new TextDecoder();
  return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
}
async function validateJson(...args: string[]) {
  const r = await validate(...args, "--format", "json");
  const lines = r.stdout.trim().split("\n");
  assert.equal(lines.length, 1, "exactly one JSON document on stdout");
  return { code: r.code, doc: JSON.parse(lines[0]) };
}

Deno.test("valid app: json document with the §2.8 fields, bundled: refs resolved via discovery", async () => {
  const { code, doc } = await validateJson(join(APPS, "valid-app"));
  assert.equal(code, 0);
  assert.deepEqual(Object.keys(doc), [
    "valid",
    "errors",
    "warnings",
    "manifest_path",
    "app_slug",
    "views",
    "executas",
    "diagnostics",
  ]);
  assert.deepEqual(doc, {
    valid: true,
    errors: 0,
    warnings: 0,
    manifest_path: join(APPS, "valid-app", "manifest.json"),
    app_slug: "valid-app",
    views: ["main"],
    executas: [{
      tool_id: "tool-notes-1234",
      handle: "notes",
      type: "node",
      project_dir: join(APPS, "valid-app", "executas", "notes-tool"),
      command: null,
    }],
    diagnostics: [],
  });
});

Deno.test("valid app: pretty output is a summary line; manifest path form works too", async () => {
  const r = await validate(join(APPS, "valid-app"));
  assert.equal(r.code, 0);
  assert.match(
    r.stdout,
    /^valid: .*manifest\.json — 0 errors, 0 warnings; app 'valid-app', 1 view, 1 executa\n$/,
  );
  const direct = await validate(join(APPS, "valid-app", "manifest.json"));
  assert.equal(direct.code, 0);
  assert.match(direct.stdout, /1 executa\n$/, "manifest.json in an app dir still discovers");
});

Deno.test("--no-executas: bundled: refs stay literal, so the resolved id in host_api.tools warns; --strict fails", async () => {
  const { code, doc } = await validateJson(join(APPS, "valid-app"), "--no-executas");
  assert.equal(code, 0);
  assert.deepEqual(doc.executas, []);
  assert.deepEqual(
    doc.diagnostics.map((d: { code: string; path: string }) => `${d.code}@${d.path}`),
    [
      "tools_ref_unresolved@ui.host_api.tools[0]",
    ],
  );
  const strict = await validateJson(join(APPS, "valid-app"), "--no-executas", "--strict");
  assert.equal(strict.code, 1);
  assert.equal(strict.doc.valid, false);
});

Deno.test("--strict: ungranted bundle calls become warnings and fail; without it they pass", async () => {
  const plain = await validate(join(APPS, "strict-app"));
  assert.equal(plain.code, 0);
  const r = await validate(join(APPS, "strict-app"), "--strict");
  assert.equal(r.code, 1);
  const lines = r.stdout.trim().split("\n");
  assert.equal(lines.length, 4);
  assert.match(
    lines[0],
    /^warning {2}ui\.host_api\.storage {2}strict_ungranted_call {2}js\/app\.js:5: /,
  );
  assert.match(
    lines[1],
    /^warning {2}ui\.host_api\.llm {2}strict_ungranted_call {2}js\/app\.js:6: /,
  );
  assert.match(
    lines[2],
    /^warning {2}ui\.host_api\.apps {2}strict_ungranted_call {2}js\/app\.js:8: .*apps\.deck\.add/,
  );
  assert.match(lines[3], /^invalid: .* 0 errors, 3 warnings \(strict\)/);
});

Deno.test("errors exit 1: views_missing, manifest_not_json with line:column, missing manifest.json", async () => {
  const broken = await validateJson(join(APPS, "broken-app"));
  assert.equal(broken.code, 1);
  assert.equal(broken.doc.valid, false);
  assert.equal(broken.doc.errors, 1);
  assert.deepEqual(broken.doc.views, []);
  const err = broken.doc.diagnostics.find((d: { severity: string }) => d.severity === "error");
  assert.equal(err.code, "views_missing");
  assert.equal(err.path, "ui.views");
  assert.ok(err.hint);
  const pretty = await validate(join(APPS, "broken-app"));
  // §2.8 `severity  path  code  message`: two spaces between fields, no column padding
  assert.match(pretty.stdout, /^error {2}ui\.views {2}views_missing {2}/m);

  await using dirTmp = await tmpDir();
  const dir = dirTmp.path;
  await Deno.writeTextFile(
    join(dir, "manifest.json"),
    '{\n  "schema": 2,\n  "ui": { "views": [ }\n}\n',
  );
  const bad = await validateJson(dir);
  assert.equal(bad.code, 1);
  assert.equal(bad.doc.diagnostics[0].code, "manifest_not_json");
  assert.match(bad.doc.diagnostics[0].message, /manifest\.json:3:22: /);
  await Deno.remove(join(dir, "manifest.json"));
  const none = await validateJson(dir);
  assert.equal(none.code, 1);
  assert.equal(none.doc.diagnostics[0].code, "manifest_unreadable");
});

Deno.test("exit 2: path does not exist, bad flags", async () => {
  const missing = await validate(join(APPS, "no-such-app"), "--format", "json");
  assert.equal(missing.code, 2);
  assert.equal(missing.stdout, "");
  assert.equal(JSON.parse(missing.stderr.trim()).error.code, "path_not_found");
  const flag = await validate(join(APPS, "valid-app"), "--bogus");
  assert.equal(flag.code, 2);
  const both = await validate(join(APPS, "valid-app"), "--no-executas", "--executa", "dir=x");
  assert.equal(both.code, 2);
  const badSpec = await validate(join(APPS, "disc-app"), "--executa", "dir=executas/nope");
  assert.equal(badSpec.code, 2);
  assert.match(badSpec.stderr, /is not a directory/);
});

Deno.test("entry_not_found is a warning (exit 0), and fails only with --strict", async () => {
  const { code, doc } = await validateJson(join(APPS, "noentry-app"));
  assert.equal(code, 0);
  assert.deepEqual(doc.diagnostics.map((d: { code: string }) => d.code), [
    "bundle_missing",
    "entry_not_found",
  ]);
  assert.equal((await validate(join(APPS, "noentry-app"), "--strict")).code, 1);
});

Deno.test("discovery warnings are executa_discovery diagnostics; --executa replaces discovery", async () => {
  const { code, doc } = await validateJson(join(APPS, "disc-app"));
  assert.equal(code, 0);
  assert.equal(doc.app_slug, "disc-app", "app.json slug, normalised");
  assert.equal(doc.executas.length, 8);
  const disc = doc.diagnostics.filter((d: { code: string }) => d.code === "executa_discovery");
  assert.equal(disc.length, 4);
  for (const d of disc) assert.deepEqual([d.severity, d.path], ["warning", ""]);
  // bundled:alpha / bundled:bee / bundled:ext all resolve: no tools_ref_unresolved
  assert.equal(doc.diagnostics.length, 4);

  const only = await validateJson(join(APPS, "disc-app"), "--executa", "dir=executas/b-py");
  assert.deepEqual(
    only.doc.executas.map((e: { tool_id: string; handle: string }) => [e.tool_id, e.handle]),
    [
      ["tool-b", "bee"],
    ],
  );
  // no discovery warnings; unresolved bundled: refs stay literal on both sides and still match
  assert.deepEqual(only.doc.diagnostics, []);
});

Deno.test("a lone manifest file: no discovery, no bundle check, slug from its directory", async () => {
  const file = join(MANIFESTS_DIR, "parth-bansal081__Mirror-AI.json");
  const { code, doc } = await validateJson(file);
  assert.equal(code, 0);
  assert.equal(doc.app_slug, "manifests");
  assert.deepEqual(doc.executas, []);
  assert.deepEqual(doc.diagnostics.map((d: { code: string }) => d.code), ["schema_unsupported"]);
});

Deno.test("entry_not_found: a directory entry means its index.html; the path is the view's index in the manifest", async () => {
  await using dir = await tmpDir();
  const app = join(dir.path, "app");
  await writeApp(app, {
    schema: 2,
    ui: {
      bundle: { format: "static-spa", entry: "index.html" },
      views: [
        { name: "", title: "skipped" },
        { name: "missing", title: "Missing", entry: "missing.html" },
        { name: "sub", title: "Sub", entry: "sub/", default: true },
      ],
    },
  });
  await Deno.mkdir(join(app, "bundle/sub"));
  await Deno.writeTextFile(join(app, "bundle/sub/index.html"), "<p>sub</p>");
  const { doc } = await validateJson(app);
  const entries = doc.diagnostics.filter((d: { code: string }) => d.code === "entry_not_found");
  assert.deepEqual(entries.map((d: { path: string }) => d.path), ["ui.views[1].entry"]);
  assert.match(entries[0].message, /bundle\/missing\.html/);
  // smoke's validate step runs the same check
  const smoke = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", join(ROOT, "main.ts"), "smoke", app, "--format", "json"],
    cwd: ROOT,
    env: { HOME: dir.path, ...denoDirEnv() },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const report = JSON.parse(new TextDecoder().decode(smoke.stdout));
  const warned = (report.warnings as string[]).filter((w) => w.startsWith("entry_not_found"));
  assert.deepEqual(warned.map((w) => w.split(":")[0]), ["entry_not_found ui.views[1].entry"]);
});

Deno.test("validate: a reader that closes stdout early (`| head`) does not turn into a crash", async () => {
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      join(ROOT, "main.ts"),
      "validate",
      join(ROOT, "examples", "notes-app"),
      "--format",
      "json",
    ],
    cwd: ROOT,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
    env: denoDirEnv(),
  }).spawn();
  // gone before the report is written (the process needs far longer than this to start)
  await child.stdout.cancel();
  const [status, err] = await Promise.all([child.status, new Response(child.stderr).text()]);
  assert.equal(status.code, 0, err);
  assert.doesNotMatch(err, /BrokenPipe|internal_error/);
});
