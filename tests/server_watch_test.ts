/**
 * Live-reload watching (CONTRACT §11.10): bundle files (recursively), `manifest.json` and
 * `app.json`, debounced into one report; a bundle directory that a build tool deletes and
 * recreates, or that does not exist yet when `dev` starts, is still watched.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import {
  editorScratch,
  ENTRY_WAIT_MS,
  hiddenUnder,
  unaliasPath,
  watchApp,
} from "../lib/server/watch.ts";
import { Logger, silentLogger } from "../lib/util/log.ts";
import { waitUntil } from "./helpers/dev_process.ts";
import { tmpDir } from "./helpers/tmp.ts";

async function watching(
  dir: string,
  opts: {
    makeBundle?: boolean;
    ignore?: string[];
    entryFile?: () => string | null;
    logger?: Logger;
    debounceMs?: number;
  } = {},
) {
  const bundle = join(dir, "bundle");
  if (opts.makeBundle !== false) await Deno.mkdir(join(bundle, "sub"), { recursive: true });
  await Deno.writeTextFile(join(dir, "manifest.json"), "{}");
  const bundleReports: string[][] = [];
  const manifestReports: string[][] = [];
  const w = await watchApp({
    bundleDir: bundle,
    manifestPath: join(dir, "manifest.json"),
    appJsonPath: join(dir, "app.json"),
    ignore: opts.ignore,
    entryFile: opts.entryFile,
    debounceMs: opts.debounceMs,
    logger: opts.logger ?? silentLogger(),
    onBundle: (p) => void bundleReports.push(p),
    onManifest: (p) => void manifestReports.push(p),
  });
  /** Waits for a bundle report naming `file`. */
  const bundleSaw = (file: string) =>
    waitUntil(`a reload naming ${file}`, () => bundleReports.some((r) => r.includes(file)));
  /**
   * Writes `file` until a report names it: the directory is re-watched only after the debounce
   * that reported its creation, and writes before that are covered by that same reload.
   */
  const writeUntilSeen = (file: string) =>
    waitUntil(
      `a watched write of ${file}`,
      async () => {
        await Deno.writeTextFile(file, String(Math.random()));
        await waitUntil(file, () => bundleReports.some((r) => r.includes(file)), 1000, 20);
        return true;
      },
      10_000,
      0,
    );
  return { w, bundle, bundleReports, manifestReports, bundleSaw, writeUntilSeen };
}

Deno.test("watch: bundle files in subdirectories, debounced; manifest.json and app.json", async () => {
  await using dir = await tmpDir();
  const { w, bundle, bundleReports, manifestReports, bundleSaw } = await watching(dir.path);
  try {
    // written together: one report with all of them
    const files = [join(bundle, "a.js"), join(bundle, "sub", "b.css"), join(bundle, "c.html")];
    for (const f of files) Deno.writeTextFileSync(f, "x");
    await bundleSaw(files[2]);
    const report = bundleReports.find((r) => r.includes(files[2]))!;
    for (const f of files) assert.ok(report.includes(f), `${f} in ${report}`);
    assert.deepEqual(report, [...report].sort());
    assert.equal(manifestReports.length, 0, "bundle changes are not manifest changes");

    await Deno.writeTextFile(join(dir.path, "manifest.json"), '{"schema":2}');
    await waitUntil(
      "manifest.json",
      () => manifestReports.some((r) => r.includes(join(dir.path, "manifest.json"))),
    );
    await Deno.writeTextFile(join(dir.path, "app.json"), '{"slug":"x"}');
    await waitUntil(
      "app.json",
      () => manifestReports.some((r) => r.includes(join(dir.path, "app.json"))),
    );
    // other files beside the manifest are not watched
    await Deno.writeTextFile(join(dir.path, "notes.txt"), "x");
    await Deno.writeTextFile(join(bundle, "after.js"), "x");
    await bundleSaw(join(bundle, "after.js"));
    assert.ok(!bundleReports.flat().some((p) => p.endsWith("notes.txt")));
    assert.ok(!manifestReports.flat().some((p) => p.endsWith("notes.txt")));
  } finally {
    w.close();
  }
});

Deno.test("watch: a bundle directory deleted and recreated (a clean build) is watched again", async () => {
  await using dir = await tmpDir();
  const { w, bundle, bundleSaw, writeUntilSeen } = await watching(dir.path);
  try {
    await Deno.writeTextFile(join(bundle, "one.js"), "1");
    await bundleSaw(join(bundle, "one.js"));
    await Deno.remove(bundle, { recursive: true });
    await bundleSaw(bundle);
    await Deno.mkdir(bundle);
    // the new directory is picked up once it exists; from then on its files are seen
    await writeUntilSeen(join(bundle, "two.js"));
  } finally {
    w.close();
  }
});

