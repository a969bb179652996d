/**
 * The dashboard's Events panel shows an `auth.refresh` event's token redacted, as the log,
 * stderr and recordings do (lib/util/redact.ts): the session SSE carries the real token because
 * the host page needs it, but the opened event row is what gets screenshotted and pasted.
 */
import assert from "node:assert/strict";
import type { Any } from "../lib/dashboard/testing.ts";
import { DevProcess } from "./helpers/dev_process.ts";
import {
  appFrame,
  byTestId,
  launchBrowser,
  newPage,
  NOTES_APP,
  textMatching,
} from "./helpers/browser.ts";

Deno.test("browser: an opened auth.refresh event row shows dev1.[redacted], the app still gets the real token", async () => {
  await using dev = await DevProcess.start(NOTES_APP, { args: ["--no-watch"] });
  await using browser = await launchBrowser();
  await using tp = await newPage(browser);
  const { page } = tp;
  await page.goto(dev.info.dashboard_url);
  const wid = dev.info.window_uuid;
  let frame = await appFrame(page, wid);
  await textMatching(byTestId(frame, "status"), /^connected/);
  // what the host page gets from the session SSE, before the dashboard renders it
  await page.evaluate(() => {
    const g = globalThis as Any;
    g.__sseTokens = [];
    g.__annaHost.on("event", (env: Any) => {
      if (env.kind === "auth.refresh") g.__sseTokens.push(env.payload.token);
    });
  });

  // the reload button: session.refresh_token, whose auth.refresh comes on the session SSE
  await byTestId(page, "reload-window").click();
  const row = page.locator('[data-testid="event-row"][data-kind="auth.refresh"]').first();
  await row.waitFor();
  await row.locator("summary").click();
  const text = await textMatching(byTestId(row, "event-payload"), /token/);
  const payload = JSON.parse(text);
  assert.equal(payload.token, "dev1.[redacted]");
  assert.equal(typeof payload.expires_at, "number");
  assert.doesNotMatch(await page.locator("body").innerText(), /dev1\.[A-Za-z0-9_-]+\./);

  // the host page still has the real token, and the reloaded app works with it
  const seen: string[] = await page.evaluate(() => (globalThis as Any).__sseTokens);
  assert.equal(seen.length, 1);
  assert.match(seen[0], /^dev1\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/);
  frame = await appFrame(page, wid);
  await textMatching(byTestId(frame, "status"), /^connected/);
  tp.assertNoErrors();
});
