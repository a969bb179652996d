/**
 * Finding Chromium for `smoke --browser` (CONTRACT §14.6): `--chromium`, then `ANNA_APP_CHROMIUM`,
 * then PATH (`chromium`, `chromium-browser`, `google-chrome`, `google-chrome-stable`). Nothing is
 * ever downloaded; none found → a configuration error (exit 2).
 */
import { join, resolve } from "node:path";
import { whichOnPath } from "../executa/command.ts";

export const CHROMIUM_NAMES = [
  "chromium",
  "chromium-browser",
  "google-chrome",
  "google-chrome-stable",
];

export class ChromiumNotFound extends Error {}

async function isExecutableFile(p: string): Promise<boolean> {
  try {
    const st = await Deno.stat(p);
    return st.isFile &&
      (Deno.build.os === "windows" || st.mode === null || (st.mode & 0o111) !== 0);
  } catch {
    return false;
  }
}

/**
 * Where Chrome, Chromium and Edge install themselves off PATH (macOS app bundles, Windows program
 * folders). The contract's lookup stops at PATH; these only name a `--chromium` to copy.
 */
export function knownInstalls(os: string, env: Record<string, string | undefined>): string[] {
  if (os === "darwin") {
    const apps = ["/Applications", ...(env.HOME ? [join(env.HOME, "Applications")] : [])];
    return apps.flatMap((a) => [
      `${a}/Google Chrome.app/Contents/MacOS/Google Chrome`,
      `${a}/Chromium.app/Contents/MacOS/Chromium`,
      `${a}/Microsoft Edge.app/Contents/MacOS/Microsoft Edge`,
    ]);
  }
  if (os === "windows") {
    const roots = [env.ProgramFiles, env["ProgramFiles(x86)"], env.LOCALAPPDATA].filter(
      (r): r is string => !!r,
    );
    return roots.flatMap((r) => [
      join(r, "Google", "Chrome", "Application", "chrome.exe"),
      join(r, "Chromium", "Application", "chrome.exe"),
      join(r, "Microsoft", "Edge", "Application", "msedge.exe"),
    ]);
  }
  return [];
}

/** The executable to launch; throws ChromiumNotFound with a message saying what was tried. */
export async function findChromium(
  flag: string | undefined,
  env: Record<string, string | undefined> = Deno.env.toObject(),
  os: string = Deno.build.os,
): Promise<string> {
  const explicit = flag ?? (env.ANNA_APP_CHROMIUM || undefined);
  if (explicit !== undefined) {
    const source = flag !== undefined ? "--chromium" : "ANNA_APP_CHROMIUM";
    const looksLikePath = explicit.includes("/") || explicit.includes("\\");
    const found = looksLikePath
      ? ((await isExecutableFile(resolve(explicit))) ? resolve(explicit) : null)
      : await whichOnPath(explicit, env);
    if (found) return found;
    throw new ChromiumNotFound(
      `${source} '${explicit}' is not an executable file${
        looksLikePath ? await whyNot(resolve(explicit)) : " (not found on PATH)"
      }`,
    );
  }
  for (const name of CHROMIUM_NAMES) {
    const found = await whichOnPath(name, env);
    if (found) return found;
  }
  let installed: string | undefined;
  for (const p of knownInstalls(os, env)) {
    if (await isExecutableFile(p)) {
      installed = p;
      break;
    }
  }
  throw new ChromiumNotFound(
    `no Chromium found for --browser: pass --chromium PATH or set ANNA_APP_CHROMIUM, or put one of ` +
      `${CHROMIUM_NAMES.join(", ")} on PATH (smoke never downloads a browser)` +
      (installed ? `; one is installed here: --chromium "${installed}"` : "") +
      (os === "linux" ? LINUX_INSTALL : ""),
  );
}

/** How to get one in a CI container (Ubuntu's `chromium-browser` package needs snap, not there). */
const LINUX_INSTALL = "; to install one: apt-get install chromium (Debian), apk add chromium " +
  "(Alpine), dnf install chromium (Fedora); on Ubuntu install google-chrome-stable (its " +
  "chromium-browser package needs snap, which containers lack)";

/** Why a path is not an executable file, for the message. */
async function whyNot(p: string): Promise<string> {
  try {
    const st = await Deno.stat(p);
    if (!st.isFile) return " (it is a directory)";
    return ` (no execute permission: chmod +x ${p})`;
  } catch (e) {
    return e instanceof Deno.errors.NotFound ? " (no such file)" : ` (${(e as Error).message})`;
  }
}
