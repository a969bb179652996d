/**
 * A cancelled CI job: SIGTERM or SIGINT during `smoke` stops the run promptly (exit 143/130), stops
 * the executa it started (no orphan), removes its temporary HOME and still writes the report,
 * which names the step the run stopped in.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { MAIN_TS, REPO_ROOT, SMOKE_FIXTURES } from "./fixtures/smoke/harness.ts";
import { writeAppDir } from "./helpers/app_dir.ts";
import { tmpDir } from "./helpers/tmp.ts";
import { alive } from "./helpers/processes.ts";
import { junitReport } from "../lib/smoke/report_junit.ts";

const PLUGIN = join(SMOKE_FIXTURES, "mini_plugin.mjs");

async function hangingApp(dir: string): Promise<string> {
  const app = await writeAppDir(
    join(dir, "hang-app"),
    {
      schema: 2,
      required_executas: [{ tool_id: "tool-mini" }],
      ui: { views: [{ name: "main", title: "Hang" }], host_api: { tools: ["tool-mini"] } },
    },
    "<!doctype html><title>hang</title>",
  );
  await Deno.writeTextFile(
    join(app, "calls.jsonl"),
    JSON.stringify({
      t: 1,
      dir: "out",
      ns: "tools",
      method: "invoke",
      args: { tool_id: "tool-mini", method: "ping", args: {} },
      result: { pong: true },
    }) + "\n",
  );
  return app;
}

/** `main.ts smoke … --format json` running in the background, its key file in `dir`. */
function spawnSmoke(dir: string, args: string[], env: Record<string, string> = {}) {
  return new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      MAIN_TS,
      "smoke",
      ...args,
      "--key-file",
      join(dir, "dev.key"),
      "--format",
      "json",
    ],
    cwd: REPO_ROOT,
    env: { NO_COLOR: "1", ...env },
    stdin: "null",
    stdout: "null",
    stderr: "piped",
  }).spawn();
}

async function waitFor<T>(probe: () => Promise<T | null>, ms: number): Promise<T> {
  const end = performance.now() + ms;
  while (performance.now() < end) {
    const v = await probe();
    if (v !== null) return v;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`nothing after ${ms} ms`);
}

