/**
 * Live reload (CONTRACT §11.10) when the app folder itself goes away under `dev`: a watch follows
 * the folder, not the path, so before, an app folder renamed away and then put back as a new
 * folder (a fresh clone, a restored copy) was never watched again, without a word. Now the folder
 * gone is logged, and the one back at the path is watched again and reloads. A bundle replaced by a
 * file says so too.
 */
import { join } from "node:path";
import { watchApp } from "../lib/server/watch.ts";
import { Logger } from "../lib/util/log.ts";
import { waitUntil } from "./helpers/dev_process.ts";
import { tmpDir } from "./helpers/tmp.ts";

async function watchingApp(root: string) {
  const appDir = join(root, "app");
  const bundle = join(appDir, "bundle");
  await Deno.mkdir(bundle, { recursive: true });
  await Deno.writeTextFile(join(appDir, "manifest.json"), "{}");
  await Deno.writeTextFile(join(bundle, "app.js"), "1");
  const lines: string[] = [];
  const bundleReports: string[][] = [];
  const manifestReports: string[][] = [];
  const w = await watchApp({
    bundleDir: bundle,
    manifestPath: join(appDir, "manifest.json"),
    appJsonPath: join(appDir, "app.json"),
    logger: new Logger({ level: "info", sink: (l) => void lines.push(l) }),
    debounceMs: 30,
    folderCheckMs: 50,
    onBundle: (p) => void bundleReports.push(p),
    onManifest: (p) => void manifestReports.push(p),
  });
  const logged = (what: string, re: RegExp) =>
    waitUntil(what, () => lines.some((l) => re.test(l)), 10_000, 20);
  return { appDir, bundle, lines, bundleReports, manifestReports, w, logged };
}

Deno.test("watch: an app folder renamed away is logged, and a new folder put at its path is watched again", async () => {
  await using tmp = await tmpDir();
  const { appDir, bundle, bundleReports, manifestReports, w, logged } = await watchingApp(tmp.path);
  try {
    const away = join(tmp.path, "app.old");
    await Deno.rename(appDir, away);
    await logged("the folder gone", /WARN .*folder .*app is gone \(renamed or deleted\)/);
    // a fresh copy at the old path: another folder, which no existing watch covers
    await Deno.mkdir(bundle, { recursive: true });
    await Deno.copyFile(join(away, "manifest.json"), join(appDir, "manifest.json"));
    await Deno.copyFile(join(away, "bundle", "app.js"), join(bundle, "app.js"));
    await logged("the folder back", /INFO .*folder .*app is back: watching it again/);
    await waitUntil("the manifest reloaded", () => manifestReports.length > 0);
    await waitUntil("the bundle reloaded", () => bundleReports.length > 0);
    manifestReports.length = 0;
    bundleReports.length = 0;
    // and later edits in the new folder reload as usual
    await Deno.writeTextFile(join(bundle, "app.js"), "2");
    await waitUntil(
      "an edit in the new bundle",
      () => bundleReports.some((r) => r.includes(join(bundle, "app.js"))),
    );
    await Deno.writeTextFile(join(appDir, "manifest.json"), '{"x":1}');
    await waitUntil("an edit of the new manifest", () => manifestReports.length > 0);
  } finally {
    w.close();
  }
});

Deno.test("watch: a bundle replaced by a file says it is not a directory", async () => {
  await using tmp = await tmpDir();
  const { bundle, w, logged } = await watchingApp(tmp.path);
  try {
    await Deno.remove(bundle, { recursive: true });
    await Deno.writeTextFile(bundle, "not a folder");
    await logged("the bundle as a file", /WARN .*bundle .*bundle is not a directory/);
  } finally {
    w.close();
  }
});
