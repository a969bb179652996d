/**
 * The dashboard under a burst of calls (CONTRACT §13): a log entry or event does not search the
 * whole page for the panel it goes to. Each search walks every node (up to 2 000 log rows and
 * 10 000 chat rows), and three or four of them per entry took a quarter of the page's time.
 */
import assert from "node:assert/strict";
import { openPanelsDashboard } from "./helpers/panels_dashboard.ts";
import { atLeast, rpcRows } from "./helpers/browser.ts";

// deno-lint-ignore no-explicit-any
type Any = any;

Deno.test("browser: 300 calls and their events do not each search the page for their panel", async () => {
  await using t = await openPanelsDashboard();
  const { page, dev } = t;
  await page.evaluate(() => {
    const doc = (globalThis as Any).document;
    const real = doc.querySelector.bind(doc);
    doc.__searches = 0;
    doc.querySelector = (sel: string) => {
      doc.__searches++;
      return real(sel);
    };
  });
  const body = JSON.stringify(Array.from({ length: 300 }, (_, i) => ({
    jsonrpc: "2.0",
    id: i + 1,
    method: "session.call",
    params: {
      session_id: dev.info.session_id,
      ns: "storage",
      method: "set",
      args: { key: "k", value: i },
    },
  })));
  const r = await dev.api("/rpc", { method: "POST", body });
  assert.equal(r.status, 200);
  await r.body?.cancel();
  await atLeast(rpcRows(page, { ns: "storage", method: "set" }), 300);
  const searches = await page.evaluate(() => (globalThis as Any).document.__searches as number);
  assert.ok(searches < 100, `${searches} page searches for 300 calls and 300 events`);
  t.tp.assertNoErrors([/blocked\.example/, /Content Security Policy/]);
});
