/**
 * Host page duty of CONTRACT §12.8 for expired tokens: "an `invalid_token` outcome with reason
 * `expired` → `session.refresh_token` for that window, post the `auth.refresh` event to the
 * iframe, retry once". The host page posts the event itself, so an app whose event stream is
 * down still learns its new token; the same token arriving later from SSE is not posted twice.
 */
import assert from "node:assert/strict";
import { type Any, fakeHostPage, until } from "../lib/dashboard/testing.ts";
import { DevProcess, waitUntil } from "./helpers/dev_process.ts";
import { REPO_ROOT } from "./helpers/bridge_process.ts";
import { appFrame, byTestId, launchBrowser, newPage, textMatching } from "./helpers/browser.ts";

const SID = `ses_${"a".repeat(32)}`;
const W1 = "11111111-1111-4111-8111-111111111111";
const CHANNEL = "anna-app/1";
const LATER = Date.now() + 600_000;

function fakeRuntime() {
  let n = 0;
  return (method: string, params: Any): Any => {
    switch (method) {
      case "session.get":
        return {
          session_id: SID,
          app_slug: "demo",
          primary_window_uuid: W1,
          events: { last_seq: 3 },
          windows: [{
            window_uuid: W1,
            view: "main",
            status: "active",
            view_meta: { name: "main", entry: "index.html" },
          }],
        };
      case "session.refresh_token":
        return { token: `tok${++n}`, expires_at: LATER + n, window_uuid: params.window_uuid };
      case "app.call":
        return params.token === "old"
          ? {
            ok: false,
            error: { code: "invalid_token", message: "expired", details: { reason: "expired" } },
          }
          : { ok: true, result: { token: params.token } };
      default:
        return { ok: true };
    }
  };
}

const req = (t: string, id: string) => ({
  channel: CHANNEL,
  kind: "req",
  id,
  wid: W1,
  t,
  ns: "storage",
  method: "get",
  args: { key: "k" },
});

Deno.test("dashboard host: an expired call's refresh posts auth.refresh to the app once, SSE repeats are skipped", async () => {
  const page = fakeHostPage({ bridge: fakeRuntime() });
  await page.host.attach(SID);
  await until(() => page.frames.length === 1 && page.frames[0].src !== "");
  const f = page.frames[0];
  page.fromFrame(f, req("old", "r1"));
  page.fromFrame(f, req("old", "r2"));
  await until(() => f.sent("res").length === 2);
  assert.deepEqual(f.sent("res").map((r: Any) => r.result), [{ token: "tok2" }, {
    token: "tok2",
  }]);
  // one refresh for both calls, and the app is told of it before the retried answers
  assert.equal(page.called("session.refresh_token").length, 2, "attach + one shared refresh");
  const payload = { token: "tok2", expires_at: LATER + 2 };
  assert.deepEqual(f.sent("event"), [{
    channel: CHANNEL,
    kind: "event",
    event: "auth.refresh",
    payload,
    // §12.7's fields; only the runtime's own event knows its seq
    seq: null,
    window_uuid: W1,
    envelope: {
      type: "data_model/AnnaAppEvent",
      kind: "auth.refresh",
      window_uuid: W1,
      seq: null,
      payload,
      by_client_id: null,
    },
  }]);
  const kinds = f.posts.map((p: Any) => p.msg.kind);
  assert.deepEqual(kinds, ["event", "res", "res"]);

  // the runtime's own event for the same token arrives late through SSE: not posted again
  const env = (seq: number, token: string) => ({
    type: "data_model/AnnaAppEvent",
    kind: "auth.refresh",
    window_uuid: W1,
    seq,
    payload: { token, expires_at: LATER + 9 },
    by_client_id: null,
  });
  page.sessionEvents().push("data_model.AnnaAppEvent", env(4, "tok2"));
  // a token the app has not had yet is forwarded as usual, with its envelope
  page.sessionEvents().push("data_model.AnnaAppEvent", env(5, "tok9"));
  await until(() => f.sent("event").length === 2);
  assert.deepEqual(f.sent("event")[1].envelope, env(5, "tok9"));
  assert.equal(f.sent("event")[1].payload.token, "tok9");
});

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
