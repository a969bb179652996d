/** `executa describe|health|invoke DIR` through the real main.ts (CONTRACT §2.9). */
import assert from "node:assert/strict";
import { denoDirEnv, MAIN_TS, REPO_ROOT } from "./helpers/bridge_process.ts";
import { describeExitCode } from "../lib/cli/executa.ts";
import { tmpDir } from "./helpers/tmp.ts";

const FIXTURES = `${REPO_ROOT}tests/fixtures/executas`;

async function cli(args: string[]) {
  await using tmp = await tmpDir();
  const home = tmp.path;
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", MAIN_TS, "executa", ...args],
    env: { HOME: home, NO_COLOR: "1", ...denoDirEnv() },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const dec = new TextDecoder();
  return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
}

const PLUGIN = ["--tool-id", "tool-fixture", "--command", "node plugin.mjs"];

Deno.test("executa describe prints the describe result (json and pretty)", async () => {
  const j = await cli(["describe", FIXTURES, ...PLUGIN, "--format", "json"]);
  assert.equal(j.code, 0, j.stderr);
  const doc = JSON.parse(j.stdout);
  assert.equal(doc.tool_id, "tool-fixture");
  assert.equal(doc.protocol, "v2");
  assert.ok(Array.isArray(doc.describe.tools));
  const p = await cli(["describe", FIXTURES, ...PLUGIN]);
  assert.equal(p.code, 0, p.stderr);
  assert.match(p.stdout, /protocol\s+v2/);
  assert.match(p.stdout, /echo/);
});

Deno.test("executa health classifies the answer", async () => {
  const r = await cli(["health", FIXTURES, ...PLUGIN, "--format", "json"]);
  const doc = JSON.parse(r.stdout);
  assert.equal(doc.tool_id, "tool-fixture");
  assert.ok(["healthy", "not_implemented"].includes(doc.status), r.stdout);
  assert.equal(r.code, 0);
});

Deno.test("executa invoke prints the unwrapped result; --raw the plugin's own; errors exit 1", async () => {
  const ok = await cli([
    "invoke",
    FIXTURES,
    "echo",
    ...PLUGIN,
    "--args",
    '{"x":1}',
    "--format",
    "json",
  ]);
  assert.equal(ok.code, 0, ok.stderr);
  const outcome = JSON.parse(ok.stdout);
  assert.equal(outcome.ok, true);
  assert.deepEqual(outcome.result.args, { x: 1 });
  const raw = await cli([
    "invoke",
    FIXTURES,
    "echo",
    ...PLUGIN,
    "--args",
    '{"x":2}',
    "--raw",
    "--format",
    "json",
  ]);
  const rawOutcome = JSON.parse(raw.stdout);
  assert.equal(rawOutcome.result.success, true);
  assert.deepEqual(rawOutcome.result.data.args, { x: 2 });
  const bad = await cli(["invoke", FIXTURES, "rpc_error", ...PLUGIN, "--format", "json"]);
  assert.equal(bad.code, 1);
  assert.equal(JSON.parse(bad.stdout).error.code, "tool_failed");
  // args that are not an object are refused as tools.invoke refuses them (§5.6 step 1)
  for (const args of ["[1,2]", '"s"', "null"]) {
    const r = await cli([
      "invoke",
      FIXTURES,
      "echo",
      ...PLUGIN,
      "--args",
      args,
      "--format",
      "json",
    ]);
    assert.equal(r.code, 1, args);
    const e = JSON.parse(r.stdout).error;
    assert.equal(e.code, "invalid_arg", args);
    assert.deepEqual(e.details.issues.map((i: { path: string }) => i.path), ["args"]);
  }
});

Deno.test("executa: a process that cannot start exits 3; a bad DIR or action exits 2", async () => {
  const dead = await cli([
    "describe",
    FIXTURES,
    "--tool-id",
    "dead",
    "--command",
    "node plugin.mjs --exit-at-start=4",
  ]);
  assert.equal(dead.code, 3, dead.stderr);
  const missing = await cli([
    "describe",
    FIXTURES,
    "--tool-id",
    "x",
    "--command",
    "definitely-not-a-program-xyz",
  ]);
  assert.equal(missing.code, 3);
  assert.match(missing.stderr, /spawn|not found|No such/i);
  const nodir = await cli(["describe", "/nonexistent/dir"]);
  assert.equal(nodir.code, 2);
  const noaction = await cli(["frobnicate", FIXTURES]);
  assert.equal(noaction.code, 2);
});

