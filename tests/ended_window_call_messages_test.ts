/**
 * A call to an ended window (CONTRACT §6.3: `not_found`) says how it ended, and a `session.call`
 * without `window_uuid` (§4.4.2: the primary window) whose primary has closed says so and names
 * the windows still open: "window <uuid> is closed" alone sent a crashed window's developer
 * looking for a close that never happened, and a harness whose app closed its first window
 * looking for a window it never named.
 */
import assert from "node:assert/strict";
import { makeRuntime, openSession, THREE_VIEWS } from "./helpers/runtime.ts";

Deno.test("a crashed window's calls say it crashed (report_error fatal), not that it closed", async () => {
  await using t = await makeRuntime();
  const s = await openSession(t, THREE_VIEWS);
  const w2 = (await s.call("window", "open_view", { view: "other" })).result.window_uuid;
  await s.call("window", "report_error", { message: "boom", fatal: true }, w2);
  const out = await s.call("storage", "get", { key: "k" }, w2);
  assert.equal(out.error.code, "not_found");
  assert.equal(
    out.error.message,
    `window ${w2} crashed (window.report_error with fatal:true) and takes no more calls; ` +
      `open its view again`,
  );
  assert.deepEqual(out.error.details, { window_uuid: w2 });
});

Deno.test("session.call without window_uuid after the primary closed names the open windows", async () => {
  await using t = await makeRuntime();
  const s = await openSession(t, THREE_VIEWS);
  const w2 = (await s.call("window", "open_view", { view: "other" })).result.window_uuid;
  await s.call("window", "close");
  const out = await s.call("storage", "get", { key: "k" });
  assert.equal(out.error.code, "not_found");
  assert.equal(
    out.error.message,
    `window ${s.window_uuid} is closed; it is the primary window, which session.call uses ` +
      `when window_uuid is absent: pass window_uuid (open: ${w2})`,
  );
  // named explicitly, the same window answers the plain message
  const named = await s.call("storage", "get", { key: "k" }, s.window_uuid);
  assert.equal(named.error.message, `window ${s.window_uuid} is closed`);
  await s.call("window", "close", {}, w2);
  const none = await s.call("storage", "get", { key: "k" });
  assert.match(none.error.message, /pass window_uuid \(no window is open; session\.open_view/);
});
