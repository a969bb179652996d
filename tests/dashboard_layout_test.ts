/**
 * Dashboard layout (CONTRACT §13) in headless Chromium at the sizes a developer uses:
 * - narrow (800 px, one column): the window card is not pinned over the panels below it, and the
 *   header wraps without covering the window toolbar;
 * - wide (1280 px): the pinned window card stays below the header however it wraps;
 * - long storage keys and values wrap inside the storage table, so the page never gets wider
 *   than the window and Edit/Delete stay reachable;
 * - the RPC log fits its box with long method names and error outcomes (the ms column visible).
 */
import assert from "node:assert/strict";
import { DevProcess } from "./helpers/dev_process.ts";
import { REPO_ROOT } from "./helpers/bridge_process.ts";
import {
  appFrame,
  atLeast,
  byTestId,
  launchBrowser,
  newPage,
  type Page,
  rpcRows,
  textMatching,
} from "./helpers/browser.ts";

const APP = `${REPO_ROOT}/tests/fixtures/apps/panels-app`;
const IGNORE = [/blocked\.example/];

// deno-lint-ignore no-explicit-any
type Any = any;

type Box = { top: number; bottom: number; left: number; right: number };
function box(page: Page, selector: string): Promise<Box> {
  return page.locator(selector).first().evaluate((el) => {
    const r = el.getBoundingClientRect();
    return { top: r.top, bottom: r.bottom, left: r.left, right: r.right };
  });
}

/** Scrolls `selector` to the middle of the viewport; true when a click there would reach it. */
function reachable(page: Page, selector: string): Promise<boolean> {
  return page.locator(selector).first().evaluate((el) => {
    el.scrollIntoView({ block: "center", inline: "center" });
    const r = el.getBoundingClientRect();
    const hit = (globalThis as Any).document.elementFromPoint(
      r.left + r.width / 2,
      r.top + r.height / 2,
    );
    return hit !== null && (hit === el || el.contains(hit));
  });
}

async function opened(page: Page, dev: DevProcess) {
  await page.goto(dev.info.dashboard_url);
  const frame = await appFrame(page, dev.info.window_uuid);
  await textMatching(byTestId(frame, "status"), /^connected/);
  await textMatching(byTestId(page, "header-slug"), /^panels-app$/);
}

Deno.test("browser: at 800x800 the window card does not cover the panels and the header does not cover the card", async () => {
  await using dev = await DevProcess.start(APP, { args: ["--no-watch"] });
  await using browser = await launchBrowser();
  await using tp = await newPage(browser, { width: 800, height: 800 });
  const { page } = tp;
  await opened(page, dev);

  const header = await box(page, "header.top");
  for (const sel of ['[data-testid="window-tabs"]', '[data-testid="reload-window"]']) {
    const b = await box(page, sel);
    assert.ok(header.bottom <= b.top, `header (bottom ${header.bottom}) over ${sel} (${b.top})`);
  }
  for (
    const id of ["storage-add", "storage-add-key", "invoke-submit", "rpc-clear", "close-window"]
  ) {
    assert.ok(await reachable(page, `[data-testid="${id}"]`), `${id} can be clicked`);
  }
  // and really clicking "Set" reaches the storage form (it names the missing key)
  await page.evaluate(() => (globalThis as Any).scrollTo(0, 0));
  await byTestId(page, "storage-add").scrollIntoViewIfNeeded();
  await byTestId(page, "storage-add").click({ trial: true, timeout: 5000 });
  tp.assertNoErrors(IGNORE);
});

Deno.test("browser: at 1280x800 the pinned window card stays below the header when scrolled", async () => {
  await using dev = await DevProcess.start(APP, { args: ["--no-watch"] });
  await using browser = await launchBrowser();
  await using tp = await newPage(browser, { width: 1280, height: 800 });
  const { page } = tp;
  await opened(page, dev);
  await page.evaluate(() => (globalThis as Any).scrollTo(0, 600));
  await page.waitForFunction(() => (globalThis as Any).scrollY > 0);
  const header = await box(page, "header.top");
  const windows = await box(page, '[data-testid="windows"]');
  assert.ok(
    header.bottom <= windows.top,
    `header bottom ${header.bottom} covers the window card at ${windows.top}`,
  );
  assert.ok(windows.bottom <= 800, `the pinned card ends at ${windows.bottom}, below the window`);
  tp.assertNoErrors(IGNORE);
});

Deno.test("browser: long storage keys and values wrap; the page stays as wide as the window", async () => {
  await using dev = await DevProcess.start(APP, { args: ["--no-watch"] });
  await using browser = await launchBrowser();
  for (const width of [1280, 800]) {
    await using tp = await newPage(browser, { width, height: 800 });
    const { page } = tp;
    await opened(page, dev);
    if (width === 1280) {
      const long = await dev.call("storage", "set", {
        key: "k".repeat(120),
        value: "v".repeat(400),
      });
      assert.equal(long.ok, true);
      assert.equal((await dev.call("storage", "set", { key: "short", value: 1 })).ok, true);
    }
    await atLeast(page.locator('[data-testid="storage-key-row"]'), 2);
    const sizes = await page.evaluate(() => ({
      scroll: (globalThis as Any).document.scrollingElement.scrollWidth as number,
      view: (globalThis as Any).innerWidth as number,
    }));
    assert.ok(sizes.scroll <= sizes.view, `${width}px: page is ${sizes.scroll}px wide`);
    for (const id of ["storage-edit", "storage-delete"]) {
      const buttons = page.locator(`[data-testid="${id}"]`);
      for (let i = 0; i < await buttons.count(); i++) {
        const b = await buttons.nth(i).evaluate((el) => {
          const r = el.getBoundingClientRect();
          return { left: r.left, right: r.right };
        });
        assert.ok(b.left >= 0 && b.right <= sizes.view, `${width}px: ${id} #${i} at ${b.right}`);
      }
    }
    tp.assertNoErrors(IGNORE);
  }
});

Deno.test("browser: at 1280x800 the RPC log fits its box, ms column included", async () => {
  await using dev = await DevProcess.start(APP, { args: ["--no-watch"] });
  await using browser = await launchBrowser();
  await using tp = await newPage(browser, { width: 1280, height: 800 });
  const { page } = tp;
  await opened(page, dev);
  // a long method name and an error outcome with a long code
  const long = await dev.call("window", `a_rather_long_method_name_${"x".repeat(30)}`, {});
  assert.equal(long.ok, false);
  assert.equal((await dev.call("fs", "read", { path: "x" })).ok, false);
  assert.equal((await dev.call("storage", "set", { key: "", value: 1 })).ok, false);
  await atLeast(rpcRows(page, { outcome: "error" }), 2);
  await atLeast(rpcRows(page, { outcome: "denied" }));
  const fit = await byTestId(page, "rpc-panel").evaluate((panel) => {
    const scroll = panel.querySelector(".scroll")!;
    const box = scroll.getBoundingClientRect();
    const cells = [...panel.querySelectorAll('[data-testid="rpc-row"] td:last-child')];
    return {
      scrollWidth: scroll.scrollWidth,
      clientWidth: scroll.clientWidth,
      msOutside: cells.filter((c) => c.getBoundingClientRect().right > box.right + 0.5).length,
      cells: cells.length,
    };
  });
  assert.ok(fit.cells >= 3);
  assert.ok(
    fit.scrollWidth <= fit.clientWidth,
    `the log is ${fit.scrollWidth}px wide in a ${fit.clientWidth}px box`,
  );
  assert.equal(fit.msOutside, 0, "every ms cell is inside the box");
  tp.assertNoErrors(IGNORE);
});
