/**
 * Executa faults seen through the real bridge (CONTRACT §9.7, §9.9, §9.11): each fault gives the
 * contract's outcome as a `session.call` result, and the bridge keeps answering normal calls.
 */
import assert from "node:assert/strict";
import { BridgeProcess, REPO_ROOT } from "./helpers/bridge_process.ts";

const FIXTURES = `${REPO_ROOT}tests/fixtures/executas`;
const MANIFEST = {
  schema: 2,
  required_executas: [{ tool_id: "tool-plugin" }],
  ui: { views: [{ name: "main" }], host_api: { tools: ["*"], storage: ["get", "set"] } },
};

Deno.test("bridge: crash, noise, a 20 MiB reply line and a timeout never stop the bridge", async () => {
  await using b = new BridgeProcess();
  await b.call("executas.register", {
    tool_id: "tool-plugin",
    project_dir: FIXTURES,
    command: ["node", "plugin.mjs"],
  });
  const s = await b.call("session.create", { app_slug: "faults", manifest: MANIFEST });
  const invoke = (method: string, args: unknown = {}, timeoutMs?: number) =>
    b.call("session.call", {
      session_id: s.session_id,
      ns: "tools",
      method: "invoke",
      args: { tool_id: "tool-plugin", method, args, timeoutMs },
    }) as Promise<
      {
        ok: boolean;
        result?: unknown;
        error?: { code: string; message: string; details: Record<string, unknown> };
      }
    >;
  const normal = async () => {
    const r = await b.call("session.call", {
      session_id: s.session_id,
      ns: "storage",
      method: "set",
      args: { key: "alive", value: true },
    });
    assert.deepEqual(r, { ok: true, result: { ok: true } });
  };

  const noise = await invoke("noise");
  assert.deepEqual(noise, { ok: true, result: "after noise" });
  await normal();

  const huge = await invoke("huge", { bytes: 20 * 1024 * 1024 });
  assert.equal(huge.ok, false);
  assert.equal(huge.error!.code, "frame_too_large");
  assert.equal(huge.error!.details.max_frame_bytes, 16_777_216);
  await normal();

  const crash = await invoke("crash", { stderr: ["boom line"], code: 7 });
  assert.equal(crash.ok, false);
  assert.equal(crash.error!.code, "tool_failed");
  assert.equal(crash.error!.message, "executa process exited");
  assert.equal(crash.error!.details.exit_code, 7);
  assert.ok((crash.error!.details.stderr_tail as string[]).includes("boom line"));
  await normal();

  const hang = await invoke("hang", {}, 1000);
  assert.equal(hang.ok, false);
  assert.equal(hang.error!.code, "tool_timeout");
  assert.deepEqual(hang.error!.details, {
    timeout_ms: 1000,
    requested_timeout_ms: 1000,
    max_timeout_ms: 90000,
  });
  await normal();

  // the crashed process respawns on next use (after its backoff)
  const again = await invoke("echo", { x: 1 }) as { ok: boolean; result: { args: unknown } };
  assert.equal(again.ok, true, JSON.stringify(again));
  assert.deepEqual(again.result.args, { x: 1 });
  const list = await b.call("executas.list", {});
  const row =
    (list.executas as { restarts: number; status: string; last_exit: { code: number } }[])[0];
  assert.equal(row.status, "ready");
  assert.ok(row.restarts >= 1);
  assert.equal(row.last_exit.code, 7);
});

Deno.test("bridge: an executa that exits at start answers executa_unavailable or tool_failed, then crash_loop", async () => {
  await using b = new BridgeProcess();
  await b.call("executas.register", {
    tool_id: "tool-plugin",
    project_dir: FIXTURES,
    command: ["node", "plugin.mjs", "--exit-at-start=5"],
  });
  const codes: string[] = [];
  for (let i = 0; i < 4; i++) {
    const r = await b.call("executas.invoke", { tool_id: "tool-plugin", method: "echo" }) as {
      ok: boolean;
      error: { code: string; details: { reason?: string } };
    };
    assert.equal(r.ok, false);
    codes.push(
      r.error.code === "executa_unavailable"
        ? `${r.error.code}:${r.error.details.reason}`
        : r.error.code,
    );
  }
  assert.equal(codes.at(-1), "executa_unavailable:crash_loop", codes.join(","));
  const list = await b.call("executas.list", {});
  assert.equal((list.executas as { status: string }[])[0].status, "failed");
  // restart clears the failed state
  assert.deepEqual(await b.call("executas.restart", { tool_id: "tool-plugin" }), {
    restarted: true,
  });
  const st = await b.call("executas.list", {});
  assert.notEqual((st.executas as { status: string }[])[0].status, "failed");
  assert.deepEqual(await b.call("session.list", {}), { sessions: [] });
});
