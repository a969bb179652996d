/**
 * `deno task bundle` produces one JavaScript file that runs every command with
 * `deno run -A <file> …`, from any directory (no deno.json needed): `version`, `bridge` (a session
 * on an example app with its executa), `smoke` on an example app with its recorded fixture, the
 * help of every command, `validate`, `token mint|verify`, `executa health`, and `serve` / `dev` up to
 * their startup line and a graceful SIGTERM. The example app is a copy outside the repository, in a
 * path with a space; `dev` serves the dashboard, the SDK and the app from the file alone.
 */
import assert from "node:assert/strict";
import { dirname, join } from "node:path";
import { explain, REPO_ROOT, runCli } from "./fixtures/smoke/harness.ts";
import { tmpDir } from "./helpers/tmp.ts";
import { FREE_PORTS_JSON } from "./helpers/server.ts";
import { copyDir } from "./helpers/dev_process.ts";
import { reaped } from "./helpers/processes.ts";

Deno.test("bundle: deno task bundle output runs every command", async () => {
  await using dir = await tmpDir("anna-bundle-");
  const out = join(dir.path, "anna-app-runtime.js");
  // a mistyped flag is refused, not ignored (which would build into dist/ instead)
  const typo = await new Deno.Command(Deno.execPath(), {
    args: ["task", "bundle", "--output", out],
    cwd: REPO_ROOT,
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.equal(typo.code, 2);
  assert.match(new TextDecoder().decode(typo.stderr), /unknown argument '--output'/);
  const built = await new Deno.Command(Deno.execPath(), {
    args: ["task", "bundle", "--out", out],
    cwd: REPO_ROOT,
    stdout: "piped",
    stderr: "piped",
  }).output();
  const dec = new TextDecoder();
  assert.equal(built.code, 0, dec.decode(built.stderr));
  const text = await Deno.readTextFile(out);
  assert.ok(text.startsWith("#!/usr/bin/env -S deno run -A --no-config\n"));
  assert.doesNotMatch(text, /import\(\s*["']\.\.?\//, "every command module is inlined");

  // run from outside the repository: nothing but the file itself
  const opts = { entry: out, cwd: dir.path };
  const version = JSON.parse(await Deno.readTextFile(join(REPO_ROOT, "deno.json"))).version;
  const v = await runCli(["version"], opts);
  assert.equal(v.code, 0, explain(v));
  assert.match(v.stdout, new RegExp(`^anna-app-runtime ${version.replaceAll(".", "\\.")} `));

  // with an empty Deno cache and no npm registry, every command but `smoke --browser` still runs
  // and fetches nothing (the browser driver is loaded on use only), and that one says why
  const offline = {
    ...opts,
    env: { DENO_DIR: join(dir.path, "deno-dir"), NPM_CONFIG_REGISTRY: "http://127.0.0.1:9/" },
  };
  const cold = await runCli(["version"], offline);
  assert.equal(cold.code, 0, explain(cold));
  assert.doesNotMatch(cold.stderr, /Download|playwright/, explain(cold));
  const noDriver = await runCli(
    ["smoke", join(REPO_ROOT, "examples", "notes-app"), "--browser", "--no-fixtures"],
    offline,
  );
  assert.equal(noDriver.code, 3, explain(noDriver));
  assert.match(
    noDriver.stdout,
    /ERROR {2}browser .*\n\s+cannot load the browser driver playwright-core: .*registry\.npmjs\.org/,
  );

  // dropped into a web project: Deno would apply the package.json above the file (no node_modules
  // → npm: imports fail); run as an executable, the shebang's --no-config keeps the bundle apart
  const proj = join(dir.path, "web project");
  await Deno.mkdir(join(proj, "tools"), { recursive: true });
  await Deno.writeTextFile(join(proj, "package.json"), '{"name":"web-project","private":true}');
  const inProj = join(proj, "tools", "anna-app-runtime.js");
  await Deno.copyFile(out, inProj);
  const browserArgs = [
    "smoke",
    join(REPO_ROOT, "examples", "multi-view"),
    "--browser",
    "--no-fixtures",
    "--key-file",
    join(dir.path, "dev.key"),
  ];
  // a shebang runs where there is one (not on Windows)
  if (Deno.build.os !== "windows") {
    const direct = await new Deno.Command(inProj, {
      args: browserArgs,
      cwd: proj,
      env: {
        ...offline.env,
        NO_COLOR: "1",
        PATH: `${dirname(Deno.execPath())}:${Deno.env.get("PATH") ?? ""}`,
      },
      stdout: "piped",
      stderr: "piped",
    }).output();
    const directOut = {
      code: direct.code,
      stdout: dec.decode(direct.stdout),
      stderr: dec.decode(direct.stderr),
    };
    assert.equal(direct.code, 3, explain(directOut));
    assert.match(
      directOut.stdout,
      /cannot load the browser driver playwright-core: .*127\.0\.0\.1:9/,
    );
    assert.doesNotMatch(directOut.stdout, /node_modules/, explain(directOut));
  }
  // `deno run -A` without it: the message names the cause and the flag instead of the network
  const inherited = await runCli(browserArgs, { ...offline, entry: inProj, cwd: proj });
  assert.equal(inherited.code, 3, explain(inherited));
  assert.match(inherited.stdout, /node_modules.*deno run -A --no-config anna-app-runtime\.js/);
  assert.doesNotMatch(inherited.stdout, /registry\.npmjs\.org is reachable/);

  const app = join(dir.path, "my apps", "todo-node");
  await copyDir(join(REPO_ROOT, "examples", "todo-node"), app);
  const lines = [
    { jsonrpc: "2.0", id: 1, method: "runtime.info" },
    { jsonrpc: "2.0", id: 2, method: "session.create", params: { app_dir: app } },
  ];
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", out, "bridge", "--key-file", join(dir.path, "dev.key")],
    cwd: dir.path,
    env: { NO_COLOR: "1" },
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  await using _bridge = reaped(child);
  const w = child.stdin.getWriter();
  await w.write(new TextEncoder().encode(lines.map((l) => JSON.stringify(l)).join("\n") + "\n"));
  // wait for the session, then call the executa in it
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let buf = "";
  const got: Record<string, unknown>[] = [];
  const next = async () => {
    while (!buf.includes("\n")) {
      const { value, done } = await reader.read();
      if (done) throw new Error(`bridge closed stdout; got ${JSON.stringify(got)}`);
      buf += value;
    }
    const i = buf.indexOf("\n");
    const line = JSON.parse(buf.slice(0, i));
    buf = buf.slice(i + 1);
    got.push(line);
    return line;
  };
  const byId = new Map<number, Record<string, unknown>>();
  while (byId.size < 2) {
    const m = await next();
    byId.set(m.id as number, m);
  }
  const info = byId.get(1)!.result as { name: string; version: string; mode: string };
  assert.deepEqual([info.name, info.version, info.mode], ["anna-app-runtime", version, "bridge"]);
  const session_id = (byId.get(2)!.result as { session_id: string }).session_id;
  await w.write(new TextEncoder().encode(
    JSON.stringify({
      jsonrpc: "2.0",
      id: 3,
      method: "session.call",
      params: {
        session_id,
        ns: "tools",
        method: "invoke",
        args: { tool_id: "bundled:todo-store", method: "list" },
      },
    }) + "\n",
  ));
  const listed = await next();
  assert.deepEqual(listed, { jsonrpc: "2.0", id: 3, result: { ok: true, result: { todos: [] } } });
  await w.close();
  reader.releaseLock();
  await child.stdout.cancel().catch(() => {});
  const status = await child.status;
  await child.stderr.cancel().catch(() => {});
  assert.equal(status.code, 0);

  const s = await runCli([
    "smoke",
    app,
    "--fixtures",
    join(app, "fixtures/*.jsonl"),
    "--check-events",
    "--format",
    "json",
  ], opts);
  assert.equal(s.code, 0, explain(s));
  const report = JSON.parse(s.stdout);
  assert.equal(report.result, "pass");
  assert.equal(report.version, version);
  assert.ok(report.fixtures[0].cases.length >= 10);

  // every command of the table is inside and runs
  for (
    const cmd of ["bridge", "dev", "serve", "smoke", "validate", "executa", "token", "version"]
  ) {
    const h = await runCli([cmd, "--help"], opts);
    assert.equal(h.code, 0, explain(h));
    assert.match(h.stdout, new RegExp(`anna-app-runtime ${cmd}\\b`));
  }
  const val = await runCli(["validate", app, "--format", "json"], opts);
  assert.equal(val.code, 0, explain(val));
  assert.equal(JSON.parse(val.stdout).executas[0].tool_id, "tool-todo-store");
  const key = ["--key-file", join(dir.path, "dev.key")];
  const minted = await runCli(["token", "mint", ...key], opts);
  assert.equal(minted.code, 0, explain(minted));
  const verified = await runCli(["token", "verify", minted.stdout.trim(), ...key], opts);
  assert.equal(verified.code, 0, explain(verified));
  assert.match(verified.stdout, /^valid \(wid /);
  const health = await runCli(
    ["executa", "health", join(app, "executas/todo-store"), "--format", "json"],
    opts,
  );
  assert.equal(health.code, 0, explain(health));
  assert.equal(JSON.parse(health.stdout).status, "healthy");
  for (const args of [["serve"], ["dev", app, "--no-watch"]]) {
    const server = new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "-A",
        out,
        ...args,
        ...key,
        ...FREE_PORTS_JSON,
      ],
      cwd: dir.path,
      env: { NO_COLOR: "1" },
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    await using _server = reaped(server);
    const lines = server.stdout.pipeThrough(new TextDecoderStream()).getReader();
    let first = "";
    while (!first.includes("\n")) {
      const { value, done } = await lines.read();
      if (done) break;
      first += value;
    }
    const started = JSON.parse(first.split("\n")[0]);
    assert.equal(started.event, "listening");
    assert.equal(started.mode, args[0]);
    // one HTTP round trip: the startup code after the line (signal listeners) has run by then
    await (await fetch(started.dashboard_url)).body?.cancel();
    if (args[0] === "dev") {
      // the SDK and the app's own files, from the file alone and the copied app
      const sdk = await fetch(`${started.app_origin}/static/anna-apps/_sdk/latest/index.mjs`);
      assert.match(await sdk.text(), /export const AnnaAppRuntime/);
      const page = await fetch(`${started.app_origin}/anna-apps/todo-node/dev/`);
      assert.equal(page.status, 200);
      assert.match(await page.text(), /<html/i);
    }
    server.kill("SIGTERM");
    lines.releaseLock();
    await server.stdout.cancel().catch(() => {});
    await server.stderr.cancel().catch(() => {});
    assert.equal((await server.status).code, 0, `${args[0]} shuts down gracefully on SIGTERM`);
  }
});
