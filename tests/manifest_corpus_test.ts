/**
 * Every real manifest of the corpus loads under CONTRACT §3: errors only where §3.7 says the app
 * cannot run (none of the 43 qualifies), and exactly the warnings its tolerance rules call for.
 */
import assert from "node:assert/strict";
import { loadManifest, selectView, viewMeta } from "../lib/manifest/mod.ts";
import { aclAllows, scopesFor } from "../lib/manifest/acl.ts";
import { CORPUS_EXPECTED as EXPECTED, MANIFESTS_DIR, RECORDINGS_DIR } from "./helpers/corpus.ts";

const DIR = `${MANIFESTS_DIR}/`;
const HARNESS = `${RECORDINGS_DIR}/harness-session-no-llm.manifest.json`;

const files = [...Deno.readDirSync(DIR)].map((e) => e.name).filter((n) => n.endsWith(".json"))
  .sort();

Deno.test("corpus: all 43 manifests are present", () => {
  assert.equal(files.length, 43);
  for (const name of Object.keys(EXPECTED)) assert.ok(files.includes(name), name);
});

Deno.test("corpus: every manifest loads with the expected diagnostics", async (t) => {
  for (const name of files) {
    await t.step(name, async () => {
      const r = await loadManifest(DIR + name);
      const errors = r.diagnostics.filter((d) => d.severity === "error");
      assert.deepEqual(errors, [], "no corpus app is unrunnable");
      assert.ok(r.manifest, "effective manifest present");
      const got = r.diagnostics.map((d) => `${d.code}@${d.path}`);
      assert.deepEqual(got, EXPECTED[name] ?? []);
      for (const d of r.diagnostics) {
        assert.equal(d.severity, "warning");
        assert.ok(d.message.length > 10, "message explains the problem");
      }
      // the effective views are exactly the declared ones, in order
      const raw = r.raw as { ui: { views: { name: string }[] } };
      assert.deepEqual(r.manifest.ui.views.map((v) => v.name), raw.ui.views.map((v) => v.name));
      const view = selectView(r.manifest);
      const meta = viewMeta(view, r.manifest);
      assert.ok(meta.default_size.w >= meta.min_size.w && meta.default_size.w <= meta.max_size.w);
      assert.equal(scopesFor(r.manifest).at(-1), "window.*");
      assert.equal(aclAllows(r.manifest, "window", "set_title", []), true);
    });
  }
});

Deno.test("corpus: legacy storage names grant nothing and the hint names the real methods", async () => {
  const r = await loadManifest(DIR + "learnerabhinavdwivedi-droid__sanctum-keypulse.json");
  assert.ok(r.manifest);
  assert.equal(aclAllows(r.manifest, "storage", "get", []), false);
  assert.equal(aclAllows(r.manifest, "storage", "read", []), true, "kept literally");
  const hints = r.diagnostics.map((d) => d.hint ?? "").join(" ");
  for (const m of ["get", "set", "delete", "list"]) assert.match(hints, new RegExp(`"${m}"`));
});

Deno.test("corpus: harness manifest — no diagnostics, recorded view_meta, scopes", async () => {
  const r = await loadManifest(HARNESS);
  assert.deepEqual(r.diagnostics, []);
  assert.ok(r.manifest);
  const meta = viewMeta(selectView(r.manifest), r.manifest);
  // the recorded hello's view_meta, plus the two fields the contract adds as null
  assert.deepEqual(meta, {
    name: "main",
    title: "Mini Notes",
    entry: "index.html",
    min_size: { w: 360, h: 480 },
    default_size: { w: 520, h: 700 },
    max_size: { w: 900, h: 1100 },
    resizable: true,
    movable: true,
    single_instance: true,
    icon: null,
    summary_template: null,
    chrome: "solid",
    transparent: false,
  });
  // §5.4: host_api keys in manifest order (storage, tools, llm), then window.*
  assert.deepEqual(scopesFor(r.manifest), [
    "storage.get",
    "storage.set",
    "tools.required:*",
    "llm.complete",
    "window.*",
  ]);
});
