/**
 * Usage errors a person can act on at a glance: a mistyped flag, command or subcommand names what
 * was probably meant, a flag missing its value or given one it cannot take says so, and a pretty
 * usage error shows the command's usage line and where the full help is — not the whole help,
 * which would push the error itself off the screen.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { explain, REPO_ROOT, runCli } from "./fixtures/smoke/harness.ts";
import { closest, editDistance } from "../lib/util/text.ts";
import { type FlagSpec, parseFlags, UsageError } from "../lib/cli/flags.ts";

const VALID_APP = join(REPO_ROOT, "tests/fixtures/apps/valid-app");

Deno.test("typo hints: edit distance counts a swap of neighbours as one edit only when asked", () => {
  assert.equal(editDistance("shcema", "schema", 2), 2);
  assert.equal(editDistance("shcema", "schema", 2, true), 1);
  assert.equal(editDistance("port", "port", 2, true), 0);
  assert.equal(editDistance("abcdef", "uvwxyz", 2, true), 3, "capped at max + 1");
});

Deno.test("typo hints: closest picks one near candidate, a unique prefix, or nothing", () => {
  const flags = ["port", "app-port", "host", "executa", "no-executas", "log-level"];
  assert.equal(closest("prot", flags), "port");
  assert.equal(closest("log-levle", flags), "log-level");
  assert.equal(closest("exec", flags), "executa", "a unique prefix");
  assert.equal(closest("zzz", flags), undefined);
  assert.equal(closest("hos", ["host", "hose"]), undefined, "a tie suggests nothing");
  assert.equal(closest("LOG-LEVEL", flags), "log-level", "case alone, however long the word");
});

Deno.test("typo hints: a command, subcommand or flag in the wrong case names the right one", async () => {
  const cases: [string[], RegExp][] = [
    [["HELP"], /^error: unknown command 'HELP' \(did you mean 'help'\?\)/],
    [["VALIDATE", VALID_APP], /^error: unknown command 'VALIDATE' \(did you mean 'validate'\?\)/],
    [["token", "MINT"], /^error: unknown token subcommand 'MINT' \(did you mean 'mint'\?\)/],
    [
      ["validate", VALID_APP, "--STRICT"],
      /^error: unknown flag '--STRICT' \(did you mean --strict\?\)/,
    ],
  ];
  for (const [args, re] of cases) {
    const r = await runCli(args);
    assert.equal(r.code, 2, explain(r));
    assert.match(r.stderr, re);
  }
});

Deno.test("typo hints: mistyped flags, commands and subcommands name the likely one (exit 2)", async () => {
  const cases: [string[], RegExp][] = [
    [
      ["validate", VALID_APP, "--stirct"],
      /^error: unknown flag '--stirct' \(did you mean --strict\?\)/,
    ],
    [
      ["bridge", "--log-levle", "debug"],
      /unknown flag '--log-levle' \(did you mean --log-level\?\)/,
    ],
    [["valdate", VALID_APP], /^error: unknown command 'valdate' \(did you mean 'validate'\?\)/],
    [["help", "smok"], /unknown command 'smok' \(did you mean 'smoke'\?\)/],
    [["token", "mnt"], /unknown token subcommand 'mnt' \(did you mean 'mint'\?\)/],
    [["executa", "descrbe", VALID_APP], /not 'descrbe' \(did you mean 'describe'\?\)/],
    [["validate", VALID_APP, "--zzzz"], /^error: unknown flag '--zzzz'\n/],
  ];
  for (const [args, re] of cases) {
    const r = await runCli(args);
    assert.equal(r.code, 2, `${args.join(" ")}: ${explain(r)}`);
    assert.equal(r.stdout, "");
    assert.match(r.stderr, re, args.join(" "));
  }
});

Deno.test("typo hints: a flag without its value, or a switch given one, says which and how", async () => {
  const missing = await runCli(["token", "mint", "--ttl"]);
  assert.equal(missing.code, 2, explain(missing));
  assert.match(missing.stderr, /^error: --ttl needs a value \(--ttl VALUE\)/);
  const valued = await runCli(["validate", VALID_APP, "--strict=yes"]);
  assert.equal(valued.code, 2, explain(valued));
  assert.match(
    valued.stderr,
    /^error: --strict takes no value: write --strict, or --no-strict to turn it off$/m,
  );
  // a flag with a short form (-h, --help) is named by its long form, and a missing value's
  // placeholder is not repeated
  const help = await runCli(["validate", "--help=1"]);
  assert.equal(help.code, 2, explain(help));
  assert.match(help.stderr, /^error: --help takes no value: write --help$/m);
  const port = await runCli(["dev", "--port"]);
  assert.match(port.stderr, /^error: --port needs a value \(--port VALUE\)$/m);
  // node will not take "-3" as a value: say how to write one
  const negative = await runCli(["dev", VALID_APP, "--user-id", "-3"]);
  assert.equal(negative.code, 2, explain(negative));
  assert.match(
    negative.stderr,
    /^error: --user-id -3: write a value that starts with '-' as --user-id=-3$/m,
  );
});

Deno.test("typo hints: a switch given a value is written bare; a no- switch is never doubled", async () => {
  // the flag a new user hit: it is itself a negation, so --no-no-fixtures made no sense
  const r = await runCli(["smoke", VALID_APP, "--no-fixtures=true"]);
  assert.equal(r.code, 2, explain(r));
  assert.equal(r.stdout, "");
  assert.match(
    r.stderr,
    /^error: --no-fixtures takes no value: write --no-fixtures, or leave it out$/m,
  );
  assert.doesNotMatch(r.stderr, /--no-no-/);
  // every switch shape, in process: a plain switch, a no- switch, the negated form, --help
  const spec: FlagSpec = {
    strict: { type: "boolean" },
    "no-executas": { type: "boolean" },
    executa: { type: "string", multiple: true },
  };
  const cases: [string, string][] = [
    ["--strict=yes", "--strict takes no value: write --strict, or --no-strict to turn it off"],
    ["--no-executas=1", "--no-executas takes no value: write --no-executas, or leave it out"],
    // node alone would call this an unknown flag
    [
      "--no-strict=false",
      "--no-strict takes no value: write --no-strict, or --strict to turn it on",
    ],
    ["--help=1", "--help takes no value: write --help"],
  ];
  for (const [arg, message] of cases) {
    assert.throws(() => parseFlags([arg], spec), (e) => {
      assert.ok(e instanceof UsageError, arg);
      assert.equal(e.message, message);
      return true;
    });
  }
  // a string flag's --no- form is still an unknown flag, and the bare forms still parse
  assert.throws(() => parseFlags(["--no-executa=x"], spec), /unknown flag '--no-executa'/);
  assert.deepEqual(parseFlags(["--no-strict", "--no-executas"], spec).values, {
    strict: false,
    "no-executas": true,
  });
});

Deno.test("typo hints: a flag before the command says flags go after it, naming the command", async () => {
  const r = await runCli(["--log-level", "debug", "validate", VALID_APP]);
  assert.equal(r.code, 2, explain(r));
  assert.equal(r.stdout, "");
  assert.match(
    r.stderr,
    /^error: flags go after the command: anna-app-runtime validate --log-level …$/m,
  );
  // with no command anywhere it stays an unknown command
  const bare = await runCli(["--bogus"]);
  assert.equal(bare.code, 2, explain(bare));
  assert.match(bare.stderr, /^error: unknown command '--bogus'/);
});

Deno.test("typo hints: a pretty usage error ends with the usage line and where the full help is", async () => {
  const r = await runCli(["smoke", VALID_APP, "--format", "xml"]);
  assert.equal(r.code, 2, explain(r));
  const lines = r.stderr.trim().split("\n");
  assert.match(lines[0], /^error: --format must be one of pretty, json, junit \(got 'xml'\)$/);
  assert.match(r.stderr, /\nUsage: anna-app-runtime smoke \[APP_DIR\] \[flags\]\n/);
  assert.equal(lines.at(-1), "Run 'anna-app-runtime help smoke' for every flag.");
  assert.ok(lines.length <= 5, `short, so the error stays on screen:\n${r.stderr}`);
});

Deno.test("typo hints: -V/--version after a command says where it goes", async () => {
  for (const flag of ["--version", "-V"]) {
    const r = await runCli(["validate", VALID_APP, flag]);
    assert.equal(r.code, 2, explain(r));
    assert.equal(r.stdout, "");
    assert.equal(
      r.stderr.split("\n")[0],
      `error: unknown flag '${flag}': for the version run 'anna-app-runtime ${flag}' on its own ` +
        `(or 'anna-app-runtime version')`,
    );
  }
});
