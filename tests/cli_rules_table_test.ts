/**
 * CONTRACT §2 rules the other CLI tests left unpinned, through the real main.ts: `--` ends
 * the flags (§2.1), ANSI colour only on a TTY with NO_COLOR unset (§2.1, §2.2), `token mint`'s
 * default claims (§2.11), `executa invoke --timeout-ms` clamped as tools.invoke clamps it (§2.9,
 * §5.6), dev's pretty startup rows with an executa and the default user (§2.5, §2.13), and each
 * command's exact flag table (§2.3 groups per command, read from the command modules); and the
 * bridge's silent stdout until a request (§2.4).
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { explain, REPO_ROOT, runCli } from "./fixtures/smoke/harness.ts";
import { denoDirEnv } from "./helpers/bridge_process.ts";
import { spawnCli } from "./helpers/server_process.ts";
import { reaped } from "./helpers/processes.ts";
import { tmpDir } from "./helpers/tmp.ts";
import { COMMAND_NAMES, loadCommand } from "../lib/cli/mod.ts";

const VALID_APP = join(REPO_ROOT, "tests/fixtures/apps/valid-app");
const PLUGIN_DIR = join(REPO_ROOT, "tests/fixtures/executas");
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

Deno.test("cli: `--` ends the flags: what follows is an argument, even -x, --help or --format", async () => {
  await using dir = await tmpDir();
  await Deno.mkdir(join(dir.path, "-app"));
  await Deno.copyFile(join(VALID_APP, "manifest.json"), join(dir.path, "-app", "manifest.json"));
  // an app directory whose name starts with '-' is reachable only after `--`
  const ok = await runCli(["validate", "--format", "json", "--no-executas", "--", "-app"], {
    cwd: dir.path,
  });
  assert.equal(ok.code, 0, explain(ok));
  assert.equal(JSON.parse(ok.stdout).manifest_path, join(dir.path, "-app", "manifest.json"));
  const flag = await runCli(["validate", "-app"], { cwd: dir.path });
  assert.equal(flag.code, 2, explain(flag));
  assert.match(flag.stderr, /^error: unknown flag '-a'/);

  // `--help` after `--` is a path, not a request for help
  const help = await runCli(["validate", "--", "--help"], { cwd: dir.path });
  assert.equal(help.code, 2, explain(help));
  assert.equal(help.stdout, "");
  assert.match(help.stderr, /^error: \S*--help does not exist/);
  // a flag after `--` is an extra argument: nothing reads it as --format
  const late = await runCli(["validate", "--", "-app", "--format", "json"], { cwd: dir.path });
  assert.equal(late.code, 2, explain(late));
  assert.equal(late.stdout, "");
  assert.match(late.stderr, /^error: unexpected argument '--format'/);
});

const hasScript = !!(await new Deno.Command("sh", {
  args: ["-c", "command -v script"],
  stdout: "null",
  stderr: "null",
}).output().catch(() => ({ success: false }))).success;

/**
 * `token mint --app 'My App'` (it logs a warning), its stderr a pseudo-terminal through
 * util-linux `script` when `tty`, else a pipe; `extra` is the whole environment beside PATH,
 * HOME and the Deno cache, so an outer NO_COLOR cannot leak in.
 */
