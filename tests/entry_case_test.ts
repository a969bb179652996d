/**
 * `entry_not_found` compares names as spelled on disk (CONTRACT §3.7, §11.7): an entry that differs
 * from its file only in letter case is found by stat on macOS and Windows but answers 404 on a
 * Linux host, so it is warned about on every OS, naming the file as it is spelled.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { entryDiagnostics } from "../lib/manifest/entries.ts";
import { analyzeManifest, loadManifest } from "../lib/manifest/mod.ts";
import { onDiskSpelling } from "../lib/util/fs.ts";
import { tmpDir } from "./helpers/tmp.ts";

async function diagnose(bundle: string, raw: Record<string, unknown>) {
  const { manifest } = analyzeManifest(raw);
  return await entryDiagnostics(bundle, manifest!, raw);
}

Deno.test("entry_not_found: an entry whose case differs from the file names the on-disk spelling", async () => {
  await using dir = await tmpDir();
  const bundle = join(dir.path, "bundle");
  await Deno.mkdir(join(bundle, "Views"), { recursive: true });
  await Deno.writeTextFile(join(bundle, "index.html"), "<p>x</p>");
  await Deno.writeTextFile(join(bundle, "Views", "side.html"), "<p>y</p>");
  const raw = {
    schema: 2,
    ui: {
      bundle: { format: "static-spa", entry: "Index.html" },
      views: [
        { name: "main", title: "Main" },
        { name: "side", title: "Side", entry: "views/side.html?x=1" },
        { name: "ok", title: "Ok", entry: "./Views/side.html#top" },
      ],
    },
  };
  const found = await diagnose(bundle, raw);
  assert.deepEqual(found.map((d) => [d.code, d.path]), [
    ["entry_not_found", "ui.bundle.entry"],
    ["entry_not_found", "ui.views[1].entry"],
  ]);
  assert.match(
    found[0].message,
    /bundle\/Index\.html differs in letter case .* bundle\/index\.html/,
  );
  assert.match(found[0].hint!, /write the entry as index\.html/);
  assert.match(found[1].message, /bundle\/Views\/side\.html$/);
});

Deno.test("onDiskSpelling: exact names win, a case-only match gives the disk name, a directory is no file", async () => {
  await using dir = await tmpDir();
  await Deno.mkdir(join(dir.path, "Sub"));
  await Deno.writeTextFile(join(dir.path, "Sub", "App.JS"), "");
  assert.equal(await onDiskSpelling(dir.path, "Sub/App.JS"), "Sub/App.JS");
  assert.equal(await onDiskSpelling(dir.path, "./sub//app.js"), "Sub/App.JS");
  assert.equal(await onDiskSpelling(dir.path, "sub"), null);
  assert.equal(await onDiskSpelling(dir.path, "sub/missing.js"), null);
  assert.equal(await onDiskSpelling(join(dir.path, "nope"), "a.js"), null);
});

Deno.test("manifest.json spelled otherwise on disk: the unreadable error says to rename it", async () => {
  await using dir = await tmpDir();
  await Deno.writeTextFile(join(dir.path, "Manifest.json"), '{"ui":{"views":[{"name":"m"}]}}');
  const missing = await loadManifest(join(dir.path, "manifest.json"));
  assert.equal(missing.diagnostics[0].code, "manifest_unreadable");
  assert.equal(
    missing.diagnostics[0].hint,
    "rename Manifest.json to manifest.json (file names are case-sensitive)",
  );
  // where it was read through a case-insensitive file system (macOS, Windows) the same lookup
  // gives a manifest_name_case warning; Linux cannot read it that way, so a macOS CI job covers it
  await Deno.writeTextFile(join(dir.path, "manifest.json"), '{"ui":{"views":[{"name":"m"}]}}');
  const both = await loadManifest(join(dir.path, "manifest.json"));
  assert.ok(!both.diagnostics.some((d) => d.code === "manifest_name_case"), "exact name on disk");
});
