/**
 * The notes example in the real dashboard (`GET /`, CONTRACT §13) in headless Chromium: the SDK
 * connects through the host page (§12.2, §12.7, §12.8), and every kind of call the app makes —
 * storage, a denied namespace, `tools.invoke` through the Python executa (reverse sampling),
 * `chat.write_message`, `window.set_title` — shows its outcome both inside the app and in the
 * dashboard (RPC log, chat, storage, window tab). Also saves screenshots for people to look at.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { DevProcess, waitUntil } from "./helpers/dev_process.ts";
import {
  appFrame,
  atLeast,
  byTestId,
  type Frame,
  launchBrowser,
  newPage,
  NOTES_APP,
  rpcRows,
  SCREENSHOT_DIR,
  textMatching,
} from "./helpers/browser.ts";

async function addNote(frame: Frame, text: string, count: number) {
  await byTestId(frame, "note-input").fill(text);
  await byTestId(frame, "add-note").click();
  await textMatching(byTestId(frame, "output"), (t) => t === `saved ${count} note(s)`);
}

Deno.test("browser: notes app in the dashboard — connect, storage, denied, tools.invoke, chat, title", async () => {
  await using dev = await DevProcess.start(NOTES_APP);
  await using browser = await launchBrowser();
  await using tp = await newPage(browser);
  const { page } = tp;
  const wid = dev.info.window_uuid;
  await page.goto(dev.info.dashboard_url);

  // connect() resolved inside the iframe on the app origin
  let frame = await appFrame(page, wid);
  await textMatching(byTestId(frame, "status"), /^connected as user 1 \(notes-app\)$/);
  assert.equal(new URL(frame.url()).origin, dev.info.app_origin, "the app runs on the app origin");
  assert.equal(new URL(page.url()).origin, dev.info.main_origin);
  await atLeast(rpcRows(page, { ns: "window", method: "hello", outcome: "ok" }));
  await textMatching(byTestId(page, "header-slug"), /^notes-app$/);

  // storage.set → visible in the app, the RPC log and the storage panel
  await addNote(frame, "first note", 1);
  await atLeast(rpcRows(page, { ns: "storage", method: "set", outcome: "ok" }));
  await textMatching(byTestId(page, "storage-json"), (t) => t.includes('"content": "first note"'));

  // window.set_title → the window tab
  const tab = page.locator(`[data-testid="window-tab"][data-wid="${wid}"]`);
  await textMatching(tab, (t) => t.startsWith("Notes (1)"));
  await atLeast(rpcRows(page, { ns: "window", method: "set_title", outcome: "ok" }));

  // reload the iframe (fresh document, fresh token): storage.get brings the note back
  await frame.evaluate(
    () => ((globalThis as unknown as { __beforeReload: boolean }).__beforeReload = true),
  );
  await byTestId(page, "reload-window").click();
  frame = await appFrame(page, wid);
  await waitUntil(
    "a new document in the iframe",
    () =>
      frame.evaluate(() =>
        (globalThis as unknown as { __beforeReload?: boolean }).__beforeReload === undefined
      ),
  );
  await textMatching(byTestId(frame, "status"), /^connected/);
  await textMatching(byTestId(frame, "notes"), (t) => t.includes("first note"));
  await atLeast(rpcRows(page, { ns: "storage", method: "get", outcome: "ok" }), 2);
  await addNote(frame, "second note", 2);
  await textMatching(tab, (t) => t.startsWith("Notes (2)"));

  // a namespace the manifest does not grant → denied in the app and in the log
  await byTestId(frame, "forbidden").click();
  await textMatching(byTestId(frame, "output"), /^denied: permission_denied$/);
  const denied = rpcRows(page, { ns: "fs", method: "read", outcome: "denied" });
  await atLeast(denied);
  assert.match(
    (await denied.first().locator('[data-testid="rpc-outcome"]').textContent())!,
    /permission_denied/,
  );

  // tools.invoke through the Python executa, which samples the (mock) LLM in reverse
  await byTestId(frame, "summarize").click();
  const summary = await textMatching(
    byTestId(frame, "output"),
    (t) => t.startsWith("summary:"),
    60_000,
  );
  assert.ok(summary.startsWith("summary: [mock]"), summary);
  await atLeast(rpcRows(page, { ns: "tools", method: "invoke", outcome: "ok" }));
  await textMatching(
    page.locator(
      '[data-testid="executa-row"][data-tool-id="tool-notes-summary"] [data-testid="executa-status"]',
    ),
    /^ready$/,
  );

  // chat.write_message → the chat panel
  await byTestId(frame, "share").click();
  await textMatching(byTestId(frame, "output"), /^posted msg_/);
  const msg = page.locator('[data-testid="chat-message"]');
  await textMatching(msg.first(), (t) => t.includes("• first note") && t.includes("• second note"));
  await atLeast(rpcRows(page, { ns: "chat", method: "write_message", outcome: "ok" }));

  // the same calls in the server's log: nothing failed except the denied one
  const rpc = (await dev.log()).filter((e) =>
    e.type === "rpc" && e.session_id === dev.info.session_id
  );
  const failed = rpc.filter((e) => e.outcome !== "ok").map((e) =>
    `${e.ns}.${e.method} ${e.error_code}`
  );
  assert.deepEqual(failed, ["fs.read permission_denied"]);
  assert.ok(rpc.every((e) => e.transport === "app"), "every call came from the iframe as app.call");
  tp.assertNoErrors();
});

/** PNG signature and IHDR width/height. */
async function pngInfo(path: string) {
  const bytes = await Deno.readFile(path);
  const sig = [137, 80, 78, 71, 13, 10, 26, 10];
  assert.deepEqual([...bytes.subarray(0, 8)], sig, `${path} is a PNG`);
  const dv = new DataView(bytes.buffer, bytes.byteOffset);
  return { size: bytes.length, width: dv.getUint32(16), height: dv.getUint32(20) };
}

