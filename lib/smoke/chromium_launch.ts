/**
 * Launching headless Chromium for `smoke --browser` (CONTRACT §14.6). The bundle under test may be
 * a third party's, so Chromium runs with its own sandbox whenever it can: a renderer exploit then
 * stays in the renderer instead of running as the developer. As root Chromium refuses its sandbox,
 * and without user namespaces it cannot start one; then it runs without, and the log says so.
 */
import type { Logger } from "../util/log.ts";

/** Flags for a quiet, self-contained headless Chromium (never `--no-sandbox` by default). */
export const CHROMIUM_ARGS = [
  "--disable-background-networking",
  "--disable-gpu",
  "--no-first-run",
  "--disable-component-update",
  "--disable-sync",
];

/**
 * How long Chromium may take to start. Playwright's own default is 180 s: a browser that never
 * answers (a wrapper waiting on something, a stuck GPU probe) would hold a CI job for 3 minutes.
 */
export const LAUNCH_TIMEOUT_MS = 20_000;

export interface LaunchOptions {
  executablePath: string;
  timeout: number;
  headless: boolean;
  args: string[];
  chromiumSandbox: boolean;
  handleSIGINT: boolean;
  handleSIGTERM: boolean;
  handleSIGHUP: boolean;
}
export interface Launcher<B> {
  launch(o: LaunchOptions): Promise<B>;
}

/** Chromium's own words when its sandbox cannot start (Playwright passes them on). */
const SANDBOX_FAILED = /sandbox/i;

export async function launchChromium<B>(
  launcher: Launcher<B>,
  executablePath: string,
  log: Logger,
  uid: number | null = Deno.uid(),
): Promise<B> {
  const base = {
    executablePath,
    timeout: LAUNCH_TIMEOUT_MS,
    headless: true,
    // smoke handles SIGINT/SIGTERM itself (it stops, cleans up and reports): Playwright's own
    // handlers would close Chromium and leave the boot wait to time out as a false failure
    handleSIGINT: false,
    handleSIGTERM: false,
    handleSIGHUP: false,
  };
  let why = "running as root";
  if (uid !== 0) {
    try {
      return await launcher.launch({ ...base, args: CHROMIUM_ARGS, chromiumSandbox: true });
    } catch (e) {
      const first = String((e as Error)?.message ?? e).split("\n").find((l) =>
        SANDBOX_FAILED.test(l)
      );
      if (first === undefined) throw e;
      why = first.trim().slice(0, 200);
    }
  }
  log.warn("Chromium runs the app without its sandbox", { reason: why });
  return await launcher.launch({
    ...base,
    args: [...CHROMIUM_ARGS, "--no-sandbox"],
    chromiumSandbox: false,
  });
}

/**
 * A failed launch as one line: how Chromium ended (its exit code or signal, or no answer in time)
 * and the last lines it wrote to stderr, which name the cause (a snap shim, a missing library).
 */
export function launchFailure(executablePath: string, e: unknown): string {
  const text = String((e as Error)?.message ?? e);
  const logs = text.split("\nCall log:")[0];
  const said = [...logs.matchAll(/^\[pid=\d+\]\[err\] (.*)$/gm)].map((m) => m[1].trim())
    .filter((l) => l && !/dbus|Failed to connect to the bus/i.test(l)).slice(-5)
    .map((l) => l.slice(0, 300));
  const exit = /<process did exit: exitCode=(\w+), signal=(\w+)>/.exec(text);
  let how = text.split("\n")[0];
  if (/Timeout \d+ms exceeded/.test(how)) {
    how = `it did not start within ${LAUNCH_TIMEOUT_MS / 1000} s`;
  } else if (exit && exit[2] !== "null") how = `it was killed by ${exit[2]}`;
  else if (exit) how = `it exited with code ${exit[1]}`;
  return `cannot launch Chromium (${executablePath}): ${how}` +
    (said.length ? `; it said: ${said.join(" | ")}` : "");
}

/**
 * For a browser or tab that went away during the boot check (Playwright keeps no stderr after
 * launch), with the usual container cause named: Chromium crashes when no font is installed at all.
 */
export function crashText(what: string, noFonts: boolean): string {
  return `${what} during the boot check, so the app could not be checked` +
    (noFonts
      ? "; no fonts are installed here and Chromium crashes without any: install one " +
        "(Debian/Ubuntu: apt-get install fonts-liberation; Alpine: apk add font-noto)"
      : " (killed, out of memory, or a Chromium bug: run it again; a tiny /dev/shm is handled)");
}

/** Folders fontconfig reads on Linux; none holding a file means Chromium has no font at all. */
export async function noFontsInstalled(
  env: Record<string, string | undefined> = Deno.env.toObject(),
  os: string = Deno.build.os,
): Promise<boolean> {
  if (os !== "linux") return false;
  const home = env.HOME;
  const dirs = ["/usr/share/fonts", "/usr/local/share/fonts"];
  if (home) dirs.push(`${home}/.fonts`, `${home}/.local/share/fonts`);
  const anyFile = async (d: string, depth: number): Promise<boolean> => {
    try {
      for await (const e of Deno.readDir(d)) {
        if (!e.isDirectory) return true;
        if (depth < 4 && await anyFile(`${d}/${e.name}`, depth + 1)) return true;
      }
    } catch { /* missing or unreadable: no fonts there */ }
    return false;
  };
  for (const d of dirs) if (await anyFile(d, 0)) return false;
  return true;
}
