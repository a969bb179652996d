/**
 * The host page's front window follows the session's z order (CONTRACT §6.2–§6.4, §13): a window
 * opened while the page is attached is above every window already there (a new window takes the
 * next z_index), so closing the front window shows the one opened last, and a focus that comes
 * after an open keeps its window in front even while the new window's iframe is still being made.
 * Run in the fake page of lib/dashboard/testing.ts.
 */
import assert from "node:assert/strict";
import { type Any, appEvent, fakeHostPage, until } from "../lib/dashboard/testing.ts";

const SID = `ses_${"c".repeat(32)}`;
const W1 = "11111111-1111-4111-8111-111111111111";
const W2 = "22222222-2222-4222-8222-222222222222";
const W3 = "33333333-3333-4333-8333-333333333333";
const LATER = Date.now() + 600_000;

function runtime() {
  let n = 0;
  return (method: string, params: Any): Any => {
    if (method === "session.get") {
      return {
        session_id: SID,
        app_slug: "mv",
        primary_window_uuid: W1,
        events: { last_seq: 1 },
        views: [
          { name: "main", title: "Main", entry: "index.html" },
          { name: "detail", title: "Detail", entry: "index.html#/detail" },
        ],
        windows: [{ window_uuid: W1, view: "main", status: "active", title: "Main", z_index: 1 }],
      };
    }
    if (method === "session.refresh_token") {
      return { token: `tok${++n}`, expires_at: LATER, window_uuid: params.window_uuid };
    }
    return { ok: true };
  };
}

async function attached() {
  const page = fakeHostPage({ bridge: runtime() });
  await page.host.attach(SID);
  await until(() => page.frames.length === 1 && page.frames[0].src !== "");
  return page;
}

const opened = (seq: number, wid: string) =>
  appEvent(seq, "open_view", wid, { window_uuid: wid, view: "detail", entry_payload: {} });

Deno.test("closing the front window shows the window opened last, not the older primary", async () => {
  const page = await attached();
  const sse = page.sessionEvents();
  sse.push("data_model.AnnaAppEvent", opened(2, W2));
  await until(() => page.host.activeWindow() === W2);
  sse.push("data_model.AnnaAppEvent", opened(3, W3));
  await until(() => page.host.activeWindow() === W3);
  // the runtime's z order now: W3 (3) > W2 (2) > W1 (1)
  sse.push("data_model.AnnaAppEvent", appEvent(4, "close_view", W3, { window_uuid: W3 }));
  await until(() => page.host.windows().length === 2);
  assert.equal(page.host.activeWindow(), W2);
});

Deno.test("a focus after an open keeps its window in front while the new iframe is being made", async () => {
  const page = await attached();
  const sse = page.sessionEvents();
  // both arrive before the new window's token does (the page fetches one per window, §12.8)
  sse.push("data_model.AnnaAppEvent", opened(2, W2));
  sse.push(
    "data_model.AnnaAppEvent",
    appEvent(3, "window_focus_changed", W1, { window_uuid: W1, z_index: 3 }),
  );
  await until(() => page.frames.length === 2 && page.frames[1].src !== "");
  assert.equal(page.host.activeWindow(), W1);
  assert.equal(page.frames[0].getAttribute("data-active"), "");
  assert.equal(page.frames[1].getAttribute("data-active"), null);
});
