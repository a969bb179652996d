/**
 * examples/multi-view in real Chromium, in the dashboard: an app opens its second view itself
 * (window.open_view, CONTRACT §5.4, §6.4), the host page makes an iframe for the new window at the
 * view's hash-routed entry (§12.8), a single_instance reuse reaches that iframe as `entry_payload`
 * (§12.5) without a second iframe, resize is clamped to the view's max_size and reported back as
 * `geometry_changed`, and window.close removes the iframe. On `/dev/:wid` the opened view comes to
 * the front and the page's window picker brings the first one back.
 */
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { DevProcess, waitUntil } from "./helpers/dev_process.ts";
import {
  appFrame,
  byTestId,
  CSP_IPV6_NOISE,
  launchBrowser,
  newPage,
  textMatching,
} from "./helpers/browser.ts";

const APP = fileURLToPath(new URL("../examples/multi-view", import.meta.url));

Deno.test("browser: multi-view example — app-opened view, entry_payload on reuse, resize, close", async () => {
  await using dev = await DevProcess.start(APP);
  await using browser = await launchBrowser();
  await using tp = await newPage(browser);
  const { page } = tp;
  await page.goto(dev.info.dashboard_url);
  const main = await appFrame(page, dev.info.window_uuid);
  await textMatching(byTestId(main, "status"), (t) => t === `main ${dev.info.window_uuid}`);
  const frames = page.locator('iframe[data-testid="app-frame"]');

  await byTestId(main, "open-a1").click();
  const opened = await textMatching(byTestId(main, "status"), /^opened a1 in \S+$/);
  const detailWid = opened.split(" ").pop()!;
  const detail = await appFrame(page, detailWid);
  await textMatching(byTestId(detail, "detail-title"), /^Deno 2 in practice$/);
  // read once the document is in: the frame may still be about:blank when it is first attached
  assert.match(detail.url(), /#\/detail$/, "the view's own hash route comes last");
  await textMatching(byTestId(detail, "status"), /^detail 480×420$/);

  // single_instance: the same window (and iframe) gets the next article as an event
  await page.locator(`[data-testid="window-tab"][data-wid="${dev.info.window_uuid}"]`).click();
  await byTestId(main, "open-a3").click();
  await textMatching(byTestId(main, "status"), (t) => t === `opened a3 in ${detailWid}`);
  await textMatching(byTestId(detail, "detail-title"), /^postMessage pitfalls$/);
  assert.equal(await frames.count(), 2);

  await page.locator(`[data-testid="window-tab"][data-wid="${detailWid}"]`).click();
  await byTestId(detail, "wider").click();
  await textMatching(byTestId(detail, "status"), /^detail 800×420$/);

  await byTestId(detail, "done").click();
  await waitUntil("the closed window's iframe is removed", async () => await frames.count() === 1);

  const s = await dev.rpc("session.get", { session_id: dev.info.session_id });
  const windows = s.windows as { view: string; status: string }[];
  assert.deepEqual(windows.map((w) => [w.view, w.status]), [["main", "active"], [
    "detail",
    "closed",
  ]]);
  tp.assertNoErrors([CSP_IPV6_NOISE]);
});

Deno.test("browser: /dev/:wid — a view the app opens comes to the front, and the window picker switches back", async () => {
  await using dev = await DevProcess.start(APP);
  await using browser = await launchBrowser();
  await using tp = await newPage(browser);
  const { page } = tp;
  await page.goto(dev.info.window_url);
  const main = await appFrame(page, dev.info.window_uuid);
  await textMatching(byTestId(main, "status"), (t) => t === `main ${dev.info.window_uuid}`);
  const picker = byTestId(page, "window-switch");
  assert.equal(await picker.isVisible(), false, "one window: nothing to switch between");

  await byTestId(main, "open-a1").click();
  const opened = await textMatching(byTestId(main, "status"), /^opened a1 in \S+$/);
  const detailWid = opened.split(" ").pop()!;
  await appFrame(page, detailWid);
  const shown = page.locator('iframe[data-testid="app-frame"][data-active]');
  await waitUntil(
    "the new view is in front",
    async () => await shown.getAttribute("data-wid") === detailWid,
  );
  await picker.waitFor({ state: "visible" });
  assert.deepEqual(await picker.locator("option").evaluateAll((os) => os.map((o) => o.value)), [
    dev.info.window_uuid,
    detailWid,
  ]);
  assert.equal(await picker.inputValue(), detailWid);

  await picker.selectOption(dev.info.window_uuid);
  await waitUntil(
    "the first window is back in front",
    async () => await shown.getAttribute("data-wid") === dev.info.window_uuid,
  );
  tp.assertNoErrors([CSP_IPV6_NOISE]);
});
