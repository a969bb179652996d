/**
 * The junit smoke report (CONTRACT §14.8): `<testsuites name="anna-app-runtime smoke">` with the
 * suites `validate`, `executas`, `views`, `fixture:<path>`, `browser`; one `<testcase>` per check;
 * assertion failures as `<failure message>` with the diff, runtime faults as `<error>`, skips as
 * `<skipped/>`.
 */
import { type SmokeReport, splitSteps, type Status, type StepResult } from "./report.ts";
import { caseTitle, diffLines } from "./report_pretty.ts";

/** XML text/attribute escaping; characters XML 1.0 cannot carry are dropped. */
export function xmlEscape(s: string): string {
  return s
    // deno-lint-ignore no-control-regex
    .replace(/[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/g, "")
    .replace(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g, "")
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;")
    .replace(/'/g, "&apos;")
    // a reader turns a raw CR into LF (XML 1.0 §2.11); the reference keeps it
    .replace(/\r/g, "&#13;");
}

/**
 * An attribute value: a reader turns raw newlines and tabs in one into spaces (XML 1.0 §3.3.3),
 * which ran a multi-line message (an executa's stderr excerpt) into one line in the report views.
 */
export function xmlAttr(s: string): string {
  return xmlEscape(s).replace(/\n/g, "&#10;").replace(/\t/g, "&#9;");
}

interface Case {
  name: string;
  status: Status;
  ms: number;
  message?: string;
  body?: string;
  /** the `type` of an `<error>`: what kind of fault stopped this check */
  errorType?: string;
}

const secs = (ms: number) => (ms / 1000).toFixed(3);

function caseXml(suite: string, c: Case): string {
  const open = `    <testcase name="${xmlAttr(c.name)}" classname="${xmlAttr(suite)}" time="${
    secs(c.ms)
  }"`;
  const msg = xmlAttr(c.message ?? c.status);
  const body = xmlEscape(c.body ?? c.message ?? "");
  switch (c.status) {
    case "pass":
      return `${open}/>`;
    case "skip":
      return `${open}>\n      <skipped message="${msg}"/>\n    </testcase>`;
    case "fail":
      return `${open}>\n      <failure message="${msg}" type="assertion">${body}</failure>\n    </testcase>`;
    case "error":
      return `${open}>\n      <error message="${msg}" type="${
        c.errorType ?? "runtime_fault"
      }">${body}</error>\n    </testcase>`;
  }
}

/** A run stopped before it ran (exit 2: bad fixture, key or mock file…) or by a signal is no fault. */
function errorTypeOf(r: SmokeReport, s: StepResult): string | undefined {
  if (s.status !== "error") return undefined;
  if (r.exit_code === 2) return "configuration";
  if (s.name === "interrupted" && (r.exit_code === 130 || r.exit_code === 143)) {
    return "interrupted";
  }
  return undefined;
}

export function junitReport(r: SmokeReport): string {
  const suites = new Map<string, Case[]>();
  const add = (suite: string, c: Case) => {
    if (!suites.has(suite)) suites.set(suite, []);
    suites.get(suite)!.push(c);
  };
  const [before, after] = splitSteps(r.steps);
  // the "no fixture files" note is not a check: no suite of its own (§14.8 names the suites)
  const ordered = [...before, null, ...after.filter((s) => s.suite !== "fixtures")];
  for (const s of ordered) {
    if (s === null) {
      for (const f of r.fixtures) {
        const suite = `fixture:${f.file}`;
        if (f.cases.length === 0) {
          add(suite, { name: f.file, status: f.status, ms: 0, message: f.message });
        }
        for (const c of f.cases) {
          const lines = c.diff ? diffLines(c.diff) : [];
          add(suite, {
            name: caseTitle(c),
            status: c.status,
            ms: c.duration_ms,
            message: c.message,
            body: [c.message ?? "", ...lines].filter(Boolean).join("\n"),
          });
        }
      }
      continue;
    }
    const details = s.details !== undefined && s.status !== "pass"
      ? `\n${JSON.stringify(s.details, null, 2)}`
      : "";
    add(s.suite, {
      name: s.name,
      status: s.status,
      ms: s.duration_ms,
      message: s.message,
      body: (s.message ?? "") + details,
      errorType: errorTypeOf(r, s),
    });
  }
  let tests = 0, failures = 0, errors = 0, skipped = 0;
  const parts: string[] = [];
  for (const [name, cases] of suites) {
    const f = cases.filter((c) => c.status === "fail").length;
    const e = cases.filter((c) => c.status === "error").length;
    const s = cases.filter((c) => c.status === "skip").length;
    const t = cases.reduce((a, c) => a + c.ms, 0);
    tests += cases.length;
    failures += f;
    errors += e;
    skipped += s;
    const out = name === "validate" && r.warnings.length
      ? `\n    <system-out>${
        xmlEscape(r.warnings.map((w) => `warning: ${w}`).join("\n"))
      }</system-out>`
      : "";
    parts.push(
      `  <testsuite name="${
        xmlAttr(name)
      }" tests="${cases.length}" failures="${f}" errors="${e}" ` +
        `skipped="${s}" time="${secs(t)}">\n${
          cases.map((c) => caseXml(name, c)).join("\n")
        }${out}\n  </testsuite>`,
    );
  }
  return [
    `<?xml version="1.0" encoding="UTF-8"?>`,
    `<testsuites name="anna-app-runtime smoke" tests="${tests}" failures="${failures}" errors="${errors}" ` +
    `skipped="${skipped}" time="${secs(r.duration_ms)}">`,
    ...parts,
    `</testsuites>`,
  ].join("\n");
}
