/**
 * The dashboard Storage panel (CONTRACT §13) keeps what the developer typed, in headless
 * Chromium against the real `dev`:
 * - the raw runtime_state editor keeps an unsaved (or refused) edit while the app writes storage,
 *   says the state changed meanwhile, and offers to discard the edit;
 * - "Set" refuses a key the app could never use (§5.5 key rules) and tells a bare word to quote.
 */
import assert from "node:assert/strict";
import { openPanelsDashboard } from "./helpers/panels_dashboard.ts";
import { waitUntil } from "./helpers/dev_process.ts";
import { byTestId, type Page, textMatching } from "./helpers/browser.ts";

const IGNORE = [/blocked\.example/, /Content Security Policy/];

const editorText = (page: Page) => byTestId(page, "storage-editor").inputValue();
const keyRow = (page: Page, key: string) =>
  page.locator(`[data-testid="storage-key-row"][data-key="${key}"]`);

Deno.test("browser: the raw storage editor keeps an unsaved edit while the app writes storage", async () => {
  await using t = await openPanelsDashboard();
  const { page, dev } = t;
  await page.locator('[data-testid="storage-raw"] summary').click();
  const mine = '{"draft": [1, 2,]}'; // one comma too many
  await byTestId(page, "storage-editor").fill(mine);
  await byTestId(page, "storage-save").click();
  await textMatching(byTestId(page, "dash-error"), /runtime_state is not valid JSON/);

  // the app writes while the developer fixes the text: the text stays, with a note
  await dev.call("storage", "set", { key: "app", value: 1 });
  await textMatching(keyRow(page, "app"), /app1/);
  assert.equal(await editorText(page), mine);
  await textMatching(byTestId(page, "storage-editor-note"), /storage has changed/);

  await byTestId(page, "storage-editor").fill('{"draft": [1, 2]}');
  await byTestId(page, "storage-save").click();
  await waitUntil("the edit saved", async () => {
    const r = await dev.call("storage", "get", { key: "draft" });
    return r.ok && JSON.stringify(r.result?.value) === "[1,2]";
  });
  assert.equal((await dev.call("storage", "get", { key: "app" })).result?.exists, false);
  // the page hears the answer a moment after the runtime applied it
  await waitUntil("the note gone", () => byTestId(page, "storage-editor-note").isHidden());

  // saved: the editor follows the app's writes again
  await dev.call("storage", "set", { key: "later", value: true });
  await waitUntil(
    "the editor shows the app's write",
    async () => JSON.parse(await editorText(page)).later === true,
  );

  // a refused Replace (over 256 KiB) keeps the text too
  const big = JSON.stringify({ big: "x".repeat(262_144) });
  await byTestId(page, "storage-editor").fill(big);
  await byTestId(page, "storage-save").click();
  await textMatching(byTestId(page, "dash-error"), /state_too_large/);
  await dev.call("storage", "set", { key: "after", value: 2 });
  await textMatching(keyRow(page, "after"), /after2/);
  assert.equal((await editorText(page)).length, big.length);

  // Discard edits loads the current state and drops the note
  await byTestId(page, "storage-discard").click();
  const shown = JSON.parse(await editorText(page));
  assert.deepEqual(Object.keys(shown).sort(), ["after", "draft", "later"]);
  assert.equal(await byTestId(page, "storage-editor-note").isHidden(), true);

  // a long value's preview is cut short, never through the middle of an emoji
  await dev.call("storage", "set", { key: "emoji", value: `${"a".repeat(115)}😀${"b".repeat(9)}` });
  await textMatching(keyRow(page, "emoji"), /emoji"a/);
  assert.equal(await keyRow(page, "emoji").locator("code").textContent(), `"${"a".repeat(115)}…`);
  t.tp.assertNoErrors(IGNORE);
});

Deno.test("browser: Set refuses a storage key the app could not use, and says to quote text", async () => {
  await using t = await openPanelsDashboard();
  const { page, dev } = t;
  const error = byTestId(page, "dash-error");
  for (
    const [key, rule] of [
      ["notes//today", /empty segment/],
      ["notes/ today", /leading or trailing whitespace/],
      ["a/../b", /'\.\.' segment/],
    ] as const
  ) {
    await byTestId(page, "storage-add-key").fill(key);
    await byTestId(page, "storage-add-value").fill("1");
    await byTestId(page, "storage-add").click();
    await textMatching(error, rule);
    assert.match((await error.textContent())!, /invalid_path/);
    assert.equal(await byTestId(page, "storage-add-key").inputValue(), key, "the field is kept");
  }
  const got = await dev.rpc("session.get", { session_id: dev.info.session_id });
  assert.deepEqual(got.runtime_state, {}, "nothing was written");

  await byTestId(page, "storage-add-key").fill("notes/today");
  await byTestId(page, "storage-add-value").fill("buy milk");
  await byTestId(page, "storage-add").click();
  await textMatching(error, /text needs double quotes: "buy milk"/);
  await byTestId(page, "storage-add-value").fill('"buy milk"');
  await byTestId(page, "storage-add").click();
  await waitUntil("the key saved", async () => {
    const got = await dev.call("storage", "get", { key: "notes/today" });
    return got.ok && got.result?.value === "buy milk";
  });
  t.tp.assertNoErrors(IGNORE);
});
