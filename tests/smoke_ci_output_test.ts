/**
 * What a CI job sees of `smoke` (CONTRACT §2.1, §14.8): the report on a pipe whose reader stops
 * early, and the log lines a failed `--out` run leaves on stderr.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { explain, MAIN_TS, REPO_ROOT, runCli, SMOKE_FIXTURES } from "./fixtures/smoke/harness.ts";
import { tmpDir } from "./helpers/tmp.ts";
import { runSmoke } from "../lib/smoke/runner.ts";
import { smokeOptions } from "./helpers/smoke_options.ts";
import { junitReport } from "../lib/smoke/report_junit.ts";
import { silentLogger } from "../lib/util/log.ts";

const BASIC = join(SMOKE_FIXTURES, "basic-app");

Deno.test("smoke: a pipe reader that stops early (`smoke … | head`) leaves the exit code to the checks, not a crash", async () => {
  await using dir = await tmpDir();
  // 3000 cases: the json report is far bigger than a pipe buffer
  const file = join(dir.path, "many.jsonl");
  const line = (i: number) =>
    JSON.stringify({
      t: i,
      dir: "out",
      ns: "storage",
      method: "set",
      args: { key: `k${i}`, value: i },
      result: { ok: true },
    });
  await Deno.writeTextFile(file, Array.from({ length: 3000 }, (_, i) => line(i)).join("\n"));
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      MAIN_TS,
      "smoke",
      BASIC,
      "--no-executas",
      "--fixtures",
      file,
      "--format",
      "json",
      "--key-file",
      join(dir.path, "dev.key"),
    ],
    cwd: REPO_ROOT,
    env: { NO_COLOR: "1" },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const errText = new Response(child.stderr).text();
  const reader = child.stdout.getReader();
  const first = await reader.read();
  assert.match(new TextDecoder().decode(first.value), /^\{/);
  await reader.cancel();
  const { code } = await child.status;
  const stderr = await errText;
  assert.doesNotMatch(stderr, /crash|BrokenPipe/);
  assert.equal(code, 0, stderr);
});

/** A copy of basic-app's recorded session with one expected value changed (n: 1 → 2). */
async function changedSession(dir: string, name: string): Promise<string> {
  const text = await Deno.readTextFile(join(BASIC, "fixtures/session.jsonl"));
  const changed = text.replace(
    '"result":{"value":{"text":"hello","n":1}}',
    '"result":{"value":{"text":"hello","n":2}}',
  );
  assert.notEqual(changed, text);
  const file = join(dir, name);
  await Deno.writeTextFile(file, changed);
  return file;
}

/** `smoke BASIC` replaying `file`, with the example's mock table loaded. */
const replayWithMocks = (file: string) => [
  "smoke",
  BASIC,
  "--fixtures",
  file,
  "--fixtures",
  join(BASIC, "fixtures/mocks.jsonl"),
];

