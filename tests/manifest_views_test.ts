/** select_view (CONTRACT §3.9), view_meta and geometry (§3.10), app slugs (§3.11). */
import assert from "node:assert/strict";
import { join } from "node:path";
import {
  analyzeManifest,
  appSlugFor,
  initialGeometry,
  normalizeSlug,
  selectView,
  UnknownViewError,
  viewMeta,
} from "../lib/manifest/mod.ts";
import type { EffectiveManifest } from "../lib/manifest/types.ts";
import { VIEW_META_DEFAULTS } from "./helpers/contract_values.ts";
import { tmpDir } from "./helpers/tmp.ts";

function manifest(views: unknown[], bundleEntry = "index.html"): EffectiveManifest {
  const r = analyzeManifest({ schema: 2, ui: { bundle: { entry: bundleEntry }, views } });
  assert.ok(r.manifest);
  return r.manifest;
}

Deno.test("selectView: by name, else first default, else first view", () => {
  const m = manifest([
    { name: "a", title: "A" },
    { name: "b", title: "B", default: true },
    { name: "c", title: "C", default: true },
  ]);
  assert.equal(selectView(m).name, "b");
  assert.equal(selectView(m, "c").name, "c");
  assert.equal(selectView(manifest([{ name: "x" }, { name: "y" }])).name, "x");
});

Deno.test("selectView: unknown view throws UnknownViewError with the available names", () => {
  const m = manifest([{ name: "a" }, { name: "b" }]);
  assert.throws(() => selectView(m, "B"), (e: unknown) => {
    assert.ok(e instanceof UnknownViewError);
    assert.equal(e.view, "B");
    assert.deepEqual(e.available, ["a", "b"]);
    assert.match(e.message, /unknown view 'B'/);
    return true;
  });
});

Deno.test("viewMeta: defaults for absent sizes, icon and summary_template", () => {
  const m = manifest([{ name: "main" }], "app.html?v=2");
  const meta = viewMeta(selectView(m), m);
  assert.deepEqual(meta, {
    name: "main",
    title: "main",
    entry: "app.html?v=2",
    ...VIEW_META_DEFAULTS,
  });
  assert.deepEqual(initialGeometry(meta), { x: 0, y: 0, w: 480, h: 640 });
});

Deno.test("viewMeta: default_size falls back to min_size, view fields carried over", () => {
  const m = manifest([{
    name: "main",
    title: "Main",
    entry: "main.html#x",
    min_size: { w: 360, h: 480 },
    icon: "icon.svg",
    summary_template: "{n} notes",
    single_instance: true,
    resizable: false,
  }]);
  const meta = viewMeta(m.ui.views[0], m);
  assert.deepEqual(meta.default_size, { w: 360, h: 480 });
  assert.equal(meta.entry, "main.html#x");
  assert.equal(meta.icon, "icon.svg");
  assert.equal(meta.summary_template, "{n} notes");
  assert.equal(meta.single_instance, true);
  assert.equal(meta.resizable, false);
  assert.deepEqual(initialGeometry(meta), { x: 0, y: 0, w: 360, h: 480 });
  const explicit = manifest([{ name: "v", default_size: { w: 700, h: 500 } }]);
  assert.deepEqual(initialGeometry(viewMeta(explicit.ui.views[0], explicit)), {
    x: 0,
    y: 0,
    w: 700,
    h: 500,
  });
});

Deno.test("viewMeta: the 480x640 fallback is taken as §3.10 says, even above a smaller max_size", () => {
  const m = manifest([{ name: "small", max_size: { w: 300, h: 300 } }]);
  const meta = viewMeta(m.ui.views[0], m);
  assert.deepEqual(meta.default_size, { w: 480, h: 640 });
  assert.deepEqual(meta.max_size, { w: 300, h: 300 });
});

Deno.test("normalizeSlug: lowercase, [a-z0-9-], collapsed dashes, trimmed, 63 chars, empty → app", () => {
  assert.equal(normalizeSlug("My App"), "my-app");
  assert.equal(normalizeSlug("Notes_App!!v2"), "notes-app-v2");
  assert.equal(normalizeSlug("--a---b--"), "a-b");
  assert.equal(normalizeSlug("ÄÖÜ"), "app");
  assert.equal(normalizeSlug(""), "app");
  assert.equal(normalizeSlug("mini-notes"), "mini-notes");
  const long = normalizeSlug("x".repeat(62) + "-yyyy");
  assert.equal(long, "x".repeat(62), "cut to 63 without a trailing dash");
  assert.equal(normalizeSlug("a".repeat(100)).length, 63);
});

Deno.test("appSlugFor: explicit > app.json slug > manifest directory name", async () => {
  await using tmp = await tmpDir();
  const root = tmp.path;
  const app = join(root, "My_Notes App");
  await Deno.mkdir(app);
  const manifestPath = join(app, "manifest.json");
  assert.deepEqual(await appSlugFor({ appDir: app }), { slug: "my-notes-app", warnings: [] });
  assert.equal((await appSlugFor({ manifestPath })).slug, "my-notes-app");
  await Deno.writeTextFile(join(app, "app.json"), JSON.stringify({ slug: "Notes Pro" }));
  assert.equal((await appSlugFor({ appDir: app })).slug, "notes-pro");
  assert.equal((await appSlugFor({ manifestPath })).slug, "notes-pro");
  const explicit = await appSlugFor({ explicit: "notes", appDir: app });
  assert.deepEqual(explicit, { slug: "notes", warnings: [] });
  const changed = await appSlugFor({ explicit: "Notes App", appDir: app });
  assert.equal(changed.slug, "notes-app");
  assert.equal(changed.warnings.length, 1);
  assert.match(changed.warnings[0], /'Notes App'.*'notes-app'/);
  await Deno.writeTextFile(join(app, "app.json"), "{broken");
  const broken = await appSlugFor({ appDir: app });
  assert.equal(broken.slug, "my-notes-app");
  assert.equal(broken.warnings.length, 1);
});
