/** Session-level token checks of CONTRACT §8.3, in order: unknown/closed window, wrong_window, wrong_app. */
import assert from "node:assert/strict";
import { makeRuntime, manifest, openSession } from "./helpers/runtime.ts";

Deno.test("verifyAppToken: window checks come before wrong_window, which comes before wrong_app", async () => {
  await using t = await makeRuntime();
  const s = await openSession(t, manifest({ storage: ["get"] }));
  const token = s.created.token as string;
  const other = "00000000-0000-4000-8000-000000000000";
  const good = await t.rt.verifyAppToken(token, s.window_uuid);
  assert.equal(good.ok, true);
  const wrong = await t.rt.verifyAppToken(token, other);
  assert.deepEqual(wrong.ok ? null : wrong.reason, "wrong_window");
  await s.call("window", "close", {});
  const closed = await t.rt.verifyAppToken(token, other);
  assert.deepEqual(closed.ok ? null : closed.reason, "window_closed");
  await t.call("session.close", { session_id: s.session_id });
  const gone = await t.rt.verifyAppToken(token, other);
  assert.deepEqual(gone.ok ? null : gone.reason, "unknown_window");
});
