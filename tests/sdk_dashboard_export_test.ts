/**
 * The dashboard's "export as recorded-session JSONL" (CONTRACT §13, §14.3, §14.7): the real
 * dash_export.js run against the log of a real core must write what `dev --record` writes for the
 * same session — the same lines in the same order (events right after the call that caused them),
 * timestamps aside.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { startRecording } from "../lib/smoke/recorder.ts";
import { VERSION } from "../lib/version.ts";
import { exporter } from "./helpers/dash_export.ts";
import { makeRuntime, manifest } from "./helpers/runtime.ts";
import { tmpDir } from "./helpers/tmp.ts";

// deno-lint-ignore no-explicit-any
type Any = any;

const withoutT = (text: string) =>
  text.trim().split("\n").map((l) => {
    const { t: _t, ...rest } = JSON.parse(l);
    return rest;
  });

Deno.test("dashboard export: the same lines and order as dev --record for the same session", async () => {
  await using dir = await tmpDir();
  await using t = await makeRuntime({ mode: "dev" });
  const created = await t.call("session.create", {
    app_slug: "notes",
    manifest: manifest({ storage: ["get", "set", "delete"], chat: ["write_message"] }, {
      ui: {
        bundle: { entry: "index.html" },
        views: [{ name: "main", title: "Main" }, { name: "detail", title: "Detail" }],
        host_api: { storage: ["get", "set", "delete"], chat: ["write_message"] },
      },
    }),
  });
  const session_id = created.session_id as string;
  const file = join(dir.path, "recorded.jsonl");
  const rec = await startRecording(t.rt, session_id, file);

  const call = (ns: string, method: string, args: unknown, window_uuid?: string) =>
    t.call("session.call", { session_id, ns, method, args, window_uuid });
  await call("window", "hello", {});
  await call("storage", "set", { key: "k", value: 1 }); // → runtime_state_synced
  await call("window", "set_title", { title: "Two" }); // → title_changed
  await call("fs", "read", { path: "x" }); // denied, no event
  await t.call("session.refresh_token", { session_id }); // host-caused auth.refresh
  // the dashboard's storage panel: host-caused, marked so replay redoes it
  await t.call("session.set_runtime_state", { session_id, runtime_state: { k: 2 } });
  const opened = await call("window", "open_view", { view: "detail", payload: { a: 1 } });
  const detail = (opened.result as Any).window_uuid as string;
  await call("storage", "delete", { key: "k" }, detail); // from the second window
  await call("chat", "write_message", { content: "hi" });
  await rec.stop();

  const info = () => t.rt.describeSession(t.rt.sessions.get(session_id)!);
  const exported = exporter(() => t.rt.log.entries(), info)();
  const recorded = await Deno.readTextFile(file);
  assert.deepEqual(withoutT(exported), withoutT(recorded));

  // spot checks of the format itself (§14.3)
  const lines = exported.trim().split("\n").map((l) => JSON.parse(l));
  assert.deepEqual(lines[0], {
    t: 0,
    kind: "meta",
    harness_version: VERSION,
    session_id,
    window_uuid: created.window_uuid,
    app_slug: "notes",
    view: "main",
  });
  const kinds = lines.slice(1).map((l) => l.kind === "event" ? `event:${l.event}` : l.kind);
  const set = lines.findIndex((l) => l.kind === "req" && l.method === "set");
  assert.deepEqual(kinds.slice(set - 1, set + 2), ["req", "res", "event:runtime_state_synced"]);
  assert.ok(kinds.includes("auth.refresh"));
  const synced = lines.filter((l) => l.event === "runtime_state_synced");
  assert.deepEqual(synced.map((l) => [l.payload.runtime_state.k, l.by_client_id]), [
    [1, undefined],
    [2, null],
    [undefined, undefined],
  ]);
  const del = lines.find((l) => l.kind === "req" && l.method === "delete");
  assert.equal(del.window_uuid, detail, "calls of other windows carry their window_uuid");
  let last = 0;
  for (const l of lines) {
    assert.ok(l.t >= last, "t never goes back");
    last = l.t;
  }
});

Deno.test("dashboard export: says when the log no longer holds the session's first calls", async () => {
  await using t = await makeRuntime({ mode: "dev" });
  const created = await t.call("session.create", {
    app_slug: "notes",
    manifest: manifest({ storage: ["get", "set"] }),
  });
  const session_id = created.session_id as string;
  const info = () => t.rt.describeSession(t.rt.sessions.get(session_id)!);
  const exported = exporter(() => t.rt.log.entries(), info);
  await t.call("session.call", { session_id, ns: "window", method: "hello", args: {} });
  assert.equal(exported.gap(), null, "the whole session is in the log");
  for (let i = 0; i < 2000; i++) {
    await t.call("session.call", {
      session_id,
      ns: "storage",
      method: "get",
      args: { key: "k" },
    });
  }
  const lines = exported().trim().split("\n").map((l) => JSON.parse(l));
  assert.equal(lines.some((l) => l.method === "hello"), false, "hello left the log");
  assert.match(exported.gap()!, /starts mid-session; `dev --record FILE` records it all/);
});
