/**
 * `smoke --browser` runs a bundle that may be a third party's (CONTRACT §14.6): Chromium gets its
 * own sandbox whenever it can start one, and only as root or when the sandbox fails does it run
 * without, with a warning naming why.
 */
import assert from "node:assert/strict";
import { launchChromium, type Launcher, type LaunchOptions } from "../lib/smoke/chromium_launch.ts";
import { Logger } from "../lib/util/log.ts";

function fake(fail: (o: LaunchOptions) => string | null) {
  const calls: LaunchOptions[] = [];
  const launcher: Launcher<string> = {
    launch(o) {
      calls.push(o);
      const err = fail(o);
      return err === null ? Promise.resolve("browser") : Promise.reject(new Error(err));
    },
  };
  const lines: string[] = [];
  const log = new Logger({ level: "debug", format: "json", sink: (l) => lines.push(l) }, "smoke");
  return { launcher, calls, lines, log };
}
const sandboxed = (o: LaunchOptions) => o.chromiumSandbox && !o.args.includes("--no-sandbox");

Deno.test("chromium sandbox: a user that can sandbox gets one launch, sandboxed, and no warning", async () => {
  const f = fake(() => null);
  assert.equal(await launchChromium(f.launcher, "/usr/bin/chromium", f.log, 1000), "browser");
  assert.equal(f.calls.length, 1);
  assert.ok(sandboxed(f.calls[0]), JSON.stringify(f.calls[0]));
  assert.deepEqual(f.lines, []);
});

Deno.test("chromium sandbox: a sandbox that cannot start falls back to none, with a warning", async () => {
  const f = fake((o) =>
    sandboxed(o) ? "browserType.launch: closed\nBrowser logs:\nChromium sandboxing failed!" : null
  );
  assert.equal(await launchChromium(f.launcher, "/usr/bin/chromium", f.log, 1000), "browser");
  assert.equal(f.calls.length, 2);
  assert.ok(sandboxed(f.calls[0]));
  assert.ok(f.calls[1].args.includes("--no-sandbox"));
  const warn = JSON.parse(f.lines[0]);
  assert.equal(warn.level, "warn");
  assert.match(warn.msg, /without its sandbox/);
  assert.equal(warn.reason, "Chromium sandboxing failed!");
});

Deno.test("chromium sandbox: other launch failures are not retried unsandboxed; root skips the sandbox", async () => {
  const f = fake(() => "spawn ENOENT");
  await assert.rejects(launchChromium(f.launcher, "/nope", f.log, 1000), /ENOENT/);
  assert.equal(f.calls.length, 1);

  const root = fake(() => null);
  await launchChromium(root.launcher, "/usr/bin/chromium", root.log, 0);
  assert.equal(root.calls.length, 1);
  assert.ok(root.calls[0].args.includes("--no-sandbox"));
  assert.match(JSON.parse(root.lines[0]).reason, /root/);
});
