/**
 * Every dashboard panel of CONTRACT §13 driven in headless Chromium against the real `dev`
 * (tests/fixtures/apps/panels-app plus the Node test executa): header, windows (countdown, open
 * view with the entry's own query and hash, close), RPC log (expandable args, filters, clear,
 * export as recorded-session JSONL), events, chat, storage (add, edit, delete, size), executas
 * (try invoke, live stderr, restart), manifest (host_api, scopes, tool ids, sidecar map, CSP
 * violations) and the session picker (new session with view / user id / payload, close).
 */
import assert from "node:assert/strict";
import { openPanelsDashboard, PANELS_APP } from "./helpers/panels_dashboard.ts";
import { waitUntil } from "./helpers/dev_process.ts";
import {
  appCall,
  appFrame,
  atLeast,
  byTestId,
  type Page,
  rpcRows,
  textMatching,
} from "./helpers/browser.ts";

// deno-lint-ignore no-explicit-any
type Any = any;

async function visibleRows(page: Page): Promise<string[]> {
  return await page.locator(`[data-testid="rpc-row"]:not([hidden])`).evaluateAll((rows) =>
    rows.map((r) => `${(r as Any).dataset.ns}.${(r as Any).dataset.method}`)
  );
}

Deno.test("browser: every dashboard panel of §13 works against the real dev server", async () => {
  await using t = await openPanelsDashboard();
  const { dev, tp, page, frame } = t;
  const wid = dev.info.window_uuid;

  // ---- header ----
  await textMatching(byTestId(page, "header-slug"), /^panels-app$/);
  await textMatching(byTestId(page, "runtime-mode"), /^dev$/);
  await textMatching(byTestId(page, "llm-mode"), /^mock$/);
  await textMatching(byTestId(page, "header-version"), new RegExp(`^${dev.info.version}$`));
  assert.equal(await byTestId(page, "live-reload-state").getAttribute("data-state"), "off");
  assert.equal(await byTestId(page, "live-reload").isDisabled(), true, "--no-watch: nothing to do");

  // ---- windows: title and token countdown ----
  await textMatching(byTestId(page, "token-expiry"), /^token expires in \d+s$/);
  assert.deepEqual(await appCall(frame, "window", "set_title", { title: "Panels (1)" }), {
    ok: true,
  });
  const tab1 = page.locator(`[data-testid="window-tab"][data-wid="${wid}"]`);
  await textMatching(tab1, (t) => t.startsWith("Panels (1)"));

  // ---- calls from the app ----
  await appCall(frame, "storage", "set", { key: "a", value: 1 });
  await appCall(frame, "chat", "write_message", { role: "assistant", content: "hello chat" });
  await appCall(frame, "chat", "append_artifact", {
    kind: "note",
    summary: "an artifact",
    payload: { x: 1 },
  });
  assert.deepEqual(await appCall(frame, "fs", "read", { path: "x" }), {
    error: "permission_denied",
  });

  // ---- RPC log: rows, expandable args, outcome with code, duration, filters, clear ----
  const setRow = rpcRows(page, { ns: "storage", method: "set", outcome: "ok" });
  await atLeast(setRow);
  // laid out on opening, not for every one of up to 2 000 rows up front
  assert.equal(await setRow.first().locator('[data-testid="rpc-args"]').textContent(), "");
  await setRow.first().locator("summary").click();
  await textMatching(setRow.first().locator('[data-testid="rpc-args"]'), /"key": "a"/);
  assert.match((await setRow.first().locator("td").nth(4).textContent())!, /^\d+(\.\d+)?$/);
  const denied = rpcRows(page, { ns: "fs", method: "read", outcome: "denied" });
  await atLeast(denied);
  assert.match(
    (await denied.first().locator('[data-testid="rpc-outcome"]').textContent())!,
    /^denied · permission_denied$/,
  );
  await byTestId(page, "rpc-filter-ns").selectOption("storage");
  assert.deepEqual([...new Set(await visibleRows(page))], ["storage.set"]);
  await byTestId(page, "rpc-filter-ns").selectOption("");
  await byTestId(page, "rpc-filter-outcome").selectOption("denied");
  assert.deepEqual(await visibleRows(page), ["fs.read"]);
  await byTestId(page, "rpc-filter-outcome").selectOption("");

  // ---- export: the recorded-session format, events after the call that caused them ----
  const [download] = await Promise.all([
    page.waitForEvent("download"),
    byTestId(page, "export-jsonl").click(),
  ]);
  const lines = (await Deno.readTextFile((await download.path())!)).trim().split("\n").map((
    l,
  ) => JSON.parse(l));
  assert.equal(lines[0].kind, "meta");
  assert.equal(lines[0].session_id, dev.info.session_id);
  assert.equal(lines[0].window_uuid, wid);
  const setAt = lines.findIndex((l) => l.kind === "req" && l.method === "set");
  assert.deepEqual(lines[setAt].args, { key: "a", value: 1 });
  assert.deepEqual(
    lines.slice(setAt + 1, setAt + 3).map((l) => l.kind === "event" ? l.event : l.kind),
    ["res", "runtime_state_synced"],
  );
  assert.ok(lines.some((l) => l.kind === "req" && l.method === "hello"));

  await byTestId(page, "rpc-clear").click();
  assert.equal(await rpcRows(page).count(), 0);
  await appCall(frame, "storage", "get", { key: "a" });
  await atLeast(rpcRows(page, { ns: "storage", method: "get" }));
  assert.equal(await rpcRows(page).count(), 1, "only calls after the clear");

  // ---- events and chat ----
  for (const kind of ["title_changed", "runtime_state_synced", "chat_message_from_app"]) {
    await atLeast(page.locator(`[data-testid="event-row"][data-kind="${kind}"]`));
  }
  await textMatching(page.locator('[data-testid="chat-message"]').first(), /hello chat/);
  await textMatching(page.locator('[data-testid="chat-artifact"]').first(), /an artifact/);

  // ---- storage: size, add, edit, delete (session.set_runtime_state) ----
  const size = byTestId(page, "storage-size");
  await textMatching(size, /^7 B \/ 262144 B/); // {"a":1}
  const addForm = byTestId(page, "storage-add-form");
  await byTestId(page, "storage-add-key").fill("b");
  await byTestId(page, "storage-add-value").fill('{"c":2}');
  await addForm.locator('[data-testid="storage-add"]').click();
  await waitUntil("b in storage", async () => {
    const r = await dev.call("storage", "get", { key: "b" });
    return r.ok && JSON.stringify(r.result?.value) === '{"c":2}';
  });
  await page.locator('[data-testid="storage-key-row"][data-key="a"] [data-testid="storage-edit"]')
    .click();
  assert.equal(await byTestId(page, "storage-add-key").inputValue(), "a");
  await byTestId(page, "storage-add-value").fill("5");
  await addForm.locator('[data-testid="storage-add"]').click();
  await page.locator(
    '[data-testid="storage-key-row"][data-key="b"] [data-testid="storage-delete"]',
  ).click();
  await waitUntil("a=5 and no b", async () => {
    const a = await dev.call("storage", "get", { key: "a" });
    const b = await dev.call("storage", "get", { key: "b" });
    return a.result?.value === 5 && b.result?.exists === false;
  });
  await textMatching(size, /^7 B \/ 262144 B/);
  // the app saw the change (runtime_state_synced updates runtime.runtimeState)
  await waitUntil(
    "the app's runtimeState",
    () => frame.evaluate(() => JSON.stringify((globalThis as Any).__rt.runtimeState) === '{"a":5}'),
  );

  // ---- windows: open view (entry query + hash), then close it ----
  await byTestId(page, "open-view-name").fill("detail");
  await byTestId(page, "open-view-payload").fill('{"n":1}');
  await byTestId(page, "open-view-submit").click();
  const tabs = page.locator('[data-testid="window-tab"]');
  await atLeast(tabs, 2);
  const wid2 = (await tabs.evaluateAll((els) => els.map((e) => (e as Any).dataset.wid)))
    .find((w) => w !== wid)!;
  const frame2 = await appFrame(page, wid2);
  await textMatching(byTestId(frame2, "status"), /^connected detail \{"n":1\}$/);
  const src = new URL(frame2.url());
  assert.equal(src.origin, dev.info.app_origin);
  assert.equal(src.pathname, "/anna-apps/panels-app/dev/detail.html");
  assert.equal(
    src.search.replace(/t=[^&]+/, "t=T"),
    `?wid=${wid2}&t=T&host=${encodeURIComponent(dev.info.main_origin)}&mode=x`,
  );
  assert.equal(src.hash, "#frag");
  await page.locator(`[data-testid="window-tab"][data-wid="${wid2}"]`).click();
  await byTestId(page, "close-window").click();
  await waitUntil("the detail tab to go", async () => (await tabs.count()) === 1);

  // ---- executas: try invoke, status/pid/protocol/tools, live stderr, restart ----
  const row = page.locator('[data-testid="executa-row"][data-tool-id="tool-plugin"]');
  await atLeast(row);
  await byTestId(page, "invoke-tool").selectOption("tool-plugin");
  await byTestId(page, "invoke-method").fill("echo");
  await byTestId(page, "invoke-args").fill('{"x":1}');
  await byTestId(page, "invoke-submit").click();
  const result = byTestId(page, "invoke-result");
  await textMatching(result, /"ok": true/);
  const echoed = JSON.parse((await result.textContent())!);
  assert.deepEqual(echoed.result.args, { x: 1 });
  // a refused try shows why and takes the last answer away; the next action clears the error
  await byTestId(page, "invoke-args").fill("{x:");
  await byTestId(page, "invoke-submit").click();
  await textMatching(byTestId(page, "dash-error"), /^args is not valid JSON/);
  assert.equal(await result.isHidden(), true);
  await byTestId(page, "invoke-args").fill('{"x":2}');
  await byTestId(page, "invoke-submit").click();
  await textMatching(result, /"x": 2/);
  assert.equal(await byTestId(page, "dash-error").isHidden(), true);
  await textMatching(row.locator('[data-testid="executa-status"]'), /^ready$/);
  await textMatching(row, /pid \d+ · protocol v\d/);
  await textMatching(row.locator('[data-testid="executa-tools"]'), (t) => t.includes("echo"));
  await byTestId(page, "invoke-method").fill("crash");
  await byTestId(page, "invoke-args").fill('{"stderr":["boom from the plugin"]}');
  await byTestId(page, "invoke-submit").click();
  await waitUntil(
    "the stderr line in the panel",
    () =>
      row.locator('[data-testid="executa-stderr"]').evaluate((el) =>
        el.textContent!.includes("boom from the plugin")
      ),
  );
  await row.locator('[data-testid="executa-restart"]').click();
  await textMatching(row.locator('[data-testid="executa-status"]'), /^(registered|stopped)$/);

  // ---- manifest: host_api, scopes, granted tools, sidecar map, CSP violations ----
  await textMatching(byTestId(page, "manifest-host-api"), (t) => t.includes('"write_message"'));
  await textMatching(byTestId(page, "manifest-scopes"), (t) => t.includes("storage"));
  await textMatching(byTestId(page, "manifest-tools"), (t) => t.includes("tool-plugin"));
  const sidecar = await (await fetch(
    `${dev.info.app_origin}/anna-apps/panels-app/dev/anna-tool-ids.js`,
  )).text();
  assert.equal(sidecar, 'window.__ANNA_TOOL_IDS__ = {"plugin":"tool-plugin"};\n');
  await textMatching(
    byTestId(page, "manifest-sidecar"),
    (t) => t.includes('"plugin": "tool-plugin"'),
  );
  await textMatching(
    page.locator('[data-testid="csp-report"]').first(),
    (t) => t.includes("img-src") && t.includes("blocked.example"),
  );
  // Chromium made that report itself (Sec-Fetch-Dest: report): not marked as posted by a page
  assert.equal(await page.locator('[data-testid="csp-report-page"]').count(), 0);

  // ---- session picker: new session with view / user id / payload, then close it ----
  await byTestId(page, "new-session").click();
  await byTestId(page, "new-session-app-dir").fill(PANELS_APP);
  await byTestId(page, "new-session-view").fill("detail");
  await byTestId(page, "new-session-user").fill("9");
  await byTestId(page, "new-session-payload").fill('{"from":"dashboard"}');
  await byTestId(page, "new-session-submit").click();
  const picker = byTestId(page, "session-picker");
  // the log's session entry re-lists the picker (two options, the dev session still chosen)
  // before session.create has answered the form: wait for the new session to be the chosen one
  const sid2 = await waitUntil("the new session chosen", async () => {
    const sid = await picker.inputValue();
    return sid !== dev.info.session_id && (await picker.locator("option").count()) === 2 && sid;
  });
  const s2 = await dev.rpc("session.get", { session_id: sid2 });
  assert.equal(s2.user_id, 9);
  assert.equal(s2.windows[0].view, "detail");
  assert.deepEqual(s2.windows[0].entry_payload, { from: "dashboard" });
  const frame3 = await appFrame(page, s2.windows[0].window_uuid);
  await textMatching(byTestId(frame3, "status"), /^connected detail \{"from":"dashboard"\}$/);
  await byTestId(page, "close-session").click();
  await waitUntil("one session", async () => (await picker.locator("option").count()) === 1);
  assert.equal(await picker.inputValue(), dev.info.session_id);
  // back on the dev session, the events panel shows the events it had before (from the log)
  for (const kind of ["title_changed", "runtime_state_synced", "open_view", "close_view"]) {
    await atLeast(page.locator(`[data-testid="event-row"][data-kind="${kind}"]`));
  }
  const seqs = await page.locator('[data-testid="event-row"]').evaluateAll((els) =>
    els.map((e) => Number((e as Any).dataset.seq))
  );
  assert.deepEqual(seqs, [...seqs].sort((a, b) => b - a), "newest first, each once");
  assert.equal(new Set(seqs).size, seqs.length);

  tp.assertNoErrors([/blocked\.example/, /Content Security Policy/]);
});
