/**
 * The junit report (CONTRACT §14.8) is well-formed XML with the right suites and counts; checked
 * with a small strict XML parser (elements, attributes, text, entities, declaration).
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { explain, runCli, SMOKE_FIXTURES } from "./fixtures/smoke/harness.ts";
import { tmpDir } from "./helpers/tmp.ts";
import { junitReport, xmlEscape } from "../lib/smoke/report_junit.ts";
import type { SmokeReport, Status, StepResult } from "../lib/smoke/report.ts";

interface XmlNode {
  name: string;
  attrs: Record<string, string>;
  children: XmlNode[];
  text: string;
}

/** Parses a well-formed XML document or throws naming the offset. */
function parseXml(src: string): XmlNode {
  let i = 0;
  const fail = (why: string): never => {
    throw new Error(
      `XML not well-formed at ${i}: ${why} near ${JSON.stringify(src.slice(i, i + 40))}`,
    );
  };
  const entity = (s: string) =>
    s.replace(/&(#x[0-9a-fA-F]+|#\d+|[a-z]+);|&/g, (m, e: string | undefined) => {
      if (!e) fail("bare &");
      const named: Record<string, string> = { amp: "&", lt: "<", gt: ">", quot: '"', apos: "'" };
      if (e!.startsWith("#x")) return String.fromCodePoint(parseInt(e!.slice(2), 16));
      if (e!.startsWith("#")) return String.fromCodePoint(parseInt(e!.slice(1), 10));
      return named[e!] ?? fail(`unknown entity ${m}`);
    });
  const ws = () => {
    while (/\s/.test(src[i] ?? "")) i++;
  };
  const name = () => {
    const m = /^[A-Za-z_][\w.-]*/.exec(src.slice(i));
    if (!m) fail("expected a name");
    i += m![0].length;
    return m![0];
  };
  const element = (): XmlNode => {
    if (src[i] !== "<") fail("expected <");
    i++;
    const node: XmlNode = { name: name(), attrs: {}, children: [], text: "" };
    for (;;) {
      ws();
      if (src.startsWith("/>", i)) {
        i += 2;
        return node;
      }
      if (src[i] === ">") {
        i++;
        break;
      }
      const k = name();
      ws();
      if (src[i] !== "=") fail("expected =");
      i++;
      ws();
      const q = src[i];
      if (q !== '"' && q !== "'") fail("expected a quote");
      const end = src.indexOf(q, i + 1);
      if (end < 0) fail("unterminated attribute");
      const raw = src.slice(i + 1, end);
      if (raw.includes("<")) fail("< in attribute");
      if (Object.hasOwn(node.attrs, k)) fail(`duplicate attribute ${k}`);
      node.attrs[k] = entity(raw);
      i = end + 1;
    }
    for (;;) {
      const lt = src.indexOf("<", i);
      if (lt < 0) fail(`unclosed <${node.name}>`);
      node.text += entity(src.slice(i, lt));
      i = lt;
      if (src.startsWith("</", i)) {
        i += 2;
        if (name() !== node.name) fail(`mismatched </…> for <${node.name}>`);
        ws();
        if (src[i] !== ">") fail("expected >");
        i++;
        return node;
      }
      node.children.push(element());
    }
  };
  if (src.startsWith("<?xml")) {
    const end = src.indexOf("?>");
    if (end < 0) fail("unterminated declaration");
    i = end + 2;
  }
  ws();
  const root = element();
  ws();
  if (i !== src.length) fail("content after the root element");
  return root;
}

const kids = (n: XmlNode, name: string) => n.children.filter((c) => c.name === name);

Deno.test("junit: the XML checker itself rejects malformed documents", () => {
  assert.throws(() => parseXml("<a><b></a>"), /mismatched/);
  assert.throws(() => parseXml('<a x="1" x="2"/>'), /duplicate attribute/);
  assert.throws(() => parseXml("<a>&</a>"), /bare &/);
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
