/**
 * The junit report (CONTRACT §14.8) is well-formed XML 1.0 with the right suites and counts;
 * checked with a strict XML parser (tests/helpers/xml.ts), as CI report readers parse it.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { explain, runCli, SMOKE_FIXTURES } from "./fixtures/smoke/harness.ts";
import { tmpDir } from "./helpers/tmp.ts";
import { kids, parseXml, type XmlNode } from "./helpers/xml.ts";
import { junitReport, xmlEscape } from "../lib/smoke/report_junit.ts";
import type { SmokeReport, Status, StepResult } from "../lib/smoke/report.ts";

Deno.test("junit: the XML checker itself rejects malformed documents", () => {
  assert.throws(() => parseXml("<a><b></a>"), /not well-formed/);
  assert.throws(() => parseXml('<a x="1" x="2"/>'), /not well-formed/);
  assert.throws(() => parseXml("<a>&</a>"), /not well-formed/);
  assert.throws(() => parseXml("<a>\u0001</a>"), /disallowed character/);
  assert.throws(() => parseXml("<a>&#1;</a>"), /character entity/);
  assert.throws(() => parseXml("<a>]]></a>"), /disallowed/);
  assert.equal(parseXml(`<a t="${xmlEscape(`<"'&>\u0001`)}"/>`).attrs.t, `<"'&>`);
});

Deno.test("junit: smoke report parses as XML with the right suites and counts", async () => {
  await using dir = await tmpDir();
  const basic = join(SMOKE_FIXTURES, "basic-app");
  const text = await Deno.readTextFile(join(basic, "fixtures/session.jsonl"));
  const changed = join(dir.path, "changed <&> session.jsonl");
  await Deno.writeTextFile(
    changed,
    text.replace('"code":"permission_denied"', '"code":"not_found"'),
  );
  const out = join(dir.path, "report.xml");
  const r = await runCli([
    "smoke",
    basic,
    "--fixtures",
    changed,
    "--fixtures",
    join(basic, "fixtures/mocks.jsonl"),
    "--format",
    "junit",
    "--out",
    out,
  ]);
  assert.equal(r.code, 1, explain(r));
  assert.equal(r.stdout, "", "--out keeps stdout empty");
  const root = parseXml(await Deno.readTextFile(out));
  assert.equal(root.name, "testsuites");
  assert.equal(root.attrs.name, "anna-app-runtime smoke");
  const suites = kids(root, "testsuite");
  assert.deepEqual(suites.map((s) => s.attrs.name), [
    "validate",
    "executas",
    "views",
    `fixture:${changed}`,
  ]);
  const count = (s: XmlNode, child: string) =>
    kids(s, "testcase").filter((c) => kids(c, child).length).length;
  let tests = 0, failures = 0, errors = 0;
  for (const s of suites) {
    assert.equal(Number(s.attrs.tests), kids(s, "testcase").length, s.attrs.name);
    assert.equal(Number(s.attrs.failures), count(s, "failure"), s.attrs.name);
    assert.equal(Number(s.attrs.errors), count(s, "error"), s.attrs.name);
    assert.equal(Number(s.attrs.skipped), count(s, "skipped"), s.attrs.name);
    tests += Number(s.attrs.tests);
    failures += Number(s.attrs.failures);
    errors += Number(s.attrs.errors);
  }
  assert.deepEqual([
    Number(root.attrs.tests),
    Number(root.attrs.failures),
    Number(root.attrs.errors),
  ], [tests, failures, errors]);
  // 1 validate + 2 executa checks + 2 views + 13 cases; one failure; two skipped events
  assert.equal(tests, 18);
  assert.equal(failures, 1);
  assert.equal(errors, 0);
  const fixture = suites[3];
  assert.equal(Number(fixture.attrs.skipped), 2);
  const failed = kids(fixture, "testcase").find((c) => kids(c, "failure").length)!;
  assert.equal(failed.attrs.name, "#8 fs.read (line 15)");
  assert.match(
    kids(failed, "failure")[0].text,
    /error\.code: expected "not_found", got "permission_denied"/,
  );
});

Deno.test("junit: runtime faults are <error> elements", async () => {
  const r = await runCli(["smoke", join(SMOKE_FIXTURES, "dies-app"), "--format", "junit"]);
  assert.equal(r.code, 3, explain(r));
  const root = parseXml(r.stdout);
  assert.equal(root.attrs.errors, "1");
  const ex = kids(root, "testsuite").find((s) => s.attrs.name === "executas")!;
  const err = kids(kids(ex, "testcase")[0], "error")[0];
  assert.equal(err.attrs.type, "runtime_fault");
  assert.match(err.attrs.message, /exited \(code 1\)/);
});

Deno.test("junit: only §14.8 suites — the no-fixtures note is no suite, a crash sits in its step's suite", () => {
  const step = (suite: string, name: string, status: Status, message?: string): StepResult => ({
    suite,
    name,
    status,
    duration_ms: 1,
    ...(message ? { message } : {}),
  });
  const report: SmokeReport = {
    tool: "anna-app-runtime",
    version: "0.0.0",
    app: { slug: "x", dir: "/x" },
    started_at: 0,
    duration_ms: 5,
    result: "error",
    exit_code: 3,
    steps: [
      step("validate", "validate", "pass"),
      step("views", "main", "pass"),
      step("views", "unexpected crash", "error", "boom"),
      step("fixtures", "fixtures", "pass", "no fixture files (dev.fixtures is empty)"),
    ],
    fixtures: [],
    executas: [],
    warnings: [],
  };
  const root = parseXml(junitReport(report));
  assert.deepEqual(kids(root, "testsuite").map((s) => s.attrs.name), ["validate", "views"]);
  const views = kids(root, "testsuite")[1];
  assert.equal(views.attrs.errors, "1");
  assert.deepEqual([root.attrs.tests, root.attrs.failures, root.attrs.errors], ["3", "0", "1"]);
  assert.match(root.attrs.time, /^\d+\.\d{3}$/);
});

Deno.test("junit: a missing app dir (exit 2) still writes a report CI can parse, stdout or --out", async () => {
  await using dir = await tmpDir();
  const missing = join(dir.path, "no-app");
  const r = await runCli(["smoke", missing, "--format", "junit"]);
  assert.equal(r.code, 2, explain(r));
  assert.match(r.stderr, /no-app is not a directory/);
  const root = parseXml(r.stdout);
  assert.deepEqual([root.attrs.tests, root.attrs.failures, root.attrs.errors], ["1", "0", "1"]);
  const [suite] = kids(root, "testsuite");
  assert.equal(suite.attrs.name, "validate");
  const [tc] = kids(suite, "testcase");
  assert.equal(tc.attrs.classname, "validate");
  const [err] = kids(tc, "error");
  assert.equal(err.attrs.type, "configuration");
  assert.equal(err.attrs.message, `${missing} is not a directory`);

  const out = join(dir.path, "smoke.xml");
  const o = await runCli(["smoke", missing, "--format", "junit", "--out", out]);
  assert.equal(o.code, 2, explain(o));
  assert.equal(parseXml(await Deno.readTextFile(out)).attrs.errors, "1");
});

/** A report whose every app-supplied string carries what XML 1.0 cannot hold, or must escape. */
function hostileReport(text: string): SmokeReport {
  return {
    tool: "anna-app-runtime",
    version: "0.0.0",
    app: { slug: text, dir: `/apps/${text}` },
    started_at: 0,
    duration_ms: 1234.6,
    result: "error",
    exit_code: 3,
    steps: [
      { suite: "validate", name: "validate", status: "pass", duration_ms: 1 },
      {
        suite: "executas",
        name: `tool-${text} start+describe`,
        status: "error",
        duration_ms: 2,
        message: `could not start; stderr:\n${text}\nlast line`,
        details: { stderr_tail: [text] },
      },
    ],
    fixtures: [{
      file: `fixtures/fïx ☃/${text}.jsonl`,
      format: "docs",
      status: "fail",
      cases: [{
        index: 1,
        line: 1,
        ns: text,
        method: text,
        status: "fail",
        duration_ms: 3,
        message: "result.value differ",
        diff: [{ path: `result.${text}`, expected: text + "x".repeat(100_000), actual: text }],
      }, {
        index: 2,
        line: 2,
        ns: "storage",
        method: "get",
        status: "skip",
        duration_ms: 0,
        message: text,
      }],
    }],
    executas: [],
    warnings: [text],
  };
}

