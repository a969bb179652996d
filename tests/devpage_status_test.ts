/**
 * The `/dev/:wid` page (devpage.js on the real host scripts, §13): when its window closes, or was
 * closed before the page loaded, the page says so instead of going blank; a window opened later
 * clears the notice; a closed session says "session closed".
 */
import assert from "node:assert/strict";
import { type Any, appEvent, fakeHostPage, until } from "../lib/dashboard/testing.ts";

const SID = `ses_${"d".repeat(32)}`;
const W1 = "11111111-1111-4111-8111-111111111111";
const W2 = "22222222-2222-4222-8222-222222222222";

function bridgeWith(windows: Any[]) {
  return (method: string, params: Any): Any => {
    if (method === "session.get") {
      return {
        session_id: SID,
        app_slug: "dp",
        primary_window_uuid: W1,
        events: { last_seq: 0 },
        views: [{ name: "main", entry: "index.html" }],
        windows,
      };
    }
    if (method === "session.refresh_token") {
      return { token: "tok", expires_at: Date.now() + 600_000, window_uuid: params.window_uuid };
    }
    return { ok: true };
  };
}

const env = appEvent;

const devPage = (windows: Any[]) =>
  fakeHostPage({
    bridge: bridgeWith(windows),
    devpage: true,
    metas: { "anna-session-id": SID, "anna-window-uuid": W1 },
  });

Deno.test("/dev/:wid: the window closing leaves a notice, a window opened later clears it", async () => {
  const page = devPage([{ window_uuid: W1, view: "main", status: "active", title: "One" }]);
  await until(() => page.shown().length === 1 && page.sessionEvents() !== undefined);
  assert.equal(page.status(), "");
  page.sessionEvents().push(
    "data_model.AnnaAppEvent",
    env(1, "status_changed", W1, { status: "closed" }),
  );
  await until(() => page.shown().length === 0);
  assert.match(page.status(), /this window is closed/);
  page.sessionEvents().push(
    "data_model.AnnaAppEvent",
    env(2, "open_view", W2, { window_uuid: W2, view: "main", payload: {} }),
  );
  await until(() => page.shown().length === 1);
  assert.equal(page.status(), "");
});

Deno.test("/dev/:wid: a window closed before the page loaded is reported at once", async () => {
  const page = devPage([{ window_uuid: W2, view: "main", status: "active", title: "Other" }]);
  await until(() => page.status() !== "");
  assert.match(page.status(), /this window is closed/);
  assert.equal(page.shown().length, 0);
});

Deno.test("/dev/:wid: a closed session says so, not that the window closed", async () => {
  const page = devPage([{ window_uuid: W1, view: "main", status: "active", title: "One" }]);
  await until(() => page.shown().length === 1 && page.sessionEvents() !== undefined);
  page.sessionEvents().push("session_closed", { session_id: SID });
  await until(() => page.status() !== "");
  page.sessionEvents().push(
    "data_model.AnnaAppEvent",
    env(3, "status_changed", W1, { status: "closed" }),
  );
  await until(() => page.shown().length === 0);
  assert.equal(page.status(), "session closed");
});