Deno.test("smoke --out: the log of a failed run shows expected vs actual and how to update the fixture", async () => {
  await using dir = await tmpDir();
  const file = await changedSession(dir.path, "my session.jsonl");
  const xml = join(dir.path, "smoke.xml");
  const r = await runCli([...replayWithMocks(file), "--format", "junit", "--out", xml], {
    env: { ANNA_APP_LOG_LEVEL: "warn" },
  });
  assert.equal(r.code, 1, explain(r));
  assert.equal(r.stdout, "");
  const lines = r.stderr.split("\n");
  const at = lines.findIndex((l) => /WARN smoke: FAIL {2}.*#4 storage\.get \(line 7\)/.test(l));
  assert.ok(at >= 0, r.stderr);
  // the diff follows its case, so the CI log says what changed without the artifact
  assert.match(lines[at + 1], /WARN smoke: {5}result\.value\.n: expected 2, got 1$/);
  assert.match(
    r.stderr,
    /WARN smoke: hint: .*my session\.jsonl: if the new behaviour is intended, re-record it \(in the app directory: anna-app-runtime dev \. --record '.*my session\.jsonl'\)/,
  );
  assert.match(lines.filter((l) => l).at(-1)!, /WARN smoke: smoke FAIL: .*report: .*smoke\.xml$/);
});

Deno.test("smoke pretty report: a failed fixture case ends with how to update the fixture; a runtime fault does not", async () => {
  await using dir = await tmpDir();
  const file = await changedSession(dir.path, "changed.jsonl");
  const r = await runCli(replayWithMocks(file));
  assert.equal(r.code, 1, explain(r));
  const out = r.stdout.trimEnd().split("\n");
  assert.match(out.at(-2)!, /^hint: .*changed\.jsonl: if the new behaviour is intended, re-record/);
  assert.match(out.at(-1)!, /^smoke FAIL: /);

  // a hand-written docs file is edited, not re-recorded
  const docs = join(dir.path, "docs.jsonl");
  const expect = { t: 1, dir: "out", ns: "storage", method: "get", args: { key: "k" } };
  await Deno.writeTextFile(docs, JSON.stringify({ ...expect, result: { value: 5 } }) + "\n");
  const d = await runCli(["smoke", BASIC, "--no-executas", "--fixtures", docs]);
  assert.equal(d.code, 1, explain(d));
  assert.match(
    d.stdout,
    /^hint: .*docs\.jsonl: if the new behaviour is intended, edit the expected/m,
  );

  // a dying executa is a fault: re-recording would not fix it
  const dies = join(dir.path, "dies.jsonl");
  const call = { ...expect, ns: "tools", method: "invoke" };
  await Deno.writeTextFile(
    dies,
    JSON.stringify({ ...call, args: { tool_id: "tool-smoke-echo", method: "exit" } }) + "\n",
  );
  const f = await runCli(["smoke", BASIC, "--fixtures", dies, "--out", join(dir.path, "r.txt")], {
    env: { ANNA_APP_LOG_LEVEL: "warn" },
  });
  assert.equal(f.code, 3, explain(f));
  // the executa's last stderr line reaches the CI log, not only the report file
  assert.match(f.stderr, /WARN smoke: {5}echo: database file missing, giving up/);
  assert.doesNotMatch(f.stderr, /hint:/);
});

Deno.test("smoke: a TMPDIR that does not exist (a bare container) is a configuration error naming the fix, and the report is still written", async () => {
  await using dir = await tmpDir();
  const out = join(dir.path, "report.json");
  const r = await runCli(
    ["smoke", BASIC, "--no-fixtures", "--format", "json", "--out", out],
    { env: { TMPDIR: join(dir.path, "no-such-tmp") } },
  );
  assert.equal(r.code, 2, explain(r));
  const fatal = JSON.parse(r.stderr.trim().split("\n").at(-1)!).error;
  assert.equal(fatal.code, "config");
  assert.match(
    fatal.message,
    /cannot create the executas' temporary HOME \(TMPDIR=.*no-such-tmp\): .*set TMPDIR to a writable directory, or pass --keep-home/,
  );
  const report = JSON.parse(await Deno.readTextFile(out));
  assert.equal(report.exit_code, 2);
  assert.equal(report.steps.at(-1).name, "validate: configuration");
});

Deno.test("smoke: an unexpected crash while setting up still returns a report (exit 3) for the --out file", async () => {
  await using dir = await tmpDir();
  const logger = silentLogger();
  const child = logger.child.bind(logger);
  logger.child = (c: string) => {
    if (c === "token") throw new Error("boom in setup");
    return child(c);
  };
  const { report, fatal } = await runSmoke(
    smokeOptions(BASIC, dir.path, { callTimeoutMs: 1000, logger }),
  );
  assert.equal(report.exit_code, 3);
  assert.equal(report.result, "error");
  assert.equal(fatal?.code, "internal_error");
  const crash = report.steps.at(-1)!;
  assert.equal(crash.status, "error");
  assert.match(crash.message!, /^unexpected crash: Error: boom in setup/);
  // the junit report (what CI uploads) shows it as an <error>
  assert.match(junitReport(report), /<error message="unexpected crash: Error: boom in setup/);
});