Deno.test("junit: whatever the app puts in names, paths, messages and diffs, the report is XML 1.0", () => {
  const text = `a\u0000b\u0001c\u0008d\u000be\u000cf\u001b[31mg\u007fh\ud800i\udc00j]]>k<l>&m"n'o` +
    `\ttab\rcr\nnl\ufffe\uffff😀é`;
  const root = parseXml(junitReport(hostileReport(text)));
  const suites = kids(root, "testsuite");
  assert.deepEqual([root.attrs.tests, root.attrs.failures, root.attrs.errors], ["4", "1", "1"]);
  assert.equal(root.attrs.skipped, "1");
  assert.equal(root.attrs.time, "1.235");
  for (const tc of suites.flatMap((s) => kids(s, "testcase"))) {
    assert.ok(tc.attrs.classname, `classname on ${tc.attrs.name}`);
    assert.match(tc.attrs.time, /^\d+\.\d{3}$/);
  }
  // what XML can carry arrives unchanged: quotes, <, &, ]]>, tab, CR, LF, non-ASCII, emoji
  const err = kids(kids(suites[1], "testcase")[0], "error")[0];
  assert.equal(
    err.attrs.message,
    `could not start; stderr:\nabcdef[31mg\u007fhij]]>k<l>&m"n'o\ttab\rcr\nnl😀é\nlast line`,
  );
  assert.ok(err.text.includes("]]>k<l>&m"));
  const fixture = suites.find((s) => s.attrs.name.startsWith("fixture:"))!;
  assert.equal(
    fixture.attrs.name,
    `fixture:fixtures/fïx ☃/abcdef[31mg\u007fhij]]>k<l>&m"n'o\ttab\rcr\nnl😀é.jsonl`,
  );
  // the 100 000-character diff value is cut to a readable line, JSON-escaped as in the log
  const failure = kids(kids(fixture, "testcase")[0], "failure")[0];
  assert.match(failure.text, /: expected …i\\udc00j]]>k<l>&m\\"n'o\\ttab\\rcr\\nnl😀éxxx/);
  assert.ok(failure.text.length < 2000, `${failure.text.length} characters`);
});
