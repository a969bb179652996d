/** The §3.7 errors (the app cannot run) and file loading (CONTRACT §3.1, §3.7). */
import assert from "node:assert/strict";
import { join } from "node:path";
import { analyzeManifest, loadManifest } from "../lib/manifest/mod.ts";
import type { ManifestResult } from "../lib/manifest/types.ts";
import { tmpDir } from "./helpers/tmp.ts";

// deno-lint-ignore no-explicit-any
type Json = any;
const minimal = (): Json => ({
  schema: 2,
  ui: { bundle: {}, views: [{ name: "main", title: "M" }] },
});
const errors = (r: ManifestResult) =>
  r.diagnostics.filter((d) => d.severity === "error").map((d) => `${d.code}@${d.path}`);

Deno.test("a minimal manifest has no diagnostics and an effective manifest", () => {
  const r = analyzeManifest(minimal());
  assert.deepEqual(r.diagnostics, []);
  assert.ok(r.manifest);
});

Deno.test("manifest_not_object for arrays, null, strings, numbers", () => {
  for (const raw of [[], null, "x", 3, true]) {
    const r = analyzeManifest(raw);
    assert.equal(r.manifest, null);
    assert.deepEqual(errors(r), ["manifest_not_object@"]);
  }
});

Deno.test("ui_missing when ui is absent or not an object", () => {
  for (const ui of [undefined, [], "ui", null]) {
    const m = minimal();
    if (ui === undefined) delete m.ui;
    else m.ui = ui;
    const r = analyzeManifest(m);
    assert.equal(r.manifest, null);
    assert.deepEqual(errors(r), ["ui_missing@ui"]);
  }
});

Deno.test("views_missing: absent, not an array, empty, or no usable view", () => {
  for (const views of [undefined, {}, [], [{}, { name: "" }, "main", { name: 3 }]]) {
    const m = minimal();
    if (views === undefined) delete m.ui.views;
    else m.ui.views = views;
    const r = analyzeManifest(m);
    assert.equal(r.manifest, null, JSON.stringify(views));
    assert.deepEqual(errors(r), ["views_missing@ui.views"]);
  }
  // unusable items are skipped with a warning; one usable view is enough
  const m = minimal();
  m.ui.views = [{ title: "no name" }, { name: "ok", title: "OK" }];
  const r = analyzeManifest(m);
  assert.ok(r.manifest);
  assert.deepEqual(r.manifest.ui.views.map((v) => v.name), ["ok"]);
  assert.deepEqual(r.diagnostics.map((d) => `${d.code}@${d.path}`), ["view_invalid@ui.views[0]"]);
});

Deno.test("entry_unsafe: the bundle path rule", () => {
  const bad = [
    "/index.html",
    "../index.html",
    "a/../b.html",
    "a//b.html",
    "a b.html",
    "",
    5,
    "x\\y",
  ];
  for (const entry of bad) {
    const m = minimal();
    m.ui.bundle.entry = entry;
    const r = analyzeManifest(m);
    assert.equal(r.manifest, null, String(entry));
    assert.deepEqual(errors(r), ["entry_unsafe@ui.bundle.entry"]);
    assert.ok(r.diagnostics[0].hint);
  }
  const good = ["index.html", "app/index.html", "index.html?x=1#/a/../b", "v1.2/main-page_x.html"];
  for (const entry of good) {
    const m = minimal();
    m.ui.bundle.entry = entry;
    const r = analyzeManifest(m);
    assert.deepEqual(r.diagnostics, [], entry);
    assert.equal(r.manifest?.ui.bundle.entry, entry);
  }
});

Deno.test("entry_unsafe says which part breaks the rule; non-ASCII letters are named", () => {
  const cases: [string, string][] = [
    ["アプリ.html", "'ア' (U+30A2) is not ASCII"],
    ["pages/caf\u00e9.html?x=1", "'\u00e9' (U+00E9) is not ASCII"],
    ["\u{1F600}.html", "'\u{1F600}' (U+1F600) is not ASCII"],
    ["my page.html", "it has a space"],
    ["a\\b.html", '"\\\\" (U+005C) is not allowed'],
    ["/index.html", "it starts with /"],
    ["a//b.html", "it has //"],
    ["a/../b.html", "it has a .. segment"],
    ["#top", "the path is empty"],
  ];
  for (const [entry, fault] of cases) {
    const m = minimal();
    m.ui.bundle.entry = entry;
    const d = analyzeManifest(m).diagnostics[0];
    assert.equal(
      d.message,
      `ui.bundle.entry ${JSON.stringify(entry)} breaks the bundle path rule: ${fault}`,
    );
    assert.match(d.hint ?? "", /^use a relative path of ASCII letters, digits/);
  }
});