Deno.test("watch: a clean build that deletes and recreates the directory at once: the next plain edit is seen", async () => {
  await using dir = await tmpDir();
  const { w, bundle, bundleSaw } = await watching(dir.path);
  try {
    for (let i = 0; i < 6; i++) {
      // as `rm -rf dist && mkdir dist && cp …` does: no pause between removal and creation
      await Deno.remove(bundle, { recursive: true });
      await Deno.mkdir(bundle);
      await Deno.writeTextFile(join(bundle, "index.js"), String(i));
      await bundleSaw(bundle);
      // past the debounce and the re-watch: a single later edit must be reported
      await new Promise((r) => setTimeout(r, 400));
      const edit = join(bundle, `edit-${i}.js`);
      await Deno.writeTextFile(edit, "x");
      await bundleSaw(edit);
    }
  } finally {
    w.close();
  }
});

Deno.test("watch: a clean build still writing into its new directory reloads once, after the build", async () => {
  await using dir = await tmpDir();
  // A debounce well above the pauses a loaded machine puts between this loop's writes: with the
  // 150 ms default, one stall of the test process (CI, 2 cores) reported the build half-done.
  const debounceMs = 500;
  const { w, bundle, bundleReports, bundleSaw } = await watching(dir.path, { debounceMs });
  try {
    await Deno.writeTextFile(join(bundle, "index.html"), "old");
    await bundleSaw(join(bundle, "index.html"));
    bundleReports.length = 0;
    // `rm -rf dist` and a build writing hashed chunks, never pausing a whole debounce, index last;
    // the build lasts well past one debounce (50 × 25 ms), so a reload as soon as the new
    // directory looks quiet would come mid-build
    await Deno.remove(bundle, { recursive: true });
    await Deno.mkdir(join(bundle, "assets"), { recursive: true });
    for (let i = 0; i < 50; i++) {
      await Deno.writeTextFile(join(bundle, "assets", `chunk-${i}.js`), "x");
      await new Promise((r) => setTimeout(r, 25));
    }
    await Deno.writeTextFile(join(bundle, "index.html"), "new");
    await bundleSaw(join(bundle, "index.html"));
    await new Promise((r) => setTimeout(r, debounceMs + 250)); // a later report would be out by now
    assert.equal(bundleReports.length, 1, `one reload per build: ${JSON.stringify(bundleReports)}`);
    // and it names the build's last write, so it came after it
    assert.ok(bundleReports[0].includes(join(bundle, "index.html")));
  } finally {
    w.close();
  }
});

Deno.test("watch: a bundle directory that does not exist yet is watched once it appears", async () => {
  await using dir = await tmpDir();
  const { w, bundle, bundleSaw, writeUntilSeen } = await watching(dir.path, {
    makeBundle: false,
  });
  try {
    await Deno.mkdir(bundle);
    await bundleSaw(bundle);
    await writeUntilSeen(join(bundle, "late.js"));
  } finally {
    w.close();
  }
});

Deno.test("watch: an ignored file (dev's --record file inside the bundle) never reloads", async () => {
  await using dir = await tmpDir();
  const record = join(dir.path, "bundle", "session.jsonl");
  const { w, bundle, bundleReports, bundleSaw } = await watching(dir.path, { ignore: [record] });
  try {
    for (let i = 0; i < 5; i++) await Deno.writeTextFile(record, `line ${i}\n`, { append: true });
    await Deno.writeTextFile(join(bundle, "app.js"), "x");
    await bundleSaw(join(bundle, "app.js"));
    assert.ok(!bundleReports.flat().includes(record), JSON.stringify(bundleReports));
  } finally {
    w.close();
  }
});

Deno.test("watch: files under a dot-directory (.git, .cache) and dotfiles never reload", async () => {
  await using dir = await tmpDir();
  const { w, bundle, bundleReports, bundleSaw } = await watching(dir.path);
  try {
    const hidden = [
      join(bundle, ".git", "objects", "ab"),
      join(bundle, "sub", ".cache", "x.js"),
      join(bundle, ".app.js.swp"),
    ];
    for (const f of hidden) {
      await Deno.mkdir(join(f, ".."), { recursive: true });
      await Deno.writeTextFile(f, "x");
    }
    await new Promise((r) => setTimeout(r, 400)); // past the debounce: a report would be out
    const seen = join(bundle, "sub", "app.js");
    await Deno.writeTextFile(seen, "x");
    await bundleSaw(seen);
    assert.deepEqual(bundleReports[0], [seen], JSON.stringify(bundleReports));
    assert.ok(!hidden.some((f) => bundleReports.flat().includes(f)), JSON.stringify(bundleReports));
  } finally {
    w.close();
  }
});

