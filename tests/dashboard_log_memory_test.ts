/**
 * The host pages' copy of the log (§11.11) is bounded like the server's: the newest 2000 entries
 * and at most 64 MiB of event entries (a storage event carries the whole bucket); `/dev/:wid`,
 * which only reloads from the log, keeps just its reload and manifest entries.
 */
import assert from "node:assert/strict";
import { type Any, fakeHostPage, until } from "../lib/dashboard/testing.ts";

const SID = `ses_${"b".repeat(32)}`;
const W1 = "11111111-1111-4111-8111-111111111111";

function bridge(method: string, params: Any): Any {
  if (method === "session.get") {
    return {
      session_id: SID,
      app_slug: "mem",
      primary_window_uuid: W1,
      events: { last_seq: 0 },
      views: [],
      windows: [{ window_uuid: W1, view: "main", status: "active", title: "M" }],
    };
  }
  if (method === "session.refresh_token") {
    return { token: "tok", expires_at: Date.now() + 600_000, window_uuid: params.window_uuid };
  }
  return { ok: true };
}

async function streamOf(metas?: Record<string, string>) {
  const page = fakeHostPage({ bridge, metas });
  await page.host.attach(SID);
  await until(() => page.logStream() !== undefined);
  return { page, stream: page.logStream()! };
}

const storageEvent = (seq: number, blob: string) => ({
  seq,
  ts: Date.now(),
  type: "event",
  session_id: SID,
  event: { kind: "runtime_state_synced", seq, payload: { runtime_state: { blob } } },
});

Deno.test("host log: at most 64 MiB of event entries, newest kept", async () => {
  const { page, stream } = await streamOf();
  const blob = "x".repeat(1024 * 1024);
  for (let seq = 1; seq <= 80; seq++) stream.push("log", storageEvent(seq, blob));
  const kept = page.host.logEntries().map((e: Any) => e.seq);
  // 80 MiB arrived: the oldest went, the newest stayed, and what is kept fits in 64 MiB
  assert.ok(kept.length >= 60 && kept.length < 64, `${kept.length} kept`);
  assert.equal(kept.at(-1), 80);
  assert.deepEqual(kept, Array.from({ length: kept.length }, (_, i) => 81 - kept.length + i));
});

Deno.test("host log: the newest 2000 entries of any kind", async () => {
  const { page, stream } = await streamOf();
  for (let seq = 1; seq <= 2100; seq++) {
    stream.push("log", { seq, ts: Date.now(), type: "rpc", session_id: SID, ns: "x", method: "y" });
  }
  const kept = page.host.logEntries().map((e: Any) => e.seq);
  assert.equal(kept.length, 2000);
  assert.equal(kept[0], 101);
});

Deno.test("host log on /dev/:wid: only reload and manifest entries are kept, and still reload", async () => {
  const { page, stream } = await streamOf({
    "anna-session-id": SID,
    "anna-window-uuid": W1,
    "anna-live-reload": "on",
  });
  stream.push("log", storageEvent(1, "y".repeat(1000)));
  stream.push("log", { seq: 2, ts: Date.now(), type: "rpc", session_id: SID });
  stream.push("log", { seq: 3, ts: Date.now(), type: "manifest", diagnostics: [] });
  stream.push("log", { seq: 4, ts: Date.now(), type: "reload", paths: ["app.js"] });
  assert.deepEqual(page.host.logEntries().map((e: Any) => e.type), ["manifest", "reload"]);
  const before = page.called("session.refresh_token").length;
  await until(() => page.called("session.refresh_token").length > before);
});
