/**
 * `smoke` executa checks (CONTRACT §14.1 step 3) and the exact report shapes (§14.8) through the
 * real main.ts: describe errors fail, an empty tools array and `initializing` only warn, -32601
 * skips, `unhealthy`/`error` fail, an executa dying on health is a runtime fault (exit 3); pretty
 * lines are `STATUS  name  (N ms)`, json has the §14.8 field names with `started_at` in epoch ms,
 * junit has only the §14.8 suites.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { explain, runCli, SMOKE_FIXTURES, smokeJson } from "./fixtures/smoke/harness.ts";
import { writeAppDir } from "./helpers/app_dir.ts";
import { tmpDir } from "./helpers/tmp.ts";

const PLUGIN = join(SMOKE_FIXTURES, "mini_plugin.mjs");
const BASIC = join(SMOKE_FIXTURES, "basic-app");

/** A one-view app with no executas of its own; the mini executa comes in through --executa. */
async function miniApp(dir: string): Promise<string> {
  return await writeAppDir(
    join(dir, "mini-app"),
    {
      schema: 2,
      ui: {
        bundle: { format: "static-spa", entry: "index.html" },
        views: [{ name: "main", title: "Mini" }],
        host_api: { storage: ["get", "set"] },
      },
    },
    "<!doctype html><title>mini</title>",
  );
}

const executa = (mode: string) =>
  `dir=${SMOKE_FIXTURES},tool_id=tool-mini,type=node,command=${
    JSON.stringify(["node", PLUGIN, mode])
  }`;

Deno.test("smoke: an initialize slower than 5 s passes with a warning (a host has settled on v1)", async () => {
  await using dir = await tmpDir();
  const app = await miniApp(dir.path);
  const r = await smokeJson([app, "--no-fixtures", "--executa", executa("init-slow")]);
  assert.equal(r.code, 0, explain(r));
  assert.ok(
    r.report!.warnings.includes(
      "executa tool-mini: no initialize reply within 5 s, so the host uses protocol v1; answer " +
        "initialize at once and do slow set-up afterwards",
    ),
    JSON.stringify(r.report!.warnings),
  );
  const fine = await smokeJson([app, "--no-fixtures", "--executa", executa("fine")]);
  assert.deepEqual(fine.report!.warnings.filter((w) => /initialize/.test(w)), []);
});

