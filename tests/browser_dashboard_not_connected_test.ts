/**
 * The dashboard says so when a window's page loaded but its SDK never sent `window.hello` (a page
 * that does not load the SDK, or loads it from a wrong path): otherwise the developer sees a blank
 * frame and an empty RPC log, with the cause only in the frame's own console. An app that connects
 * gets no such notice.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { DevProcess } from "./helpers/dev_process.ts";
import { REPO_ROOT } from "./helpers/bridge_process.ts";
import { appFrame, byTestId, launchBrowser, newPage, textMatching } from "./helpers/browser.ts";
import { writeAppDir } from "./helpers/app_dir.ts";
import { tmpDir } from "./helpers/tmp.ts";

Deno.test("browser: the dashboard notes a window whose page never connected, naming the SDK path", async () => {
  await using dir = await tmpDir();
  const ui = { bundle: { entry: "index.html" }, views: [{ name: "main", title: "No SDK" }] };
  const app = await writeAppDir(
    join(dir.path, "no-sdk-app"),
    { schema: 2, ui },
    '<!doctype html><script src="/sdk/index.js"></script><p>hello</p>',
  );
  await using dev = await DevProcess.start(app, { args: ["--no-watch", "--no-executas"] });
  await using browser = await launchBrowser();
  await using tp = await newPage(browser);
  await tp.page.goto(dev.info.dashboard_url);
  const note = byTestId(tp.page, "window-not-connected");
  await textMatching(
    note,
    /^the app has not connected \(no window\.hello\): does its page load <script src="\/static\/anna-apps\/_sdk\/latest\/index\.js"> and call AnnaAppRuntime\.connect\(\)\?/,
  );
  assert.equal(await note.isVisible(), true);
});

Deno.test("browser: a window whose app connected shows no not-connected notice", async () => {
  const app = join(REPO_ROOT, "tests/fixtures/apps/panels-app");
  await using dev = await DevProcess.start(app, { args: ["--no-watch", "--no-executas"] });
  await using browser = await launchBrowser();
  await using tp = await newPage(browser);
  await tp.page.goto(dev.info.dashboard_url);
  const frame = await appFrame(tp.page, dev.info.window_uuid);
  await textMatching(byTestId(frame, "status"), /^connected main/);
  // past the notice's delay, with the countdown (which also updates the notice) ticking
  await new Promise((r) => setTimeout(r, 4000));
  const note = byTestId(tp.page, "window-not-connected");
  assert.equal(await note.isHidden(), true);
  assert.equal(await note.textContent(), "");
});
