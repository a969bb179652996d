/**
 * `smoke --browser` (CONTRACT §14.6) in a CI container: a Chromium that cannot start, stops answering
 * or dies mid-check is a runtime fault (exit 3, §14.9) named at once with what Chromium said, not a
 * 20 s "no window.hello" that blames the app; a missing or unusable Chromium and an unwritable
 * TMPDIR stop smoke before it runs (exit 2) with the fix in the message.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { ChromiumNotFound, findChromium } from "../lib/smoke/chromium.ts";
import {
  crashText,
  LAUNCH_TIMEOUT_MS,
  launchChromium,
  launchFailure,
  type LaunchOptions,
  noFontsInstalled,
} from "../lib/smoke/chromium_launch.ts";
import { Logger } from "../lib/util/log.ts";
import { explain, smokeJson } from "./fixtures/smoke/harness.ts";
import { tmpDir } from "./helpers/tmp.ts";

const CHROMIUM = Deno.env.get("ANNA_APP_CHROMIUM") ?? "/usr/bin/chromium";

/** An app in `dir` whose one view loads but never connects: the boot check waits its 20 s. */
async function silentApp(dir: string): Promise<string> {
  const app = join(dir, "silent-app");
  await Deno.mkdir(join(app, "bundle"), { recursive: true });
  await Deno.writeTextFile(join(app, "bundle", "index.html"), "<!doctype html><p>waiting</p>");
  const ui = {
    bundle: { format: "static-spa", entry: "index.html" },
    views: [{ name: "main", title: "silent" }],
  };
  await Deno.writeTextFile(join(app, "manifest.json"), JSON.stringify({ schema: 2, ui }));
  return app;
}

async function script(path: string, body: string): Promise<string> {
  await Deno.writeTextFile(path, `#!/bin/sh\n${body}\n`);
  await Deno.chmod(path, 0o755);
  return path;
}

const browserStep = (r: Awaited<ReturnType<typeof smokeJson>>) =>
  r.report?.steps.find((s) => s.name === "browser");

Deno.test("smoke --browser in CI: Chromium killed during the boot check is exit 3 at once, not a 20 s app failure", async () => {
  await using d = await tmpDir();
  const app = await silentApp(d.path);
  const pidFile = join(d.path, "chromium.pid");
  const wrapper = await script(
    join(d.path, "chromium"),
    `echo $$ > '${pidFile}'\nexec '${CHROMIUM}' "$@"`,
  );
  const t0 = performance.now();
  const run = smokeJson([app, "--browser", "--chromium", wrapper]);
  let pid = 0;
  while (!pid && performance.now() - t0 < 15_000) {
    await new Promise((r) => setTimeout(r, 100));
    pid = Number(await Deno.readTextFile(pidFile).catch(() => "")) || 0;
  }
  assert.ok(pid, "Chromium did not start");
  // let it open the app's page, then kill it the way an OOM killer would
  await new Promise((r) => setTimeout(r, 1500));
  Deno.kill(pid, "SIGKILL");
  const r = await run;
  const took = performance.now() - t0;
  assert.equal(r.code, 3, explain(r));
  assert.equal(browserStep(r)?.status, "error");
  assert.match(browserStep(r)!.message!, /^Chromium exited during the boot check/);
  assert.ok(took < 15_000, `took ${Math.round(took)} ms`);
});

Deno.test("smoke --browser in CI: a Chromium that exits at launch is named with its exit code and what it said", async () => {
  await using d = await tmpDir();
  const app = await silentApp(d.path);
  // Ubuntu's chromium-browser package in a container: a shim that needs snap
  const shim = await script(
    join(d.path, "chromium-browser"),
    "echo \"Command '/usr/bin/chromium-browser' requires the chromium snap to be installed.\" >&2\nexit 1",
  );
  const r = await smokeJson([app, "--browser", "--chromium", shim]);
  assert.equal(r.code, 3, explain(r));
  assert.match(
    browserStep(r)!.message!,
    /^cannot launch Chromium \(.*chromium-browser\): it exited with code 1; it said: Command '\/usr\/bin\/chromium-browser' requires the chromium snap/,
  );
});

