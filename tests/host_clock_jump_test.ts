/**
 * The host page's token recovery (CONTRACT §12.8) when the laptop's wall clock jumps: tokens carry
 * `iat`/`exp` in wall-clock seconds (§8.2), so an NTP correction that sets the clock back makes
 * every token minted before it `not_yet_valid` (§8.3) until the next timed refresh (§8.4), and a
 * duration measured with Date.now() goes negative.
 */
import assert from "node:assert/strict";
import { type Any, fakeHostPage, until } from "../lib/dashboard/testing.ts";

const SID = `ses_${"c".repeat(32)}`;
const W1 = "11111111-1111-4111-8111-111111111111";
const HOUR = 3_600_000;

/** A one-window session whose app.call answers come from `appCall(token)`. */
async function attached(appCall: (token: string) => Any, monotonic?: () => number) {
  let n = 0;
  const page = fakeHostPage({
    monotonic,
    bridge: (method: string, params: Any): Any => {
      switch (method) {
        case "session.get":
          return {
            session_id: SID,
            app_slug: "notes-demo",
            primary_window_uuid: W1,
            events: { last_seq: 1 },
            views: [],
            windows: [{ window_uuid: W1, view: "main", status: "active", title: "Notes" }],
          };
        case "session.refresh_token":
          return { token: `tok${++n}`, expires_at: Date.now() + 30_000, window_uuid: W1 };
        case "app.call":
          return appCall(params.token);
        default:
          return {};
      }
    },
  });
  await page.host.attach(SID);
  await until(() => page.frames.length === 1 && page.frames[0].src !== "");
  return page;
}

const refused = (reason: string) => ({
  ok: false,
  error: { code: "invalid_token", message: reason, details: { reason } },
});
const req = (id: string, t: string) => ({
  channel: "anna-app/1",
  kind: "req",
  id,
  wid: W1,
  t,
  ns: "storage",
  method: "get",
  args: { key: "k" },
});

Deno.test("clock set back: a not_yet_valid token is refreshed and the call retried, as an expired one", async () => {
  // tok1 went to the iframe URL at attach; the clock then moved back by more than the 5 s leeway
  const page = await attached((t) =>
    t === "tok2" ? { ok: true, result: { token: t } } : refused("not_yet_valid")
  );
  const f = page.frames[0];
  page.fromFrame(f, req("r1", "tok1"));
  await until(() => f.sent("res").length === 1);
  assert.deepEqual(f.sent("res")[0].result, { token: "tok2" }, JSON.stringify(f.sent("res")[0]));
  assert.deepEqual(f.sent("event").map((e: Any) => e.payload.token), ["tok2"], "app told");
});

Deno.test("clock set back: 'refreshed moments ago' is measured on the monotonic clock, not Date.now()", async () => {
  let mono = 1000;
  let jumped = false;
  // before the jump tok1 has expired; after it every token minted so far is in the future
  const page = await attached((t) => {
    if (t === "tok3" || (t === "tok2" && !jumped)) return { ok: true, result: { token: t } };
    return refused(jumped ? "not_yet_valid" : "expired");
  }, () => mono);
  const f = page.frames[0];
  page.fromFrame(f, req("r1", "tok1"));
  await until(() => f.sent("res").length === 1);
  assert.equal(f.sent("res")[0].ok, true);

  // a minute later the wall clock is set back an hour
  const realNow = Date.now;
  Date.now = () => realNow() - HOUR;
  try {
    mono += 60_000;
    jumped = true;
    page.fromFrame(f, req("r2", "tok1"));
    await until(() => f.sent("res").length === 2);
  } finally {
    Date.now = realNow;
  }
  // the refresh of a minute ago is not "recent": its token (tok2) is refused too, so a new one
  const res = f.sent("res")[1];
  assert.deepEqual(res.result, { token: "tok3" }, JSON.stringify(res));
  assert.equal(page.called("session.refresh_token").length, 3, "attach + two refreshes");
});
