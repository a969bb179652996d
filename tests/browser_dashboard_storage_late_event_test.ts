/**
 * The dashboard Storage panel writes with session.set_runtime_state over the socket while the
 * runtime's `runtime_state_synced` events come on the session SSE (§11.5): two connections, so an
 * event sent before a write can arrive after that write's answer. Such a late event must not take
 * the panel back to the older bucket, nor become the base of the panel's next write (which
 * replaces the whole bucket, and so would undo the first write). In headless Chromium against the
 * real `dev`; the late delivery is made by holding the page's SSE events back.
 */
import assert from "node:assert/strict";
import { openPanelsDashboard } from "./helpers/panels_dashboard.ts";
import { waitUntil } from "./helpers/dev_process.ts";
import { appFrame, byTestId, type Page, textMatching } from "./helpers/browser.ts";
import type { Any } from "../lib/dashboard/testing.ts";

const IGNORE = [/blocked\.example/, /Content Security Policy/];

/** Session events reach the page's listeners only when released (in order) while holding. */
function holdSessionEvents() {
  const g = globalThis as Any;
  const ES = g.EventSource;
  g.__held = null; // null: delivered at once
  g.EventSource = class extends ES {
    addEventListener(type: string, fn: (ev: unknown) => void, o?: unknown) {
      if (type !== "data_model.AnnaAppEvent") return super.addEventListener(type, fn, o);
      return super.addEventListener(type, (ev: unknown) => {
        if (g.__held) g.__held.push(() => fn.call(this, ev));
        else fn.call(this, ev);
      }, o);
    }
  };
}

const release = (page: Page, all = false) =>
  page.evaluate((all) => {
    const g = globalThis as Any;
    const q = g.__held;
    if (all) g.__held = null;
    const n = all ? q.length : 1;
    for (const deliver of q.splice(0, n)) deliver();
    return q.length;
  }, all);

async function setKey(page: Page, key: string, value: string) {
  await byTestId(page, "storage-add-key").fill(key);
  await byTestId(page, "storage-add-value").fill(value);
  await byTestId(page, "storage-add").click();
  // saved: the form is cleared once set_runtime_state has answered
  await waitUntil(
    `${key} saved`,
    async () => (await byTestId(page, "storage-add-key").inputValue()) === "",
  );
}

Deno.test("browser: a runtime_state_synced arriving after the panel's write does not undo it", async () => {
  await using t = await openPanelsDashboard();
  const { page, dev } = t;
  await page.addInitScript(holdSessionEvents);
  await page.reload();
  await textMatching(byTestId(await appFrame(page, dev.info.window_uuid), "status"), /^connected/);
  const row = (key: string) => page.locator(`[data-testid="storage-key-row"][data-key="${key}"]`);
  await dev.call("storage", "set", { key: "x", value: 0 });
  await dev.call("storage", "set", { key: "y", value: 0 });
  await textMatching(row("y"), /y0/);

  await page.evaluate(() => ((globalThis as Any).__held = []));
  await setKey(page, "x", "1");
  await setKey(page, "x", "2");
  await textMatching(row("x"), /x2/);
  // the event of the first write comes now, after the second write's answer
  assert.equal(await release(page), 1);
  await page.waitForTimeout(400); // the panel redraws at most every 250 ms
  assert.equal(await row("x").locator("code").textContent(), "2", "the panel keeps its write");
  // the next write starts from what the panel wrote last, not from the late event's bucket
  await row("y").getByTestId("storage-delete").click();
  await waitUntil("y deleted", async () => {
    const got = await dev.rpc("session.get", { session_id: dev.info.session_id });
    return !("y" in got.runtime_state) ? got.runtime_state : undefined;
  });
  await release(page, true);
  const got = await dev.rpc("session.get", { session_id: dev.info.session_id });
  assert.deepEqual(got.runtime_state, { x: 2 });

  // events flow again: an app write after all that shows
  await dev.call("storage", "set", { key: "z", value: 3 });
  await textMatching(row("z"), /z3/);
  await textMatching(row("x"), /x2/);
  t.tp.assertNoErrors(IGNORE);
});

Deno.test("browser: a panel write whose own runtime_state_synced never arrives stops holding later events back", async () => {
  await using t = await openPanelsDashboard();
  const { page, dev } = t;
  await page.addInitScript(holdSessionEvents);
  await page.reload();
  await textMatching(byTestId(await appFrame(page, dev.info.window_uuid), "status"), /^connected/);
  const row = (key: string) => page.locator(`[data-testid="storage-key-row"][data-key="${key}"]`);

  await page.evaluate(() => ((globalThis as Any).__held = []));
  await setKey(page, "x", "1");
  await textMatching(row("x"), /x1/);
  // the write's own event is lost on the way (as on a stream that resumed past it)
  const lost = await page.evaluate(() => {
    const g = globalThis as Any;
    const n = g.__held.length;
    g.__held = null;
    return n;
  });
  assert.equal(lost, 1);
  // a later app write still reaches the panel, once the panel stops waiting for the lost event
  await dev.call("storage", "set", { key: "z", value: 3 });
  await textMatching(row("z"), /z3/);
  await textMatching(row("x"), /x1/);
  t.tp.assertNoErrors(IGNORE);
});
