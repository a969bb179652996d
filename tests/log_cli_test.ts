/**
 * Log lines on stderr (CONTRACT §2.1): pretty = `HH:MM:SS.mmm LEVEL component: message key=value…`
 * exactly, json = one `{ts, level, component, msg, …fields}` object per line; `--log-level`
 * defaults to info (`bridge` and `smoke`: warn), `ANNA_APP_LOG_LEVEL` sets the default and the flag
 * wins; `--log-format` defaults to the `--format` value (pretty for `bridge`); ANSI colour only
 * on a TTY without `NO_COLOR`. A denied host-API call is logged at info, which makes the levels
 * visible.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { denoDirEnv, MAIN_TS, REPO_ROOT, runMain } from "./helpers/bridge_process.ts";
import { tmpDir } from "./helpers/tmp.ts";

const PRETTY = /^\d{2}:\d{2}:\d{2}\.\d{3} (ERROR|WARN|INFO|DEBUG) [^\s]+: \S/;
const DENIED = /INFO dispatcher: call denied ns=storage method=get session_id=ses_[0-9a-f]{32}$/m;

/** `bridge` with a session whose manifest grants nothing, one denied call, then EOF. */
async function bridgeDenied(args: string[], env: Record<string, string> = {}) {
  await using home = await tmpDir("anna-log-home-");
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", MAIN_TS, "bridge", "--key-file", join(home.path, "dev.key"), ...args],
    cwd: REPO_ROOT,
    env: { HOME: home.path, NO_COLOR: "1", ANNA_APP_LOG_LEVEL: "", ...denoDirEnv(), ...env },
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const manifest = { schema: 2, ui: { views: [{ name: "main" }], host_api: {} } };
  const create = {
    jsonrpc: "2.0",
    id: 1,
    method: "session.create",
    params: { app_slug: "logs", manifest },
  };
  const w = child.stdin.getWriter();
  await w.write(new TextEncoder().encode(JSON.stringify(create) + "\n"));
  // wait for the session before the call: read stdout up to the first line
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let out = "";
  while (!out.includes("\n")) {
    const { value, done } = await reader.read();
    if (done) break;
    out += value;
  }
  const session_id = JSON.parse(out.split("\n")[0]).result.session_id;
  const call = {
    jsonrpc: "2.0",
    id: 2,
    method: "session.call",
    params: { session_id, ns: "storage", method: "get", args: { key: "k" } },
  };
  await w.write(new TextEncoder().encode(JSON.stringify(call) + "\n"));
  await w.close();
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    out += value;
  }
  const stderr = await new Response(child.stderr).text();
  const status = await child.status;
  assert.equal(status.code, 0, stderr);
  const answer = JSON.parse(out.trim().split("\n")[1]);
  assert.equal(answer.result.error.code, "permission_denied");
  return stderr;
}

Deno.test("logs: bridge defaults to warn; ANNA_APP_LOG_LEVEL sets the default; the flag wins", async () => {
  assert.doesNotMatch(await bridgeDenied([]), DENIED, "info is below the bridge default (warn)");
  const env = await bridgeDenied([], { ANNA_APP_LOG_LEVEL: "info" });
  assert.match(env, DENIED);
  assert.doesNotMatch(
    await bridgeDenied(["--log-level", "warn"], { ANNA_APP_LOG_LEVEL: "info" }),
    DENIED,
  );
  // the variable is read case-insensitively; a value that is no level says so (at warn, always)
  assert.match(await bridgeDenied([], { ANNA_APP_LOG_LEVEL: "INFO" }), DENIED);
  const bogus = await bridgeDenied([], { ANNA_APP_LOG_LEVEL: "verbose" });
  assert.doesNotMatch(bogus, DENIED);
  assert.match(
    bogus,
    /WARN runtime: ANNA_APP_LOG_LEVEL='verbose' is not a log level \(error, warn, info, debug\); using warn$/m,
  );
  const flag = await bridgeDenied(["--log-level=debug"]);
  assert.match(flag, DENIED);
  // every line is in the exact pretty format (bridge logs are pretty unless --log-format json)
  for (const line of flag.trim().split("\n")) assert.match(line, PRETTY);
  const json = await bridgeDenied(["--log-level", "info", "--log-format", "json"]);
  const entries = json.trim().split("\n").map((l) => JSON.parse(l));
  const denied = entries.find((e) => e.msg === "call denied")!;
  assert.deepEqual(Object.keys(denied).slice(0, 4), ["ts", "level", "component", "msg"]);
  assert.equal(denied.level, "info");
  assert.equal(denied.component, "dispatcher");
  assert.ok(Number.isInteger(denied.ts));
  assert.equal(denied.ns, "storage");
});

