/**
 * Host page duty of CONTRACT §12.8 for expired tokens: "an `invalid_token` outcome with reason
 * `expired` → `session.refresh_token` for that window, post the `auth.refresh` event to the
 * iframe, retry once". The host page posts the event itself, so an app whose event stream is
 * down still learns its new token (the fake-page check of the same duty is in sdk_host_test.ts).
 */
import assert from "node:assert/strict";
import type { Any } from "../lib/dashboard/testing.ts";
import { DevProcess, waitUntil } from "./helpers/dev_process.ts";
import { REPO_ROOT } from "./helpers/bridge_process.ts";
import { appFrame, byTestId, launchBrowser, newPage, textMatching } from "./helpers/browser.ts";

Deno.test("browser: with the event stream blocked, an app with --token-ttl 5 still gets auth.refresh and a new token", async () => {
  await using dev = await DevProcess.start(`${REPO_ROOT}/tests/fixtures/apps/panels-app`, {
    args: ["--no-watch", "--token-ttl", "5"],
  });
  await using browser = await launchBrowser();
  await using tp = await newPage(browser);
  const { page } = tp;
  // no SSE for the session: the runtime's auth.refresh events never reach the page
  let blocked = 0;
  await page.route(/\/sessions\/[^/]+\/events/, (route) => {
    blocked++;
    return route.abort();
  });
  await page.goto(dev.info.dashboard_url);
  const wid = dev.info.window_uuid;
  const frame = await appFrame(page, wid);
  await textMatching(byTestId(frame, "status"), /^connected/);
  const first = new URL(frame.url()).searchParams.get("t")!;
  // the token each request from the app carries, as the host page receives it
  await page.evaluate(() => {
    const g = globalThis as Any;
    g.__reqTokens = [];
    addEventListener("message", (e: Any) => {
      if (e.data && e.data.kind === "req") g.__reqTokens.push(e.data.t);
    });
  });
  await frame.evaluate(() => {
    const g = globalThis as Any;
    g.__refreshes = [];
    g.__rt.on("auth.refresh", (p: Any) => g.__refreshes.push(p.token));
  });

  const results: unknown[] = [];
  const start = Date.now();
  while (Date.now() - start < 12_000) {
    results.push(
      await frame.evaluate(() =>
        (globalThis as Any).__rt.call("storage", "get", { key: "a" }).then(
          () => "ok",
          (e: Any) => e.code,
        )
      ),
    );
    await new Promise((r) => setTimeout(r, 1000));
  }
  assert.ok(blocked > 0, "the event stream was requested and blocked");
  assert.deepEqual(results.filter((r) => r !== "ok"), [], "every call succeeded");

  const refreshes: string[] = await frame.evaluate(() => (globalThis as Any).__refreshes);
  assert.ok(refreshes.length >= 1, "the app saw auth.refresh");
  assert.equal(new Set(refreshes).size, refreshes.length, "each token posted once");
  const tokens: string[] = await page.evaluate(() => (globalThis as Any).__reqTokens);
  const last = tokens[tokens.length - 1];
  assert.notEqual(last, first, "the app's requests carry a new token");
  assert.equal(last, refreshes[refreshes.length - 1]);
  // the countdown follows the refreshed token too
  await waitUntil("a countdown within the TTL", async () => {
    const m = /^token expires in (\d+)s$/.exec(
      (await byTestId(page, "token-expiry").textContent()) ?? "",
    );
    return m !== null && Number(m[1]) <= 5;
  });
  tp.assertNoErrors([/blocked\.example/, /sessions\/.*\/events/, /ERR_FAILED/]);
});