for (const [sig, code] of [["SIGTERM", 143], ["SIGINT", 130]] as const) {
  Deno.test({
    name:
      `smoke interrupted by ${sig} mid-call: exit ${code}, executa stopped, HOME removed, report`,
    ignore: Deno.build.os !== "linux",
    fn: async () => {
      await using dir = await tmpDir();
      const app = await hangingApp(dir.path);
      const tmp = join(dir.path, "tmp");
      await Deno.mkdir(tmp);
      const marker = join(dir.path, "invoked.pid");
      const out = join(dir.path, "report.json");
      const child = spawnSmoke(dir.path, [
        app,
        "--fixtures",
        join(app, "calls.jsonl"),
        "--executa",
        `dir=${SMOKE_FIXTURES},tool_id=tool-mini,type=node,command=${
          JSON.stringify(["node", PLUGIN, "invoke-hang", marker])
        }`,
        "--out",
        out,
      ], { TMPDIR: tmp });
      const pid = await waitFor(async () => {
        const t = await Deno.readTextFile(marker).catch(() => "");
        return t ? Number(t) : null;
      }, 30_000);
      assert.ok(alive(pid), "the executa runs the replayed call");
      const homes = [...Deno.readDirSync(tmp)].map((e) => e.name);
      assert.ok(homes.some((n) => n.startsWith("anna-smoke-home-")), `temp HOME: ${homes}`);

      const t0 = performance.now();
      child.kill(sig);
      const r = await child.output();
      const stderr = new TextDecoder().decode(r.stderr);
      assert.equal(r.code, code, stderr);
      // the executa's shutdown (§9.10) is at most 4 s; nothing waits for the 120 s call timeout
      assert.ok(performance.now() - t0 < 15_000, "prompt exit");
      assert.match(stderr, new RegExp(`${sig}: stopping smoke`));
      assert.equal(alive(pid), false, "the executa was stopped");
      assert.deepEqual(
        [...Deno.readDirSync(tmp)].filter((e) => e.name.startsWith("anna-smoke-home-")),
        [],
      );
      const report = JSON.parse(await Deno.readTextFile(out));
      assert.equal(report.exit_code, code);
      assert.equal(report.result, "error");
      const stopped = report.steps.find((s: { name: string }) => /interrupted$/.test(s.name));
      assert.ok(stopped, JSON.stringify(report.steps));
      assert.equal(stopped.status, "error");
      assert.match(stopped.message, new RegExp(`${sig} during fixture:`));
      // the call that hung is named, as a cancelled CI job's log reader needs
      assert.match(stopped.message, /at #1 tools\.invoke \(line 1\), waiting \d+ ms;/);
      // the executa check and the view ran before the signal and are kept
      assert.ok(report.steps.some((s: { name: string }) => s.name === "views: main"));
    },
  });
}

const CHROMIUM = Deno.env.get("ANNA_APP_CHROMIUM") ?? "/usr/bin/chromium";

Deno.test({
  name: "smoke --browser interrupted while waiting for the page: exit 143 at once, not a timeout",
  ignore: Deno.build.os !== "linux",
  fn: async () => {
    await using dir = await tmpDir();
    const app = await hangingApp(dir.path); // its page never connects
    const out = join(dir.path, "report.json");
    const child = spawnSmoke(dir.path, [
      app,
      "--browser",
      "--chromium",
      CHROMIUM,
      "--no-fixtures",
      "--no-executas",
      "--log-level",
      "debug",
      "--out",
      out,
    ]);
    // the host page asks for its session once Chromium has loaded it
    let stderr = "";
    const reader = child.stderr.pipeThrough(new TextDecoderStream()).getReader();
    while (!/session\.get/.test(stderr)) {
      const { value, done } = await reader.read();
      if (done) break;
      stderr += value;
    }
    const t0 = performance.now();
    child.kill("SIGTERM");
    const rest = (async () => {
      while (true) {
        const { value, done } = await reader.read();
        if (done) return;
        stderr += value;
      }
    })();
    const { code } = await child.status;
    await rest;
    assert.equal(code, 143, stderr);
    // Playwright's own SIGTERM handler used to close Chromium and leave the 20 s boot wait to
    // run out into a false "no window.hello" failure
    assert.ok(performance.now() - t0 < 10_000, "prompt exit");
    const report = JSON.parse(await Deno.readTextFile(out));
    const browser = report.steps.find((s: { name: string }) => s.name.startsWith("browser"));
    assert.equal(browser.name, "browser: interrupted");
    assert.doesNotMatch(JSON.stringify(report), /no window\.hello/);
  },
});

Deno.test("junit: an interruption is its own kind of <error>, not a runtime fault of the app", () => {
  const step = (name: string, status: "pass" | "error") => ({
    suite: "fixture:calls.jsonl",
    name,
    status,
    duration_ms: 1,
    message: status === "error" ? "interrupted by SIGTERM during fixture:calls.jsonl" : undefined,
  });
  const report = {
    tool: "anna-app-runtime" as const,
    version: "0",
    app: { slug: "a", dir: "/a" },
    started_at: 0,
    duration_ms: 5,
    result: "error" as const,
    exit_code: 143,
    steps: [step("interrupted", "error")],
    fixtures: [],
    executas: [],
    warnings: [],
  };
  assert.match(
    junitReport(report),
    /<error message="interrupted by SIGTERM[^"]*" type="interrupted">/,
  );
  assert.match(
    junitReport({ ...report, exit_code: 3, result: "error" }),
    /type="runtime_fault"/,
  );
});
