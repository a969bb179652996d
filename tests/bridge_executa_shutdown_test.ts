/**
 * Shutdown leaves no executa behind (CONTRACT §9.10): after EOF on the bridge's stdin, after
 * SIGTERM, and for a plugin that ignores stdin close and SIGTERM (SIGKILL path). A request read
 * before SIGTERM still gets its one answer before the exit.
 */
import assert from "node:assert/strict";
import { BridgeProcess, REPO_ROOT } from "./helpers/bridge_process.ts";
import { alive } from "./helpers/processes.ts";

const FIXTURES = `${REPO_ROOT}tests/fixtures/executas`;

async function startWithPlugin(b: BridgeProcess, extra: string[] = []) {
  const reg = await b.call("executas.register", {
    tool_id: "tool-plugin",
    project_dir: FIXTURES,
    command: ["node", "plugin.mjs", ...extra],
  });
  assert.deepEqual(reg.registered, ["tool-plugin"]);
  const out = await b.call("executas.invoke", { tool_id: "tool-plugin", method: "pid" }) as {
    ok: boolean;
    result: { pid: number };
  };
  assert.equal(out.ok, true, JSON.stringify(out));
  const pid = out.result.pid;
  assert.ok(alive(pid));
  const list = await b.call("executas.list", {});
  assert.equal((list.executas as { pid: number }[])[0].pid, pid);
  return pid;
}

Deno.test("EOF: the bridge stops its executas and exits 0", async () => {
  await using b = new BridgeProcess();
  const pid = await startWithPlugin(b);
  await b.closeStdin();
  assert.equal((await b.exited).code, 0);
  await b[Symbol.asyncDispose]();
  assert.equal(alive(pid), false, `executa ${pid} survived`);
});

Deno.test("SIGTERM: graceful shutdown, exit 0, no child left", async () => {
  await using b = new BridgeProcess();
  const pid = await startWithPlugin(b);
  b.child.kill("SIGTERM");
  assert.equal((await b.exited).code, 0);
  await b[Symbol.asyncDispose]();
  assert.equal(alive(pid), false, `executa ${pid} survived`);
});

Deno.test("a plugin ignoring stdin close and SIGTERM is killed (SIGKILL after 2 s + 2 s)", async () => {
  await using b = new BridgeProcess();
  const pid = await startWithPlugin(b, ["--ignore-term"]);
  const t0 = performance.now();
  await b.closeStdin();
  assert.equal((await b.exited).code, 0);
  const took = performance.now() - t0;
  await b[Symbol.asyncDispose]();
  assert.equal(alive(pid), false, `executa ${pid} survived`);
  assert.ok(took >= 3500, `shutdown took only ${took} ms: the 2 s + 2 s grace was skipped`);
});

Deno.test("a second SIGINT during shutdown exits 130 at once and kills the executa (§2.1)", async () => {
  await using b = new BridgeProcess({ args: ["--log-level", "debug"] });
  const pid = await startWithPlugin(b, ["--ignore-term"]);
  b.child.kill("SIGINT");
  // the plugin ignores stdin close and SIGTERM: the graceful stop is still waiting on it
  const t0 = performance.now();
  while (!b.stderrText.includes("sent SIGTERM")) {
    assert.ok(performance.now() - t0 < 10_000, `graceful stop never began:\n${b.stderrText}`);
    await new Promise((r) => setTimeout(r, 20));
  }
  b.child.kill("SIGINT");
  assert.equal((await b.exited).code, 130);
  await b[Symbol.asyncDispose]();
  for (let i = 0; i < 100 && alive(pid); i++) await new Promise((r) => setTimeout(r, 20));
  assert.equal(alive(pid), false, `executa ${pid} outlived the bridge`);
});

