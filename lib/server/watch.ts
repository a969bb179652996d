/**
 * Live reload (CONTRACT §11.10): the bundle directory (recursively), `manifest.json` and `app.json`
 * are watched with a 150 ms debounce. The manifest's directory is watched rather than the file,
 * because editors often save by renaming a new file over the old one.
 */
import { basename, dirname, join, resolve } from "node:path";
import type { Logger } from "../util/log.ts";
import { isDir, isFile, statOrNull } from "../util/fs.ts";

export const RELOAD_DEBOUNCE_MS = 150;
/**
 * How long a bundle reload waits, past the debounce, for a missing entry file: a build that
 * empties its output and works a while before writing it would otherwise reload twice, the first
 * time onto a 404. An entry that stays missing (renamed, deleted) reloads after this.
 */
export const ENTRY_WAIT_MS = 2_000;
/**
 * How long a manifest reload (read, validate, apply: milliseconds as a rule) may run before the
 * reports after it go on without it. Reports run in order, so one that hangs (a manifest on a
 * stalled network drive, a FIFO) would otherwise hold every later reload for good.
 */
export const RELOAD_TIMEOUT_MS = 10_000;
/**
 * How often the watched folders (the manifest's, the bundle's parent) are checked to still be the
 * ones watched. A watch follows the folder itself: renamed away, it watches it there; deleted, it
 * watches nothing; and a new folder at the path (a fresh clone, a restored backup) is not watched.
 */
export const FOLDER_CHECK_MS = 1_000;

export interface WatchOptions {
  bundleDir: string;
  manifestPath: string;
  appJsonPath: string;
  logger: Logger;
  debounceMs?: number;
  /** Files whose changes never reload (the `--record` file: each line written would reload the
   * app, which records more lines, and so on). */
  ignore?: string[];
  /** The bundle-relative entry file (`index.html`): while it is missing a reload is held back. */
  entryFile?: () => string | null;
  /** Changed bundle paths (absolute), after the debounce. */
  onBundle(paths: string[]): void;
  /** How long `onManifest` may run; RELOAD_TIMEOUT_MS unless set (tests). */
  reloadTimeoutMs?: number;
  /** manifest.json or app.json changed. `signal` aborts when the reload ran past its time: what
   * it then read is older than the reloads after it, and must not be applied. */
  onManifest(paths: string[], signal: AbortSignal): void | Promise<void>;
  /** FOLDER_CHECK_MS unless set (tests). */
  folderCheckMs?: number;
  /** Starts one OS watch; Deno.watchFs unless set (tests make it fail like a full inotify table). */
  watchFs?: (path: string, options: { recursive: boolean }) => Deno.FsWatcher;
}

export interface Watcher {
  /** Why nothing is watched (the OS refused a watch at startup), already logged; null if watching. */
  failure: string | null;
  close(): void;
}

/**
 * What to log when the OS refuses a watch. Linux has a per-user limit on inotify watches (one per
 * folder of a recursive watch) and instances, shared by every editor, IDE and `dev` running:
 * Deno reports either as "OS file watch limit reached" (ENOSPC / EMFILE underneath).
 */
export function watchFailure(what: string, e: unknown): string {
  const err = String(e instanceof Error ? e.message : e);
  const limit = /watch limit|ENOSPC|EMFILE|too many open files|no space left/i.test(err);
  // EMFILE: the inotify instance limit, or this process's open-file limit
  const files = /EMFILE|too many open files/i.test(err)
    ? " (or the open-file limit, ulimit -n)"
    : "";
  return `could not watch ${what}: ${err}` +
    (limit
      ? ". The OS limit on file watches is used up (on Linux, inotify watches are one per folder, " +
        "shared by all programs): raise it, e.g. `sudo sysctl fs.inotify.max_user_watches=524288 " +
        `fs.inotify.max_user_instances=512\`${files}, or run dev with --no-watch (no live reload)`
      : (/permission denied|EACCES/i.test(err)
        ? ". A recursive watch needs every folder below it readable: make that folder readable " +
          "(chmod), move it out of the bundle, or run dev with --no-watch (no live reload)"
        : ". Run dev with --no-watch to start without live reload"));
}

