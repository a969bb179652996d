/**
 * Token refresh end to end (CONTRACT §8.4, §12.5, §12.8): with `--token-ttl 5` the dev server
 * re-mints the window token every 3 s and pushes `auth.refresh`; the host page forwards it and the
 * SDK swaps its token, so an app that keeps calling for 20 s (four token lifetimes) never sees
 * `invalid_token`. Observed on the host page's `/ws` frames, in the dashboard and in `/api/log`.
 */
import assert from "node:assert/strict";
import { DevProcess } from "./helpers/dev_process.ts";
import {
  appFrame,
  atLeast,
  byTestId,
  launchBrowser,
  newPage,
  NOTES_APP,
  rpcRows,
  textMatching,
} from "./helpers/browser.ts";

const TTL_S = 5;
const SPAN_MS = 20_000;
const EVERY_MS = 2_000;

/** Claims of a `dev1.` token (§8.2); signature not checked here. */
function claims(token: string): { wid: string; iat: number; exp: number } {
  const part = token.split(".")[1];
  const b64 = part.replace(/-/g, "+").replace(/_/g, "/");
  return JSON.parse(new TextDecoder().decode(Uint8Array.from(atob(b64), (c) => c.charCodeAt(0))));
}

Deno.test("browser: with --token-ttl 5 the app keeps working for 20 s of calls", async () => {
  await using dev = await DevProcess.start(NOTES_APP, { args: ["--token-ttl", String(TTL_S)] });
  await using browser = await launchBrowser();
  await using tp = await newPage(browser);
  const { page } = tp;

  // every app.call the host page sends, and every invalid_token it gets back
  const appCalls: { at: number; token: string; ns: string; method: string }[] = [];
  const invalid: string[] = [];
  page.on("websocket", (ws) => {
    ws.on("framesent", ({ payload }) => {
      for (const m of [JSON.parse(String(payload))].flat()) {
        if (m.method === "app.call") {
          appCalls.push({
            at: Date.now(),
            token: m.params.token,
            ns: m.params.ns,
            method: m.params.method,
          });
        }
      }
    });
    ws.on("framereceived", ({ payload }) => {
      if (String(payload).includes("invalid_token")) invalid.push(String(payload));
    });
  });

  await page.goto(dev.info.dashboard_url);
  const frame = await appFrame(page, dev.info.window_uuid);
  await textMatching(byTestId(frame, "status"), /^connected/);

  const start = Date.now();
  let n = 0;
  while (Date.now() - start < SPAN_MS) {
    const due = start + n * EVERY_MS;
    if (due > Date.now()) await new Promise((r) => setTimeout(r, due - Date.now()));
    n++;
    await byTestId(frame, "note-input").fill(`note ${n}`);
    await byTestId(frame, "add-note").click();
    // save() = storage.set + window.set_title; the output only changes when both succeeded
    await textMatching(byTestId(frame, "output"), (t) => t === `saved ${n} note(s)`, 10_000);
  }
  const elapsed = Date.now() - start;
  assert.ok(n >= 10 && elapsed >= SPAN_MS, `${n} saves over ${elapsed} ms`);
  await textMatching(byTestId(frame, "notes"), (t) => t.includes(`note ${n}`));

  // no call was refused for its token, and the tokens really rotated
  assert.deepEqual(invalid, [], "no invalid_token came back on /ws");
  const sets = appCalls.filter((c) => c.ns === "storage" && c.method === "set");
  assert.equal(sets.length, n);
  const tokens = new Set(appCalls.map((c) => c.token));
  assert.ok(tokens.size >= 4, `app.call used ${tokens.size} distinct tokens over ${elapsed} ms`);
  for (const c of appCalls) {
    const cl = claims(c.token);
    assert.equal(cl.wid, dev.info.window_uuid);
    assert.equal(cl.exp - cl.iat, TTL_S);
    assert.ok(
      c.at <= (cl.exp + 5) * 1000,
      `${c.ns}.${c.method} sent with a token expired ${c.at - cl.exp * 1000} ms before`,
    );
  }

  // the dashboard: every row ok, auth.refresh events listed, the countdown within the TTL
  await atLeast(rpcRows(page, { ns: "storage", method: "set", outcome: "ok" }), n);
  assert.equal(await page.locator('[data-testid="rpc-row"]:not([data-outcome="ok"])').count(), 0);
  await atLeast(page.locator('[data-testid="event-row"][data-kind="auth.refresh"]'), 2);
  await textMatching(byTestId(page, "token-expiry"), (t) => {
    const m = /^token expires in (\d+)s$/.exec(t);
    return m !== null && Number(m[1]) <= TTL_S;
  });

  // the server's log agrees
  const log = (await dev.log()).filter((e) => e.session_id === dev.info.session_id);
  const rpc = log.filter((e) => e.type === "rpc");
  assert.ok(rpc.length >= 2 * n);
  assert.deepEqual(rpc.filter((e) => e.outcome !== "ok"), []);
  const refreshes = log.filter((e) =>
    e.type === "event" && (e.event as { kind: string }).kind === "auth.refresh"
  );
  assert.ok(refreshes.length >= 2, `${refreshes.length} auth.refresh events`);
  tp.assertNoErrors();
});
