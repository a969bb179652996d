/**
 * `smoke [APP_DIR]` end to end (CONTRACT §14.1): validate → key, mock and fixture files, executa
 * discovery/registration → executa checks → views → fixtures → browser → stop everything → report.
 * Everything that can stop smoke before it runs (manifest errors, bad fixture/mock/key files, no
 * Chromium) is checked before any process is started (preflight.ts), and ends with exit 2.
 */
import { Runtime } from "../core/runtime.ts";
import { ExecutaPool } from "../executa/mod.ts";
import type { LlmFlags } from "../llm/mod.ts";
import { declaredTools } from "../manifest/acl.ts";
import type { Logger } from "../util/log.ts";
import { VERSION } from "../version.ts";
import { manifestHandles, ToolAliaser } from "./alias.ts";
import type { SmokeContext } from "./context.ts";
import { checkExecutas } from "./executas.ts";
import { preflight, setupStopStep } from "./preflight.ts";
import { replayFixture } from "./replay.ts";
import { exitCodeFor, newReport, resultFor, since, type SmokeReport } from "./report.ts";
import { checkViews } from "./views.ts";
import { IgnoredKeys } from "./compare.ts";
import { checkBrowser } from "./browser.ts";
import { INTERRUPT_EXIT, settleWithin, whenAborted } from "./interrupt.ts";

export interface SmokeOptions {
  /** absolute app directory */
  appDir: string;
  /** `--fixtures` globs (relative to the working directory); undefined = `dev.fixtures` */
  fixtures?: string[];
  noFixtures: boolean;
  view?: string;
  browser: boolean;
  chromium?: string;
  toolAliases: Map<string, string>;
  ignoreKeys: string[];
  checkEvents: boolean;
  keepHome: boolean;
  callTimeoutMs: number;
  /** `--executa` specs; undefined = discovery */
  executaSpecs?: string[];
  noExecutas: boolean;
  llm: LlmFlags;
  keyFile?: string;
  tokenTtl: number;
  logger: Logger;
  cwd?: string;
  env?: Record<string, string | undefined>;
  /**
   * Aborted on SIGINT/SIGTERM (the reason is the signal's name): the run stops where it is, stops
   * its executas and browser, removes the temporary HOME and reports what it had, exit 130/143.
   */
  signal?: AbortSignal;
}

/** Why smoke stopped before running (exit 2), for the fatal line on stderr. */
export interface Fatal {
  code: string;
  message: string;
  details?: Record<string, unknown>;
}

export interface SmokeOutcome {
  report: SmokeReport;
  fatal?: Fatal;
}

export async function runSmoke(o: SmokeOptions): Promise<SmokeOutcome> {
  const t0 = performance.now();
  const report = newReport(o.appDir, VERSION);
  try {
    return await runSteps(o, report, t0);
  } catch (e) {
    // a crash while setting up (the steps catch their own) still leaves a report for CI (exit 3)
    const message = `unexpected crash: ${(e as Error)?.stack ?? e}`;
    report.steps.push({
      suite: "validate",
      name: "unexpected crash",
      status: "error",
      duration_ms: 0,
      message,
    });
    report.exit_code = 3;
    report.result = resultFor(3);
    report.duration_ms = since(t0);
    return { report, fatal: { code: "internal_error", message } };
  }
}