async function mintWarning(tty: boolean, extra: Record<string, string>): Promise<string> {
  await using home = await tmpDir();
  const argv = [Deno.execPath(), "run", "-A", join(REPO_ROOT, "main.ts"), "token", "mint"];
  argv.push("--app", "My App", "--key-file", join(home.path, "dev.key"));
  const quoted = argv.map((a) => `'${a}'`).join(" ");
  const out = await new Deno.Command(tty ? "script" : "sh", {
    args: tty ? ["-qec", quoted, "/dev/null"] : ["-c", `${quoted} 2>&1`],
    clearEnv: true,
    env: { PATH: Deno.env.get("PATH") ?? "", HOME: home.path, ...denoDirEnv(), ...extra },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder().decode(out.stdout);
  assert.equal(out.code, 0, text + new TextDecoder().decode(out.stderr));
  assert.match(text, /WARN.* token: app slug 'My App' was normalised to 'my-app'/);
  return text;
}

Deno.test({
  name: "logs: ANSI colour only when stderr is a TTY and NO_COLOR is unset (set but empty counts)",
  ignore: !hasScript || Deno.build.os === "windows",
  async fn() {
    const ESC = "\x1b";
    assert.ok(
      (await mintWarning(true, {})).includes(`${ESC}[33mWARN${ESC}[0m token: `),
      "coloured",
    );
    for (const value of ["1", ""]) {
      const text = await mintWarning(true, { NO_COLOR: value });
      assert.ok(!text.includes(ESC), `no colour with NO_COLOR='${value}'`);
    }
    assert.ok(!(await mintWarning(false, {})).includes(ESC), "no colour when stderr is a pipe");
  },
});

Deno.test("token mint defaults: a random wid, uid 1, app dev, view main, no scopes (§2.11)", async () => {
  await using dir = await tmpDir();
  const key = join(dir.path, "dev.key");
  const mint = async () => {
    const r = await runCli(["token", "mint", "--key-file", key, "--format", "json"]);
    assert.equal(r.code, 0, explain(r));
    return JSON.parse(r.stdout).claims;
  };
  const a = await mint();
  const b = await mint();
  const { wid: _w, iat: _i, exp: _e, kid: _k, ...rest } = a;
  assert.deepEqual(rest, { uid: 1, app: "dev", view: "main", scopes: [] });
  assert.match(a.wid, UUID);
  assert.match(b.wid, UUID);
  assert.notEqual(a.wid, b.wid, "a new wid each mint");
});

Deno.test("executa invoke --timeout-ms: clamped to 1000 ms like tools.invoke, then tool_timeout (exit 1)", async () => {
  await using home = await tmpDir();
  const invoke = (args: object) =>
    runCli([
      "executa",
      "invoke",
      PLUGIN_DIR,
      "hang",
      "--tool-id",
      "tool-fixture",
      "--command",
      "node plugin.mjs",
      "--args",
      JSON.stringify(args),
      "--timeout-ms",
      "1",
      "--format",
      "json",
    ], { env: { HOME: home.path } });
  // 1 ms is raised to 1000 (+ 2000 grace): a reply after 300 ms is in time
  const inTime = await invoke({ reply_after_ms: 300 });
  assert.equal(inTime.code, 0, explain(inTime));
  assert.deepEqual(JSON.parse(inTime.stdout), { ok: true, result: "late" });
  const late = await invoke({ reply_after_ms: 8000 });
  assert.equal(late.code, 1, explain(late));
  assert.deepEqual(JSON.parse(late.stdout), {
    ok: false,
    error: {
      code: "tool_timeout",
      message: "tool-fixture.hang did not answer within 1000 ms",
      details: { timeout_ms: 1000, requested_timeout_ms: 1, max_timeout_ms: 90000 },
    },
  });
});

Deno.test("dev startup (pretty): an executa is listed with its type, the user defaults to 1; SIGINT exits 0", async () => {
  const p = spawnCli(["dev", VALID_APP, "--port", "0", "--app-port", "0", "--no-watch"]);
  await using _ = reaped(p.child);
  const out = await p.stdoutWhen((o) => /^ {2}executas .*\n/m.test(o));
  const lines = out.trimEnd().split("\n");
  assert.equal(lines.length, 7, out);
  const rows = Object.fromEntries(
    lines.slice(1).map((l) => /^ {2}(\S+(?: \S+)?) +(\S.*)$/.exec(l)!.slice(1, 3)),
  );
  assert.equal(rows.app, "valid-app (view main, user 1)");
  assert.equal(rows.executas, "tool-notes-1234 (node)");
  assert.match(rows.window, new RegExp(`^${rows.dashboard}dev/[0-9a-f-]{36}$`));
  assert.notEqual(new URL(rows["app origin"]).port, new URL(rows.dashboard).port);
  p.child.kill("SIGINT");
  assert.equal((await p.status).code, 0, p.stderr());
});

Deno.test("cli: each command's parser takes exactly the §2.3 groups §2.4–§2.12 give it, and its own flags", async () => {
  // written out from the contract, not imported: a group flag leaking into another command fails
  const llm = ["llm", "no-llm", "mock-llm", "llm-base-url", "llm-model", "llm-embed-model"];
  llm.push("llm-timeout-ms");
  const token = ["key-file", "token-ttl"];
  const server = ["host", "port", "app-port", "allow-remote", "allowed-host", "no-control-token"];
  const executas = ["executa", "no-executas"];
  const expected: Record<string, string[]> = {
    bridge: [...llm, ...token],
    // `watch` is how the parser spells `--no-watch` (§2.1: booleans are --flag / --no-flag)
    dev: [...server, ...token, ...llm, ...executas, "watch", "record", "manifest", "bundle"],
    serve: [...server, ...token, ...llm],
    smoke: [...executas, ...llm, ...token, "fixtures", "no-fixtures", "view", "browser"],
    validate: [...executas, "strict"],
    executa: [...llm, "args", "timeout-ms", "raw", "tool-id", "type", "command"],
    token: [...token, "wid", "uid", "app", "view", "scopes", "ttl"],
    version: [],
    help: [],
  };
  expected.dev.push("slug", "view", "user-id", "entry-payload", "seed-storage");
  expected.smoke.push("chromium", "out", "tool-alias", "ignore-key", "check-events", "keep-home");
  expected.smoke.push("call-timeout-ms");
  assert.deepEqual(COMMAND_NAMES.toSorted(), Object.keys(expected).toSorted());
  for (const [name, flags] of Object.entries(expected)) {
    const mod = (await loadCommand(name))!;
    assert.deepEqual(Object.keys(mod.flags).toSorted(), flags.toSorted(), name);
    // --format: none for bridge (it prints no results), junit for smoke only (§2.1)
    const formats = name === "bridge"
      ? null
      : name === "smoke"
      ? ["pretty", "json", "junit"]
      : undefined; // undefined = the common pretty|json
    assert.deepEqual(mod.formats, formats, `${name} --format`);
  }
});

Deno.test("bridge: nothing on stdout before a request, even at debug; EOF is a clean stop (exit 0, §2.4)", async () => {
  await using dir = await tmpDir();
  // runCli's stdin is null: the bridge reads EOF at once
  const r = await runCli(["bridge", "--key-file", join(dir.path, "dev.key"), "--log-level=debug"]);
  assert.equal(r.code, 0, explain(r));
  assert.equal(r.stdout, "");
  // the logs went to stderr, in the pretty form (§2.1: bridge's log format is pretty)
  assert.match(r.stderr, /^\d\d:\d\d:\d\d\.\d{3} INFO token: created a new dev key file /m);
});
