/**
 * The dashboard across a `dev` restart (CONTRACT §11.2, §11.11, §13): a new process on the same
 * ports with the same ANNA_APP_CONTROL_TOKEN numbers its log from 1 again and has a new session;
 * the open dashboard picks both up (RPC log, session picker, app iframe) without a page reload.
 * A restart with another control token can only be fixed by reloading the page, and the
 * dashboard says so instead of showing a plain "down".
 */
import assert from "node:assert/strict";
import { DevProcess, waitUntil } from "./helpers/dev_process.ts";
import { REPO_ROOT } from "./helpers/bridge_process.ts";
import {
  appFrame,
  atLeast,
  byTestId,
  launchBrowser,
  newPage,
  rpcRows,
  textMatching,
} from "./helpers/browser.ts";

const APP = `${REPO_ROOT}/tests/fixtures/apps/panels-app`;
const TOKEN = "reconnect-test-control-token-0123456789abcdef";

Deno.test("browser: after dev restarts on the same ports and token, the dashboard follows the new process", async () => {
  await using dev1 = await DevProcess.start(APP, {
    args: ["--no-watch"],
    env: { ANNA_APP_CONTROL_TOKEN: TOKEN },
  });
  assert.equal(dev1.info.control_token, TOKEN);
  const port = new URL(dev1.info.main_origin).port;
  const appPort = new URL(dev1.info.app_origin).port;
  await using browser = await launchBrowser();
  await using tp = await newPage(browser);
  const { page } = tp;
  await page.goto(dev1.info.dashboard_url);
  const frame1 = await appFrame(page, dev1.info.window_uuid);
  await textMatching(byTestId(frame1, "status"), /^connected/);
  // enough log entries that the new process's first ones have lower numbers than seen here
  for (let i = 0; i < 40; i++) {
    assert.equal((await dev1.call("storage", "set", { key: "before", value: i })).ok, true);
  }
  await atLeast(rpcRows(page, { ns: "storage", method: "set" }), 40);

  await dev1[Symbol.asyncDispose]();
  await textMatching(byTestId(page, "ws-state"), /^down$/);

  await using dev2 = await DevProcess.start(APP, {
    args: ["--no-watch", "--port", port, "--app-port", appPort],
    env: { ANNA_APP_CONTROL_TOKEN: TOKEN },
  });
  assert.equal(dev2.info.main_origin, dev1.info.main_origin);
  assert.notEqual(dev2.info.session_id, dev1.info.session_id);

  const picker = byTestId(page, "session-picker");
  await waitUntil(
    "the new session in the picker",
    async () =>
      (await picker.locator("option").evaluateAll((os) =>
        os.map((o) => (o as unknown as { value: string }).value)
      )).join() === dev2.info.session_id,
    30_000,
  );
  assert.equal(await picker.inputValue(), dev2.info.session_id);
  await textMatching(byTestId(page, "ws-state"), /^connected$/);
  const frame2 = await appFrame(page, dev2.info.window_uuid);
  await textMatching(byTestId(frame2, "status"), /^connected/);

  // a call on the new process shows in the RPC log; nothing of the old session is left there
  assert.equal((await dev2.call("storage", "set", { key: "after", value: 1 })).ok, true);
  const row = rpcRows(page, { ns: "storage", method: "set" });
  await atLeast(row);
  await row.first().locator("summary").click(); // args are laid out when a row is opened
  await textMatching(row.first().locator('[data-testid="rpc-args"]'), /"after"/);
  assert.equal(await row.count(), 1, "only the new session's call");

  // another restart, now with another control token: the page cannot recover by itself
  await dev2[Symbol.asyncDispose]();
  await using _dev3 = await DevProcess.start(APP, {
    args: ["--no-watch", "--port", port, "--app-port", appPort],
    env: { ANNA_APP_CONTROL_TOKEN: `${TOKEN}-other` },
  });
  await textMatching(
    byTestId(page, "ws-state"),
    /^control token changed — reload the page$/,
    30_000,
  );
  assert.equal(await byTestId(page, "ws-state").getAttribute("data-state"), "unauthorized");
  assert.equal(await byTestId(page, "reload-page").isVisible(), true);
  tp.assertNoErrors([
    /blocked\.example/,
    /ERR_CONNECTION_REFUSED/,
    /WebSocket connection to .* failed/,
    /status of 401/,
    /status of 404/,
    /EventSource's response has a MIME type/,
  ]);
});
