/**
 * CONTRACT §8.4: the automatic token refresh runs in `dev` and `serve`, not in `bridge`. With
 * `--token-ttl 5` the timer fires every floor(5 × 2 / 3) = 3 s; after 4.5 s a `serve` window has an
 * `auth.refresh` event and a `bridge` window has none (only `session.refresh_token` makes one there).
 */
import assert from "node:assert/strict";
import { BridgeProcess } from "./helpers/bridge_process.ts";
import { spawnCli } from "./helpers/server_process.ts";
import { tmpDir } from "./helpers/tmp.ts";
import { join } from "node:path";

const MANIFEST = { schema: 2, ui: { views: [{ name: "main" }] } };
const WAIT_MS = 4500;

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
    await new Promise((r) => setTimeout(r, WAIT_MS));

    const served = (await rpc("session.drain_events", { session_id: s.session_id })).events as Ev[];
    const pushed = served.filter((e) => e.kind === "auth.refresh");
    assert.ok(pushed.length >= 1, `a refresh within ${WAIT_MS} ms: ${JSON.stringify(served)}`);
    assert.equal(pushed[0].window_uuid, s.window_uuid);
    assert.ok(pushed[0].payload.expires_at! > (s.expires_at as number), "a later expiry");

    const bridged = (await bridge.call("session.drain_events", { session_id: b.session_id }))
      .events as Ev[];
    assert.deepEqual(bridged.filter((e) => e.kind === "auth.refresh"), [], "bridge: no timer");
  } finally {
    serve.child.kill("SIGTERM");
    assert.equal((await serve.status).code, 0, serve.stderr());
  }
});