Deno.test("an entry that is not a string is told to be a string path, not to fix its characters", () => {
  for (const entry of [5, ["index.html"], { path: "index.html" }, true]) {
    const m = minimal();
    m.ui.bundle.entry = entry;
    const r = analyzeManifest(m);
    assert.deepEqual(errors(r), ["entry_unsafe@ui.bundle.entry"]);
    const d = r.diagnostics[0];
    assert.match(d.message, /^ui\.bundle\.entry must be a string path, got (a|an) \w+$/, d.message);
    assert.equal(d.hint, 'e.g. "entry": "index.html"');
    // the view entry falls back with the same words (a warning there, §3.3)
    const v = minimal();
    (v.ui.views[0] as Record<string, unknown>).entry = entry;
    const w = analyzeManifest(v).diagnostics.find((x) => x.code === "view_entry_unsafe");
    assert.match(w?.message ?? "", /^ui\.views\[0\]\.entry must be a string path, got .*; using/);
  }
});

Deno.test("errors do not stop the remaining checks (warnings still reported)", () => {
  const m = minimal();
  m.schema = 3;
  m.ui.bundle.entry = "/abs.html";
  const r = analyzeManifest(m);
  assert.equal(r.manifest, null);
  const codes = r.diagnostics.map((d) => d.code);
  assert.ok(codes.includes("schema_unsupported") && codes.includes("entry_unsafe"));
});

Deno.test("loadManifest: manifest_unreadable, manifest_not_json with line:column, not object", async () => {
  await using tmp = await tmpDir();
  const dir = tmp.path;
  const missing = await loadManifest(join(dir, "nope.json"));
  assert.deepEqual(missing.diagnostics.map((d) => d.code), ["manifest_unreadable"]);
  assert.equal(missing.manifest, null);
  assert.equal(missing.raw, null);
  assert.equal(missing.path, join(dir, "nope.json"));

  const asDir = await loadManifest(dir);
  assert.deepEqual(asDir.diagnostics.map((d) => d.code), ["manifest_unreadable"]);

  const bad = join(dir, "bad.json");
  await Deno.writeTextFile(bad, '{\n  "schema": 2,\n  "ui": { "views": [ }\n}\n');
  const r = await loadManifest(bad);
  assert.deepEqual(r.diagnostics.map((d) => d.code), ["manifest_not_json"]);
  assert.match(r.diagnostics[0].message, /:3:22: /);
  assert.equal(r.diagnostics[0].severity, "error");

  const trailing = join(dir, "trailing.json");
  await Deno.writeTextFile(trailing, '{"schema": 2,\n "ui": {},}');
  const t = await loadManifest(trailing);
  assert.match(t.diagnostics[0].message, /:2:11: /);
  assert.equal(
    t.diagnostics[0].hint,
    "remove the comma before '}' (JSON allows no trailing commas)",
  );
  // hand-edited files: each common slip gets a hint naming the fix
  const slips: [string, string][] = [
    ['{"ui": {"views": [{"name": "m"},\n ]}}', "remove the comma before ']'"],
    ['// my app\n{"schema": 2}', "JSON has no comments"],
    ['{"schema": 2 /* two */}', "JSON has no comments"],
    ["{'schema': 2}", "double quotes"],
  ];
  for (const [text, hint] of slips) {
    await Deno.writeTextFile(trailing, text);
    const d = (await loadManifest(trailing)).diagnostics;
    assert.deepEqual(d.map((x) => x.code), ["manifest_not_json"], text);
    assert.ok(d[0].hint?.includes(hint), `${text}: ${d[0].hint}`);
  }

  const truncated = join(dir, "truncated.json");
  await Deno.writeTextFile(truncated, '{"schema": 2,\n"ui": {');
  assert.match((await loadManifest(truncated)).diagnostics[0].message, /:2:8: .*end of input/);

  const arr = join(dir, "arr.json");
  await Deno.writeTextFile(arr, "[1, 2]");
  const a = await loadManifest(arr);
  assert.deepEqual(a.diagnostics.map((d) => d.code), ["manifest_not_object"]);
  assert.deepEqual(a.raw, [1, 2]);

  // valid JSON in Latin-1: an error at the first bad byte, not a title full of U+FFFD
  const latin1 = join(dir, "latin1.json");
  const cafe = JSON.stringify(minimal()).replace('"M"', '"Caf\u00e9"');
  assert.notEqual(cafe, JSON.stringify(minimal()));
  const bytes = Uint8Array.from(cafe, (ch) => ch.charCodeAt(0)); // one byte per char: Latin-1
  await Deno.writeFile(latin1, bytes);
  const l = await loadManifest(latin1);
  assert.deepEqual(l.diagnostics.map((d) => [d.severity, d.code]), [[
    "error",
    "manifest_not_json",
  ]]);
  assert.match(
    l.diagnostics[0].message,
    new RegExp(`:1:${cafe.indexOf("\u00e9") + 1}: not valid UTF-8$`),
  );
  assert.match(l.diagnostics[0].hint!, /save manifest\.json as UTF-8/);
  assert.equal(l.manifest, null);

  const bom = join(dir, "bom.json");
  await Deno.writeTextFile(bom, "\uFEFF" + JSON.stringify(minimal()));
  const b = await loadManifest(bom);
  assert.deepEqual(b.diagnostics, []);
  assert.ok(b.manifest);
});
