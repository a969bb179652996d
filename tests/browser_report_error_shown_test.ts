/**
 * CONTRACT §5.4: `window.report_error` is "logged at warn and shown in the dashboard". Driven from
 * inside the app in headless Chromium against the real `dev`: the reported message is visible in
 * the RPC log row of the call (without opening its args), marked fatal when it was, and other
 * calls carry no such line.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { DevProcess } from "./helpers/dev_process.ts";
import { REPO_ROOT } from "./helpers/bridge_process.ts";
import {
  appCall,
  appFrame,
  atLeast,
  byTestId,
  launchBrowser,
  newPage,
  rpcRows,
  textMatching,
} from "./helpers/browser.ts";

const APP = join(REPO_ROOT, "tests/fixtures/apps/panels-app");

Deno.test("browser: an error the app reports is shown in the dashboard's RPC log", async () => {
  await using dev = await DevProcess.start(APP, { args: ["--no-watch", "--no-executas"] });
  await using browser = await launchBrowser();
  await using tp = await newPage(browser);
  const { page } = tp;
  await page.goto(dev.info.dashboard_url);
  const frame = await appFrame(page, dev.info.window_uuid);
  await textMatching(byTestId(frame, "status"), /^connected main/);

  assert.deepEqual(
    await appCall(frame, "window", "report_error", {
      message: "render failed: cannot read 'items'",
      stack: "at render (app.js:10)",
    }),
    { ok: true },
  );
  const row = rpcRows(page, { ns: "window", method: "report_error", outcome: "ok" });
  await atLeast(row);
  const line = row.first().locator('[data-testid="rpc-app-error"]');
  await textMatching(line, /^app error: render failed: cannot read 'items'$/);
  assert.equal(await line.isVisible(), true, "visible without expanding the row");
  assert.equal(await line.getAttribute("data-fatal"), "false");

  // a long message is shortened to 500 UTF-16 units, never through the middle of an emoji
  assert.deepEqual(
    await appCall(frame, "window", "report_error", { message: `${"x".repeat(499)}😀 tail` }),
    { ok: true },
  );
  await atLeast(row, 2);
  assert.equal(
    await row.first().locator('[data-testid="rpc-app-error"]').textContent(),
    `app error: ${"x".repeat(499)}…`,
  );

  // a non-string message is coerced as the runtime does; fatal is marked
  assert.deepEqual(
    await appCall(frame, "window", "report_error", { message: { reason: "boom" }, fatal: true }),
    { ok: true },
  );
  await atLeast(row, 3);
  const fatal = row.first().locator('[data-testid="rpc-app-error"]');
  await textMatching(fatal, /^fatal app error: \{"reason":"boom"\}$/);
  assert.equal(await fatal.getAttribute("data-fatal"), "true");
  // the crashed window's token countdown stops: its tokens fail with window_closed (§6.3)
  await textMatching(
    byTestId(page, "token-expiry"),
    /^window crashed: its token is no longer accepted$/,
  );

  // other calls have no app-error line
  await atLeast(rpcRows(page, { ns: "window", method: "hello" }));
  assert.equal(
    await rpcRows(page, { ns: "window", method: "hello" }).locator('[data-testid="rpc-app-error"]')
      .count(),
    0,
  );
  tp.assertNoErrors([/blocked\.example/]); // the fixture app provokes one CSP report on purpose
});
