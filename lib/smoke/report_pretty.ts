/** The pretty smoke report (CONTRACT §14.8): `STATUS  name  (ms)` lines, indented diffs, summary. */
import type { Diff } from "./compare.ts";
import { headChars } from "../util/text.ts";
import {
  type CaseResult,
  type SmokeReport,
  splitSteps,
  type Status,
  type StepResult,
} from "./report.ts";

/** §14.8: `PASS|FAIL|SKIP|ERROR  <name>  (<ms> ms)`, exactly two spaces after the status. */
const LABEL: Record<Status, string> = {
  pass: "PASS",
  fail: "FAIL",
  skip: "SKIP",
  error: "ERROR",
};

export function stepTitle(s: StepResult): string {
  return s.suite === s.name ? s.name : `${s.suite}: ${s.name}`;
}

export function caseTitle(c: CaseResult): string {
  return `#${c.index} ${c.ns}.${c.method} (line ${c.line})`;
}

/** Most characters of one value in a diff line. */
const SHOWN = 200;
/** Characters kept before the first difference when a long value is cut there. */
const LEAD = 40;

const text = (v: unknown) => (v === undefined ? "(missing)" : JSON.stringify(v));

/** `s` from `from` (with a leading "…" when cut), at most SHOWN characters. */
function cut(s: string, from: number): string {
  const head = from > 0 ? "…" + s.slice(from) : s;
  return head.length > SHOWN ? headChars(head, SHOWN - 1) + "…" : head;
}

/** " (N items)" for the arrays of a length mismatch, which a cut value no longer shows. */
const items = (v: unknown, other: unknown) =>
  Array.isArray(v) && Array.isArray(other) && v.length !== other.length
    ? ` (${v.length} item${v.length === 1 ? "" : "s"})`
    : "";

/**
 * Both values of a diff, cut to fit a log line. Values that share a long beginning are shown
 * from just before where they first differ (as jest's snapshot diffs do): cut at the same
 * length, two long texts that differ further on would read as equal.
 */
export function shownPair(expected: unknown, actual: unknown): [string, string] {
  const e = text(expected);
  const a = text(actual);
  let same = 0;
  while (same < e.length && same < a.length && e[same] === a[same]) same++;
  let from = e.length > SHOWN || a.length > SHOWN ? Math.max(0, same - LEAD) : 0;
  if (from > 0 && /[\uDC00-\uDFFF]/.test(e[from] ?? "")) from--; // not inside a surrogate pair
  return [cut(e, from) + items(expected, actual), cut(a, from) + items(actual, expected)];
}

export function diffLines(diff: Diff[]): string[] {
  return diff.map((d) => {
    const [e, a] = shownPair(d.expected, d.actual);
    return `${d.path}: expected ${e}, got ${a}`;
  });
}

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? "" : "s"}`;
const ms = (n: number) => `(${Math.round(n)} ms)`;

export function prettyReport(r: SmokeReport): string {
  const out: string[] = [];
  const line = (indent: string, status: Status, name: string, t: number, message?: string) => {
    out.push(`${indent}${LABEL[status]}  ${name}  ${ms(t)}`);
    if (message) out.push(`${indent}       ${message.split("\n").join(`\n${indent}       `)}`);
  };
  const [before, after] = splitSteps(r.steps);
  for (const s of before) line("", s.status, stepTitle(s), s.duration_ms, s.message);
  for (const f of r.fixtures) {
    const t = f.cases.reduce((a, c) => a + c.duration_ms, 0);
    line("", f.status, `fixture ${f.file} [${f.format}]`, t, f.message);
    for (const c of f.cases) {
      line(
        "  ",
        c.status,
        caseTitle(c),
        c.duration_ms,
        c.status === "pass" ? undefined : c.message,
      );
      if (c.diff) { for (const d of diffLines(c.diff)) out.push(`         ${d}`); }
    }
  }
  for (const s of after) line("", s.status, stepTitle(s), s.duration_ms, s.message);
  for (const w of r.warnings) out.push(`warning: ${w}`);
  for (const h of fixtureHints(r)) out.push(`hint: ${h}`);

  out.push(summaryLine(r));
  return out.join("\n");
}

/** The closing line: `smoke PASS|FAIL|ERROR: <app> — N checks: …, in N ms (exit N)`. */
export function summaryLine(r: SmokeReport): string {
  const counts: Record<Status, number> = { pass: 0, fail: 0, skip: 0, error: 0 };
  for (const s of r.steps) counts[s.status]++;
  for (const f of r.fixtures) for (const c of f.cases) counts[c.status]++;
  const total = counts.pass + counts.fail + counts.skip + counts.error;
  return `smoke ${r.result.toUpperCase()}: ${r.app.slug ?? r.app.dir} — ${
    plural(total, "check")
  }: ` +
    `${counts.pass} passed, ${counts.fail} failed, ${plural(counts.error, "error")}, ` +
    `${counts.skip} skipped, ${plural(r.warnings.length, "warning")} ` +
    `in ${Math.round(r.duration_ms)} ms (exit ${r.exit_code})`;
}

/** Most lines of one problem a log shows (an executa's stderr excerpt stays whole). */
const MAX_LINES = 12;
const MAX_DIFFS = 8;

/**
 * Every failed or errored step and case for the log of an `--out` run, which is all a CI reader
 * sees without the artifact: `FAIL  title: message`, then the rest of the message and the diffs
 * (expected vs actual), indented.
 */
export function problemLines(r: SmokeReport): string[] {
  const out: string[] = [];
  const bad = (s: Status) => s === "fail" || s === "error";
  const add = (status: Status, title: string, message?: string, diff?: Diff[]) => {
    const [first, ...rest] = (message ?? "").split("\n");
    out.push(`${LABEL[status]}  ${title}${first ? `: ${first}` : ""}`);
    const more = [...rest, ...diffLines((diff ?? []).slice(0, MAX_DIFFS))];
    if (diff && diff.length > MAX_DIFFS) {
      more.push(`… ${diff.length - MAX_DIFFS} more differences in the report`);
    }
    for (const l of more.slice(0, MAX_LINES)) out.push(`    ${l}`);
    if (more.length > MAX_LINES) {
      out.push(`    … ${more.length - MAX_LINES} more lines in the report`);
    }
  };
  for (const s of r.steps) if (bad(s.status)) add(s.status, stepTitle(s), s.message);
  for (const f of r.fixtures) {
    for (const c of f.cases) {
      if (bad(c.status)) add(c.status, `${f.file} ${caseTitle(c)}`, c.message, c.diff);
    }
  }
  return out;
}

/**
 * How to update a fixture whose expectations no longer hold, one line per file with a failed case
 * (as jest and `deno test` name their snapshot update flag). Runtime faults get none: re-recording
 * does not fix a crash.
 */
export function fixtureHints(r: SmokeReport): string[] {
  const skip =
    "--ignore-key KEY skips a key (by name, at any depth) whose value differs on every run";
  // quoted when a shell would split it, so the command can be pasted as it is
  const arg = (p: string) => (/[^\w./:@%+=,-]/.test(p) ? `'${p.replaceAll("'", `'\\''`)}'` : p);
  return r.fixtures.filter((f) => f.cases.some((c) => c.status === "fail")).map((f) =>
    f.format === "recorded"
      ? `${f.file}: if the new behaviour is intended, re-record it (in the app directory: ` +
        `anna-app-runtime dev . --record ${arg(f.file)}) or edit the res lines of the failed ` +
        `requests; ${skip}`
      : `${f.file}: if the new behaviour is intended, edit the expected result or error on its ` +
        `failed lines; ${skip}`
  );
}
