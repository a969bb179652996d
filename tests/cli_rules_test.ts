/**
 * The general command-line rules of CONTRACT §2.1 and §2.12, through the real main.ts: help on
 * every command (`-h`, `--help`, `help CMD`), `-V`/`--version`, unknown commands and flags exit 2,
 * `--flag value` / `--flag=value` / `--no-flag`, `--format` only where results are printed (junit
 * only for smoke, none for bridge), checked `--log-level`/`--log-format` values, json usage errors
 * as one `{"error":…}` line on stderr, and the exact `version` outputs.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { explain, REPO_ROOT, runCli } from "./fixtures/smoke/harness.ts";
import { tmpDir } from "./helpers/tmp.ts";

const COMMANDS = ["bridge", "dev", "serve", "smoke", "validate", "executa", "token", "version"];
const VALID_APP = join(REPO_ROOT, "tests/fixtures/apps/valid-app");
const VERSION = JSON.parse(await Deno.readTextFile(join(REPO_ROOT, "deno.json"))).version;

Deno.test("cli: -h, --help and help CMD print the same help of every command on stdout (exit 0)", async () => {
  for (const cmd of [...COMMANDS, "help"]) {
    const viaHelp = await runCli(["help", cmd]);
    assert.equal(viaHelp.code, 0, explain(viaHelp));
    assert.match(viaHelp.stdout, new RegExp(`^Usage:[\\s\\S]*anna-app-runtime ${cmd}\\b`), cmd);
    // every command takes both log flags (§2.1), so every help names them
    if (cmd !== "help") {
      assert.match(viaHelp.stdout, /--log-level/, `help ${cmd} names --log-level`);
      assert.match(viaHelp.stdout, /--log-format/, `help ${cmd} names --log-format`);
    }
    for (const flag of ["-h", "--help"]) {
      const r = await runCli([cmd, flag]);
      assert.equal(r.code, 0, explain(r));
      assert.equal(r.stdout, viaHelp.stdout, `${cmd} ${flag}`);
      assert.equal(r.stderr, "");
    }
  }
  // help is always pretty; its own flags are checked
  const json = await runCli(["help", "--format", "json", "smoke"]);
  assert.equal(json.code, 0, explain(json));
  assert.match(json.stdout, /^Usage: anna-app-runtime smoke/);
  assert.equal((await runCli(["help", "--bogus"])).code, 2);
  assert.equal((await runCli(["help", "smoke", "extra"])).code, 2);
  const top = await runCli(["--help"]);
  assert.equal(top.code, 0);
  for (const cmd of COMMANDS) assert.match(top.stdout, new RegExp(`^  ${cmd} `, "m"));
});

Deno.test("cli: every command's help names each flag §2.3–§2.11 give it", async () => {
  const llm = ["--llm", "--no-llm", "--mock-llm", "--llm-base-url", "--llm-model"];
  llm.push("--llm-embed-model", "--llm-timeout-ms");
  const token = ["--key-file", "--token-ttl"];
  const server = ["--host", "--port", "--app-port", "--allow-remote", "--allowed-host"];
  server.push("--no-control-token");
  const executas = ["--executa", "--no-executas"];
  const flags: Record<string, string[]> = {
    bridge: [...llm, ...token],
    dev: [...server, ...token, ...llm, ...executas, "--no-watch", "--record", "--manifest"],
    serve: [...server, ...token, ...llm, "--format"],
    smoke: [...executas, ...llm, ...token, "--fixtures", "--no-fixtures", "--view", "--browser"],
    validate: [...executas, "--strict", "--format"],
    executa: [...llm, "--tool-id", "--type", "--command", "--args", "--timeout-ms", "--raw"],
    token: [...token, "--wid", "--uid", "--app", "--view", "--scopes", "--ttl", "--format"],
    version: ["--format"],
  };
  flags.dev.push("--bundle", "--slug", "--view", "--user-id", "--entry-payload", "--seed-storage");
  flags.smoke.push("--chromium", "--format", "--out", "--tool-alias", "--ignore-key");
  flags.smoke.push("--check-events", "--keep-home", "--call-timeout-ms");
  for (const [cmd, names] of Object.entries(flags)) {
    const r = await runCli(["help", cmd]);
    assert.equal(r.code, 0, explain(r));
    const missing = names.filter((f) =>
      !new RegExp(`(^|[\\s,\\[])${f}\\b(?!-)`, "m").test(r.stdout)
    );
    assert.deepEqual(missing, [], `help ${cmd}`);
  }
});

Deno.test("cli: help and --help name every §2.2 environment variable and the exit codes; an error's usage stays short", async () => {
  const vars = [
    "ANNA_APP_LOG_LEVEL",
    "ANNA_APP_DEV_KEY_FILE",
    "ANNA_APP_CONTROL_TOKEN",
    "ANNA_APP_PYTHON",
    "ANNA_APP_CHROMIUM",
    "OPENAI_BASE_URL",
    "OPENAI_API_KEY",
    "OPENAI_MODEL",
    "NO_COLOR",
  ];
  for (const args of [["help"], ["--help"], ["-h"]]) {
    const r = await runCli(args);
    assert.equal(r.code, 0, explain(r));
    for (const v of vars) assert.match(r.stdout, new RegExp(`^  (\\S+, )*${v}\\b`, "m"), v);
    // §2.1's table, 130 included
    const codes = r.stdout.split(/^Exit codes:\n/m)[1]?.split("\n\n")[0] ?? "";
    for (const code of ["0 success", "1 a check failed", "2 usage or configuration error"]) {
      assert.match(codes, new RegExp(`(^|\\s)${code}\\b`), code);
    }
    assert.match(codes, /(^|\s)3 runtime fault\b/);
    assert.match(codes, /(^|\s)130 a second SIGINT\b/);
  }
  const unknown = await runCli(["nope"]);
  assert.equal(unknown.code, 2);
  assert.match(unknown.stderr, /^Commands:$/m);
  assert.doesNotMatch(unknown.stderr, /Environment:|Exit codes:/);
});

Deno.test("cli: no command, unknown commands and unknown flags are usage errors (exit 2, stdout empty)", async () => {
  for (
    const args of [
      [],
      ["nope"],
      ["help", "nope"],
      ["version", "--bogus"],
      ["version", "extra"],
      ["validate", VALID_APP, "--executas"], // only --no-executas exists
      ["token", "mint", "--bogus"],
      ["executa", "describe", VALID_APP, "--bogus"],
      ["smoke", VALID_APP, "--bogus"],
      ["bridge", "--bogus"],
      ["version", "--strict=yes"],
    ]
  ) {
    const r = await runCli(args);
    assert.equal(r.code, 2, `${args.join(" ")}: ${explain(r)}`);
    assert.equal(r.stdout, "", `${args.join(" ")}: stdout carries only results`);
    assert.match(r.stderr, /^error: /, args.join(" "));
  }
});

Deno.test("cli: --format is pretty|json where results are printed, junit only for smoke, absent for bridge", async () => {
  for (
    const args of [
      ["version", "--format", "junit"],
      ["validate", VALID_APP, "--format", "junit"],
      ["token", "mint", "--format=junit"],
      ["executa", "health", VALID_APP, "--format", "junit"],
      ["smoke", VALID_APP, "--format", "xml"],
      ["bridge", "--format", "json"],
      ["bridge", "--format=pretty"],
    ]
  ) {
    const r = await runCli(args);
    assert.equal(r.code, 2, `${args.join(" ")}: ${explain(r)}`);
    assert.equal(r.stdout, "");
  }
  const junit = await runCli([
    "smoke",
    VALID_APP,
    "--no-fixtures",
    "--no-executas",
    "--format",
    "junit",
  ]);
  assert.equal(junit.code, 0, explain(junit));
  assert.match(junit.stdout, /^<\?xml /);
});

Deno.test("cli: --log-level and --log-format values are checked on every command (exit 2)", async () => {
  for (
    const args of [
      ["version", "--log-level", "loud"],
      ["version", "--log-format=xml"],
      ["validate", VALID_APP, "--log-level", "trace"],
      ["token", "mint", "--log-format", "text"],
      ["bridge", "--log-level", "verbose"],
    ]
  ) {
    const r = await runCli(args);
    assert.equal(r.code, 2, `${args.join(" ")}: ${explain(r)}`);
    assert.match(r.stderr, /--log-(level|format) must be/);
  }
  for (const level of ["error", "warn", "info", "debug"]) {
    assert.equal((await runCli(["version", "--log-level", level])).code, 0, level);
  }
});

Deno.test("cli: numeric flags: a non-number or a value out of range is exit 2 naming the flag, its range and the value as typed", async () => {
  const huge = "99999999999999999999999";
  const cases: [string[], string][] = [
    [["serve", "--port", "abc"], "--port must be an integer (got 'abc')"],
    [["serve", "--port", huge], `--port must be between 0 and 65535 (got ${huge})`],
    [["serve", "--app-port=-1"], "--app-port must be between 0 and 65535 (got -1)"],
    [["token", "mint", "--ttl", "0"], "--ttl must be between 5 and 86400 (got 0)"],
    [["bridge", "--token-ttl", huge], `--token-ttl must be between 5 and 86400 (got ${huge})`],
    [
      ["smoke", VALID_APP, "--call-timeout-ms", "1.5"],
      "--call-timeout-ms must be an integer (got '1.5')",
    ],
    [
      ["bridge", "--llm-timeout-ms", "0"],
      "--llm-timeout-ms must be between 1 and 86400000 (got 0)",
    ],
  ];
  for (const [args, message] of cases) {
    const r = await runCli(args);
    assert.equal(r.code, 2, `${args.join(" ")}: ${explain(r)}`);
    assert.equal(r.stdout, "");
    assert.equal(r.stderr.split("\n")[0], `error: ${message}`, args.join(" "));
  }
});

Deno.test('cli: an empty flag value (--out=, --fixtures "$UNSET") is exit 2 naming the flag, on every command', async () => {
  const cases: [string[], string][] = [
    [["smoke", VALID_APP, "--fixtures", ""], "fixtures"],
    [["smoke", VALID_APP, "--out="], "out"],
    [["smoke", VALID_APP, "--mock-llm="], "mock-llm"],
    [["dev", VALID_APP, "--key-file", ""], "key-file"],
    [["validate", VALID_APP, "--executa="], "executa"],
    [["token", "mint", "--scopes="], "scopes"],
    [["executa", "describe", VALID_APP, "--tool-id="], "tool-id"],
    [["bridge", "--llm-base-url="], "llm-base-url"],
  ];
  for (const [args, flag] of cases) {
    const r = await runCli(args);
    assert.equal(r.code, 2, `${args.join(" ")}: ${explain(r)}`);
    assert.equal(r.stdout, "");
    assert.equal(
      r.stderr.split("\n")[0],
      `error: --${flag} is empty: give it a value, or leave the flag out`,
      args.join(" "),
    );
  }
});

Deno.test('cli: usage errors in json format are one {"error":{code,message,details}} line on stderr', async () => {
  for (
    const args of [
      ["version", "--format", "json", "--bogus"],
      ["smoke", VALID_APP, "--format=json", "--tool-alias", "nope"],
      ["validate", VALID_APP, "--format", "json", "--no-executas", "--executa", "dir=x"],
      ["nope", "--format", "json"],
      // the last --format wins, as for the command's own parser
      ["validate", VALID_APP, "--bogus", "--format", "pretty", "--format", "json"],
      ["nope", "--format=pretty", "--format=json"],
    ]
  ) {
    const r = await runCli(args);
    assert.equal(r.code, 2, explain(r));
    assert.equal(r.stdout, "");
    const lines = r.stderr.trim().split("\n");
    assert.equal(lines.length, 1, `one line: ${r.stderr}`);
    const doc = JSON.parse(lines[0]);
    assert.deepEqual(Object.keys(doc), ["error"]);
    assert.deepEqual(Object.keys(doc.error), ["code", "message", "details"]);
    assert.equal(doc.error.code, "usage");
    assert.doesNotMatch(doc.error.message, /Usage:/, "no help text inside the json error");
  }
});

Deno.test("cli: with HOME unset and no --key-file, commands that need the dev key exit 2 with the fix, no stack", async () => {
  const env = { PATH: Deno.env.get("PATH") ?? "", NO_COLOR: "1" };
  const deno = Deno.env.get("DENO_DIR") ?? `${Deno.env.get("HOME")}/.cache/deno`;
  for (const args of [["bridge"], ["dev", VALID_APP, "--format", "json", "--port", "0"]]) {
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", join(REPO_ROOT, "main.ts"), ...args],
      cwd: REPO_ROOT,
      clearEnv: true,
      env: { ...env, DENO_DIR: deno },
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).output();
    const stderr = new TextDecoder().decode(out.stderr);
    assert.equal(out.code, 2, `${args[0]}: ${stderr}`);
    assert.equal(out.stdout.length, 0);
    assert.match(stderr, /HOME is not set; use --key-file or ANNA_APP_DEV_KEY_FILE/);
    assert.doesNotMatch(stderr, /unexpected crash|\bat \S+ \(/, "no stack trace");
  }
});

Deno.test("cli: --flag value, --flag=value and --no-flag forms are equivalent", async () => {
  await using dir = await tmpDir();
  const key = join(dir.path, "dev.key");
  const a = await runCli(["token", "mint", "--key-file", key, "--uid", "5", "--format", "json"]);
  const b = await runCli(["token", "mint", `--key-file=${key}`, "--uid=5", "--format=json"]);
  assert.equal(a.code, 0, explain(a));
  assert.equal(b.code, 0, explain(b));
  assert.equal(JSON.parse(a.stdout).claims.uid, 5);
  assert.equal(JSON.parse(b.stdout).claims.uid, 5);
  // a boolean and its --no- form: the last one wins, in either order (the app has warnings, so
  // --strict turns its exit code to 1)
  const warned = join(REPO_ROOT, "tests/fixtures/apps/noentry-app");
  const off = await runCli(["validate", warned, "--strict", "--no-strict", "--format", "json"]);
  assert.equal(off.code, 0, explain(off));
  assert.equal(JSON.parse(off.stdout).valid, true);
  const on = await runCli(["validate", warned, "--no-strict", "--strict", "--format", "json"]);
  assert.equal(on.code, 1, explain(on));
  assert.equal(JSON.parse(on.stdout).valid, false);
  // repeated list flags all count
  const both = await runCli([
    "validate",
    join(REPO_ROOT, "tests/fixtures/apps/disc-app"),
    "--executa",
    "dir=executas/a-json",
    "--executa=dir=executas/c-node-obj",
    "--format",
    "json",
  ]);
  assert.equal(both.code, 0, explain(both));
  assert.equal(JSON.parse(both.stdout).executas.length, 2);
});

Deno.test("cli: version, -V and --version print the §2.12 text; json has exactly the §2.12 fields", async () => {
  const expected =
    `anna-app-runtime ${VERSION} (dispatcher 0.6.0-compatible, deno ${Deno.version.deno})\n`;
  for (const args of [["version"], ["-V"], ["--version"]]) {
    const r = await runCli(args);
    assert.equal(r.code, 0, explain(r));
    assert.equal(r.stdout, expected);
    assert.equal(r.stderr, "");
  }
  for (const args of [["version", "--format", "json"], ["-V", "--format=json"]]) {
    const r = await runCli(args);
    assert.equal(r.code, 0, explain(r));
    assert.equal(r.stdout.trim().split("\n").length, 1, "one JSON document");
    assert.deepEqual(JSON.parse(r.stdout), {
      name: "anna-app-runtime",
      version: VERSION,
      dispatcher_version: "0.6.0",
      runtime_compat: "0.2.0a6",
      deno: Deno.version.deno,
      v8: Deno.version.v8,
      typescript: Deno.version.typescript,
    });
  }
});

Deno.test("cli: numbers and ranges of shared flags are checked before anything runs (exit 2)", async () => {
  const cases: [string[], RegExp][] = [
    [["--token-ttl", "4"], /--token-ttl/],
    [["--token-ttl", "86401"], /--token-ttl/],
    [["--token-ttl", "1e3"], /--token-ttl/],
    [["--token-ttl", "0x10"], /--token-ttl/],
    [["--token-ttl", "7.5"], /--token-ttl/],
    [["--llm-timeout-ms", "0"], /--llm-timeout-ms/],
    [["--mock-llm", "/nonexistent/anna/mocks.jsonl"], /\/nonexistent\/anna\/mocks\.jsonl/],
  ];
  for (const [flags, re] of cases) {
    const r = await runCli(["bridge", ...flags]);
    assert.equal(r.code, 2, `${flags.join(" ")}: ${explain(r)}`);
    assert.match(r.stderr, re);
    assert.doesNotMatch(r.stderr, /unexpected crash|\n\s+at /, "no stack trace");
    assert.equal(r.stdout, "");
  }
  // the ends of the range are accepted
  for (const ttl of ["5", "86400"]) {
    const r = await runCli(["bridge", "--token-ttl", ttl]); // stdin at EOF: serves, then exits
    assert.equal(r.code, 0, `--token-ttl ${ttl}: ${explain(r)}`);
  }
});

Deno.test("cli: a list flag with the switch that empties it is exit 2, in one wording with the fix, on every command that takes both", async () => {
  const executas = "--executa and --no-executas cannot be combined: give --executa for just " +
    "those executas, or --no-executas for none";
  const cases: [string[], string][] = [
    [["validate", VALID_APP, "--executa", "dir=x", "--no-executas"], executas],
    [["dev", VALID_APP, "--no-executas", "--executa=dir=x", "--port", "0"], executas],
    [["smoke", VALID_APP, "--executa", "dir=x", "--no-executas"], executas],
    [
      ["smoke", VALID_APP, "--fixtures", "f.jsonl", "--no-fixtures"],
      "--fixtures and --no-fixtures cannot be combined: give --fixtures for just those fixture " +
      "files, or --no-fixtures for none",
    ],
  ];
  for (const [args, message] of cases) {
    const r = await runCli(args);
    assert.equal(r.code, 2, `${args.join(" ")}: ${explain(r)}`);
    assert.equal(r.stdout, "");
    assert.equal(r.stderr.split("\n")[0], `error: ${message}`, args.join(" "));
  }
});
