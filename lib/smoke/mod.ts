/**
 * `smoke` (CONTRACT §14) and record mode (§14.7). smoke drives the core exactly like the other
 * transports: a `Runtime` in mode "smoke" with an `ExecutaPool`, and `runtime.call(…, "smoke")`.
 *
 * Files, by concern:
 * - `runner.ts` — the steps of §14.1 in order, and what stops smoke before it runs (exit 2);
 * - `executas.ts` (executa checks), `views.ts` (views), `browser.ts` + `chromium.ts` (§14.6);
 * - `fixture_files.ts` (which files a run replays), `fixtures.ts` (classification, docs and
 *   mock-table formats), `fixture_recorded.ts` (recorded-session format), `fixture_steps.ts` (what
 *   they parse into), `fixture_keys.ts` (unknown keys; mock tables: lib/llm/mock_keys.ts), `glob.ts`;
 * - `replay.ts` (one fixture file), `alias.ts` (tool-id aliasing, value carry-over), `check.ts`
 *   (response check), `compare.ts` (expected ⊆ actual with volatile keys);
 * - `context.ts` (what the steps share, session helpers), `home.ts` (the executas' temporary HOME);
 * - `report.ts` (model, exit codes) and the writers `report_pretty.ts`, `report_json.ts`,
 *   `report_junit.ts`;
 * - `recorder.ts` — `startRecording(runtime, session, path)` for `dev --record FILE`.
 */
export { runSmoke, type SmokeOptions, type SmokeOutcome } from "./runner.ts";
export { Recorder, RecordingEncoder, startRecording } from "./recorder.ts";
export { compareSubset, type Diff, isVolatileKey } from "./compare.ts";
export { checkResponse } from "./check.ts";
export { FixtureError, loadFixture, parseFixtureText } from "./fixtures.ts";
export type { SmokeReport } from "./report.ts";
export { jsonReport } from "./report_json.ts";
export { junitReport } from "./report_junit.ts";
export { prettyReport } from "./report_pretty.ts";