/**
 * An event path reported under a real (symlink-resolved) prefix, back under the path we watch:
 * macOS reports real paths, so an app under /tmp (really /private/tmp), $TMPDIR or a symlinked
 * project folder would otherwise match nothing. `aliases` = [real, given] pairs, longest first.
 */
export function unaliasPath(p: string, aliases: [string, string][]): string {
  for (const [real, given] of aliases) {
    if (p === real) return given;
    if (p.startsWith(real + "/") || p.startsWith(real + "\\")) return given + p.slice(real.length);
  }
  return p;
}

async function realAliases(paths: Iterable<string>): Promise<[string, string][]> {
  const out: [string, string][] = [];
  for (const given of new Set(paths)) {
    const real = await Deno.realPath(given).catch(() => given);
    if (real !== given) out.push([real, given]);
  }
  return out.sort((a, b) => b[0].length - a[0].length);
}

/** Whether `p` (inside `root`, or `root` itself) has a path segment below `root` starting with ".". */
export function hiddenUnder(root: string, p: string): boolean {
  if (p === root) return basename(p).startsWith(".");
  return p.slice(root.length + 1).split(/[\\/]/).some((seg) => seg.startsWith("."));
}

/**
 * Folders a project root holds that are never app files, wherever they are below the bundle root:
 * with `--bundle .` an `npm install` would otherwise reload the app once per package written.
 * Dot-folders (.git, .cache, .vite…) are covered by hiddenUnder. Vite's watcher ignores the same.
 */
const NEVER_WATCHED = new Set(["node_modules"]);

/** Whether a change at `p` (inside `root`) is one that never reloads: hidden or a dependency. */
export function ignoredUnder(root: string, p: string): boolean {
  if (hiddenUnder(root, p)) return true;
  return p !== root &&
    p.slice(root.length + 1).split(/[\\/]/).some((seg) => NEVER_WATCHED.has(seg));
}

/**
 * Editor scratch files, never part of a build: backups (`app.js~`), Emacs auto-saves (`#app.js#`,
 * written while typing, before any save), Vim's write test (`4913`), swap and temp files, and
 * JetBrains' safe-write copies. As Hugo's watcher does, they neither reload nor hold a reload back.
 */
export function editorScratch(p: string): boolean {
  const name = basename(p);
  return name.endsWith("~") || name === "4913" ||
    (name.length > 1 && name.startsWith("#") && name.endsWith("#")) ||
    /\.(swp|swx|tmp)$/i.test(name) || /___jb_(tmp|old|bak)___$/.test(name);
}

/** Which folder is at `dir` (device and inode where known), or null when there is none. */
async function folderId(dir: string): Promise<string | null> {
  const st = await Deno.stat(dir).catch(() => null);
  if (!st?.isDirectory) return null;
  return `${st.dev}:${st.ino ?? ""}`;
}