Deno.test("watch: editor scratch files (backups, auto-saves, Vim's 4913, temp copies) never reload", async () => {
  await using dir = await tmpDir();
  const { w, bundle, bundleReports, bundleSaw } = await watching(dir.path);
  try {
    const scratch = [
      "app.js~",
      "#app.js#",
      "4913",
      "app.js.tmp",
      "sub/x.swp",
      "app.js___jb_tmp___",
    ];
    for (const f of scratch) await Deno.writeTextFile(join(bundle, f), "x");
    await Deno.remove(join(bundle, "4913")); // as Vim does, right after writing it
    await new Promise((r) => setTimeout(r, 400)); // past the debounce: a report would be out
    const seen = join(bundle, "app.js");
    await Deno.writeTextFile(seen, "x");
    await bundleSaw(seen);
    assert.deepEqual(bundleReports, [[seen]]);
  } finally {
    w.close();
  }
});

Deno.test("watch: editorScratch matches scratch names only, not build output that looks alike", () => {
  for (
    const p of ["/b/a.js~", "/b/#a.js#", "/b/4913", "/b/a.TMP", "/b/x.swx", "/b/a___jb_old___"]
  ) {
    assert.equal(editorScratch(p), true, p);
  }
  for (const p of ["/b/#/a.js", "/b/#", "/b/#hash.js", "/b/a~b.js", "/b/49130.js", "/b/tmp.js"]) {
    assert.equal(editorScratch(p), false, p);
  }
});

Deno.test("watch: steady writes under a dot-directory do not hold back the reload of an edit", async () => {
  // e.g. a tool's cache or an editor's swap file in the bundle, written every few ms
  await using dir = await tmpDir();
  const { w, bundle, bundleReports } = await watching(dir.path);
  const cache = join(bundle, ".cache");
  await Deno.mkdir(cache);
  let writing = true;
  const busy = (async () => {
    for (let i = 0; writing; i++) {
      await Deno.writeTextFile(join(cache, `c${i % 4}`), String(i));
      await new Promise((r) => setTimeout(r, 30));
    }
  })();
  try {
    await new Promise((r) => setTimeout(r, 200));
    const edited = join(bundle, "app.js");
    await Deno.writeTextFile(edited, "x");
    // the debounce is 150 ms; the cache writes go on for the whole wait, so were they to restart
    // it the reload would never come, however long the wait: 4 s is room for a loaded machine
    // (it took up to ~750 ms), not a weaker check
    await waitUntil("the edit's reload", () => bundleReports.some((r) => r.includes(edited)), 4000);
  } finally {
    writing = false;
    await busy;
    w.close();
  }
});

Deno.test("watch: hiddenUnder looks at every segment below the bundle root, not above it", () => {
  assert.equal(hiddenUnder("/a/.work/bundle", "/a/.work/bundle/app.js"), false);
  assert.equal(hiddenUnder("/a/bundle", "/a/bundle/.git/HEAD"), true);
  assert.equal(hiddenUnder("/a/bundle", "/a/bundle/x/.y/z.js"), true);
  assert.equal(hiddenUnder("/a/bundle", "/a/bundle/x/y.js"), false);
  assert.equal(hiddenUnder("C:\\app\\bundle", "C:\\app\\bundle\\.git\\HEAD"), true);
});

Deno.test("watch: paths reported symlink-resolved (as macOS does) map back to the watched ones", () => {
  const aliases: [string, string][] = [
    ["/private/tmp/app/bundle", "/tmp/app/bundle"],
    ["/private/tmp/app", "/tmp/app"],
  ];
  assert.equal(unaliasPath("/private/tmp/app/bundle/a.js", aliases), "/tmp/app/bundle/a.js");
  assert.equal(unaliasPath("/private/tmp/app/manifest.json", aliases), "/tmp/app/manifest.json");
  assert.equal(unaliasPath("/private/tmp/app", aliases), "/tmp/app");
  assert.equal(unaliasPath("/private/tmp/apple/x.js", aliases), "/private/tmp/apple/x.js");
  assert.equal(unaliasPath("/tmp/app/bundle/a.js", aliases), "/tmp/app/bundle/a.js");
});

