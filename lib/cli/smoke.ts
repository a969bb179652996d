/** `smoke [APP_DIR]` (CONTRACT §2.7, §14): the CI runner. The work is in lib/smoke/runner.ts. */
import { dirname, join, resolve } from "node:path";
import { bool, type FlagSpec, int, list, notBoth, parseFlags, str, UsageError } from "./flags.ts";
import { EXECUTA_HELP, llmHelp, logHelp, TOKEN_HELP } from "./flag_help.ts";
import { EXECUTA_FLAGS, LLM_FLAGS, makeLogger, TOKEN_FLAGS, tokenTtl } from "./common.ts";
import { EXIT, printFatal, writeStdout } from "./output.ts";
import type { Logger } from "../util/log.ts";
import { parseAliases } from "../smoke/alias.ts";
import { runSmoke, type SmokeOutcome } from "../smoke/runner.ts";
import { CALL_TIMEOUT_MS } from "../smoke/context.ts";
import { type SmokeReport, stoppedReport } from "../smoke/report.ts";
import { VERSION } from "../version.ts";
import { jsonReport } from "../smoke/report_json.ts";
import { junitReport } from "../smoke/report_junit.ts";
import { fixtureHints, prettyReport, problemLines, summaryLine } from "../smoke/report_pretty.ts";

export const help = `Usage: anna-app-runtime smoke [APP_DIR] [flags]

CI runner for one app (default APP_DIR: .): validates the manifest, starts and checks every
executa, opens every view (session.create, window.hello, window.ready), replays the fixture files
and, with --browser, boots the app in headless Chromium. Prints a report.

Fixtures and replay:
  --fixtures GLOB          fixture files (repeatable; relative to the working directory;
                           replaces dev.fixtures, which is relative to the manifest directory);
                           a glob matching nothing passes with a note; a missing file too,
                           with a warning naming it
  --no-fixtures            replay nothing
  --view NAME              check only this view (fixtures that name no view, and --browser,
                           use the default view)
  --tool-alias FROM=TO     map a recorded tool_id to a registered one (repeatable)
  --ignore-key KEY         also ignore KEY when comparing results (repeatable)
  --check-events           check expected events (skipped otherwise)
  --call-timeout-ms N      outer limit per replayed call (default ${CALL_TIMEOUT_MS})
Browser:
  --browser                boot check in headless Chromium (never downloaded)
  --chromium PATH          Chromium executable (default: $ANNA_APP_CHROMIUM, then chromium,
                           chromium-browser, google-chrome, google-chrome-stable on PATH)
Executas:
${EXECUTA_HELP}
  --keep-home              keep the real HOME for executas (default: a fresh temporary HOME)
LLM flags:
${llmHelp()}
Token flags:
${TOKEN_HELP}
Output:
  --format pretty|json|junit  report format (default pretty)
  --out FILE               write the report to FILE instead of stdout (a failed run still
                           logs its failed checks, their diffs and the summary line to stderr)
${logHelp("warn", "json")}

Exit codes: 0 all checks passed; 1 a check failed; 2 usage, manifest, fixture, mock or key file
error, or no Chromium for --browser; 3 runtime fault (an executa failed to start or died, a call
timed out, a crash); 130/143 interrupted by SIGINT/SIGTERM (executas and Chromium are stopped
and the report says where the run stopped; a second SIGINT exits at once).`;

const SMOKE_FLAGS = {
  fixtures: { type: "string", multiple: true },
  "no-fixtures": { type: "boolean" },
  view: { type: "string" },
  browser: { type: "boolean" },
  chromium: { type: "string" },
  out: { type: "string" },
  "tool-alias": { type: "string", multiple: true },
  "ignore-key": { type: "string", multiple: true },
  "check-events": { type: "boolean" },
  "keep-home": { type: "boolean" },
  "call-timeout-ms": { type: "string" },
} as const;

/** `smoke` also writes junit (§2.1, §14.8). */
const SMOKE_FORMATS = ["pretty", "json", "junit"];
export const formats = SMOKE_FORMATS;

/**
 * SIGINT/SIGTERM abort the run (a cancelled CI job): smoke stops its executas and browser,
 * removes its temporary HOME and still writes the report. A second SIGINT exits at once.
 */
function interruptOnSignal(logger: Logger): { signal: AbortSignal; dispose: () => void } {
  const ac = new AbortController();
  const handlers: [Deno.Signal, () => void][] = [];
  for (const sig of ["SIGINT", "SIGTERM"] as Deno.Signal[]) {
    const h = () => {
      if (!ac.signal.aborted) {
        logger.warn(`${sig}: stopping smoke (executas, browser), then writing the report`);
        ac.abort(sig);
      } else if (sig === "SIGINT") Deno.exit(EXIT.INTERRUPTED);
    };
    try {
      Deno.addSignalListener(sig, h);
      handlers.push([sig, h]);
    } catch { /* SIGTERM is not available on Windows */ }
  }
  return {
    signal: ac.signal,
    dispose: () => {
      for (const [sig, h] of handlers) Deno.removeSignalListener(sig, h);
    },
  };
}

export const flags: FlagSpec = { ...EXECUTA_FLAGS, ...LLM_FLAGS, ...TOKEN_FLAGS, ...SMOKE_FLAGS };

