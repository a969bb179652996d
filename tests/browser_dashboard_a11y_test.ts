/**
 * The dashboard (CONTRACT §13) for a keyboard and screen-reader user, in headless Chromium against
 * the real `dev` on the panels app:
 * - a denied call and a crashed window are said in the live region, not only coloured;
 * - a window tab says which one is shown (aria-pressed) and keeps focus when Enter selects it
 *   (the tabs are rebuilt on every change, which dropped focus to the page);
 * - per-row buttons name their row (Delete <key>, Restart <tool id>), and deleting a key moves
 *   focus to the next row's Delete instead of losing it; Restart keeps focus though its card is
 *   rebuilt;
 * - the "new session" disclosure says whether its form is open and Cancel gives focus back.
 */
import assert from "node:assert/strict";
import { openPanelsDashboard } from "./helpers/panels_dashboard.ts";
import { waitUntil } from "./helpers/dev_process.ts";
import {
  appCall,
  appFrame,
  atLeast,
  byTestId,
  type Locator,
  type Page,
  textMatching,
} from "./helpers/browser.ts";

// deno-lint-ignore no-explicit-any
type Any = any;

/** `data-testid:data-wid` of the focused element. */
const focused = (page: Page) =>
  page.evaluate(() => {
    const el = (globalThis as Any).document.activeElement;
    return el ? `${el.dataset.testid ?? el.tagName}:${el.dataset.wid ?? ""}` : "none";
  });
const hasAttr = (el: Locator, name: string, value: string) =>
  waitUntil(`${name}=${value}`, async () => (await el.getAttribute(name)) === value);

Deno.test("browser: the dashboard announces failures and keeps keyboard focus", async () => {
  await using t = await openPanelsDashboard();
  const { dev, tp, page, frame } = t;
  const wid = dev.info.window_uuid;
  const announce = byTestId(page, "announce");
  assert.equal(await announce.getAttribute("role"), "status");

  // ---- a denied call is said, with its code ----
  assert.deepEqual(await appCall(frame, "fs", "read", { path: "x" }), {
    error: "permission_denied",
  });
  await textMatching(announce, /fs\.read denied \(permission_denied\)/);

  // ---- per-row names; Delete keeps focus in the table ----
  await appCall(frame, "storage", "set", { key: "a", value: 1 });
  await appCall(frame, "storage", "set", { key: "b", value: 2 });
  await atLeast(page.getByRole("button", { name: "Delete b", exact: true }));
  await atLeast(page.getByRole("button", { name: "Restart tool-plugin", exact: true }));
  await page.getByRole("button", { name: "Delete a", exact: true }).focus();
  await page.keyboard.press("Enter");
  await page.getByRole("button", { name: "Delete a", exact: true }).waitFor({ state: "detached" });
  assert.equal(
    await page.evaluate(() => (globalThis as Any).document.activeElement?.ariaLabel),
    "Delete b",
  );

  // ---- Restart by keyboard: the rebuilt card's Restart keeps focus ----
  const restart = page.getByRole("button", { name: "Restart tool-plugin", exact: true });
  await restart.focus();
  await restart.evaluate((el) => (el as Any).__before = true);
  await page.keyboard.press("Enter");
  await waitUntil("focus on the rebuilt card's Restart", () =>
    page.evaluate(() => {
      const el = (globalThis as Any).document.activeElement;
      return el.dataset.testid === "executa-restart" && !el.__before;
    }));

  // ---- window tabs: opened by keyboard, selected with Enter, focus stays ----
  await byTestId(page, "open-view-name").focus();
  await page.keyboard.type("detail");
  await byTestId(page, "open-view-submit").press("Enter");
  const tabs = page.locator('[data-testid="window-tab"]');
  await atLeast(tabs, 2);
  const other = await tabs.evaluateAll(
    (ts, w) => ts.map((t) => (t as Any).dataset.wid).find((x) => x !== w),
    wid,
  );
  const first = page.locator(`[data-testid="window-tab"][data-wid="${wid}"]`);
  const second = page.locator(`[data-testid="window-tab"][data-wid="${other}"]`);
  await textMatching(second, /^Detail/);
  await hasAttr(second, "aria-pressed", "true");
  assert.equal(await first.getAttribute("aria-pressed"), "false");
  await first.focus();
  await page.keyboard.press("Enter");
  await hasAttr(first, "aria-pressed", "true");
  assert.equal(await focused(page), `window-tab:${wid}`);
  assert.equal(await page.getByRole("group", { name: "open windows" }).count(), 1);

  // ---- a crashed window is said ----
  const detail = await appFrame(page, other!);
  await appCall(detail, "window", "report_error", { message: "boom", fatal: true });
  await textMatching(announce, /window Detail crashed/);
  assert.equal(await focused(page), `window-tab:${wid}`, "the status change kept focus");

  // ---- new session disclosure ----
  const open = byTestId(page, "new-session");
  assert.equal(await open.getAttribute("aria-expanded"), "false");
  await open.press("Enter");
  await hasAttr(open, "aria-expanded", "true");
  await byTestId(page, "new-session-cancel").press("Enter");
  assert.equal(await focused(page), "new-session:");
  await hasAttr(open, "aria-expanded", "false");
  tp.assertNoErrors([/blocked\.example/, /Content Security Policy/, /boom/]);
});
