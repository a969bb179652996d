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

export interface LaunchOptions {
  executablePath: string;
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
