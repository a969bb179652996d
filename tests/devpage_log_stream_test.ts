/**
 * `/dev/:wid` opens the log stream only when the server watches files (§11.10): the page reads
 * the log just to reload. A browser allows 6 connections per host and each stream holds one, so
 * with two streams a page, a fourth `/dev/:wid` page in one browser context (an e2e test with
 * several users) never loaded under `serve`. It asks for the reload and manifest entries only.
 */
import assert from "node:assert/strict";
import { type Any, fakeHostPage, until } from "../lib/dashboard/testing.ts";

const SID = `ses_${"e".repeat(32)}`;
const W1 = "11111111-1111-4111-8111-111111111111";

function bridge(method: string, params: Any): Any {
  if (method === "session.get") {
    return {
      session_id: SID,
      app_slug: "dp",
      primary_window_uuid: W1,
      events: { last_seq: 0 },
      windows: [{ window_uuid: W1, view: "main", status: "active", title: "One" }],
    };
  }
  if (method === "session.refresh_token") {
    return { token: "tok", expires_at: Date.now() + 600_000, window_uuid: params.window_uuid };
  }
  return { ok: true };
}

const devPage = (liveReload: string) =>
  fakeHostPage({
    bridge,
    devpage: true,
    metas: { "anna-session-id": SID, "anna-window-uuid": W1, "anna-live-reload": liveReload },
  });

Deno.test("/dev/:wid: no log stream without live reload, one with it", async () => {
  const off = devPage("off");
  await until(() => off.shown().length === 1 && off.sessionEvents() !== undefined);
  assert.equal(off.logStream(), undefined);

  const on = devPage("on");
  await until(() => on.shown().length === 1 && on.logStream() !== undefined);
  assert.match(on.logStream()!.url, /^\/api\/log\/stream\?/);
});

Deno.test("/dev/:wid asks for reload and manifest entries only; the dashboard for the whole log", async () => {
  // the whole log is up to 64 MiB of storage buckets, read at each page load and streamed to
  // every page, of which /dev/:wid keeps the reload and manifest entries alone
  const on = devPage("on");
  await until(() => on.logStream() !== undefined);
  const types = (url: string) => new URL(url, "http://h").searchParams.get("type");
  assert.equal(types(on.logStream()!.url), "reload,manifest");
  const reads = on.fetched.filter((p) => p.split("?")[0] === "/api/log");
  assert.equal(reads.length, 1);
  assert.equal(types(reads[0]), "reload,manifest");

  const dash = fakeHostPage({ bridge });
  await dash.host.attach(SID);
  await until(() => dash.logStream() !== undefined);
  assert.equal(types(dash.logStream()!.url), null);
  assert.deepEqual(dash.fetched.filter((p) => p.split("?")[0] === "/api/log"), ["/api/log"]);
});