Deno.test("smoke --browser in CI: an unwritable TMPDIR stops smoke (exit 2) before Chromium, also with --keep-home", async () => {
  await using d = await tmpDir();
  const app = await silentApp(d.path);
  const r = await smokeJson([app, "--browser", "--chromium", CHROMIUM, "--keep-home"], {
    env: { TMPDIR: join(d.path, "missing") },
  });
  assert.equal(r.code, 2, explain(r));
  assert.match(r.stderr, /cannot create Chromium's temporary profile for --browser \(TMPDIR=/);
  assert.match(r.stderr, /set TMPDIR to a writable directory/);
});

Deno.test("chromium launch: Playwright waits at most the boot time for Chromium to start, not its 180 s", async () => {
  const calls: LaunchOptions[] = [];
  const log = new Logger({ level: "error", format: "json", sink: () => {} }, "smoke");
  await launchChromium({ launch: (o) => (calls.push(o), Promise.resolve(1)) }, "/c", log, 1000);
  assert.equal(calls[0].timeout, LAUNCH_TIMEOUT_MS);
  assert.ok(LAUNCH_TIMEOUT_MS <= 30_000);
  assert.equal(
    launchFailure("/c", new Error("browserType.launch: Timeout 20000ms exceeded.\nCall log:\n…")),
    "cannot launch Chromium (/c): it did not start within 20 s",
  );
  assert.equal(
    launchFailure(
      "/c",
      new Error(
        "browserType.launch: closed\nBrowser logs:\n[pid=1][err] [1:2:ERROR:dbus/bus.cc] Failed " +
          "to connect to the bus: x\n[pid=1] <process did exit: exitCode=null, signal=SIGSEGV>",
      ),
    ),
    "cannot launch Chromium (/c): it was killed by SIGSEGV",
  );
});

Deno.test("chromium crash: with no font installed, a crashed Chromium is told to install one", async () => {
  await using d = await tmpDir();
  const text = crashText("Chromium exited", true);
  assert.match(text, /^Chromium exited during the boot check/);
  assert.match(text, /install one \(Debian\/Ubuntu: apt-get install fonts-liberation/);
  assert.doesNotMatch(crashText("Chromium exited", false), /fonts/);
  // a font in the user's own folder counts (the system folders may have none)
  await Deno.mkdir(join(d.path, ".fonts", "ttf"), { recursive: true });
  const none = await noFontsInstalled({ HOME: d.path }, "linux");
  await Deno.writeTextFile(join(d.path, ".fonts", "ttf", "a.ttf"), "");
  assert.equal(await noFontsInstalled({ HOME: d.path }, "linux"), false);
  // this machine's own folders decide `none`; only a machine without fonts says true
  assert.equal(typeof none, "boolean");
  assert.equal(await noFontsInstalled({}, "darwin"), false);
});

Deno.test("chromium lookup: a bad --chromium says why; none on Linux names the install commands", async () => {
  await using d = await tmpDir();
  const plain = join(d.path, "chrome");
  await Deno.writeTextFile(plain, "");
  await Deno.chmod(plain, 0o644);
  await assert.rejects(
    findChromium(plain, {}),
    /is not an executable file \(no execute permission: chmod \+x /,
  );
  await assert.rejects(
    findChromium(join(d.path, "nope"), {}),
    /is not an executable file \(no such file\)$/,
  );
  await assert.rejects(findChromium(d.path, {}), /\(it is a directory\)$/);
  await assert.rejects(
    findChromium(undefined, { PATH: "/nonexistent" }, "linux"),
    (e: Error) =>
      e instanceof ChromiumNotFound && /apt-get install chromium \(Debian\)/.test(e.message),
  );
});