async function runSteps(o: SmokeOptions, report: SmokeReport, t0: number): Promise<SmokeOutcome> {
  const env = o.env ?? Deno.env.toObject();
  let interruptedBy: string | null = null;
  const finish = (fatal?: Fatal): SmokeOutcome => {
    report.exit_code = interruptedBy !== null
      ? INTERRUPT_EXIT[interruptedBy] ?? 130
      : exitCodeFor(report, fatal !== undefined);
    report.result = resultFor(report.exit_code);
    report.duration_ms = since(t0);
    return fatal ? { report, fatal } : { report };
  };

  // steps 1–2 (preflight.ts): a stop is reported as a step too, not only on stderr
  let tv = performance.now();
  const pre = await preflight(o, report, env);
  if (!pre.ok) {
    report.steps.push(setupStopStep(pre.stop));
    const { code, message, details } = pre.stop;
    return finish({ code, message, details });
  }
  const { slug, manifest, entries, diagnostics, specs, chromium, files, fixturesNote, home } = pre;
  const { key, llm } = pre;

  // 3. the core, exactly as the other transports build it
  const pool = new ExecutaPool({
    logger: o.logger.child("executa"),
    llm,
    version: VERSION,
    extraEnv: home?.env,
  });
  const rt = new Runtime({
    mode: "smoke",
    key,
    tokenTtl: o.tokenTtl,
    llm,
    executas: pool,
    logger: o.logger.child("smoke"),
    cwd: o.cwd,
  });
  let phase = "executas";
  const interrupted = o.signal ? whenAborted(o.signal) : new Promise<never>(() => {});
  const live = () => !o.signal?.aborted;
  const enter = (p: string) => {
    phase = p;
    tv = performance.now();
  };
  let shared: SmokeContext | null = null;
  const work = async () => {
    if (specs.length) await pool.register(specs);
    const declared = new Set(declaredTools(manifest, entries).map((d) => d.tool_id));
    const ignore = new IgnoredKeys(o.ignoreKeys);
    const ctx: SmokeContext = shared = {
      rt,
      appDir: o.appDir,
      slug,
      manifest,
      ignore,
      checkEvents: o.checkEvents,
      callTimeoutMs: o.callTimeoutMs,
      warnings: report.warnings,
      view: o.view,
      signal: o.signal,
      aliaser: new ToolAliaser({
        aliases: o.toolAliases,
        handles: manifestHandles(manifest),
        known: (id) => declared.has(id) || pool.get(id) !== undefined,
        ids: () => [...new Set([...declared, ...pool.list().map((e) => e.tool_id)])],
        entries: () => entries,
      }),
    };

    // 4. executa checks
    enter("executas");
    const ex = await checkExecutas(pool, specs.map((s) => s.tool_id), report.warnings);
    if (!live()) return;
    report.steps.push(...ex.steps);
    report.executas = ex.executas;
    if (specs.length === 0) {
      // a bundled:<h> ref with no folder is only a warning, but it is why nothing was found
      const why = diagnostics.filter((d) => d.code === "executa_discovery").map((d) => d.message);
      const note = o.noExecutas ? "--no-executas" : ["no executas found", ...why].join("; ");
      report.steps.push({
        suite: "executas",
        name: "executas",
        status: "pass",
        duration_ms: 0,
        message: note,
      });
    }

    // 5. views
    enter("views");
    const views = await checkViews(ctx);
    if (!live()) return;
    report.steps.push(...views);

    // 6. fixtures
    if (fixturesNote !== null) {
      report.steps.push({
        suite: "fixtures",
        name: "fixtures",
        status: o.noFixtures ? "skip" : "pass",
        duration_ms: 0,
        message: fixturesNote,
      });
    }
    for (const f of files) {
      enter(`fixture:${f.name}`);
      pool.reverse.storage.clear(); // each file was recorded from a fresh dev run (empty store)
      const r = await replayFixture(ctx, f);
      if (!live()) return;
      report.fixtures.push(r);
    }
    if (files.length) report.warnings.push(...ignore.pathWarnings());

    // 7. browser
    if (chromium) {
      enter("browser");
      const b = await checkBrowser(ctx, chromium);
      if (!live()) return;
      report.steps.push(b.step);
      report.browser = b.browser;
      for (const c of b.browser.console_errors) report.warnings.push(`browser console error: ${c}`);
      for (const c of b.browser.failed_requests) {
        report.warnings.push(`browser request failed: ${c}`);
      }
      for (const c of b.browser.csp_violations) {
        report.warnings.push(`browser CSP violation: ${JSON.stringify(c)}`);
      }
      report.warnings.push(...b.warnings);
    }
  };
  const running = work();
  try {
    const sig = await Promise.race([running.then(() => null), interrupted]);
    if (sig !== null) {
      interruptedBy = sig;
      // a hung call is the usual reason a CI job gets cancelled: name it
      const waiting = (shared as SmokeContext | null)?.inFlight;
      // what the interrupted step had done is dropped: its checks never finished
      report.steps.push({
        suite: phase,
        name: "interrupted",
        status: "error",
        duration_ms: since(tv),
        message: `interrupted by ${sig} during ${phase}${
          waiting ? ` at ${waiting.title}, waiting ${Math.round(since(waiting.since))} ms` : ""
        }; the remaining checks did not run`,
      });
    }
  } catch (e) {
    // a crash is a runtime fault of the step that was running (its junit suite, §14.8)
    report.steps.push({
      suite: phase,
      name: "unexpected crash",
      status: "error",
      duration_ms: since(tv),
      message: `unexpected crash: ${(e as Error)?.stack ?? e}`,
    });
  } finally {
    await rt.shutdown();
    // an interrupted step ends once its executas are gone (the browser check closes Chromium)
    if (interruptedBy !== null) await settleWithin(running, 5_000);
    await home?.remove();
  }
  return finish();
}