Deno.test("watch: a bundle that is the project root ignores node_modules and .git (npm install, git commit)", async () => {
  await using dir = await tmpDir();
  const root = dir.path;
  const manifest = join(root, "manifest.json");
  await Deno.writeTextFile(manifest, "{}");
  await Deno.mkdir(join(root, "lib")); // an app folder, made before: its creation would reload
  const bundleReports: string[][] = [];
  const manifestReports: string[][] = [];
  const w = await watchApp({
    bundleDir: root,
    manifestPath: manifest,
    appJsonPath: join(root, "app.json"),
    logger: silentLogger(),
    onBundle: (p) => void bundleReports.push(p),
    onManifest: (p) => void manifestReports.push(p),
  });
  try {
    const noise = [
      join(root, "node_modules", "left-pad", "index.js"),
      join(root, "node_modules", ".package-lock.json"),
      join(root, "lib", "node_modules", "dep", "x.js"),
      join(root, ".git", "objects", "ab", "cdef"),
      join(root, ".git", "index"),
    ];
    for (const f of noise) {
      await Deno.mkdir(join(f, ".."), { recursive: true });
      await Deno.writeTextFile(f, "x");
    }
    await new Promise((r) => setTimeout(r, 400)); // past the debounce: a report would be out
    const edited = join(root, "app.js");
    await Deno.writeTextFile(edited, "x");
    await waitUntil("the edit", () => bundleReports.some((r) => r.includes(edited)));
    assert.deepEqual(bundleReports, [[edited]]);
    // the manifest inside the bundle is still a manifest change, not a bundle one
    await Deno.writeTextFile(manifest, '{"schema":2}');
    await waitUntil("manifest.json", () => manifestReports.some((r) => r.includes(manifest)));
    assert.deepEqual(bundleReports, [[edited]]);
  } finally {
    w.close();
  }
});

Deno.test("watch: manifest reloads run one at a time, so a slow older read never lands over a newer one", async () => {
  await using dir = await tmpDir();
  const manifest = join(dir.path, "manifest.json");
  await Deno.writeTextFile(manifest, "v0");
  await Deno.mkdir(join(dir.path, "bundle"));
  const applied: string[] = [];
  let calls = 0;
  const w = await watchApp({
    bundleDir: join(dir.path, "bundle"),
    manifestPath: manifest,
    appJsonPath: join(dir.path, "app.json"),
    logger: silentLogger(),
    onBundle: () => {},
    // as reloadManifest: read, then (slowly, the first time) validate, then apply
    onManifest: async () => {
      const text = await Deno.readTextFile(manifest);
      if (calls++ === 0) await new Promise((r) => setTimeout(r, 800));
      applied.push(text);
    },
  });
  try {
    await Deno.writeTextFile(manifest, "v1");
    await waitUntil("the first reload", () => calls === 1);
    await Deno.writeTextFile(manifest, "v2");
    await waitUntil("both reloads", () => applied.length === 2, 5000);
    assert.deepEqual(applied, ["v1", "v2"], "the newest manifest is the one left applied");
  } finally {
    w.close();
  }
});

Deno.test("watch: a build that empties the bundle and pauses past the debounce reloads once, when its entry is back", async () => {
  await using dir = await tmpDir();
  const { w, bundle, bundleReports, bundleSaw } = await watching(dir.path, {
    entryFile: () => "index.html",
  });
  try {
    const index = join(bundle, "index.html");
    await Deno.writeTextFile(index, "old");
    await bundleSaw(index);
    bundleReports.length = 0;
    // the build empties the directory (kept), works for 3 debounces, then writes its output
    await Deno.remove(index);
    await Deno.remove(join(bundle, "sub"), { recursive: true });
    await new Promise((r) => setTimeout(r, 450));
    await Deno.writeTextFile(join(bundle, "app.js"), "new");
    await Deno.writeTextFile(index, "new");
    await bundleSaw(join(bundle, "app.js"));
    await new Promise((r) => setTimeout(r, 400)); // a later report would be out by now
    assert.equal(bundleReports.length, 1, `one reload per build: ${JSON.stringify(bundleReports)}`);
    // the one reload names the removals too
    assert.ok(bundleReports[0].includes(join(bundle, "sub")), JSON.stringify(bundleReports));
  } finally {
    w.close();
  }
});

Deno.test("watch: a bundle entry that stays missing holds the reload only up to ENTRY_WAIT_MS, and the log says so", async () => {
  await using dir = await tmpDir();
  const lines: string[] = [];
  const { w, bundle, bundleReports, bundleSaw } = await watching(dir.path, {
    entryFile: () => "index.html",
    logger: new Logger({ level: "info", sink: (l) => void lines.push(l) }),
  });
  try {
    await Deno.writeTextFile(join(bundle, "index.html"), "x");
    await bundleSaw(join(bundle, "index.html"));
    bundleReports.length = 0;
    const t0 = performance.now();
    await Deno.remove(join(bundle, "index.html"));
    await bundleSaw(join(bundle, "index.html")); // the removal, reported at last
    const took = performance.now() - t0;
    assert.ok(took >= ENTRY_WAIT_MS, `held ${took} ms`);
    assert.ok(took < ENTRY_WAIT_MS + 1500, `held ${took} ms`);
    assert.ok(
      lines.some((l) => /entry index\.html is missing: holding the reload/.test(l)),
      lines.join("\n"),
    );
    assert.ok(lines.some((l) => /entry index\.html is still missing; reloading anyway/.test(l)));
  } finally {
    w.close();
  }
});
