/**
 * Live reload in the browser (CONTRACT §11.10, §12.8, §13), on a copy of the notes example:
 * - a bundle edit reloads the app iframe, which then shows the new markup and reconnects;
 * - a manifest that no longer parses is refused: diagnostics appear in the dashboard, the iframe
 *   is not reloaded and the app keeps working under the previous manifest;
 * - a valid manifest again clears the diagnostics and reloads the iframe;
 * - host pages in background tabs let their streams go (browsers allow 6 connections per host),
 *   so many open tabs still load, and a tab shown again reloads for the edits it missed.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { copyDir, DevProcess, waitUntil } from "./helpers/dev_process.ts";
import { tmpDir } from "./helpers/tmp.ts";
import {
  appFrame,
  atLeast,
  byTestId,
  type Frame,
  launchBrowser,
  newPage,
  NOTES_APP,
  type Page,
  rpcRows,
  SCREENSHOT_DIR,
  textMatching,
} from "./helpers/browser.ts";

type Marked = { __mark?: string };
/** Tags the iframe's current document, to tell later whether it was replaced. */
const mark = (f: Frame, m: string) =>
  f.evaluate((v) => void ((globalThis as Marked).__mark = v), m);
const markOf = (f: Frame) => f.evaluate(() => (globalThis as Marked).__mark ?? null);
/** What a browser tells a page when its tab goes to the background or comes back. */
const setHidden = (p: Page, hidden: boolean) =>
  p.evaluate((h) => {
    // deno-lint-ignore no-explicit-any
    const document = (globalThis as any).document;
    Object.defineProperty(document, "visibilityState", {
      configurable: true,
      get: () => (h ? "hidden" : "visible"),
    });
    document.dispatchEvent(new Event("visibilitychange"));
  }, hidden);

Deno.test("browser: live reload — bundle edits reload the iframe, a broken manifest keeps the old one", async () => {
  await using tmp = await tmpDir("anna-live-reload-");
  const appDir = join(tmp.path, "notes-app");
  await copyDir(NOTES_APP, appDir);
  const indexHtml = join(appDir, "bundle", "index.html");
  const manifestPath = join(appDir, "manifest.json");
  const goodManifest = await Deno.readTextFile(manifestPath);

  await using dev = await DevProcess.start(appDir);
  await using browser = await launchBrowser();
  await using tp = await newPage(browser);
  const { page } = tp;
  await page.goto(dev.info.dashboard_url);
  const frame = await appFrame(page, dev.info.window_uuid);
  await textMatching(byTestId(frame, "status"), /^connected/);
  assert.equal(await frame.locator("h1").textContent(), "Notes");

  // 1. a bundle edit: the iframe reloads with the new markup and connects again
  await mark(frame, "before-bundle-edit");
  const html = await Deno.readTextFile(indexHtml);
  assert.ok(html.includes("<h1>Notes</h1>"));
  await Deno.writeTextFile(
    indexHtml,
    html.replace("<h1>Notes</h1>", "<h1>Notes, edited live</h1>"),
  );
  await textMatching(frame.locator("h1"), /^Notes, edited live$/);
  assert.equal(await markOf(frame), null, "a new document");
  await textMatching(byTestId(frame, "status"), /^connected/);
  await textMatching(byTestId(page, "live-reload-state"), /^reloaded .* \(1 file\(s\)\)$/);
  const reload = await dev.waitForLog("a reload entry", (e) => e.type === "reload");
  assert.deepEqual(reload.paths, [indexHtml]);

  // 2. a manifest that is not JSON: diagnostics shown, previous manifest kept, no reload
  await mark(frame, "before-broken-manifest");
  await Deno.writeTextFile(manifestPath, goodManifest.replace(/\}\s*$/, "")); // lose the last brace
  const diag = page.locator(
    '[data-testid="manifest-diagnostics"] [data-testid="diagnostic"][data-severity="error"]',
  );
  await atLeast(diag);
  const entry = await dev.waitForLog(
    "a manifest entry with errors",
    (e) =>
      e.type === "manifest" &&
      (e.diagnostics as { severity: string }[]).some((d) => d.severity === "error"),
  );
  const codes = (entry.diagnostics as { code: string }[]).map((d) => d.code);
  assert.ok(codes.length > 0);
  assert.equal(await diag.first().getAttribute("data-code"), codes[0]);
  await Deno.mkdir(SCREENSHOT_DIR, { recursive: true });
  await byTestId(page, "manifest-panel").screenshot({
    path: join(SCREENSHOT_DIR, "dashboard-manifest-diagnostics.png"),
  });
  // the app still works with the grants of the previous manifest
  await byTestId(frame, "note-input").fill("still works");
  await byTestId(frame, "add-note").click();
  await textMatching(byTestId(frame, "output"), /^saved 1 note\(s\)$/);
  await atLeast(rpcRows(page, { ns: "storage", method: "set", outcome: "ok" }));
  assert.equal(await markOf(frame), "before-broken-manifest", "the iframe was not reloaded");
  const stored = await dev.call("storage", "get", { key: "notes:v1" });
  assert.deepEqual((stored.result!.value as { content: string }[]).map((n) => n.content), [
    "still works",
  ]);

  // 3. a valid manifest again: diagnostics cleared, iframe reloaded, the note is still there
  await Deno.writeTextFile(manifestPath, goodManifest);
  await textMatching(byTestId(page, "manifest-diagnostics"), /^No diagnostics\.$/);
  await waitUntil(
    "the iframe reload after the manifest fix",
    async () => (await markOf(frame)) === null,
  );
  await textMatching(byTestId(frame, "notes"), (t) => t.includes("still works"));
  await textMatching(byTestId(page, "live-reload-state"), /\(manifest\)$/);
  tp.assertNoErrors();
});

