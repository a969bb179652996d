/**
 * An `app.call` refused for its token (CONTRACT §8.3) is still an `rpc` entry of the RPC log
 * (§11.11, §13): outcome `error`, code `invalid_token` with its reason, filed under the session
 * of the window a validly signed token names so the dashboard shows it; a token that proves
 * nothing (malformed, bad signature) is logged with no session. A heartbeat refused over and over
 * (a crashed window whose page runs on) is logged at its 1st, 2nd, 4th… refusal.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { buildRuntime } from "../lib/cli/server_launch.ts";
import { createMainApp } from "../lib/server/app.ts";
import { loadOrCreateKey, mintToken } from "../lib/token/mod.ts";
import { silentLogger } from "../lib/util/log.ts";
import { manifest } from "./helpers/runtime.ts";
import { AUTH, serverContext } from "./helpers/server.ts";
import { tmpDir } from "./helpers/tmp.ts";
import { RefusedHeartbeats } from "../lib/core/refused_heartbeats.ts";

// deno-lint-ignore no-explicit-any
type Entry = Record<string, any>;

/** A bridge method over `POST /rpc` of `main`, answered with its `result`. */
const rpcOver =
  (main: { request: (path: string, init: RequestInit) => Response | Promise<Response> }) =>
  async (method: string, params: unknown) => {
    const r = await main.request("/rpc", {
      method: "POST",
      headers: AUTH,
      body: JSON.stringify({ jsonrpc: "2.0", id: 1, method, params }),
    });
    return (await r.json()).result;
  };

Deno.test("RPC log: app.call refused for its token is logged with its reason and window", async () => {
  await using dir = await tmpDir();
  const keyFile = join(dir.path, "dev.key");
  const rt = await buildRuntime({ "key-file": keyFile }, "serve", silentLogger(), "9.9.9");
  try {
    const main = createMainApp(serverContext(rt));
    const rpc = rpcOver(main);
    const refusals = async (): Promise<Entry[]> =>
      ((await (await main.request("/api/log", { headers: AUTH })).json()).entries as Entry[])
        .filter((e) => e.type === "rpc" && e.error_code === "invalid_token");

    const s = await rpc("session.create", {
      app_slug: "app",
      manifest: manifest({ storage: ["get"] }),
    });
    const key = await loadOrCreateKey(keyFile, silentLogger());
    const expired = await mintToken(key, {
      wid: s.window_uuid,
      uid: 1,
      app: "app",
      view: "main",
      scopes: ["storage.get"],
      ttl: 5,
      now: Date.now() - 60_000,
    });
    const call = (token: string) =>
      rpc("app.call", { token, ns: "storage", method: "get", args: { key: "k" } });

    const a = await call(expired.token);
    assert.equal(a.ok, false);
    assert.equal(a.error.details.reason, "expired");
    const b = await call("x.y.z");
    assert.equal(b.error.details.reason, "malformed");

    const [e1, e2] = await refusals();
    assert.deepEqual(
      { ...e1, seq: 0, ts: 0 },
      {
        seq: 0,
        ts: 0,
        type: "rpc",
        transport: "app",
        session_id: s.session_id,
        window_uuid: s.window_uuid,
        ns: "storage",
        method: "get",
        args: { key: "k" },
        outcome: "error",
        ms: 0,
        error_code: "invalid_token",
        error: { code: "invalid_token", message: a.error.message, details: { reason: "expired" } },
      },
    );
    assert.equal(e2.session_id, null);
    assert.equal(e2.window_uuid, null);
    assert.equal(e2.error.details.reason, "malformed");

    // a closed window's token still names it, and its session
    const t = await rpc("session.refresh_token", { session_id: s.session_id });
    await rpc("session.call", {
      session_id: s.session_id,
      ns: "window",
      method: "close",
      args: {},
    });
    const c = await call(t.token);
    assert.equal(c.error.details.reason, "window_closed");
    const e3 = (await refusals())[2];
    assert.equal(e3.session_id, s.session_id);
    assert.equal(e3.window_uuid, s.window_uuid);
    // the refusals are entries of their own, never counted as dispatched calls
    assert.equal((await refusals()).length, 3);
  } finally {
    await rt.shutdown();
  }
});

Deno.test("RPC log: a crashed window's page heartbeating on is logged at its 1st, 2nd, 4th, 8th… refusal", async () => {
  await using dir = await tmpDir();
  const rt = await buildRuntime(
    { "key-file": join(dir.path, "dev.key") },
    "serve",
    silentLogger(),
    "9.9.9",
  );
  try {
    const main = createMainApp(serverContext(rt));
    const rpc = rpcOver(main);
    const s = await rpc("session.create", { app_slug: "app", manifest: manifest({}) });
    const app = (method: string, args: unknown = {}) =>
      rpc("app.call", { token: s.token, ns: "window", method, args });
    assert.equal((await app("heartbeat")).ok, true);
    await app("report_error", { message: "boom", fatal: true });
    // the page lives on: its SDK heartbeats every 10 s, each refused (§8.3 window_closed)
    for (let i = 0; i < 20; i++) {
      const r = await app("heartbeat");
      assert.equal(r.error.details.reason, "window_closed", "every caller still gets its answer");
    }
    // another call is no heartbeat: each refusal stays a row
    for (let i = 0; i < 2; i++) await app("set_title", { title: "x" });
    const { entries } = await (await main.request("/api/log", { headers: AUTH })).json();
    const refused = (entries as Entry[]).filter((e) => e.outcome === "error");
    assert.deepEqual(
      refused.map((e) => [e.method, e.error.details.reason, e.repeat]),
      [
        ["heartbeat", "window_closed", undefined],
        ["heartbeat", "window_closed", 2],
        ["heartbeat", "window_closed", 4],
        ["heartbeat", "window_closed", 8],
        ["heartbeat", "window_closed", 16],
        ["set_title", "window_closed", undefined],
        ["set_title", "window_closed", undefined],
      ],
    );
    for (const e of refused) assert.equal(e.window_uuid, s.window_uuid);
  } finally {
    await rt.shutdown();
  }
});

Deno.test("RPC log: the refused-heartbeat counts stay bounded however many windows come and go", () => {
  const r = new RefusedHeartbeats();
  for (let i = 0; i < 5000; i++) assert.equal(r.next(`w${i}`, "window_closed"), 1);
  assert.equal(r.size, 1024);
  // a forgotten window starts again at 1; a remembered one counts on
  assert.equal(r.next("w0", "window_closed"), 1);
  assert.equal(r.next("w4999", "window_closed"), 2);
  assert.equal(r.next("w4999", "expired"), 1, "another reason is another refusal");
});
