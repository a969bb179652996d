/**
 * CONTRACT §8.4: the automatic token refresh runs in `dev` and `serve`, not in `bridge`. With
 * `--token-ttl 5` the timer fires every floor(5 × 2 / 3) = 3 s. The `serve` session is polled until its
 * window has an `auth.refresh` (no fixed sleep: a busy CI box can run the timer late), and that token
 * expires at least 3 s after the first one (so the timer did not fire early). By then, and at least
 * 4.5 s after its own session.create, a `bridge` window has none (only `session.refresh_token` makes one
 * there).
 */
import assert from "node:assert/strict";
import { BridgeProcess } from "./helpers/bridge_process.ts";
import { spawnCli } from "./helpers/server_process.ts";
import { tmpDir } from "./helpers/tmp.ts";
import { join } from "node:path";

const MANIFEST = { schema: 2, ui: { views: [{ name: "main" }] } };
/** The bridge window is checked no sooner than this after its session.create (timer due at 3 s). */
const BRIDGE_QUIET_MS = 4500;
/** Give-up bound for the serve refresh; only reached when it never comes. */
const POLL_LIMIT_MS = 20_000;

type Ev = { kind: string; window_uuid: string | null; payload: { expires_at?: number } };

Deno.test("auto refresh (§8.4): serve pushes auth.refresh every floor(ttl×2/3) s; bridge does not", async () => {
  await using dir = await tmpDir("anna-refresh-modes-");
  const key = join(dir.path, "dev.key");
  const serve = spawnCli(
    ["serve", "--port", "0", "--app-port", "0", "--format", "json", "--token-ttl", "5"],
    { ANNA_APP_DEV_KEY_FILE: key },
  );
  await using bridge = new BridgeProcess({ args: ["--key-file", key, "--token-ttl", "5"] });
  try {
    const line = (await serve.stdoutWhen((o) => o.includes("\n"))).split("\n")[0];
    const info = JSON.parse(line) as { main_origin: string; control_token: string };
    const rpc = async (method: string, params: Record<string, unknown>) => {
      const r = await fetch(`${info.main_origin}/rpc`, {
        method: "POST",
        headers: { "x-anna-control-token": info.control_token },
        body: JSON.stringify({ jsonrpc: "2.0", id: 1, method, params }),
      });
      const body = await r.json();
      assert.ok("result" in body, `${method}: ${JSON.stringify(body)}`);
      return body.result;
    };
    const params = { app_slug: "ticks", manifest: MANIFEST };
    const s = await rpc("session.create", params);
    const b = await bridge.call("session.create", params);
    const bridgeCreated = performance.now();

    // Drain the serve session until its window got an auth.refresh; drains advance a cursor, so
    // every batch is kept.
    const served: Ev[] = [];
    const refreshes = () =>
      served.filter((e) => e.kind === "auth.refresh" && e.window_uuid === s.window_uuid);
    const giveUp = performance.now() + POLL_LIMIT_MS;
    while (refreshes().length === 0 && performance.now() < giveUp) {
      await new Promise((r) => setTimeout(r, 100));
      served.push(...(await rpc("session.drain_events", { session_id: s.session_id })).events);
    }
    const pushed = refreshes();
    assert.ok(
      pushed.length >= 1,
      `a refresh within ${POLL_LIMIT_MS} ms: ${JSON.stringify(served)}`,
    );
    // exp is in whole seconds: a timer firing >= 3 s after session.create gives exp >= first + 3.
    assert.ok(
      pushed[0].payload.expires_at! >= (s.expires_at as number) + 3000,
      `a later expiry, >= 3 s on: ${pushed[0].payload.expires_at} vs ${s.expires_at}`,
    );

    // The bridge session had at least as long as serve's took to refresh, and at least 4.5 s.
    const quietFor = Math.max(BRIDGE_QUIET_MS, performance.now() - bridgeCreated + 500);
    const left = bridgeCreated + quietFor - performance.now();
    if (left > 0) await new Promise((r) => setTimeout(r, left));
    const bridged = (await bridge.call("session.drain_events", { session_id: b.session_id }))
      .events as Ev[];
    assert.deepEqual(bridged.filter((e) => e.kind === "auth.refresh"), [], "bridge: no timer");
  } finally {
    serve.child.kill("SIGTERM");
    assert.equal((await serve.status).code, 0, serve.stderr());
  }
});
