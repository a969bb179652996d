/**
 * The smoke report model (CONTRACT §14.8) and the exit-code rule (§14.9). Writers live in
 * `report_pretty.ts`, `report_json.ts` and `report_junit.ts`.
 */
import type { Diff } from "./compare.ts";
import type { FixtureFormat } from "./fixtures.ts";

export type Status = "pass" | "fail" | "skip" | "error";

/** One step or check (validate, one executa check, one view, the browser, …). */
export interface StepResult {
  /**
   * junit suite (§14.8): `validate`, `executas`, `views`, `fixture:<path>`, `browser`; also
   * `fixtures` for the note of a run with no fixture file to replay (not a junit suite).
   */
  suite: string;
  name: string;
  status: Status;
  duration_ms: number;
  message?: string;
  details?: unknown;
}

export interface CaseResult {
  index: number;
  line: number;
  ns: string;
  method: string;
  status: Status;
  duration_ms: number;
  message?: string;
  diff?: Diff[];
  expected?: unknown;
  actual?: unknown;
}

export interface FixtureResult {
  file: string;
  format: FixtureFormat;
  status: Status;
  message?: string;
  cases: CaseResult[];
}

export interface ExecutaResult {
  tool_id: string;
  protocol: "v1" | "v2" | null;
  status: Status;
  tools: string[];
}

export interface BrowserResult {
  status: Status;
  message?: string;
  console_errors: string[];
  csp_violations: unknown[];
  failed_requests: string[];
}

export interface SmokeReport {
  tool: "anna-app-runtime";
  version: string;
  app: { slug: string | null; dir: string };
  /** epoch milliseconds, like every `*_at` field (§1.3) */
  started_at: number;
  duration_ms: number;
  result: "pass" | "fail" | "error";
  exit_code: number;
  steps: StepResult[];
  fixtures: FixtureResult[];
  executas: ExecutaResult[];
  browser?: BrowserResult;
  warnings: string[];
}

/** The report of a run that has not started yet (it passes until a step says otherwise). */
export function newReport(appDir: string, version: string): SmokeReport {
  return {
    tool: "anna-app-runtime",
    version,
    app: { slug: null, dir: appDir },
    started_at: Date.now(),
    duration_ms: 0,
    result: "pass",
    exit_code: 0,
    steps: [],
    fixtures: [],
    executas: [],
    warnings: [],
  };
}

/** Worst status of a list: error > fail > pass > skip (empty → pass). */
export function worst(statuses: Status[]): Status {
  if (statuses.includes("error")) return "error";
  if (statuses.includes("fail")) return "fail";
  if (statuses.length === 0 || statuses.includes("pass")) return "pass";
  return "skip";
}

/** §14.9: 2 when stopped before running, else 3 on any runtime fault, else 1 on any failure. */
export function exitCodeFor(
  r: Pick<SmokeReport, "steps" | "fixtures">,
  stoppedEarly: boolean,
): number {
  if (stoppedEarly) return 2;
  const all: Status[] = [
    ...r.steps.map((s) => s.status),
    ...r.fixtures.flatMap((f) => [f.status, ...f.cases.map((c) => c.status)]),
  ];
  if (all.includes("error")) return 3;
  if (all.includes("fail")) return 1;
  return 0;
}

export function resultFor(code: number): SmokeReport["result"] {
  return code === 0 ? "pass" : code === 1 ? "fail" : "error";
}

/** Milliseconds since `t0` (performance.now), rounded to 0.1 ms. */
export const since = (t0: number) => Math.round((performance.now() - t0) * 10) / 10;

/** Steps of §14.1 steps 1–4 (printed before the fixtures), then the rest (fixtures note, browser). */
export function splitSteps(steps: StepResult[]): [StepResult[], StepResult[]] {
  const early = new Set(["validate", "executas", "views"]);
  return [steps.filter((s) => early.has(s.suite)), steps.filter((s) => !early.has(s.suite))];
}

/**
 * The report of a run that stopped before its first step (§14.9 exit 2), e.g. an app directory
 * that does not exist: CI still gets a report to read (a junit `<error type="configuration">`),
 * as it does for a manifest or fixture file that stops the run, not an empty file.
 */
export function stoppedReport(
  appDir: string,
  version: string,
  step: { name: string; message: string; details?: Record<string, unknown> },
): SmokeReport {
  const r = newReport(appDir, version);
  r.steps.push({ suite: "validate", status: "error", duration_ms: 0, ...step });
  r.exit_code = exitCodeFor(r, true);
  r.result = resultFor(r.exit_code);
  return r;
}
