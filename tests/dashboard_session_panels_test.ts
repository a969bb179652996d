/**
 * Dashboard panels that follow the session and runtime state (CONTRACT §11.10, §13), in headless
 * Chromium against the real `dev`:
 * - "open view" / "new session" offer every view of the manifest, not only views with a window;
 * - the picker's window count follows windows opening and closing;
 * - an opened executa stderr tail stays open when the executa's status changes;
 * - "Close session" empties the header and every panel of the closed session;
 * - a manifest broken on disk shows its diagnostics after a page (re)load, not only live.
 */
import assert from "node:assert/strict";
import { openPanelsDashboard, PANELS_APP } from "./helpers/panels_dashboard.ts";
import { join } from "node:path";
import { copyDir, DevProcess, waitUntil } from "./helpers/dev_process.ts";
import { tmpDir } from "./helpers/tmp.ts";
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

const IGNORE = [/blocked\.example/, /Content Security Policy/];

// deno-lint-ignore no-explicit-any
type Any = any;

const viewOptions = (page: Page) =>
  page.locator("#view-names option").evaluateAll((os) =>
    os.map((o) => (o as Any).value as string).sort()
  );
const pickerText = (page: Page) => byTestId(page, "session-picker").locator("option").first();

Deno.test("browser: open view and new session offer every view of the manifest", async () => {
  await using t = await openPanelsDashboard();
  const { page, dev } = t;
  await waitUntil("both views offered", async () => (await viewOptions(page)).length === 2);
  assert.deepEqual(await viewOptions(page), ["detail", "main"]);
  assert.equal(await page.locator('[data-testid="window-tab"]').count(), 1);
  const sessions = await dev.api("/rpc", {
    method: "POST",
    body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "session.list", params: {} }),
  });
  const list = (await sessions.json()).result.sessions;
  assert.equal(list.length, 1, "asking for the views opened nothing");
  assert.equal(list[0].open_windows, 1);
  // the datalist serves both inputs
  assert.equal(await byTestId(page, "open-view-name").getAttribute("list"), "view-names");
  assert.equal(await byTestId(page, "new-session-view").getAttribute("list"), "view-names");
  t.tp.assertNoErrors(IGNORE);
});

Deno.test("browser: the session picker's window count follows windows opening and closing", async () => {
  await using t = await openPanelsDashboard();
  const { page } = t;
  await textMatching(pickerText(page), /· 1 window\(s\)$/);
  await byTestId(page, "open-view-name").fill("detail");
  await byTestId(page, "open-view-submit").click();
  const tabs = page.locator('[data-testid="window-tab"]');
  await atLeast(tabs, 2);
  await textMatching(pickerText(page), /· 2 window\(s\)$/);
  await byTestId(page, "close-window").click(); // the new window is the active one
  await waitUntil("one tab again", async () => (await tabs.count()) === 1);
  await textMatching(pickerText(page), /· 1 window\(s\)$/);
  t.tp.assertNoErrors(IGNORE);
});

Deno.test("browser: an opened executa stderr tail stays open while the executa's status changes", async () => {
  await using t = await openPanelsDashboard();
  const { page } = t;
  const row = page.locator('[data-testid="executa-row"][data-tool-id="tool-plugin"]');
  const details = row.locator("details", { has: page.locator('[data-testid="executa-stderr"]') });
  const status = row.locator('[data-testid="executa-status"]');
  await atLeast(row);
  await details.locator("summary").click();
  assert.equal(await details.evaluate((d) => (d as Any).open), true);
  await byTestId(page, "invoke-tool").selectOption("tool-plugin");
  await byTestId(page, "invoke-method").fill("crash");
  await byTestId(page, "invoke-args").fill('{"stderr":["boom before the crash"]}');
  await byTestId(page, "invoke-submit").click();
  await textMatching(status, (t) => t !== "registered" && t !== "starting" && t !== "ready");
  await textMatching(row.locator('[data-testid="executa-stderr"]'), /boom before the crash/);
  assert.equal(await details.evaluate((d) => (d as Any).open), true, "open after the crash");
  await row.locator('[data-testid="executa-restart"]').click();
  await textMatching(status, /^(registered|stopped)$/);
  assert.equal(await details.evaluate((d) => (d as Any).open), true, "open after the restart");
  assert.equal(await row.locator('[data-testid="executa-stderr"]').isVisible(), true);
  t.tp.assertNoErrors(IGNORE);
});

Deno.test("browser: Close session leaves nothing of the closed session in the header and panels", async () => {
  await using t = await openPanelsDashboard();
  const { page, frame } = t;
  await frame.evaluate(() =>
    (globalThis as Any).__rt.call("storage", "set", { key: "a", value: 1 })
  );
  await atLeast(page.locator('[data-testid="storage-key-row"]'));
  await atLeast(rpcRows(page, { ns: "storage", method: "set" }));
  await atLeast(page.locator('[data-testid="event-row"]'));
  await textMatching(byTestId(page, "manifest-host-api"), /"storage"/);
  await atLeast(page.locator('[data-testid="manifest-scopes"] .chip'));
  await byTestId(page, "close-session").click();
  await textMatching(pickerText(page), /^no sessions$/);
  await textMatching(byTestId(page, "header-slug"), /^—$/);
  await waitUntil("the panels emptied", async () => {
    const counts = await Promise.all([
      rpcRows(page).count(),
      page.locator('[data-testid="event-row"]').count(),
      page.locator('[data-testid="storage-key-row"]').count(),
      page.locator('[data-testid="window-tab"]').count(),
      page.locator('[data-testid="manifest-scopes"] .chip').count(),
      page.locator('[data-testid="manifest-tools"] .chip').count(),
      page.locator('[data-testid="csp-report"]').count(),
    ]);
    return counts.every((n) => n === 0);
  });
  assert.equal(await byTestId(page, "manifest-host-api").textContent(), "");
  assert.match((await byTestId(page, "storage-json").textContent())!, /^\{\}$/);
  assert.deepEqual(await viewOptions(page), []);
  t.tp.assertNoErrors(IGNORE);
});