Deno.test("logs: smoke defaults to warn, and its log format follows --format", async () => {
  const basic = join(REPO_ROOT, "tests/fixtures/smoke/basic-app");
  const run = async (args: string[], env: Record<string, string> = {}) => {
    await using home = await tmpDir("anna-log-home-");
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", MAIN_TS, "smoke", basic, "--key-file", join(home.path, "k"), ...args],
      cwd: REPO_ROOT,
      env: { NO_COLOR: "1", ANNA_APP_LOG_LEVEL: "", ...env },
      stdout: "piped",
      stderr: "piped",
    }).output();
    assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
    return new TextDecoder().decode(out.stderr);
  };
  // the basic app's fixtures make denied calls (info)
  assert.doesNotMatch(await run([]), /call denied/);
  const info = await run([], { ANNA_APP_LOG_LEVEL: "info" });
  const lines = info.trim().split("\n").filter((l) => l.includes("call denied"));
  assert.ok(lines.length > 0, info);
  for (const l of lines) assert.match(l, PRETTY);
  const json = await run(["--log-level", "info", "--format", "json"]);
  const entries = json.trim().split("\n").map((l) => JSON.parse(l));
  assert.ok(entries.some((e) => e.level === "info" && e.msg === "call denied"), json);
  const pretty = await run(["--log-level", "info", "--format", "json", "--log-format", "pretty"]);
  for (const l of pretty.trim().split("\n")) assert.match(l, PRETTY);
});

const ESC = String.fromCharCode(0x1b);

const hasScript = await new Deno.Command("script", {
  args: ["--version"],
  stdout: "null",
  stderr: "null",
})
  .output().then((o) => o.success, () => false);

Deno.test({
  name: "logs: ANSI colour only when stderr is a TTY and NO_COLOR is unset",
  ignore: Deno.build.os === "windows" || !hasScript,
  async fn() {
    await using home = await tmpDir("anna-log-home-");
    const plugin = join(REPO_ROOT, "tests/fixtures/smoke");
    const cmd = [
      Deno.execPath(),
      "run",
      "-A",
      MAIN_TS,
      "executa",
      "describe",
      plugin,
      "--tool-id",
      "tool-mini",
      "--command",
      "'node mini_plugin.mjs'",
    ].join(" ");
    const viaTty = async (env: Record<string, string>) => {
      // util-linux `script` gives the child a pseudo-terminal for stdout and stderr
      const out = await new Deno.Command("script", {
        args: ["-qec", cmd, "/dev/null"],
        env: { HOME: home.path, ...denoDirEnv(), ...env },
        clearEnv: true,
        stdin: "null",
        stdout: "piped",
        stderr: "piped",
      }).output();
      assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
      return new TextDecoder().decode(out.stdout);
    };
    const path = { PATH: Deno.env.get("PATH") ?? "/usr/bin:/bin" };
    const coloured = await viaTty(path);
    assert.ok(
      new RegExp(`${ESC}\\[\\d+mINFO${ESC}\\[0m executa:tool-mini: mini started`).test(coloured),
      JSON.stringify(coloured),
    );
    const plain = await viaTty({ ...path, NO_COLOR: "1" });
    assert.match(plain, /\d{3} INFO executa:tool-mini: mini started/);
    assert.ok(!plain.includes(ESC), JSON.stringify(plain));
    // not a TTY: no colour even without NO_COLOR
    const piped = await runMain(
      [
        "executa",
        "describe",
        plugin,
        "--tool-id",
        "tool-mini",
        "--command",
        "node mini_plugin.mjs",
      ],
      { home: home.path, env: path, clearEnv: true },
    );
    const err = piped.stderr;
    assert.match(err, /INFO executa:tool-mini: mini started/);
    assert.ok(!err.includes(ESC), JSON.stringify(err));
  },
});
