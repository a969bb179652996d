/** The json smoke report (CONTRACT §14.8): one document. */
import type { SmokeReport } from "./report.ts";
import type { Diff } from "./compare.ts";
import { stepTitle } from "./report_pretty.ts";

export function jsonReport(r: SmokeReport): string {
  const doc: Record<string, unknown> = {
    tool: r.tool,
    version: r.version,
    app: r.app,
    started_at: r.started_at,
    duration_ms: r.duration_ms,
    result: r.result,
    exit_code: r.exit_code,
    steps: r.steps.map((s) => {
      const o: Record<string, unknown> = {
        name: stepTitle(s),
        status: s.status,
        duration_ms: s.duration_ms,
      };
      if (s.message !== undefined) o.message = s.message;
      if (s.details !== undefined) o.details = s.details;
      return o;
    }),
    fixtures: r.fixtures.map((f) => ({
      file: f.file,
      format: f.format,
      status: f.status,
      ...(f.message !== undefined ? { message: f.message } : {}),
      cases: f.cases.map((c) => c.diff ? { ...c, diff: c.diff.map(jsonDiff) } : c),
    })),
    executas: r.executas,
  };
  if (r.browser) doc.browser = r.browser;
  doc.warnings = r.warnings;
  return JSON.stringify(doc, null, 2);
}

/** A diff with every key present: a key missing from the actual result is `actual: null` plus
 * `missing: true` (JSON has no undefined, and dropping `actual` would hide what was compared). */
function jsonDiff(d: Diff): Diff | (Diff & { missing: true }) {
  return d.actual === undefined ? { ...d, actual: null, missing: true } : d;
}
