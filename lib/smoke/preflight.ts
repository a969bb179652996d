/**
 * Smoke's steps 1–2 and the temporary HOME (CONTRACT §14.1): validate the app, then find Chromium,
 * pick the fixture files, load the key, the LLM settings and the mock files, and make the HOME.
 * Everything that can stop smoke before it runs is checked here, before any process is started;
 * a stop is handed back (runner.ts reports it, exit 2), never thrown.
 */
import { join } from "node:path";
import { checkApp } from "../core/app_check.ts";
import { createProvider, LlmConfigError, resolveLlmConfig } from "../llm/mod.ts";
import { mockFileWarnings } from "../llm/mock_keys.ts";
import { appSlugFor, hintText } from "../manifest/mod.ts";
import type { Diagnostic } from "../manifest/types.ts";
import { defaultKeyPath, KeyFileError, loadOrCreateKey } from "../token/mod.ts";
import { escapeUnsafe } from "../util/text.ts";
import { ChromiumNotFound, findChromium } from "./chromium.ts";
import { selectFixtures } from "./fixture_files.ts";
import { makeSmokeHome, type SmokeHome } from "./home.ts";
import { since, type SmokeReport, type StepResult } from "./report.ts";
import type { SmokeOptions } from "./runner.ts";

/** Why smoke stops before running; `step` when the failed check has its own report step. */
export interface SetupStop {
  code: string;
  message: string;
  details?: Record<string, unknown>;
  step?: StepResult;
}

/** The step a setup stop is reported as (§14.1 step 2: everything checked before anything runs). */
const SETUP_STEP: Record<string, string> = {
  unknown_view: "view",
  no_chromium: "chromium",
  fixture_invalid: "fixture files",
  fixture_not_found: "fixture files",
  config: "configuration",
};

/** The report step of a stop: a run that stops early says why in the report too (a junit <error>). */
export function setupStopStep(s: SetupStop): StepResult {
  return s.step ?? {
    suite: "validate",
    name: SETUP_STEP[s.code] ?? s.code,
    status: "error",
    duration_ms: 0,
    message: s.message,
    details: { code: s.code, ...s.details },
  };
}

const diagLine = (d: Diagnostic) =>
  escapeUnsafe(`${d.code} ${d.path || "-"}: ${d.message}${hintText(d)}`);

const stopped = (code: string, message: string, details?: Record<string, unknown>) => ({
  ok: false as const,
  stop: { code, message, details } as SetupStop,
});

/**
 * Runs the checks, adding warnings and the validate step to `report`. Answers what the run needs,
 * or the first stop.
 */
export async function preflight(
  o: SmokeOptions,
  report: SmokeReport,
  env: Record<string, string | undefined>,
) {
  // 1. validate (§3.7, plus discovery warnings and the bundle entry, as `validate` does)
  const tv = performance.now();
  const manifestPath = join(o.appDir, "manifest.json");
  const { slug, warnings: slugWarnings } = await appSlugFor({ appDir: o.appDir });
  report.app.slug = slug;
  report.warnings.push(...slugWarnings);
  const checked = await checkApp({
    manifestPath,
    appDir: o.appDir,
    executaFlags: o.executaSpecs,
    noExecutas: o.noExecutas,
  });
  const { manifest, entries, diagnostics } = checked;
  report.warnings.push(...checked.skippedFlags);
  const specs = checked.specs.map((s) => ({ ...s, app_slug: slug }));
  const errors = diagnostics.filter((d) => d.severity === "error");
  report.warnings.push(...diagnostics.filter((d) => d.severity === "warning").map(diagLine));
  const validate: StepResult = {
    suite: "validate",
    name: "validate",
    status: "pass",
    duration_ms: since(tv),
  };
  if (!manifest || errors.length) {
    validate.status = "fail";
    validate.message = errors.length
      ? errors.map(diagLine).join("\n")
      : `cannot load ${manifestPath}`;
    validate.details = { diagnostics };
    return {
      ok: false as const,
      stop: {
        code: "manifest_invalid",
        message: `manifest ${manifestPath} has ${errors.length || 1} error(s):\n  ${
          validate.message.split("\n").join("\n  ")
        }`,
        details: { diagnostics },
        step: validate,
      } as SetupStop,
    };
  }
  validate.details = {
    views: manifest.ui.views.map((v) => v.name),
    executas: specs.map((s) => s.tool_id),
  };
  report.steps.push(validate);
  if (o.view !== undefined && !manifest.ui.views.some((v) => v.name === o.view)) {
    return stopped(
      "unknown_view",
      `--view '${o.view}' is not a view of this app (available: ${
        manifest.ui.views.map((v) => v.name).join(", ")
      })`,
    );
  }

  // 2. Chromium, fixture files, key, LLM and mock files — all before anything runs
  let chromium: string | undefined;
  if (o.browser) {
    try {
      chromium = await findChromium(o.chromium, env);
    } catch (e) {
      if (e instanceof ChromiumNotFound) return stopped("no_chromium", e.message);
      throw e;
    }
  }
  const picked = await selectFixtures({
    fixtures: o.fixtures,
    noFixtures: o.noFixtures,
    devFixtures: manifest.dev.fixtures,
    cwd: o.cwd ?? Deno.cwd(),
    appDir: o.appDir,
    slug,
  });
  report.warnings.push(...picked.warnings);
  if (picked.stop) return stopped(picked.stop.code, picked.stop.message, picked.stop.details);
  const { files, mocks: fixtureMocks, note: fixturesNote } = picked;
  let key;
  try {
    key = await loadOrCreateKey(o.keyFile ?? defaultKeyPath(), o.logger.child("token"));
  } catch (e) {
    if (e instanceof KeyFileError) return stopped("config", e.message);
    throw e;
  }
  let llm;
  try {
    const cfg = await resolveLlmConfig(o.llm, env);
    report.warnings.push(...mockFileWarnings(cfg.mocks));
    llm = createProvider({
      ...cfg,
      mocks: [...cfg.mocks, ...fixtureMocks],
      logger: o.logger.child("llm"),
    });
  } catch (e) {
    if (e instanceof LlmConfigError) return stopped("config", e.message);
    throw e;
  }

  // Chromium's fresh profile goes to TMPDIR too (Playwright makes it there), --keep-home or not
  if (o.browser) {
    try {
      await Deno.remove(await Deno.makeTempDir({ prefix: "anna-smoke-chromium-" }));
    } catch (e) {
      return stopped(
        "config",
        `cannot create Chromium's temporary profile for --browser (TMPDIR=${
          env.TMPDIR ?? "unset"
        }): ${(e as Error).message}; set TMPDIR to a writable directory`,
      );
    }
  }
  // the executas' HOME, last: nothing after it can stop the run, so nothing has to remove it
  let home: SmokeHome | null = null;
  try {
    if (!o.keepHome) home = await makeSmokeHome(env);
  } catch (e) {
    // a container with a read-only or missing TMPDIR: a setting to fix, not a crash
    return stopped(
      "config",
      `cannot create the executas' temporary HOME (TMPDIR=${env.TMPDIR ?? "unset"}): ${
        (e as Error).message
      }; set TMPDIR to a writable directory, or pass --keep-home`,
    );
  }
  return {
    ok: true as const,
    slug,
    manifest,
    entries,
    diagnostics,
    specs,
    chromium,
    files,
    fixturesNote,
    key,
    llm,
    home,
  };
}