export async function run(argv: string[]): Promise<number> {
  const { values, positionals } = parseFlags(argv, flags, {
    positionals: 1,
    formats: SMOKE_FORMATS,
  });
  const format = str(values, "format") ?? "pretty";
  const logger = makeLogger(values, { level: "warn" });
  const executaSpecs = list(values, "executa");
  notBoth(values, "executa", "no-executas", "executas");
  const fixtures = list(values, "fixtures");
  notBoth(values, "fixtures", "no-fixtures", "fixture files");
  const parsedAliases = parseAliases(list(values, "tool-alias"));
  if (typeof parsedAliases === "string") throw new UsageError(parsedAliases);
  const aliases = parsedAliases;
  const ttl = tokenTtl(values);
  const callTimeoutMs = int(values, "call-timeout-ms", [1, 86_400_000]) ?? CALL_TIMEOUT_MS;
  const appDir = resolve(positionals[0] ?? ".");
  const out = str(values, "out");
  const fatalFormat = format === "json" ? "json" : undefined;

  if (out !== undefined) {
    // a CI run can take minutes: a report that cannot be written is known before it starts
    const dir = await Deno.stat(dirname(resolve(out))).catch(() => null);
    const target = await Deno.stat(resolve(out)).catch(() => null);
    const ext = format === "junit" ? "xml" : format === "json" ? "json" : "txt";
    const why = !dir?.isDirectory
      ? `${dirname(resolve(out))} is not a directory`
      : target?.isDirectory
      ? `it is a directory; name the report file, e.g. --out ${join(out, `report.${ext}`)}`
      : undefined;
    if (why) {
      printFatal(fatalFormat, "config", `cannot write --out ${out}: ${why}`);
      return EXIT.USAGE;
    }
  }
  const st = await Deno.stat(appDir).catch(() => null);
  const { report, fatal } = st?.isDirectory
    ? await runInApp()
    : appDirMissing(appDir, st?.isFile ? dirname(appDir) : undefined);
  if (fatal) printFatal(fatalFormat, fatal.code, fatal.message, fatal.details);
  return await writeReport(report, format, out, logger);

  async function runInApp(): Promise<SmokeOutcome> {
    const stopOnSignal = interruptOnSignal(logger);
    return await runSmoke({
      signal: stopOnSignal.signal,
      appDir,
      fixtures: fixtures.length ? fixtures : undefined,
      noFixtures: bool(values, "no-fixtures"),
      view: str(values, "view"),
      browser: bool(values, "browser"),
      chromium: str(values, "chromium"),
      toolAliases: aliases,
      ignoreKeys: list(values, "ignore-key"),
      checkEvents: bool(values, "check-events"),
      keepHome: bool(values, "keep-home"),
      callTimeoutMs,
      executaSpecs: executaSpecs.length ? executaSpecs : undefined,
      noExecutas: bool(values, "no-executas"),
      llm: {
        llm: str(values, "llm"),
        noLlm: bool(values, "no-llm"),
        mockLlm: list(values, "mock-llm"),
        baseUrl: str(values, "llm-base-url"),
        model: str(values, "llm-model"),
        embedModel: str(values, "llm-embed-model"),
        timeoutMs: int(values, "llm-timeout-ms", [1, 86_400_000]),
      },
      keyFile: str(values, "key-file"),
      tokenTtl: ttl,
      logger,
    }).finally(stopOnSignal.dispose);
  }
}

/** §14.9 exit 2, with a report (json, junit) CI can still read. */
function appDirMissing(appDir: string, parent?: string): SmokeOutcome {
  // `validate` takes a manifest path too; smoke needs the whole app (bundle, executas)
  const hint = parent ? `; smoke takes the app directory: smoke ${parent}` : "";
  const message = `${appDir} is not a directory${hint}`;
  const details = { path: appDir };
  return {
    report: stoppedReport(appDir, VERSION, {
      name: "app directory",
      message,
      details: { code: "app_dir_not_found", ...details },
    }),
    fatal: { code: "app_dir_not_found", message, details },
  };
}

async function writeReport(
  report: SmokeReport,
  format: string,
  out: string | undefined,
  logger: Logger,
): Promise<number> {
  const fatalFormat = format === "json" ? "json" : undefined;
  const text = format === "json"
    ? jsonReport(report)
    : format === "junit"
    ? junitReport(report)
    : prettyReport(report);
  if (out !== undefined) {
    try {
      await Deno.writeTextFile(out, text.endsWith("\n") ? text : text + "\n");
    } catch (e) {
      printFatal(fatalFormat, "config", `cannot write --out ${out}: ${(e as Error).message}`);
      return EXIT.USAGE;
    }
    // the CI log still says what broke; the report file is an artifact few open
    const log = logger.child("smoke");
    for (const p of problemLines(report)) log.warn(p);
    for (const w of report.warnings) log.warn(w); // as the pretty report lists them
    for (const h of fixtureHints(report)) log.warn(`hint: ${h}`);
    const summary = `${summaryLine(report)}; report: ${out}`;
    if (report.exit_code === 0) log.info(summary);
    else log.warn(summary);
  } else writeStdout(text);
  return report.exit_code;
}