export async function watchApp(opts: WatchOptions): Promise<Watcher> {
  const watchFs = opts.watchFs ?? ((p, o) => Deno.watchFs(p, o));
  const debounce = opts.debounceMs ?? RELOAD_DEBOUNCE_MS;
  const bundleDir = resolve(opts.bundleDir);
  const metaFiles = new Set([resolve(opts.manifestPath), resolve(opts.appJsonPath)]);
  const ignored = new Set((opts.ignore ?? []).map((p) => resolve(p)));
  /** the non-recursive watches of the folders holding manifest.json, app.json and the bundle */
  const watchers = new Map<string, Deno.FsWatcher>();
  let bundleWatcher: Deno.FsWatcher | null = null;
  const bundlePaths = new Set<string>();
  const metaPaths = new Set<string>();
  let bundleRootChanged = false;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let closed = false;
  let aliases: [string, string][] = [];

  const stop = (w: Deno.FsWatcher | null) => {
    try {
      w?.close();
    } catch { /* already closed */ }
  };
  /**
   * (Re)starts the recursive watch of the bundle directory. Build tools often delete and recreate
   * their output directory, which ends a watch on it for good, and the directory may not exist yet
   * when `dev` starts; its parent is watched too, so either case brings us back here.
   */
  const watchBundle = async () => {
    stop(bundleWatcher);
    bundleWatcher = null;
    if (closed) return false;
    if (!(await isDir(bundleDir))) {
      if (await statOrNull(bundleDir)) {
        opts.logger.warn(
          `bundle ${bundleDir} is not a directory: nothing is served or watched there until it is one again`,
        );
      }
      return false;
    }
    const w = watchFs(bundleDir, { recursive: true });
    bundleWatcher = w;
    pump(w);
    return true;
  };

  /**
   * Reports run one at a time, in order: a manifest reload reads and validates the file
   * asynchronously, so an older read finishing after a newer one would be applied over it.
   */
  let running: Promise<void> = Promise.resolve();
  const schedule = (ms = debounce) => {
    clearTimeout(timer);
    timer = setTimeout(() => {
      timer = undefined;
      // a report that throws must not stop the ones after it (the chain would stay rejected)
      running = running.then(flush).catch((e) =>
        opts.logger.error("live reload failed", { error: String(e) })
      );
    }, ms);
  };
  /** when a bundle reload started waiting for the entry file, if it is waiting */
  let heldSince: number | null = null;
  /** Whether to hold the bundle reload back now: its entry is missing and the wait is not over. */
  const holdForEntry = async (): Promise<boolean> => {
    const entry = opts.entryFile?.();
    if (!entry || await isFile(join(bundleDir, entry))) {
      heldSince = null;
      return false;
    }
    const now = performance.now();
    if (heldSince === null) {
      heldSince = now;
      opts.logger.info(
        `bundle entry ${entry} is missing: holding the reload up to ${ENTRY_WAIT_MS} ms for the ` +
          "build to write it",
      );
    }
    if (now - heldSince < ENTRY_WAIT_MS) return true;
    heldSince = null;
    opts.logger.warn(`bundle entry ${entry} is still missing; reloading anyway`);
    return false;
  };
  const flush = async () => {
    if (closed) return;
    if (bundleRootChanged) {
      bundleRootChanged = false;
      // the new directory's files were not watched until now, so a build still writing into it
      // looked quiet: reporting here reloaded mid-build, onto a missing index.html. One more
      // debounce, now watched, lets the build's writes hold the reload back as usual.
      // the OS may refuse the new directory's watch (a limit hit since startup): say so, else
      // the bundle stops reloading without a word
      const again = await watchBundle().catch((e) => {
        opts.logger.warn(`live reload of bundle files stopped: ${watchFailure(bundleDir, e)}`);
        return false;
      });
      if (again) {
        schedule();
        return;
      }
    }
    const meta = [...metaPaths];
    metaPaths.clear();
    // a later change (the entry written) schedules the reload as usual; else the wait's end does
    const held = bundlePaths.size > 0 && await holdForEntry();
    if (held && timer === undefined) schedule(ENTRY_WAIT_MS - (performance.now() - heldSince!));
    const bundle = held ? [] : [...bundlePaths];
    if (!held) bundlePaths.clear();
    try {
      if (meta.length) await reloadManifest(meta);
      if (bundle.length) opts.onBundle(bundle.sort());
    } catch (e) {
      opts.logger.error("live reload handler failed", { error: String(e) });
    }
  };
  /** `onManifest`, given up on (and told so) after `reloadTimeoutMs`; a late failure is logged. */
  const reloadManifest = async (meta: string[]) => {
    const ms = opts.reloadTimeoutMs ?? RELOAD_TIMEOUT_MS;
    const ac = new AbortController();
    let clock: ReturnType<typeof setTimeout> | undefined;
    const late = new Promise<"late">((r) => clock = setTimeout(() => r("late"), ms));
    const run = Promise.resolve().then(() => opts.onManifest(meta, ac.signal));
    try {
      if (await Promise.race([run, late]) !== "late") return;
    } finally {
      clearTimeout(clock);
    }
    ac.abort();
    opts.logger.warn(
      `manifest reload still running after ${ms} ms: going on with the next changes without ` +
        "it (its result, if it ever finishes, is dropped)",
      { files: meta },
    );
    run.catch((e) => opts.logger.error("live reload handler failed", { error: String(e) }));
  };
  const note = (path: string) => {
    const p = unaliasPath(resolve(path), aliases);
    if (ignored.has(p)) return;
    if (metaFiles.has(p)) metaPaths.add(p);
    else if (p === bundleDir || p.startsWith(bundleDir + "/") || p.startsWith(bundleDir + "\\")) {
      // dotfiles, anything under a dot-directory (.git, .cache) or node_modules and editor scratch
      // files never reload, nor do they restart the debounce (a cache written every few ms held
      // reloads back)
      if (p !== bundleDir && (ignoredUnder(bundleDir, p) || editorScratch(p))) return;
      if (p === bundleDir) {
        // created, removed or renamed. The old watch is closed now, not at the re-watch: on Linux
        // a path watched again right after its watch closed often reports nothing at all
        bundleRootChanged = true;
        stop(bundleWatcher);
        bundleWatcher = null;
      }
      if (!hiddenUnder(bundleDir, p)) bundlePaths.add(p);
    } else return;
    schedule();
  };
  const pump = async (w: Deno.FsWatcher) => {
    try {
      for await (const ev of w) {
        if (closed) break;
        if (ev.kind === "access") continue;
        for (const p of ev.paths) note(p);
      }
    } catch (e) {
      if (!closed) opts.logger.warn("file watcher stopped", { error: String(e) });
    }
  };

  const dirs = new Set([...metaFiles].map((f) => dirname(f)));
  if (dirname(bundleDir) !== bundleDir) dirs.add(dirname(bundleDir));
  aliases = await realAliases([bundleDir, ...dirs]);
  let checker: ReturnType<typeof setInterval> | undefined = undefined; // set once the watches stand
  const close = () => {
    closed = true;
    clearTimeout(timer);
    clearInterval(checker);
    for (const w of watchers.values()) stop(w);
    stop(bundleWatcher);
  };
  const watchDir = (dir: string) => {
    stop(watchers.get(dir) ?? null);
    const w = watchFs(dir, { recursive: false });
    watchers.set(dir, w);
    pump(w);
  };
  // a watch the OS refuses (its limit used up) leaves dev running without live reload, saying why
  // and how to fix it, rather than ending it with a crash
  let what = bundleDir;
  try {
    if (!(await watchBundle()) && !(await statOrNull(bundleDir))) {
      opts.logger.warn(`bundle directory ${bundleDir} does not exist yet; watching for it`);
    }
    for (const dir of dirs) {
      if (!(await isDir(dir))) continue;
      what = dir;
      watchDir(dir);
    }
  } catch (e) {
    close();
    const failure = `live reload is off: ${watchFailure(what, e)}`;
    opts.logger.warn(failure);
    return { failure, close };
  }
  const seen = new Map<string, string | null>();
  for (const dir of dirs) seen.set(dir, await folderId(dir));
  /**
   * A watched folder gone (the app folder renamed or deleted) is said once; one back at its path,
   * or replaced by another, is watched again and reloads, since its files may all have changed.
   */
  const checkFolders = async () => {
    for (const dir of dirs) {
      const id = await folderId(dir);
      const was = seen.get(dir);
      if (closed || id === was) continue;
      seen.set(dir, id);
      if (id === null) {
        stop(watchers.get(dir) ?? null);
        watchers.delete(dir);
        if (dirname(bundleDir) === dir) {
          // its watch followed the bundle away: edits there are not this app's any more
          stop(bundleWatcher);
          bundleWatcher = null;
        }
        opts.logger.warn(
          `folder ${dir} is gone (renamed or deleted): live reload waits for it to come back`,
        );
        continue;
      }
      try {
        watchDir(dir);
      } catch (e) {
        opts.logger.warn(`live reload of ${dir} stopped: ${watchFailure(dir, e)}`);
        continue;
      }
      opts.logger.info(`folder ${dir} is ${was === null ? "back" : "replaced"}: watching it again`);
      for (const f of metaFiles) if (dirname(f) === dir) metaPaths.add(f);
      if (dirname(bundleDir) === dir) {
        bundleRootChanged = true;
        bundlePaths.add(bundleDir);
      }
      schedule();
    }
  };
  let checking = false;
  checker = setInterval(() => {
    if (checking) return; // a stalled stat (network drive) must not pile checks up
    checking = true;
    checkFolders().catch(() => {}).finally(() => checking = false);
  }, opts.folderCheckMs ?? FOLDER_CHECK_MS);
  return { failure: null, close };
}
