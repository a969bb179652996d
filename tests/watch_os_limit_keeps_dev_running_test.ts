/**
 * When the OS refuses a file watch (Linux: the inotify watch or instance limit used up, which Deno
 * reports as "OS file watch limit reached"), live reload (CONTRACT §11.10) is off but `dev` runs
 * on: watchApp resolves with the reason and the fix (raise the limit, or --no-watch), logged, and
 * leaves no watch open. Before, the error escaped watchApp and `dev` ended with "unexpected crash".
 * A watch refused later (the bundle recreated by a build) is logged too, not swallowed.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { watchApp, watchFailure, type WatchOptions } from "../lib/server/watch.ts";
import { Logger } from "../lib/util/log.ts";
import { waitUntil } from "./helpers/dev_process.ts";
import { tmpDir } from "./helpers/tmp.ts";

const LIMIT = 'OS file watch limit reached. about ["/x/bundle/d420"]';

/** Deno.watchFs, except that the calls `refuse` picks throw like a full inotify table. */
function factory(refuse: (call: number, recursive: boolean) => boolean) {
  const open = new Set<Deno.FsWatcher>();
  let calls = 0;
  const watchFs: NonNullable<WatchOptions["watchFs"]> = (path, o) => {
    if (refuse(++calls, o.recursive)) throw new Error(LIMIT);
    const w = Deno.watchFs(path, o);
    open.add(w);
    const close = w.close.bind(w);
    w.close = () => {
      open.delete(w);
      close();
    };
    return w;
  };
  return { watchFs, open, calls: () => calls };
}

async function app(dir: string) {
  await Deno.mkdir(join(dir, "bundle"), { recursive: true });
  await Deno.writeTextFile(join(dir, "manifest.json"), "{}");
}

function options(dir: string, lines: string[], watchFs: WatchOptions["watchFs"]): WatchOptions {
  return {
    bundleDir: join(dir, "bundle"),
    manifestPath: join(dir, "manifest.json"),
    appJsonPath: join(dir, "app.json"),
    logger: new Logger({ level: "info", sink: (l) => void lines.push(l) }),
    debounceMs: 30,
    watchFs,
    onBundle: () => {},
    onManifest: () => {},
  };
}

Deno.test("watch: the OS refusing the bundle watch turns live reload off with the fix, no crash", async () => {
  await using dir = await tmpDir();
  await app(dir.path);
  const lines: string[] = [];
  const f = factory((_n, recursive) => recursive);
  const w = await watchApp(options(dir.path, lines, f.watchFs));
  try {
    assert.ok(w.failure, "a failure is reported");
    assert.match(w.failure, /^live reload is off: could not watch .*bundle: OS file watch limit/);
    assert.match(w.failure, /sysctl fs\.inotify\.max_user_watches=\d+/);
    assert.match(w.failure, /--no-watch/);
    assert.ok(lines.some((l) => l.includes("WARN") && l.includes(w.failure!)), lines.join("\n"));
    assert.equal(f.open.size, 0, "nothing left watching");
  } finally {
    w.close();
  }
});

Deno.test("watch: the OS refusing the manifest folder's watch closes the bundle watch already made", async () => {
  await using dir = await tmpDir();
  await app(dir.path);
  const lines: string[] = [];
  const f = factory((_n, recursive) => !recursive);
  const w = await watchApp(options(dir.path, lines, f.watchFs));
  try {
    assert.match(w.failure ?? "", /^live reload is off: could not watch .*: OS file watch limit/);
    assert.ok(f.calls() >= 2, "the bundle was watched first");
    assert.equal(f.open.size, 0, "the bundle watch is closed again");
  } finally {
    w.close();
  }
});

Deno.test("watch: a bundle recreated when the OS refuses a new watch says live reload of it stopped", async () => {
  await using dir = await tmpDir();
  await app(dir.path);
  const lines: string[] = [];
  let refusing = false;
  const f = factory((_n, recursive) => refusing && recursive);
  const w = await watchApp(options(dir.path, lines, f.watchFs));
  try {
    assert.equal(w.failure, null);
    refusing = true;
    const bundle = join(dir.path, "bundle");
    await Deno.remove(bundle, { recursive: true });
    await Deno.mkdir(bundle);
    await waitUntil(
      "the refused re-watch in the log",
      () =>
        lines.some((l) => /live reload of bundle files stopped: could not watch .*sysctl/.test(l)),
    );
  } finally {
    w.close();
  }
});

Deno.test("watch: watchFailure names the fix for a full watch table, too many open files and an unreadable folder", () => {
  const enospc = watchFailure("/a/bundle", new Error(LIMIT));
  assert.match(enospc, /^could not watch \/a\/bundle: OS file watch limit reached/);
  assert.match(enospc, /max_user_watches=524288 fs\.inotify\.max_user_instances=512`, or run dev/);
  const emfile = watchFailure("/a", new Error("Too many open files (os error 24)"));
  assert.match(emfile, /max_user_instances=512` \(or the open-file limit, ulimit -n\), or/);
  // one unreadable folder below the bundle fails the whole recursive watch
  const denied = watchFailure("/a", new Error('Permission denied (os error 13) about ["/a/x"]'));
  assert.doesNotMatch(denied, /sysctl/);
  assert.match(denied, /every folder below it readable: make that folder readable .*--no-watch/);
  const other = watchFailure("/a", new Error("Input/output error (os error 5)"));
  assert.doesNotMatch(other, /sysctl|readable/);
  assert.match(other, /--no-watch/);
});
