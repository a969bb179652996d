/**
 * The shared static check of `validate` and `smoke` (lib/core/app_check.ts, CONTRACT §2.8, §14):
 * bundled: refs resolve against the executas found, diagnostics come manifest first, then
 * discovery, then bundle entries, `--executa` flags replace discovery, and a manifest checked
 * alone gets no discovery or bundle checks. Both commands print what this returns.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { checkApp } from "../lib/core/app_check.ts";
import { REPO_ROOT } from "./helpers/bridge_process.ts";
import { writeAppDir } from "./helpers/app_dir.ts";
import { tmpDir } from "./helpers/tmp.ts";

const DISC = join(REPO_ROOT, "tests/fixtures/apps/disc-app");

Deno.test("checkApp: a literal tool_id grant resolves through the bundled: ref of the executa found", async () => {
  await using dir = await tmpDir();
  await Deno.mkdir(join(dir.path, "executas/a"), { recursive: true });
  await Deno.writeTextFile(
    join(dir.path, "executas/a/executa.json"),
    JSON.stringify({ tool_id: "tool-a", type: "python", slug: "alpha" }),
  );
  await writeAppDir(dir.path, {
    schema: 2,
    required_executas: [{ tool_id: "bundled:alpha" }],
    ui: {
      bundle: { entry: "index.html" },
      views: [{ name: "main", title: "M" }],
      host_api: { tools: ["tool-a"] },
    },
  });
  const manifestPath = join(dir.path, "manifest.json");
  const found = await checkApp({ manifestPath, appDir: dir.path });
  assert.deepEqual(found.specs.map((s) => [s.tool_id, s.handle]), [["tool-a", "alpha"]]);
  assert.deepEqual(found.entries.map((e) => e.tool_id), ["tool-a"]);
  assert.deepEqual(found.diagnostics, []);
  // without the executa, "tool-a" grants nothing the manifest declares
  const none = await checkApp({ manifestPath, appDir: dir.path, noExecutas: true });
  assert.deepEqual(none.diagnostics.map((d) => d.code), ["tools_ref_unresolved"]);
});

Deno.test("checkApp: discovery warnings of a real layout come after the manifest's", async () => {
  const c = await checkApp({ manifestPath: join(DISC, "manifest.json"), appDir: DISC });
  assert.ok(c.manifest);
  assert.ok(c.specs.some((s) => s.tool_id === "tool-a"));
  const codes = c.diagnostics.map((d) => d.code);
  assert.ok(codes.length > 0 && codes.every((x) => x === "executa_discovery"), codes.join(","));
  assert.deepEqual(c.skippedFlags, []);
});

Deno.test("checkApp: --executa flags replace discovery; a skipped flag is listed, as a diagnostic only on request", async () => {
  const flags = ["dir=executas/a-json", "dir=executas/a-json,tool_id=tool-a"];
  const quiet = await checkApp({
    manifestPath: join(DISC, "manifest.json"),
    appDir: DISC,
    executaFlags: flags,
  });
  assert.deepEqual(quiet.specs.map((s) => s.tool_id), ["tool-a"]);
  assert.equal(quiet.skippedFlags.length, 1);
  assert.match(quiet.skippedFlags[0], /already provided by --executa 'dir=executas\/a-json'/);
  assert.ok(!quiet.diagnostics.some((d) => d.code === "executa_discovery"), "no discovery ran");

  const loud = await checkApp({
    manifestPath: join(DISC, "manifest.json"),
    appDir: DISC,
    executaFlags: flags,
    skippedAsDiagnostics: true,
  });
  assert.deepEqual(
    loud.diagnostics.filter((d) => d.code === "executa_discovery").map((d) => d.message),
    quiet.skippedFlags,
  );
});

Deno.test("checkApp: a manifest checked alone gets no discovery and no bundle-entry check", async () => {
  await using dir = await tmpDir();
  const path = join(dir.path, "other.json");
  await Deno.writeTextFile(
    path,
    JSON.stringify({
      schema: 2,
      ui: { bundle: { entry: "missing.html" }, views: [{ name: "main", title: "M" }] },
    }),
  );
  const alone = await checkApp({ manifestPath: path, appDir: null });
  assert.ok(alone.manifest);
  assert.deepEqual(alone.specs, []);
  assert.deepEqual(alone.diagnostics, []);

  // the same manifest as an app directory's: its missing entry is reported, after the manifest's
  const app = await checkApp({ manifestPath: path, appDir: dir.path });
  assert.deepEqual(app.diagnostics.map((d) => d.code), ["entry_not_found"]);
});

Deno.test("checkApp: an unreadable manifest is reported without discovering executas", async () => {
  const c = await checkApp({ manifestPath: join(DISC, "nope.json"), appDir: DISC });
  assert.equal(c.manifest, null);
  assert.deepEqual(c.specs, []);
  assert.deepEqual(c.diagnostics.map((d) => d.code), ["manifest_unreadable"]);
});
