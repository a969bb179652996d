/**
 * A diagnostic is one output line (CONTRACT §2.8 pretty: one line per diagnostic; the same lines
 * on dev's stderr and in smoke warnings) whatever the manifest holds: a host_api key with a
 * newline printed a second line that read as an error of its own, and a bidi control made the
 * line read reordered. They are escaped as log lines escape them.
 */
import assert from "node:assert/strict";
import { analyzeManifest } from "../lib/manifest/mod.ts";
import { diagnosticLine } from "../lib/manifest/diag.ts";
import { runSmoke } from "../lib/smoke/runner.ts";
import { smokeOptions } from "./helpers/smoke_options.ts";
import { writeAppDir } from "./helpers/app_dir.ts";
import { tmpDir } from "./helpers/tmp.ts";

const FORGED = "x\nerror  ui  fake_code  forged line";
const manifest = {
  schema: 2,
  ui: {
    bundle: { entry: "index.html" },
    views: [{ name: "main", title: "t" }],
    host_api: { [FORGED]: ["get"], "stor\u202eage": ["get"] },
  },
};

function assertOneSafeLine(line: string) {
  assert.ok(!/[\n\r\u202e]/.test(line), JSON.stringify(line));
  assert.ok(line.includes("\\n") || line.includes("\\u202e"), line);
}

Deno.test("validate/dev diagnostic lines escape newlines and bidi controls", () => {
  const { diagnostics } = analyzeManifest(manifest);
  assert.equal(diagnostics.length, 2);
  for (const d of diagnostics) assertOneSafeLine(diagnosticLine(d));
  // what the line says is unchanged, escapes aside
  assert.equal(
    diagnosticLine({ severity: "warning", code: "c", path: "p", message: "caf\u00e9 \u{1F600}" }),
    "warning  p  c  caf\u00e9 \u{1F600}",
  );
});

Deno.test("smoke warnings from manifest diagnostics are one line each", async () => {
  await using dir = await tmpDir();
  await writeAppDir(dir.path, manifest);
  const { report } = await runSmoke(smokeOptions(dir.path, dir.path, { fixtures: [] }));
  const warnings = report.warnings.filter((w) => w.startsWith("host_api_unknown_namespace"));
  assert.equal(warnings.length, 2, JSON.stringify(report.warnings));
  for (const w of warnings) assertOneSafeLine(w);
});