Deno.test("smoke: replies written as non-JSON on stdout are named in the timeout messages, not blamed on a slow start", async () => {
  await using dir = await tmpDir();
  const app = await miniApp(dir.path);
  const r = await smokeJson([app, "--no-fixtures", "--executa", executa("stdout-repr")]);
  assert.equal(r.code, 3, explain(r)); // health timed out: a runtime fault (§14.1 step 3)
  const quoted = `"{'jsonrpc':'2.0','id':1,'result':{'protocolVersion':'2.0'}}"`;
  const late = r.report!.warnings.find((w) => /no initialize reply within 5 s/.test(w)) ?? "";
  assert.match(late, /its stdout had 1 line that is not JSON-RPC and ignored \(first: /);
  assert.ok(late.includes(quoted), late);
  assert.match(late, /one JSON object per line/);
  assert.doesNotMatch(late, /slow set-up/, "the reply came at once; it was not JSON");
  const health = r.report!.steps.find((s) => s.name === "executas: tool-mini health")!;
  assert.equal(health.status, "error");
  assert.match(health.message!, /^no health reply within 3 s; its stdout had 2 lines that are not/);
  assert.ok(health.message!.includes(quoted), health.message);
});

Deno.test("smoke executa checks: describe and health answers classified as §14.1 step 3", async () => {
  await using dir = await tmpDir();
  const app = await miniApp(dir.path);
  const cases: [string, number, string, string, RegExp | null][] = [
    // mode, exit, start+describe status, health status, warning
    ["fine", 0, "pass", "pass", null],
    ["describe-empty", 0, "pass", "pass", /describe returned an empty tools array/],
    ["describe-error", 1, "fail", "pass", null],
    ["health-noimpl", 0, "pass", "skip", null],
    ["health-initializing", 0, "pass", "pass", /health reports 'initializing'/],
    ["health-unhealthy", 1, "pass", "fail", null],
    ["health-error", 1, "pass", "fail", null],
    ["health-die", 3, "pass", "error", null],
  ];
  for (const [mode, code, describe, health, warning] of cases) {
    const r = await smokeJson([app, "--no-fixtures", "--executa", executa(mode)]);
    assert.equal(r.code, code, `${mode}: ${explain(r)}`);
    const steps = r.report!.steps;
    const d = steps.find((s) => s.name === "executas: tool-mini start+describe")!;
    const h = steps.find((s) => s.name === "executas: tool-mini health")!;
    assert.deepEqual([d.status, h.status], [describe, health], mode);
    if (warning) assert.ok(r.report!.warnings.some((w) => warning.test(w)), mode);
    else assert.deepEqual(r.report!.warnings, [], mode);
    if (mode === "describe-error") assert.match(d.message!, /describe exploded/);
  }
});

const STATUS_LINE = /^(?: {2})?(PASS|FAIL|SKIP|ERROR) {2}\S(?:.*\S)? {2}\(\d+ ms\)$/;

Deno.test("smoke pretty report: `STATUS  name  (N ms)` lines with exactly two spaces, then a summary", async () => {
  const r = await runCli(["smoke", BASIC]);
  assert.equal(r.code, 0, explain(r));
  const lines = r.stdout.trimEnd().split("\n");
  const status = lines.filter((l) => /^\s*(PASS|FAIL|SKIP|ERROR)\b/.test(l));
  assert.ok(status.length >= 20, r.stdout);
  for (const l of status) assert.match(l, STATUS_LINE);
  assert.match(lines.at(-1)!, /^smoke PASS: basic-app — /);
});

Deno.test("smoke json report: §14.8 field names, started_at in epoch ms, one document", async () => {
  const before = Date.now();
  const r = await runCli(["smoke", BASIC, "--check-events", "--format", "json"]);
  assert.equal(r.code, 0, explain(r));
  const doc = JSON.parse(r.stdout);
  assert.deepEqual(Object.keys(doc), [
    "tool",
    "version",
    "app",
    "started_at",
    "duration_ms",
    "result",
    "exit_code",
    "steps",
    "fixtures",
    "executas",
    "warnings",
  ]);
  assert.equal(doc.tool, "anna-app-runtime");
  assert.deepEqual(Object.keys(doc.app), ["slug", "dir"]);
  assert.ok(Number.isInteger(doc.started_at), `started_at is epoch ms: ${doc.started_at}`);
  assert.ok(doc.started_at >= before && doc.started_at <= Date.now());
  assert.equal(typeof doc.duration_ms, "number");
  const only = (o: Record<string, unknown>, allowed: string[], required: string[]) => {
    for (const k of Object.keys(o)) assert.ok(allowed.includes(k), `unexpected key ${k}`);
    for (const k of required) assert.ok(Object.hasOwn(o, k), `missing key ${k}`);
  };
  const stepKeys = ["name", "status", "duration_ms"];
  for (const s of doc.steps) only(s, [...stepKeys, "message", "details"], stepKeys);
  const fixtureKeys = ["file", "format", "status", "cases"];
  const caseKeys = ["index", "line", "ns", "method", "status", "duration_ms"];
  for (const f of doc.fixtures) {
    only(f, [...fixtureKeys, "message"], fixtureKeys);
    for (const c of f.cases) {
      only(c, [...caseKeys, "diff", "expected", "actual", "message"], caseKeys);
    }
  }
  for (const e of doc.executas) {
    assert.deepEqual(Object.keys(e), ["tool_id", "protocol", "status", "tools"]);
  }
});

Deno.test("smoke junit report: only the §14.8 suites, even with no fixtures to replay", async () => {
  await using dir = await tmpDir();
  const app = await miniApp(dir.path);
  for (const extra of [["--no-fixtures"], []]) {
    const r = await runCli([
      "smoke",
      app,
      "--executa",
      executa("health-noimpl"),
      "--format",
      "junit",
      ...extra,
    ]);
    assert.equal(r.code, 0, explain(r));
    const suites = [...r.stdout.matchAll(/<testsuite name="([^"]*)"/g)].map((m) => m[1]);
    assert.deepEqual(suites, ["validate", "executas", "views"], extra.join(" "));
    const top = /<testsuites ([^>]*)>/.exec(r.stdout)![1];
    for (const a of ['name="anna-app-runtime smoke"', "tests=", "failures=", "errors=", "time="]) {
      assert.ok(top.includes(a), `${a} in <testsuites ${top}>`);
    }
    assert.match(r.stdout, /<testcase name="tool-mini health"[^>]*>\s*<skipped /);
  }
});
