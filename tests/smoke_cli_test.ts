/**
 * `smoke` end to end through the real main.ts (CONTRACT §14): a green run with recorded, docs and
 * mock-table fixtures, a changed expectation (exit 1 with a diff naming the path), a broken
 * manifest and a bad fixture file (exit 2), an executa that dies at start (exit 3), no Chromium
 * (exit 2), and the executas' temporary HOME (§9.4).
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { explain, runCli, SMOKE_FIXTURES, smokeJson } from "./fixtures/smoke/harness.ts";
import { writeAppDir } from "./helpers/app_dir.ts";
import { tmpDir } from "./helpers/tmp.ts";

const BASIC = join(SMOKE_FIXTURES, "basic-app");

Deno.test("smoke: basic app passes with recorded, docs and mock-table fixtures (exit 0)", async () => {
  const r = await smokeJson([BASIC, "--check-events"]);
  assert.equal(r.code, 0, explain(r));
  const rep = r.report!;
  assert.equal(rep.result, "pass");
  assert.equal(rep.exit_code, 0);
  assert.equal(rep.app.slug, "basic-app");
  assert.deepEqual(rep.steps.map((s) => s.name), [
    "validate",
    "executas: tool-smoke-echo start+describe",
    "executas: tool-smoke-echo health",
    "views: main",
    "views: side",
  ]);
  assert.deepEqual(rep.executas, [{
    tool_id: "tool-smoke-echo",
    protocol: "v2",
    status: "pass",
    tools: ["echo", "summarize", "env", "fail", "hang", "exit"],
  }]);
  // mocks.jsonl is a mock table: loaded, not replayed
  assert.deepEqual(rep.fixtures.map((f) => [f.file, f.format, f.status]), [
    ["fixtures/docs.jsonl", "docs", "pass"],
    ["fixtures/session.jsonl", "recorded", "pass"],
  ]);
  const session = rep.fixtures[1].cases;
  assert.equal(session.length, 13);
  assert.ok(session.every((c) => c.status === "pass"), JSON.stringify(session));
  // the events were really checked, and the aliased tool calls really ran
  assert.deepEqual(session.filter((c) => c.ns === "event").map((c) => c.method), [
    "runtime_state_synced",
    "title_changed",
  ]);
  assert.equal(session.filter((c) => c.ns === "tools").length, 3);
});

Deno.test("smoke: without --check-events expected events are skipped, and pretty output lists every case", async () => {
  const r = await runCli(["smoke", BASIC]);
  assert.equal(r.code, 0, explain(r));
  assert.match(r.stdout, /^PASS\s+validate\s+\(\d+ ms\)$/m);
  assert.match(r.stdout, /^\s+SKIP\s+#3 event\.runtime_state_synced \(line 6\)/m);
  assert.match(r.stdout, /^\s+PASS\s+#5 tools\.invoke \(line 9\)/m);
  assert.match(r.stdout, /smoke PASS: basic-app .* \(exit 0\)$/m);
});

Deno.test("smoke: a changed expected value fails with exit 1 and a diff naming the path", async () => {
  await using dir = await tmpDir();
  const text = await Deno.readTextFile(join(BASIC, "fixtures/session.jsonl"));
  const changed = text.replace(
    '"result":{"value":{"text":"hello","n":1}}',
    '"result":{"value":{"text":"hello","n":2}}',
  );
  assert.notEqual(changed, text);
  const file = join(dir.path, "changed.jsonl");
  await Deno.writeTextFile(file, changed);
  const mocks = join(BASIC, "fixtures/mocks.jsonl");

  const r = await smokeJson([BASIC, "--fixtures", file, "--fixtures", mocks]);
  assert.equal(r.code, 1, explain(r));
  const rep = r.report!;
  assert.equal(rep.result, "fail");
  const failed = rep.fixtures[0].cases.filter((c) => c.status === "fail");
  assert.equal(failed.length, 1, JSON.stringify(rep.fixtures[0].cases));
  assert.equal(failed[0].ns + "." + failed[0].method, "storage.get");
  assert.equal(failed[0].line, 7);
  assert.deepEqual(failed[0].diff, [{ path: "result.value.n", expected: 2, actual: 1 }]);

  const pretty = await runCli(["smoke", BASIC, "--fixtures", file, "--fixtures", mocks]);
  assert.equal(pretty.code, 1, explain(pretty));
  assert.match(pretty.stdout, /FAIL\s+#4 storage\.get \(line 7\)/);
  assert.match(pretty.stdout, /result\.value\.n: expected 2, got 1/);
});

Deno.test("smoke --format json: a key missing from the actual result keeps actual (null) and says missing", async () => {
  await using dir = await tmpDir();
  const file = join(dir.path, "missing.jsonl");
  const lines = [
    { t: 1, dir: "out", ns: "storage", method: "set", args: { key: "k", value: { a: 1 } } },
    {
      t: 2,
      dir: "out",
      ns: "storage",
      method: "get",
      args: { key: "k" },
      result: { value: { b: null } },
    },
  ];
  await Deno.writeTextFile(file, lines.map((l) => JSON.stringify(l)).join("\n") + "\n");
  const r = await smokeJson([BASIC, "--fixtures", file]);
  assert.equal(r.code, 1, explain(r));
  assert.deepEqual(r.report!.fixtures[0].cases[1].diff, [
    { path: "result.value.b", expected: null, actual: null, missing: true },
  ]);
  const pretty = await runCli(["smoke", BASIC, "--fixtures", file]);
  assert.match(pretty.stdout, /result\.value\.b: expected null, got \(missing\)/);
});

Deno.test("smoke: a tools.list recorded before the executa started says why its describe fields differ", async () => {
  await using dir = await tmpDir();
  const file = join(dir.path, "early-list.jsonl");
  const tool = {
    tool_id: "tool-smoke-echo",
    status: "available",
    plugin_name: null,
    display_name: null,
    description: null,
    methods: null,
  };
  const lines = [
    { t: 0, kind: "meta", view: "main" },
    { t: 1, kind: "req", id: 1, ns: "tools", method: "list", args: {} },
    { t: 2, kind: "res", id: 1, ok: true, result: { tools: [tool] } },
  ];
  await Deno.writeTextFile(file, lines.map((l) => JSON.stringify(l)).join("\n") + "\n");
  const r = await smokeJson([BASIC, "--fixtures", file]);
  assert.equal(r.code, 1, explain(r));
  const c = r.report!.fixtures[0].cases[0];
  assert.equal(c.status, "fail");
  assert.match(
    c.message!,
    /recorded before the executa had started .* re-record after a tools\.invoke/,
  );
});

Deno.test("smoke --check-events: an expected event must come between its request and the next one", async () => {
  await using dir = await tmpDir();
  const file = join(dir.path, "events.jsonl");
  const out = (t: number, title: string) =>
    JSON.stringify({ t, dir: "out", ns: "window", method: "set_title", args: { title } });
  const expect = (t: number, title: string) =>
    JSON.stringify({ t, dir: "in", name: "title_changed", payload: { title } });
  // "B" is expected after the first call, which sets "A"; only the next call emits "B"
  await Deno.writeTextFile(
    file,
    [out(1, "A"), expect(2, "B"), out(3, "B"), expect(4, "B")].join("\n") + "\n",
  );
  const r = await smokeJson([BASIC, "--fixtures", file, "--check-events"]);
  assert.equal(r.code, 1, explain(r));
  const cases = r.report!.fixtures[0].cases;
  assert.deepEqual(cases.map((c) => [c.line, c.ns, c.status]), [
    [1, "window", "pass"],
    [2, "event", "fail"],
    [3, "window", "pass"],
    [4, "event", "pass"],
  ]);
});

Deno.test("smoke --check-events: an event recorded after a later request still matches the open call that emitted it", async () => {
  await using dir = await tmpDir();
  const file = join(dir.path, "concurrent.jsonl");
  // two calls ran at once: set_title's req, then storage.get's req and res, then the title event
  // (recorded once set_title answered), then set_title's res
  const lines = [
    { t: 0, kind: "meta", view: "main" },
    { t: 1, kind: "req", id: 1, ns: "window", method: "set_title", args: { title: "T" } },
    { t: 2, kind: "req", id: 2, ns: "storage", method: "get", args: { key: "none" } },
    { t: 3, kind: "res", id: 2, ok: true, result: { exists: false } },
    { t: 4, kind: "event", event: "title_changed", payload: { title: "T" } },
    { t: 5, kind: "res", id: 1, ok: true, result: { ok: true } },
  ];
  await Deno.writeTextFile(file, lines.map((l) => JSON.stringify(l)).join("\n") + "\n");
  const r = await smokeJson([BASIC, "--fixtures", file, "--check-events"]);
  assert.equal(r.code, 0, explain(r));
  assert.deepEqual(r.report!.fixtures[0].cases.map((c) => [c.line, c.ns, c.status]), [
    [2, "window", "pass"],
    [3, "storage", "pass"],
    [5, "event", "pass"],
  ]);
});

Deno.test("smoke: a broken manifest exits 2 before anything runs", async () => {
  const pretty = await runCli(["smoke", join(SMOKE_FIXTURES, "broken-app")]);
  assert.equal(pretty.code, 2, explain(pretty));
  // counts in words that agree with themselves: "1 check", "0 errors"
  assert.match(
    pretty.stdout,
    /— 1 check: 0 passed, 1 failed, 0 errors, 0 skipped, \d+ warnings? in/,
  );
  const r = await runCli(["smoke", join(SMOKE_FIXTURES, "broken-app"), "--format", "json"]);
  assert.equal(r.code, 2, explain(r));
  const fatal = JSON.parse(r.stderr.trim().split("\n").at(-1)!);
  assert.equal(fatal.error.code, "manifest_invalid");
  assert.ok(
    fatal.error.details.diagnostics.some((d: { code: string }) => d.code === "views_missing"),
  );
  const rep = JSON.parse(r.stdout);
  assert.equal(rep.exit_code, 2);
  assert.deepEqual(rep.steps.map((s: { name: string; status: string }) => [s.name, s.status]), [[
    "validate",
    "fail",
  ]]);
  assert.deepEqual(rep.executas, []);
});

Deno.test("smoke: an executa that dies at start is a runtime fault (exit 3)", async () => {
  const r = await smokeJson([join(SMOKE_FIXTURES, "dies-app")]);
  assert.equal(r.code, 3, explain(r));
  const step = r.report!.steps.find((s) => s.name.includes("tool-smoke-dies"))!;
  assert.equal(step.status, "error");
  assert.match(step.message!, /exited \(code 1\)/);
  assert.match(step.message!, /always dies at start/);
  assert.equal(r.report!.result, "error");
});

Deno.test("smoke: bad fixture and mock files exit 2 naming file:line", async () => {
  await using dir = await tmpDir();
  const file = join(dir.path, "bad.jsonl");
  await Deno.writeTextFile(file, '{"t":0,"kind":"meta"}\n\n{"t":1,"kind":"req",\n');
  const r = await runCli(["smoke", BASIC, "--fixtures", file]);
  assert.equal(r.code, 2, explain(r));
  assert.match(r.stderr, new RegExp(`${file.replaceAll("/", "\\/")}:3: invalid JSON`));
  // the reports say why the run stopped, not only stderr
  const j = await smokeJson([BASIC, "--fixtures", file]);
  assert.equal(j.code, 2, explain(j));
  const stopStep = j.report!.steps.at(-1)!;
  assert.deepEqual(
    [stopStep.name, stopStep.status, (stopStep.details as { code: string; line: number }).line],
    ["validate: fixture files", "error", 3],
  );
  assert.match(stopStep.message ?? "", /:3: invalid JSON/);
  const x = await runCli(["smoke", BASIC, "--fixtures", file, "--format", "junit"]);
  assert.equal(x.code, 2, explain(x));
  assert.match(x.stdout, /errors="1"/);
  assert.match(
    x.stdout,
    /<testcase name="fixture files" classname="validate"[^>]*>\s*<error message="[^"]*:3: invalid JSON[^"]*" type="configuration"/,
  );

  const unknown = join(dir.path, "unknown.jsonl");
  await Deno.writeTextFile(unknown, '# comment\n{"t":0,"hello":1}\n');
  const u = await runCli(["smoke", BASIC, "--fixtures", unknown]);
  assert.equal(u.code, 2, explain(u));
  assert.match(u.stderr, /unknown\.jsonl:2: cannot tell the fixture format/);

  // a mock-table fixture and a --mock-llm file are checked the same way (§10.2)
  const mocks = join(dir.path, "mocks.jsonl");
  await Deno.writeTextFile(
    mocks,
    '{"ns":"image","method":"generate","result":{}}\n{"ns":"image"}\n',
  );
  const m = await runCli(["smoke", BASIC, "--fixtures", mocks]);
  assert.equal(m.code, 2, explain(m));
  assert.match(m.stderr, /mocks\.jsonl:2: missing "method"/);
  const flag = await runCli(["smoke", BASIC, "--no-fixtures", "--mock-llm", mocks]);
  assert.equal(flag.code, 2, explain(flag));
  assert.match(flag.stderr, /mocks\.jsonl:2: missing "method"/);
});

Deno.test("smoke: --browser with no Chromium exits 2 and never downloads one", async () => {
  const r = await runCli(["smoke", BASIC, "--browser", "--no-fixtures"], {
    env: { PATH: "/nonexistent" },
  });
  assert.equal(r.code, 2, explain(r));
  assert.match(r.stderr, /no Chromium found/);
  const bad = await runCli(["smoke", BASIC, "--browser", "--chromium", "/nonexistent/chromium"]);
  assert.equal(bad.code, 2, explain(bad));
  assert.match(bad.stderr, /--chromium '\/nonexistent\/chromium' is not an executable file/);
});

Deno.test("smoke: executas get a temporary HOME unless --keep-home (§9.4)", async () => {
  await using dir = await tmpDir();
  const realHome = Deno.env.get("HOME")!;
  const file = join(dir.path, "home.jsonl");
  const line = {
    t: 0,
    dir: "out",
    ns: "tools",
    method: "invoke",
    args: { tool_id: "tool-smoke-echo", method: "env", args: {} },
    result: { home: realHome },
  };
  await Deno.writeTextFile(file, JSON.stringify(line) + "\n");

  const temp = await smokeJson([BASIC, "--fixtures", file, "--executa", "dir=executas/echo"]);
  assert.equal(temp.code, 1, explain(temp));
  const c = temp.report!.fixtures[0].cases[0];
  const seen = c.actual?.result as { home: string; gopath: string };
  assert.notEqual(seen.home, realHome);
  assert.match(seen.home, /anna-smoke-home-/);
  // toolchain caches keep pointing under the real home
  if (!Deno.env.get("GOPATH")) assert.equal(seen.gopath, join(realHome, "go"));
  // and the temporary home is gone afterwards
  assert.equal(await Deno.stat(seen.home).then(() => true, () => false), false);

  const kept = await smokeJson([BASIC, "--fixtures", file, "--keep-home"]);
  assert.equal(kept.code, 0, explain(kept));
  assert.equal(kept.report!.fixtures[0].status, "pass");
});

Deno.test("smoke: a replayed call that outlives --call-timeout-ms is a runtime fault (exit 3)", async () => {
  await using dir = await tmpDir();
  const file = join(dir.path, "hang.jsonl");
  const hang = {
    t: 0,
    dir: "out",
    ns: "tools",
    method: "invoke",
    args: { tool_id: "tool-smoke-echo", method: "hang" },
  };
  const after = {
    t: 1,
    dir: "out",
    ns: "storage",
    method: "get",
    args: { key: "k" },
    result: { value: null },
  };
  await Deno.writeTextFile(file, [hang, after].map((l) => JSON.stringify(l)).join("\n") + "\n");
  const r = await smokeJson([BASIC, "--fixtures", file, "--call-timeout-ms", "300"]);
  assert.equal(r.code, 3, explain(r));
  const [c1, c2] = r.report!.fixtures[0].cases;
  assert.equal(c1.status, "error");
  assert.match(c1.message!, /no answer within 300 ms \(--call-timeout-ms\)/);
  assert.equal(c2.status, "pass", "replay goes on after a timeout");
});

Deno.test("smoke: when a fixture's session cannot be created its requests are listed as skipped", async () => {
  await using dir = await tmpDir();
  const file = join(dir.path, "views.jsonl");
  const lines = [
    { t: 0, kind: "meta", session_id: "s1", view: "no-such-view" },
    { t: 1, kind: "req", id: 1, ns: "storage", method: "set", args: { key: "k", value: 1 } },
    { t: 2, kind: "res", id: 1, ok: true, result: { ok: true } },
    { t: 3, kind: "meta", session_id: "s2", view: "main" },
    { t: 4, kind: "req", id: 2, ns: "window", method: "heartbeat", args: {} },
    { t: 5, kind: "res", id: 2, ok: true, result: { ok: true } },
  ];
  await Deno.writeTextFile(file, lines.map((l) => JSON.stringify(l)).join("\n") + "\n");
  const r = await smokeJson([BASIC, "--fixtures", file]);
  assert.equal(r.code, 1, explain(r));
  const cases = r.report!.fixtures[0].cases;
  assert.deepEqual(cases.map((c) => [`${c.ns}.${c.method}`, c.line, c.status]), [
    ["session.create", 1, "fail"],
    ["storage.set", 2, "skip"],
    ["window.heartbeat", 5, "pass"],
  ]);
  assert.match(cases[1].message ?? "", /session for line 1 could not be created/);
  assert.deepEqual(cases[0].diff?.map((d) => [d.path, d.expected]), [["session.create", "ok"]]);
});

Deno.test("smoke: a recorded error that came back ok shows the recorded error's code and message", async () => {
  await using dir = await tmpDir();
  const file = join(dir.path, "err.jsonl");
  const lines = [
    { t: 0, kind: "meta", view: "main" },
    { t: 1, kind: "req", id: 1, ns: "storage", method: "get", args: { key: "k" } },
    {
      t: 2,
      kind: "res",
      id: 1,
      ok: false,
      error: { code: "llm_disabled", message: "harness started with --no-llm" },
    },
  ];
  await Deno.writeTextFile(file, lines.map((l) => JSON.stringify(l)).join("\n") + "\n");
  const r = await smokeJson([BASIC, "--fixtures", file]);
  assert.equal(r.code, 1, explain(r));
  const c = r.report!.fixtures[0].cases[0];
  assert.equal(
    c.message,
    "ok differ (expected llm_disabled: harness started with --no-llm; got ok)",
  );
  const pretty = await runCli(["smoke", BASIC, "--fixtures", file]);
  assert.match(pretty.stdout, /expected llm_disabled: harness started with --no-llm; got ok/);

  // with --out (the CI recipe), the log still names what failed, and where the report went
  const xml = join(dir.path, "smoke.xml");
  const quiet = await runCli(
    ["smoke", BASIC, "--fixtures", file, "--format", "junit", "--out", xml],
    { env: { ANNA_APP_LOG_LEVEL: "warn" } },
  );
  assert.equal(quiet.code, 1, explain(quiet));
  assert.equal(quiet.stdout, "");
  assert.match(
    quiet.stderr,
    /WARN smoke: FAIL {2}\S*err\.jsonl #1 storage\.get \(line 2\): ok differ \(expected llm_disabled/,
  );
  assert.match(quiet.stderr, /WARN smoke: smoke FAIL: .* \(exit 1\); report: .*smoke\.xml/);
  assert.match(await Deno.readTextFile(xml), /<failure/);
});

Deno.test("smoke: an executa that dies during a replayed call is a runtime fault (exit 3); a rejected call has a diff", async () => {
  await using dir = await tmpDir();
  const file = join(dir.path, "dies.jsonl");
  const line = (t: number, ns: string, method: string, args: unknown, result: unknown) => ({
    t,
    dir: "out",
    ns,
    method,
    args,
    result,
  });
  const lines = [
    line(0, "tools", "invoke", { tool_id: "tool-smoke-echo", method: "exit" }, { ok: true }),
    line(1, "storage", "get", { key: "k" }, { value: null }),
    line(2, "x".repeat(65), "m", {}, { ok: true }),
  ];
  await Deno.writeTextFile(file, lines.map((l) => JSON.stringify(l)).join("\n") + "\n");
  const r = await smokeJson([BASIC, "--fixtures", file]);
  assert.equal(r.code, 3, explain(r));
  const [died, after, rejected] = r.report!.fixtures[0].cases;
  assert.equal(died.status, "error");
  assert.match(died.message!, /the executa failed during this call/);
  assert.match(died.message!, /tool_failed: executa process exited/);
  // how it ended and its last words, in every report format (not only the json details)
  assert.match(died.message!, /exit code 9; stderr:\necho: database file missing, giving up/);
  assert.equal(after.status, "pass", "replay goes on after the fault");
  // §14.5: a failing case lists diffs, a call the bridge refused included
  assert.equal(rejected.status, "fail");
  assert.equal(rejected.diff?.[0].path, "ok");
  assert.equal(rejected.diff?.[0].expected, true);
});

Deno.test("smoke: a missing app dir is exit 2 with a report; a manifest path gets the directory to use", async () => {
  const missing = await runCli(["smoke", join(BASIC, "nope")]);
  assert.equal(missing.code, 2, explain(missing));
  assert.match(missing.stderr, /nope is not a directory\n/);
  const file = await smokeJson([join(BASIC, "manifest.json")]);
  assert.equal(file.code, 2, explain(file));
  // stdout still holds the one §14.8 document (exit 2, result error), as for a broken manifest
  assert.equal(file.report?.exit_code, 2, file.stdout);
  assert.equal(file.report?.result, "error");
  assert.deepEqual(file.report?.steps.map((s) => [s.name, s.status]), [
    ["validate: app directory", "error"],
  ]);
  const err = JSON.parse(file.stderr.trim()).error;
  assert.equal(err.code, "app_dir_not_found");
  assert.equal(
    err.message,
    `${
      join(BASIC, "manifest.json")
    } is not a directory; smoke takes the app directory: smoke ${BASIC}`,
  );
});

Deno.test("smoke: an --out FILE in a missing directory is exit 2 before anything runs", async () => {
  await using dir = await tmpDir();
  const out = join(dir.path, "no-such-dir", "report.xml");
  const r = await runCli(["smoke", BASIC, "--format", "junit", "--out", out]);
  assert.equal(r.code, 2, explain(r));
  assert.equal(r.stdout, "");
  assert.match(
    r.stderr,
    new RegExp(
      `^error: cannot write --out ${out}: ${join(dir.path, "no-such-dir")} is not a directory`,
    ),
  );
  // refused up front: no step ran, so nothing about them was printed
  assert.doesNotMatch(r.stderr, /validate|PASS|FAIL/);
});

Deno.test("smoke: an --out that is a directory is exit 2 before anything runs, with a file name to use", async () => {
  await using dir = await tmpDir();
  const r = await runCli(["smoke", BASIC, "--format", "junit", "--out", dir.path]);
  assert.equal(r.code, 2, explain(r));
  assert.equal(r.stdout, "");
  assert.equal(
    r.stderr,
    `error: cannot write --out ${dir.path}: it is a directory; name the report file, ` +
      `e.g. --out ${join(dir.path, "report.xml")}\n`,
  );
});

Deno.test("smoke: two --executa with one tool_id check the first once and warn about the second", async () => {
  const r = await smokeJson([
    BASIC,
    "--no-fixtures",
    "--executa",
    "dir=executas/echo",
    "--executa",
    `dir=executas/echo,tool_id=tool-smoke-echo,command=["false"]`,
  ]);
  assert.equal(r.code, 0, explain(r));
  const rep = r.report!;
  assert.deepEqual(rep.executas.map((e) => [e.tool_id, e.status]), [["tool-smoke-echo", "pass"]]);
  assert.deepEqual(rep.warnings, [
    `skipping --executa 'dir=executas/echo,tool_id=tool-smoke-echo,command=["false"]': tool_id ` +
    `"tool-smoke-echo" already provided by --executa 'dir=executas/echo'`,
  ]);
});

Deno.test("smoke: an app whose bundled executa folder is gone says so in the executas step", async () => {
  await using dir = await tmpDir();
  const app = join(dir.path, "app");
  await Deno.mkdir(join(app, "bundle"), { recursive: true });
  await Deno.copyFile(join(BASIC, "manifest.json"), join(app, "manifest.json"));
  for await (const e of Deno.readDir(join(BASIC, "bundle"))) {
    await Deno.copyFile(join(BASIC, "bundle", e.name), join(app, "bundle", e.name));
  }
  const r = await smokeJson([app, "--no-fixtures"]);
  const step = r.report!.steps.find((s) => s.name === "executas")!;
  assert.equal(
    step.message,
    "no executas found; bundled:echo names no executa folder of this app; tools.invoke of it " +
      "answers not_implemented",
  );
});

Deno.test("smoke: manifest warnings are in the report once, not logged again for every session", async () => {
  await using dir = await tmpDir();
  // no view title: a warning
  const app = await writeAppDir(
    join(dir.path, "app"),
    {
      schema: 2,
      ui: {
        views: [{ name: "main" }, { name: "side", title: "S" }],
        host_api: { storage: ["read"] },
      },
    },
    "<!doctype html><title>w</title>",
  );
  const r = await runCli(["smoke", app, "--no-fixtures"], { env: { ANNA_APP_LOG_LEVEL: "warn" } });
  assert.equal(r.code, 0, explain(r));
  assert.equal(r.stderr, "");
  assert.equal(r.stdout.match(/^warning: view_title /gm)?.length, 1, r.stdout);
  // with its hint, which names the fix, as validate prints it
  assert.match(
    r.stdout,
    /^warning: host_api_unknown_method .*\(hint: "read" is a legacy or look-alike name/m,
  );
});

Deno.test("smoke: a dying executa is a fault even where the fixture expected a tool error, unless it recorded the crash", async () => {
  await using dir = await tmpDir();
  const exit = { tool_id: "tool-smoke-echo", method: "exit" };
  const docs = join(dir.path, "a-docs.jsonl");
  await Deno.writeTextFile(
    docs,
    JSON.stringify({
      t: 0,
      dir: "out",
      ns: "tools",
      method: "invoke",
      args: exit,
      error: "tool_failed",
    }) +
      "\n",
  );
  const rec = join(dir.path, "b-rec.jsonl");
  const crash = {
    code: "tool_failed",
    message: "executa process exited",
    details: { exit_code: 9 },
  };
  const lines = [
    { t: 0, kind: "meta", view: "main" },
    { t: 1, kind: "req", id: 1, ns: "tools", method: "invoke", args: exit },
    { t: 2, kind: "res", id: 1, ok: false, error: crash },
    { t: 3, kind: "req", id: 2, ns: "tools", method: "invoke", args: exit },
  ];
  await Deno.writeTextFile(rec, lines.map((l) => JSON.stringify(l)).join("\n") + "\n");
  const r = await smokeJson([BASIC, "--fixtures", docs, "--fixtures", rec]);
  assert.equal(r.code, 3, explain(r));
  const [a, b] = r.report!.fixtures;
  assert.equal(a.cases[0].status, "error");
  assert.match(
    a.cases[0].message!,
    /^the executa failed during this call \(tool_failed: executa process exited\); the recording has tool_failed from a running executa; exit code 9/,
  );
  assert.deepEqual(b.cases.map((c) => c.status), ["pass", "error"]);
  assert.match(b.cases[1].message!, /the recording has no response for it/);
});

Deno.test("smoke: a recorded {success:false} envelope that now succeeds names the tool error it expected", async () => {
  await using dir = await tmpDir();
  const file = join(dir.path, "env.jsonl");
  const lines = [
    { t: 0, kind: "meta", view: "main" },
    {
      t: 1,
      kind: "req",
      id: 1,
      ns: "tools",
      method: "invoke",
      args: { tool_id: "tool-smoke-echo", method: "echo", args: { text: "hi" } },
    },
    { t: 2, kind: "res", id: 1, ok: true, result: { success: false, error: "text too short" } },
  ];
  await Deno.writeTextFile(file, lines.map((l) => JSON.stringify(l)).join("\n") + "\n");
  const r = await smokeJson([BASIC, "--fixtures", file]);
  assert.equal(r.code, 1, explain(r));
  assert.equal(
    r.report!.fixtures[0].cases[0].message,
    "ok differ (expected tool_failed: text too short; got ok)",
  );
});

Deno.test("smoke --check-events: an event an earlier line already matched is not reported as seen", async () => {
  await using dir = await tmpDir();
  const file = join(dir.path, "twice.jsonl");
  const title = (t: number) =>
    JSON.stringify({ t, dir: "in", name: "title_changed", payload: { title: "x" } });
  const set = JSON.stringify({
    t: 0,
    dir: "out",
    ns: "window",
    method: "set_title",
    args: { title: "x" },
  });
  await Deno.writeTextFile(file, [set, title(1), title(2)].join("\n") + "\n");
  const r = await smokeJson([BASIC, "--fixtures", file, "--check-events"]);
  assert.equal(r.code, 1, explain(r));
  const c = r.report!.fixtures[0].cases[2];
  assert.equal(c.status, "fail");
  assert.equal(
    c.message,
    "no 'title_changed' event was emitted around this point (saw: none; 1 'title_changed' " +
      "already matched by earlier expected events)",
  );
});

Deno.test("smoke: a recording made for another app slug is replayed with a warning naming both", async () => {
  await using dir = await tmpDir();
  const file = join(dir.path, "other.jsonl");
  const lines = [
    { t: 0, kind: "meta", app_slug: "someone-else", view: "main" },
    { t: 1, kind: "req", id: 1, ns: "storage", method: "get", args: { key: "k" } },
    { t: 2, kind: "res", id: 1, ok: true, result: { value: null, exists: false } },
  ];
  await Deno.writeTextFile(file, lines.map((l) => JSON.stringify(l)).join("\n") + "\n");
  const r = await smokeJson([BASIC, "--fixtures", file]);
  assert.equal(r.code, 0, explain(r));
  const slug = r.report!.app.slug;
  assert.ok(
    r.report!.warnings.some((w) =>
      w.endsWith(`other.jsonl:1: recorded for app 'someone-else', replayed against '${slug}'`)
    ),
    JSON.stringify(r.report!.warnings),
  );
});

Deno.test("smoke: a recorded tool_id that maps to no tool of the app says to use --tool-alias", async () => {
  await using dir = await tmpDir();
  const file = join(dir.path, "prod.jsonl");
  const invoke = (id: number, tool_id: string) => ({
    t: id,
    kind: "req",
    id,
    ns: "tools",
    method: "invoke",
    args: { tool_id, method: "echo", args: {} },
  });
  const lines = [
    { t: 0, kind: "meta", view: "main" },
    invoke(1, "tool-acme-summarize-k3j9x2pq"),
    { t: 1, kind: "res", id: 1, ok: true, result: { success: true, data: {} } },
  ];
  await Deno.writeTextFile(file, lines.map((l) => JSON.stringify(l)).join("\n") + "\n");
  const r = await smokeJson([BASIC, "--fixtures", file]);
  assert.equal(r.code, 1, explain(r));
  assert.match(
    r.report!.fixtures[0].cases[0].message!,
    /^ok differ \(got permission_denied: .*\); tool_id 'tool-acme-summarize-k3j9x2pq' is not a tool of this app and names no manifest handle: map it with --tool-alias tool-acme-summarize-k3j9x2pq=<tool_id> \(tool ids here: tool-smoke-echo\)$/,
  );
  // mapped as the hint says, the same line passes
  const mapped = await smokeJson([
    BASIC,
    "--fixtures",
    file,
    "--tool-alias",
    "tool-acme-summarize-k3j9x2pq=tool-smoke-echo",
  ]);
  assert.equal(mapped.code, 0, explain(mapped));
});