Deno.test("browser: a manifest broken on disk shows its diagnostics after the dashboard (re)loads", async () => {
  await using tmp = await tmpDir("anna-dash-manifest-");
  const appDir = join(tmp.path, "panels-app");
  await copyDir(PANELS_APP, appDir);
  const manifestPath = join(appDir, "manifest.json");
  await using dev = await DevProcess.start(appDir);
  await Deno.writeTextFile(manifestPath, '{ "schema": 2, "ui": ');
  await dev.waitForLog(
    "the manifest entry with errors",
    (e) =>
      e.type === "manifest" &&
      (e.diagnostics as { code: string }[]).some((d) => d.code === "manifest_not_json"),
  );

  await using browser = await launchBrowser();
  await using tp = await newPage(browser);
  const { page } = tp;
  const diag = page.locator(
    '[data-testid="manifest-diagnostics"] [data-testid="diagnostic"][data-code="manifest_not_json"]',
  );
  await page.goto(dev.info.dashboard_url);
  await textMatching(byTestId(page, "header-slug"), /^panels-app$/);
  await atLeast(diag);
  assert.equal(await diag.first().getAttribute("data-severity"), "error");
  await page.reload();
  await textMatching(byTestId(page, "header-slug"), /^panels-app$/);
  await atLeast(diag);
  // the previous manifest still serves the app
  const frame = await appFrame(page, dev.info.window_uuid);
  await textMatching(byTestId(frame, "status"), /^connected main/);
  tp.assertNoErrors(IGNORE);
});

/** `n` session.call frames of one JSON-RPC batch for `/rpc`. */
function batch(
  sid: string,
  n: number,
  call: (i: number) => { ns: string; method: string; args: Any },
) {
  return JSON.stringify(Array.from({ length: n }, (_, i) => ({
    jsonrpc: "2.0",
    id: i + 1,
    method: "session.call",
    params: { session_id: sid, ...call(i) },
  })));
}

Deno.test("browser: storage writes re-lay out only their own rows; event payloads on opening", async () => {
  await using t = await openPanelsDashboard();
  const { page, dev } = t;
  const sid = dev.info.session_id;
  const row = (key: string) => page.locator(`[data-testid="storage-key-row"][data-key="${key}"]`);
  await dev.call("storage", "set", { key: "a", value: 0 });
  await dev.call("storage", "set", { key: "b", value: "keep" });
  await textMatching(row("b"), /"keep"/);
  // a mark on b's row survives 200 writes of a: the panel did not rebuild it
  await row("b").evaluate((el) => ((el as Any).__mark = "same node"));
  const r = await dev.api("/rpc", {
    method: "POST",
    body: batch(
      sid,
      200,
      (i) => ({ ns: "storage", method: "set", args: { key: "a", value: i + 1 } }),
    ),
  });
  assert.equal(r.status, 200);
  await r.body?.cancel();
  await textMatching(row("a"), /^a200Edit/);
  assert.equal(await row("b").evaluate((el) => (el as Any).__mark), "same node");
  // event rows: the payload (the whole bucket) is laid out when a row is first opened
  const newest = page.locator('[data-testid="event-row"][data-kind="runtime_state_synced"]')
    .first();
  assert.equal(await newest.locator("pre").textContent(), "");
  await newest.locator("summary").click();
  await textMatching(newest.locator("pre"), /"runtime_state"/);
  t.tp.assertNoErrors(IGNORE);
});

Deno.test("browser: the chat panel keeps the session's 10 000 newest messages (§5.7)", async () => {
  await using t = await openPanelsDashboard();
  const { page, dev } = t;
  const r = await dev.api("/rpc", {
    method: "POST",
    body: batch(dev.info.session_id, 10_005, (i) => ({
      ns: "chat",
      method: "write_message",
      args: { role: "assistant", content: `m${i + 1}` },
    })),
  });
  assert.equal(r.status, 200);
  await r.body?.cancel();
  const rows = page.locator('[data-testid="chat-message"]');
  await textMatching(rows.last(), /m10005$/);
  assert.equal(await rows.count(), 10_000);
  await textMatching(rows.first(), /m6$/);
  // a session re-read that finds the same chat (every live reload does one) keeps the rows
  await rows.first().evaluate((el) => ((el as Any).__mark = "same node"));
  await page.evaluate(() => (globalThis as Any).__annaHost.refreshSession());
  assert.equal(await rows.first().evaluate((el) => (el as Any).__mark), "same node");
  assert.equal(await rows.count(), 10_000);
  t.tp.assertNoErrors(IGNORE);
});

Deno.test("browser: the chat panel shows an artifact summary that is not a string as written", async () => {
  await using t = await openPanelsDashboard();
  const { page, dev } = t;
  for (const summary of [{ en: "Board", n: 2 }, 0, ["a", "b"]]) {
    await dev.call("chat", "append_artifact", { kind: "board", summary, data: {} });
  }
  const rows = page.locator('[data-testid="chat-artifact"] summary');
  await textMatching(rows.nth(2), /^artifact board: \["a","b"\]$/);
  assert.deepEqual(await rows.allInnerTexts(), [
    'artifact board: {"en":"Board","n":2}',
    "artifact board: 0",
    'artifact board: ["a","b"]',
  ]);
  t.tp.assertNoErrors(IGNORE);
});
