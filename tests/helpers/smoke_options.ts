/**
 * `runSmoke` options as `smoke APP_DIR` gives them by default, for tests that drive the runner in
 * process: no fixtures, no browser, no executas, mock LLM, a key file in `home`, and a silent
 * logger. `over` sets what a test is about.
 */
import { join } from "node:path";
import type { SmokeOptions } from "../../lib/smoke/runner.ts";
import { silentLogger } from "../../lib/util/log.ts";

export function smokeOptions(
  appDir: string,
  home: string,
  over: Partial<SmokeOptions> = {},
): SmokeOptions {
  return {
    appDir,
    noFixtures: true,
    browser: false,
    toolAliases: new Map(),
    ignoreKeys: [],
    checkEvents: false,
    keepHome: true,
    callTimeoutMs: 5000,
    noExecutas: true,
    llm: {},
    keyFile: join(home, "dev.key"),
    tokenTtl: 30,
    logger: silentLogger(),
    ...over,
  };
}