Deno.test("browser: many open tabs — hidden host pages free their streams, and reload when shown", async () => {
  await using tmp = await tmpDir("anna-live-reload-tabs-");
  const appDir = join(tmp.path, "notes-app");
  await copyDir(NOTES_APP, appDir);
  const indexHtml = join(appDir, "bundle", "index.html");
  await using dev = await DevProcess.start(appDir);
  await using browser = await launchBrowser();
  await using tp = await newPage(browser);
  const wid = dev.info.window_uuid;

  // six host pages of one origin, each sent to the background once up; each page used to hold
  // two streams (log, session events), so the fourth never finished and the fifth never loaded
  const pages: Page[] = [];
  for (let i = 0; i < 6; i++) {
    const p = i === 0 ? tp.page : await tp.context.newPage();
    await p.goto(i % 2 ? dev.info.window_url : dev.info.dashboard_url, { timeout: 10_000 });
    const frame = await appFrame(p, wid);
    await textMatching(byTestId(frame, "status"), /^connected/, 10_000);
    await mark(frame, `page ${i}`);
    pages.push(p);
    if (i < 5) await setHidden(p, true);
  }

  // an edit reloads the page in front at once; a background one only once it is shown
  const html = await Deno.readTextFile(indexHtml);
  await Deno.writeTextFile(indexHtml, html.replace("<h1>Notes</h1>", "<h1>Notes, edited</h1>"));
  await textMatching((await appFrame(pages[5], wid)).locator("h1"), /^Notes, edited$/);
  const first = await appFrame(pages[0], wid);
  assert.equal(await markOf(first), "page 0", "a hidden page does not reload");
  await setHidden(pages[0], false);
  await waitUntil("the shown page's reload", async () => (await markOf(first)) === null);
  await textMatching((await appFrame(pages[0], wid)).locator("h1"), /^Notes, edited$/);
  // its event stream is back: a title change reaches its window tab
  await dev.call("window", "set_title", { title: "Back in front" });
  await textMatching(byTestId(pages[0], "window-tab").first(), /^Back in front/);
  tp.assertNoErrors();
});