Deno.test("browser: screenshots of the dashboard and the window page with the notes app", async () => {
  await Deno.mkdir(SCREENSHOT_DIR, { recursive: true });
  await using dev = await DevProcess.start(NOTES_APP);
  await using browser = await launchBrowser();
  await using tp = await newPage(browser);
  const { page } = tp;
  await page.goto(dev.info.dashboard_url);
  const frame = await appFrame(page, dev.info.window_uuid);
  await textMatching(byTestId(frame, "status"), /^connected/);
  await addNote(frame, "Buy oat milk", 1);
  await addNote(frame, "Call the plumber about the kitchen sink", 2);
  await byTestId(frame, "forbidden").click();
  await textMatching(byTestId(frame, "output"), /^denied/);
  await byTestId(frame, "share").click();
  await atLeast(page.locator('[data-testid="chat-message"]'));
  await byTestId(frame, "summarize").click();
  await textMatching(byTestId(frame, "output"), /^summary: /, 60_000);
  await atLeast(rpcRows(page, { ns: "tools", outcome: "ok" }));
  await textMatching(
    page.locator('[data-testid="executa-row"] [data-testid="executa-status"]').first(),
    /^ready$/,
  );

  await page.screenshot({ path: join(SCREENSHOT_DIR, "dashboard-notes-app.png") });
  await page.screenshot({
    path: join(SCREENSHOT_DIR, "dashboard-notes-app-full.png"),
    fullPage: true,
  });

  // the single-window host page of the same window
  await using tp2 = await newPage(browser, { width: 900, height: 700 });
  await tp2.page.goto(dev.info.window_url);
  const f2 = await appFrame(tp2.page, dev.info.window_uuid);
  await textMatching(byTestId(f2, "notes"), (t) => t.includes("Buy oat milk"));
  await waitUntil(
    "the window title as page title",
    async () => (await tp2.page.title()) === "Notes (2)",
  );
  await tp2.page.screenshot({ path: join(SCREENSHOT_DIR, "dev-window-notes-app.png") });

  // a blank page compresses to about 1 KiB at these sizes; rendered text makes tens of KiB
  for (
    const [name, min] of [
      ["dashboard-notes-app.png", { w: 1400, h: 1000, bytes: 40_000 }],
      ["dashboard-notes-app-full.png", { w: 1400, h: 1000, bytes: 40_000 }],
      ["dev-window-notes-app.png", { w: 900, h: 700, bytes: 10_000 }],
    ] as const
  ) {
    const info = await pngInfo(join(SCREENSHOT_DIR, name));
    assert.ok(info.width >= min.w && info.height >= min.h, `${name}: ${info.width}×${info.height}`);
    assert.ok(info.size > min.bytes, `${name} is ${info.size} bytes`);
  }
  tp.assertNoErrors();
  tp2.assertNoErrors();
});
