/**
 * What `dev` keeps while a dashboard reads its log and an app writes a big bucket: each storage
 * event's snapshot is one copy of the whole bucket, so only events the ring and the log still
 * hold may keep one (§6.5, §11.11). Before, a 30 000-key bucket ran `dev` out of memory.
 */
import assert from "node:assert/strict";
import { makeRuntime, manifest } from "./helpers/runtime.ts";

Deno.test("dev with a log reader: read snapshots are let go; the log holds at most 64 MiB of events", async () => {
  await using t = await makeRuntime({ mode: "dev" });
  const s = await t.call("session.create", {
    manifest: manifest({ storage: ["*"] }),
    app_slug: "big",
  });
  const bucket: Record<string, string> = {};
  for (let i = 0; i < 1000; i++) bucket[`key${i}`] = "v".repeat(200); // ~215 KB
  await t.call("session.set_runtime_state", { session_id: s.session_id, runtime_state: bucket });
  // subscribed after the session's first events: those stay unread, as on a real dashboard
  let streamed = 0;
  t.rt.log.subscribe((e) => void (streamed += JSON.stringify(e).length));
  for (let i = 0; i < 600; i++) {
    await t.call("session.call", {
      session_id: s.session_id,
      ns: "storage",
      method: "set",
      args: { key: "n", value: i },
    });
  }
  const store = t.rt.sessions.get(s.session_id)!.state;
  assert.ok(store.pendingLength <= 2, `${store.pendingLength} snapshots still tracked`);
  const events = t.rt.log.entries().filter((e) => e.type === "event");
  // 64 MiB of ~215 KB events: about 300 of the 600, the rest of the 2000 entries are rpc entries
  assert.ok(events.length < 320 && events.length > 250, `${events.length} event entries kept`);
  assert.ok(streamed > 600 * 200_000, "the reader saw every event in full");
});
