/**
 * `--log-format json` means a collector parses every stderr line (CONTRACT §2.1): usage and fatal
 * errors are then the one-line `{"error":{code,message,details}}` of `--format json` too, on every
 * command, `bridge` included (it has no `--format`). Without it they stay plain text.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { denoDirEnv, MAIN_TS, REPO_ROOT } from "./helpers/bridge_process.ts";
import { tmpDir } from "./helpers/tmp.ts";

async function run(args: string[]) {
  await using home = await tmpDir("anna-log-json-");
  const badManifest = join(home.path, "manifest.json");
  await Deno.writeTextFile(badManifest, '{"schema":2}');
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", MAIN_TS, ...args.map((a) => a.replace("$BAD", badManifest))],
    cwd: REPO_ROOT,
    env: { HOME: home.path, NO_COLOR: "1", ANNA_APP_LOG_LEVEL: "", ...denoDirEnv() },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  return {
    code: out.code,
    stdout: new TextDecoder().decode(out.stdout),
    stderr: new TextDecoder().decode(out.stderr),
  };
}

Deno.test("log format json: every fatal and usage error is one JSON line on stderr", async () => {
  const cases: [string[], number, string][] = [
    [["bridge", "--log-format", "json", "--mock-llm", "/nonexistent/m.jsonl"], 2, "config"],
    [["bridge", "--log-format=json", "--bogus"], 2, "usage"],
    [["token", "verify", "abc", "--log-format", "json"], 1, "malformed"],
    [["dev", "--manifest", "$BAD", "--log-format", "json"], 2, "manifest_invalid"],
    [["bogus", "--log-format", "json"], 2, "usage"],
  ];
  await Promise.all(cases.map(async ([args, code, errorCode]) => {
    const r = await run(args);
    const what = `${args.join(" ")}: ${r.stderr}`;
    assert.equal(r.code, code, what);
    assert.equal(r.stdout, "", what);
    // log lines before it (a new dev key file, at info) are JSON objects too
    const entries = r.stderr.trim().split("\n").map((l) => JSON.parse(l));
    const errors = entries.filter((e) => e.error);
    assert.equal(errors.length, 1, what);
    assert.equal(errors[0].error.code, errorCode, what);
    assert.equal(entries.at(-1), errors[0], what);
  }));
});

Deno.test("log format pretty (the default): the same errors stay text", async () => {
  const bridge = await run(["bridge", "--mock-llm", "/nonexistent/m.jsonl"]);
  assert.equal(bridge.code, 2);
  assert.match(bridge.stderr, /^error: \/nonexistent\/m\.jsonl: cannot read mock file/);
  const token = await run([
    "token",
    "verify",
    "abc",
    "--log-format",
    "json",
    "--log-format",
    "pretty",
  ]);
  assert.equal(token.code, 1);
  assert.match(token.stderr, /\ninvalid \(malformed\): [^\n]+\n$/);
});

Deno.test("an error nothing caught (a stray rejection, a throw in a timer) is exit 3, in the error format", async () => {
  await using dir = await tmpDir("anna-stray-");
  const script = join(dir.path, "stray.ts");
  const lib = (f: string) => JSON.stringify(new URL(`../lib/cli/${f}`, import.meta.url).href);
  await Deno.writeTextFile(
    script,
    `import { installCrashHandlers } from ${lib("mod.ts")};
import { setJsonStderr } from ${lib("output.ts")};
setJsonStderr(Deno.args[0] === "json");
installCrashHandlers(undefined);
if (Deno.args[1] === "timer") setTimeout(() => { throw new Error("in a timer"); }, 1);
else Promise.reject(new Error("stray"));
setTimeout(() => {}, 5000);
`,
  );
  const run = async (...args: string[]) => {
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", script, ...args],
      env: denoDirEnv(),
      stdout: "piped",
      stderr: "piped",
    }).output();
    return {
      code: out.code,
      stdout: out.stdout.length,
      stderr: new TextDecoder().decode(out.stderr),
    };
  };
  const json = await run("json", "rejection");
  assert.equal(json.code, 3, json.stderr);
  assert.equal(json.stdout, 0);
  const lines = json.stderr.trim().split("\n");
  assert.equal(lines.length, 1, json.stderr);
  const e = JSON.parse(lines[0]).error;
  assert.equal(e.code, "internal_error");
  assert.match(e.message, /^unexpected crash: Error: stray/);
  const pretty = await run("pretty", "timer");
  assert.equal(pretty.code, 3, pretty.stderr);
  assert.match(pretty.stderr, /^error: unexpected crash: Error: in a timer\n/);
});