Deno.test("executa: a folder nothing can be derived from gets hints that lead out, not in circles", async () => {
  await using tmp = await tmpDir();
  const dir = tmp.path;
  await Deno.writeTextFile(`${dir}/main.py`, "print(1)\n");
  const bare = await cli(["describe", dir]);
  assert.equal(bare.code, 2);
  assert.match(
    bare.stderr,
    /has no executa\.json, pyproject\.toml .*; pass --tool-id ID with --command CMD/,
  );
  const noStart = await cli(["describe", dir, "--tool-id", "x"]);
  assert.equal(noStart.code, 2);
  assert.match(noStart.stderr, /pass --command CMD \(e\.g\. --command "python3 main\.py"\)/);
  // the python default command without uv names the missing pyproject.toml, not an entry in it
  const py = await cli(["describe", dir, "--tool-id", "x", "--type", "python"]);
  assert.match(py.stderr, /has no pyproject\.toml; give it a command instead/);
  // an app directory instead of one of its executas
  const appDir = await cli(["describe", `${REPO_ROOT}examples/notes-app`]);
  assert.equal(appDir.code, 2);
  assert.match(appDir.stderr, /is an app: point at one of its executas\/ folders/);
});

Deno.test("executa: --type other than executa.json's drops its command (as --executa type= does); a skill is refused", async () => {
  await using tmp = await tmpDir();
  const dir = tmp.path;
  await Deno.writeTextFile(
    `${dir}/executa.json`,
    JSON.stringify({
      tool_id: "sub",
      type: "node",
      transport: { command: "node", args: ["-e", "process.exit(7)"] },
    }),
  );
  // same type: the folder's own command runs (and dies at start: exit 3)
  const own = await cli(["describe", dir, "--type", "node"]);
  assert.equal(own.code, 3, own.stderr);
  assert.doesNotMatch(own.stderr, /pyproject/);
  // python: the python default, which needs a pyproject.toml here, not `node -e …`
  const py = await cli(["describe", dir, "--type", "python"]);
  assert.equal(py.code, 3, py.stderr);
  assert.match(py.stderr, /has no pyproject\.toml; give it a command instead/);

  await Deno.writeTextFile(
    `${dir}/executa.json`,
    JSON.stringify({ tool_id: "sk", type: "node", executa_type: "skill" }),
  );
  const skill = await cli(["describe", dir]);
  assert.equal(skill.code, 2);
  assert.match(
    skill.stderr,
    /is a skill \(executa_type "skill" in its executa\.json\): skills run no process/,
  );
});

const MINI_DIR = `${REPO_ROOT}tests/fixtures/smoke`;
const mini = (
  mode: string,
) => ["--tool-id", "tool-mini", "--command", `node mini_plugin.mjs ${mode}`];

Deno.test("executa describe: exit 1 when describe answered an error or no object (§2.9)", async () => {
  const ok = await cli(["describe", MINI_DIR, ...mini("fine")]);
  assert.equal(ok.code, 0, ok.stderr);
  assert.match(ok.stdout, /^name {6}mini\nversion {3}1\.2\.3\nprotocol {2}v2\ntools /);
  assert.match(ok.stdout, /^ {2}ping {2}— pong$/m);

  const err = await cli(["describe", MINI_DIR, ...mini("describe-error"), "--format", "json"]);
  assert.equal(err.code, 1, err.stderr);
  assert.deepEqual(JSON.parse(err.stdout), {
    tool_id: "tool-mini",
    protocol: "v2",
    describe: null,
  });
  const fatal = JSON.parse(err.stderr.trim().split("\n").at(-1)!);
  assert.equal(fatal.error.code, "describe_failed");
  assert.match(fatal.error.message, /describe exploded/);

  const notObject = await cli(["describe", MINI_DIR, ...mini("describe-string")]);
  assert.equal(notObject.code, 1, notObject.stderr);
  assert.equal(notObject.stdout, "");
  assert.match(notObject.stderr, /^error: describe of tool-mini failed/m);
});

