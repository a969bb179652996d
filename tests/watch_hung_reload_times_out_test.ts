/**
 * Live reload (CONTRACT §11.10) runs its reports one at a time, in order. A manifest reload that
 * never finishes is given up on after its timeout, said so on the log, and told so by its abort
 * signal; the bundle change of the same report and every later change still reload.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { watchApp } from "../lib/server/watch.ts";
import { Logger } from "../lib/util/log.ts";
import { waitUntil } from "./helpers/dev_process.ts";
import { tmpDir } from "./helpers/tmp.ts";

Deno.test("watch: a manifest reload that hangs is given up on after its timeout; later reloads still run", async () => {
  await using dir = await tmpDir();
  const manifest = join(dir.path, "manifest.json");
  const bundle = join(dir.path, "bundle");
  await Deno.writeTextFile(manifest, "v0");
  await Deno.mkdir(bundle);
  const lines: string[] = [];
  const signals: AbortSignal[] = [];
  const applied: string[] = [];
  const bundleReports: string[][] = [];
  const TIMEOUT = 400;
  const w = await watchApp({
    bundleDir: bundle,
    manifestPath: manifest,
    appJsonPath: join(dir.path, "app.json"),
    logger: new Logger({ level: "info", sink: (l) => void lines.push(l) }),
    reloadTimeoutMs: TIMEOUT,
    onBundle: (p) => void bundleReports.push(p),
    // the first reload hangs for good (a read that never returns); the others are quick
    onManifest: async (_paths, signal) => {
      signals.push(signal);
      const text = await Deno.readTextFile(manifest);
      if (signals.length === 1) await new Promise(() => {});
      applied.push(text);
    },
  });
  try {
    const t0 = performance.now();
    await Deno.writeTextFile(manifest, "v1");
    await Deno.writeTextFile(join(bundle, "app.js"), "x");
    await waitUntil("the first reload", () => signals.length === 1);
    // the same report's bundle change goes out once the manifest reload is given up on
    await waitUntil("the bundle reload", () => bundleReports.length === 1, 5000);
    assert.ok(performance.now() - t0 >= TIMEOUT, "not before the timeout");
    assert.equal(signals[0].aborted, true, "the hung reload is told it was given up on");
    assert.ok(
      lines.some((l) => /manifest reload still running after 400 ms/.test(l)),
      lines.join("\n"),
    );

    await Deno.writeTextFile(manifest, "v2");
    await waitUntil("the next reload", () => applied.length === 1, 5000);
    assert.deepEqual(applied, ["v2"]);
    assert.equal(signals[1].aborted, false);
  } finally {
    w.close();
  }
});
