/**
 * The executa environment of `smoke` (CONTRACT §9.4): `HOME`/`USERPROFILE` point at a fresh
 * temporary directory (unless `--keep-home`), and `GOPATH`, `GOCACHE`, `UV_CACHE_DIR`,
 * `XDG_CACHE_HOME` are set, when unset, to where they would be under the real home so toolchain
 * caches keep working. For the same reason `UV_PYTHON_INSTALL_DIR` is too (POSIX): without it uv
 * no longer sees the Pythons it installed under the real home, so a project that needs one gets
 * it downloaded again on every run (and fails on an offline CI runner).
 */
import { join } from "node:path";

export interface SmokeHome {
  /** the temporary home directory */
  dir: string;
  /** what the pool adds to every child environment */
  env: Record<string, string>;
  remove(): Promise<void>;
}

/** Where the toolchain caches live under `home` when their variables are unset. */
export function cacheDefaults(
  env: Record<string, string | undefined>,
  home: string,
  os: typeof Deno.build.os = Deno.build.os,
): Record<string, string> {
  const out: Record<string, string> = {};
  const set = (k: string, v: string) => {
    if (!env[k]) out[k] = v;
  };
  const xdg = env.XDG_CACHE_HOME || undefined;
  if (os === "windows") {
    const local = env.LOCALAPPDATA || join(home, "AppData", "Local");
    set("GOPATH", join(home, "go"));
    set("GOCACHE", join(local, "go-build"));
    set("UV_CACHE_DIR", join(local, "uv", "cache"));
    set("XDG_CACHE_HOME", join(home, ".cache"));
    return out; // uv's data dir is under %APPDATA%, which a new USERPROFILE does not move
  }
  // uv keeps the Pythons it installs in its data dir, not its cache
  set(
    "UV_PYTHON_INSTALL_DIR",
    join(env.XDG_DATA_HOME || join(home, ".local", "share"), "uv", "python"),
  );
  if (os === "darwin") {
    set("GOPATH", join(home, "go"));
    set("GOCACHE", join(home, "Library", "Caches", "go-build"));
    set("UV_CACHE_DIR", join(xdg ?? join(home, ".cache"), "uv"));
    set("XDG_CACHE_HOME", join(home, ".cache"));
  } else {
    const cache = xdg ?? join(home, ".cache");
    set("GOPATH", join(home, "go"));
    set("GOCACHE", join(cache, "go-build"));
    set("UV_CACHE_DIR", join(cache, "uv"));
    set("XDG_CACHE_HOME", join(home, ".cache"));
  }
  return out;
}

export async function makeSmokeHome(
  env: Record<string, string | undefined> = Deno.env.toObject(),
): Promise<SmokeHome> {
  const dir = await Deno.makeTempDir({ prefix: "anna-smoke-home-" });
  const realHome = (Deno.build.os === "windows" ? env.USERPROFILE : env.HOME) ?? env.HOME ?? dir;
  const vars: Record<string, string> = { ...cacheDefaults(env, realHome), HOME: dir };
  if (Deno.build.os === "windows") vars.USERPROFILE = dir;
  return {
    dir,
    env: vars,
    async remove() {
      await Deno.remove(dir, { recursive: true }).catch(() => {});
    },
  };
}