Deno.test("executa health: unhealthy exits 1, not_implemented 0, an executa dying on health 3", async () => {
  const cases: [string, string, number][] = [
    ["fine", "healthy", 0],
    ["health-noimpl", "not_implemented", 0],
    ["health-unhealthy", "unhealthy", 1],
    ["health-error", "unhealthy", 1],
  ];
  for (const [mode, status, code] of cases) {
    const r = await cli(["health", MINI_DIR, ...mini(mode), "--format", "json"]);
    assert.equal(r.code, code, `${mode}: ${r.stderr}`);
    const doc = JSON.parse(r.stdout);
    assert.deepEqual(Object.keys(doc), ["tool_id", "status", "result"]);
    assert.equal(doc.status, status, mode);
  }
  const died = await cli(["health", MINI_DIR, ...mini("health-die")]);
  assert.equal(
    died.code,
    3,
    `an executa that died during the check is a runtime fault: ${died.stderr}`,
  );
});

Deno.test("executa health (pretty): an unhealthy line says why when the answer does not show it", async () => {
  // a JSON-RPC error answer has no result to print: without its message the line is a bare verdict
  const err = await cli(["health", MINI_DIR, ...mini("health-error")]);
  assert.equal(err.code, 1, err.stderr);
  assert.equal(err.stdout.trim(), "tool-mini: unhealthy ([-32000] db down)");
  // an unhealthy result speaks for itself
  const res = await cli(["health", MINI_DIR, ...mini("health-unhealthy")]);
  assert.equal(res.stdout.trim(), 'tool-mini: unhealthy {"status":"unhealthy"}');
  // json keeps exactly the §2.9 keys
  const json = await cli(["health", MINI_DIR, ...mini("health-error"), "--format", "json"]);
  assert.deepEqual(Object.keys(JSON.parse(json.stdout)), ["tool_id", "status", "result"]);
  // replies printed as a Python dict never arrive: the timeout names the lines that were ignored
  // (about 8 s: the 5 s initialize wait, then health's 3 s)
  const repr = await cli(["health", MINI_DIR, ...mini("stdout-repr")]);
  assert.equal(repr.code, 1, repr.stderr);
  assert.match(
    repr.stdout.trim(),
    /^tool-mini: unhealthy \(no health reply within 3 s; its stdout had 2 lines that are not JSON-RPC and ignored \(first: "\{'jsonrpc':'2\.0','id':1,.*one JSON object per line/,
  );
});

Deno.test("executa: the log level defaults to info (§2.1), and logs follow --format", async () => {
  const pretty = await cli(["describe", MINI_DIR, ...mini("fine")]);
  assert.equal(pretty.code, 0, pretty.stderr);
  // the executa's stderr is logged at info (§9.11): visible by default
  assert.match(pretty.stderr, /^\d\d:\d\d:\d\d\.\d{3} INFO executa:tool-mini: mini started/m);
  const json = await cli(["describe", MINI_DIR, ...mini("fine"), "--format", "json"]);
  const logs = json.stderr.trim().split("\n").map((l) => JSON.parse(l));
  assert.ok(logs.some((l) => l.level === "info" && l.component === "executa:tool-mini"));
  const quiet = await cli(["describe", MINI_DIR, ...mini("fine"), "--log-level", "warn"]);
  assert.equal(quiet.stderr, "");
});

Deno.test("executa describe exit codes: 0 object, 1 error or no object, 3 timed out (§2.9)", () => {
  // the pool reports a describe timeout as describe_error {code:"timeout"} after 60 s (§15)
  assert.equal(describeExitCode({ tools: [] }, null), 0);
  assert.equal(describeExitCode(null, { code: -32000, message: "boom" }), 1);
  assert.equal(describeExitCode(null, { code: "bad_result", message: "not an object" }), 1);
  assert.equal(describeExitCode(null, { code: "timeout", message: "no answer in 60 s" }), 3);
});

Deno.test("executa describe|health refuse the invoke-only flags (§2.3: LLM flags are invoke's)", async () => {
  for (
    const [action, extra] of [
      ["describe", ["--llm", "openai"]],
      ["health", ["--mock-llm", "m.jsonl"]],
      ["describe", ["--no-llm"]],
      ["health", ["--raw"]],
      ["describe", ["--timeout-ms", "5000"]],
      ["describe", ["--args", "{}"]],
    ] as const
  ) {
    const r = await cli([action, FIXTURES, ...PLUGIN, ...extra]);
    assert.equal(r.code, 2, `${action} ${extra.join(" ")}: ${r.stderr}`);
    assert.match(r.stderr, new RegExp(`${extra[0]} applies to 'executa invoke' only`));
  }
});
