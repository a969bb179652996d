/**
 * CONTRACT §13, the parts of the panels browser_dashboard_panels_test leaves unchecked: each RPC
 * log row's time and window, the `error` outcome with its code, the outcomes in three colours; an
 * event row's seq and window; an executa's restart count.
 */
import assert from "node:assert/strict";
import { openPanelsDashboard } from "./helpers/panels_dashboard.ts";
import { waitUntil } from "./helpers/dev_process.ts";
import { appCall, atLeast, byTestId, rpcRows, textMatching } from "./helpers/browser.ts";

// deno-lint-ignore no-explicit-any
type Any = any;

Deno.test("browser: RPC rows show time, window and coloured outcome with code; events seq and window; executa restarts", async () => {
  await using t = await openPanelsDashboard();
  const { page, frame } = t;

  assert.deepEqual(await appCall(frame, "storage", "set", { key: "k", value: 1 }), { ok: true });
  const failed = await appCall(frame, "storage", "set", { key: "", value: 1 }) as {
    error?: string;
  };
  assert.ok(failed.error && failed.error !== "permission_denied", JSON.stringify(failed));
  assert.deepEqual(await appCall(frame, "fs", "read", { path: "x" }), {
    error: "permission_denied",
  });

  const cells = async (outcome: string) => {
    const row = rpcRows(page, { ns: "storage", outcome }).or(
      rpcRows(page, { ns: "fs", outcome }),
    ).first();
    await atLeast(row);
    return await row.locator("td").evaluateAll((tds) =>
      tds.map((td) => ({
        text: td.textContent,
        color: (globalThis as Any).getComputedStyle(td).color,
      }))
    );
  };
  const ok = await cells("ok");
  const error = await cells("error");
  const denied = await cells("denied");
  for (const row of [ok, error, denied]) {
    assert.match(row[0].text!, /^\d\d:\d\d:\d\d\.\d{3}$/, "time of day, to the ms");
    assert.equal(row[1].text, "primary", "the window: the session's primary window");
  }
  assert.equal(ok[3].text, "ok");
  assert.equal(error[3].text, `error · ${failed.error}`);
  assert.equal(denied[3].text, "denied · permission_denied");
  const colours = new Set([ok[3].color, error[3].color, denied[3].color]);
  assert.equal(colours.size, 3, `one colour per outcome: ${[...colours]}`);

  // an event row: its seq and its window
  const ev = page.locator('[data-testid="event-row"][data-kind="runtime_state_synced"]').first();
  await atLeast(ev);
  const seq = await ev.getAttribute("data-seq");
  await textMatching(
    ev.locator("summary"),
    (s) => s.startsWith(`#${seq} `) && s.includes("primary"),
  );

  // executas: the restart count goes up when a restarted executa runs again
  const row = page.locator('[data-testid="executa-row"][data-tool-id="tool-plugin"]');
  const invoke = async () => {
    await byTestId(page, "invoke-tool").selectOption("tool-plugin");
    await byTestId(page, "invoke-method").fill("echo");
    await byTestId(page, "invoke-args").fill("{}");
    await byTestId(page, "invoke-submit").click();
    await textMatching(byTestId(page, "invoke-result"), /"ok": true/);
  };
  await atLeast(row);
  await invoke();
  await textMatching(row, (s) => s.includes("restarts 0"));
  await row.locator('[data-testid="executa-restart"]').click();
  // the restart is done once the row shows the executa not running: a try sent before that
  // would reach the old process, and the restarted one would never run
  await textMatching(row.locator('[data-testid="executa-status"]'), /^(registered|stopped)$/);
  await byTestId(page, "invoke-result").evaluate((el) => (el.textContent = ""));
  await invoke();
  await waitUntil(
    "restarts 1 in the executa row",
    async () => (await row.textContent())!.includes("restarts 1"),
  );
  // the panels app loads an image its CSP blocks, on purpose (the manifest panel shows it)
  t.tp.assertNoErrors([/blocked\.example/, /Content Security Policy/]);
});