Deno.test("SIGTERM with invokes in flight: each request read gets exactly one answer before exit 0", async () => {
  await using b = new BridgeProcess();
  const tools = ["t1", "t2", "t3"];
  for (const tool_id of tools) {
    await b.call("executas.register", {
      tool_id,
      project_dir: FIXTURES,
      command: ["node", "plugin.mjs"],
    });
  }
  const N = 120;
  // string ids: the helper numbers its own requests (the executas.list polls below)
  const ids = Array.from({ length: N }, (_, i) => `inv-${i}`);
  await b.writeRaw(
    ids.map((id, i) =>
      JSON.stringify({
        jsonrpc: "2.0",
        id,
        method: "executas.invoke",
        params: { tool_id: tools[i % 3], method: "hang" },
      }) + "\n"
    ).join(""),
  );
  // every invoke has reached its plugin
  for (let n = 0; n < N;) {
    const list = (await b.call("executas.list", {})).executas as { in_flight: number }[];
    n = list.reduce((a, x) => a + x.in_flight, 0);
  }
  b.child.kill("SIGTERM");
  assert.equal((await b.exited).code, 0);
  await b[Symbol.asyncDispose]();
  const answers = b.stdoutLines.map((l) => JSON.parse(l)).filter((m) => ids.includes(m.id));
  assert.deepEqual(answers.map((m) => m.id).sort(), [...ids].sort(), "each request answered once");
  for (const m of answers) {
    assert.equal(m.result?.error?.code, "tool_failed", JSON.stringify(m));
    assert.equal(m.result.error.message, "executa process exited");
  }
});

Deno.test("SIGTERM while a request line is half written: that line is dropped, not answered", async () => {
  await using b = new BridgeProcess();
  // one write: the whole request and the start of the next, as a harness stopped mid-write
  const first = b.waitFor("whole");
  await b.writeRaw(
    '{"jsonrpc":"2.0","id":"whole","method":"session.list"}\n' +
      '{"jsonrpc":"2.0","id":"cut","method":"session.li',
  );
  assert.deepEqual((await first).result, { sessions: [] });
  b.child.kill("SIGTERM");
  assert.equal((await b.exited).code, 0);
  await b[Symbol.asyncDispose]();
  assert.deepEqual(b.stdoutLines.map((l) => JSON.parse(l).id), ["whole"], b.stdoutLines.join("\n"));
  assert.match(b.stderrText, /dropped an unfinished input line/);
});

Deno.test("SIGTERM with an llm.complete in flight: it is answered before exit 0 (no executa to wait for)", async () => {
  let arrived!: () => void;
  const reached = new Promise<void>((r) => (arrived = r));
  let release!: () => void;
  const released = new Promise<void>((r) => (release = r));
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, async (req) => {
    await req.body?.cancel();
    arrived();
    await released;
    return Response.json({
      model: "fake-gpt",
      choices: [{ message: { role: "assistant", content: "late" }, finish_reason: "stop" }],
      usage: { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 },
    });
  });
  try {
    await using b = new BridgeProcess({
      args: [
        ...["--llm", "openai", "--llm-base-url", `http://127.0.0.1:${server.addr.port}/v1`],
        ...["--log-level", "info"],
      ],
      env: { OPENAI_API_KEY: "sk-test" },
    });
    const s = await b.call("session.create", {
      app_slug: "oa",
      manifest: { schema: 2, ui: { views: [{ name: "main" }], host_api: { llm: ["complete"] } } },
    });
    const answer = b.request("session.call", {
      session_id: s.session_id,
      ns: "llm",
      method: "complete",
      args: { messages: [{ role: "user", content: "hi" }] },
    }, "llm-1");
    await reached;
    b.child.kill("SIGTERM");
    // the provider answers only once the bridge has taken the signal (its log line says so), so
    // the answer is written during the shutdown, not before it, however slow the bridge is
    const giveUp = Date.now() + 10_000;
    while (!b.stderrText.includes("SIGTERM: stopping") && Date.now() < giveUp) {
      await new Promise((r) => setTimeout(r, 20));
    }
    assert.match(b.stderrText, /SIGTERM: stopping/, "the bridge logged the signal");
    release();
    assert.equal((await b.exited).code, 0);
    await b[Symbol.asyncDispose]();
    const res = b.stdoutLines.map((l) => JSON.parse(l)).filter((m) => m.id === "llm-1");
    assert.equal(res.length, 1, `answered once: ${b.stdoutLines.join("\n")}`);
    assert.equal(res[0].result.ok, true, JSON.stringify(res[0]));
    assert.equal((await answer).id, "llm-1");
  } finally {
    release();
    await server.shutdown();
  }
});
