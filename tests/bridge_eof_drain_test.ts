/**
 * EOF on the bridge's stdin with calls still in flight (CONTRACT §2.4, §9.7, §9.10): they are
 * answered if they end within the longest legitimate call (a tools.invoke at its 90 s ceiling +
 * 2 s grace); past that the executas are stopped, which answers their invokes, and anything still
 * unanswered is dropped with a log line. Before, the exit waited for every call however long.
 */
import assert from "node:assert/strict";
import { drainAfterEof, EOF_DRAIN_MS } from "../lib/bridge/eof_drain.ts";
import { Logger } from "../lib/util/log.ts";
import { BridgeProcess, REPO_ROOT } from "./helpers/bridge_process.ts";

function logged() {
  const lines: Record<string, unknown>[] = [];
  const log = new Logger({ level: "info", format: "json", sink: (l) => lines.push(JSON.parse(l)) });
  return { lines, log };
}

/** A call that ends only when `end` is called. */
function hung() {
  let end!: () => void;
  const answered = new Promise<void>((r) => (end = r));
  return { answered, end };
}

Deno.test("the EOF wait is the longest legitimate call: 90 s invoke ceiling + 2 s grace", () => {
  assert.equal(EOF_DRAIN_MS, 92_000);
});

Deno.test("calls that end within the wait are answered; nothing is stopped or logged", async () => {
  const { lines, log } = logged();
  const call = hung();
  let stopped = false;
  setTimeout(call.end, 30);
  const how = await drainAfterEof({
    answered: call.answered,
    pending: () => 1,
    stop: () => Promise.resolve(void (stopped = true)),
    log,
    waitMs: 2000,
    noticeMs: 1000,
    graceMs: 100,
  });
  assert.equal(how, "answered");
  assert.equal(stopped, false);
  assert.deepEqual(lines, []);
});

Deno.test("a call hung past the wait: executas stopped (which answers it), with log lines", async () => {
  const { lines, log } = logged();
  const call = hung();
  let pending = 1;
  const t0 = performance.now();
  const how = await drainAfterEof({
    answered: call.answered,
    pending: () => pending,
    // like the executa stop: the invoke waiting on the process is answered
    stop: () => Promise.resolve().then(() => (pending = 0, call.end())),
    log,
    waitMs: 200,
    noticeMs: 50,
    graceMs: 1000,
  });
  const took = performance.now() - t0;
  assert.equal(how, "stopped");
  assert.ok(took >= 190 && took < 1000, `took ${took} ms`);
  assert.deepEqual(lines.map((l) => [l.level, l.msg, l.in_flight]), [
    ["warn", "stdin closed: waiting up to 0.2 s for the answers still in flight", 1],
    ["warn", "stdin closed 0.2 s ago: stopping the executas to end the calls left", 1],
  ]);
});

Deno.test("a call the stop does not end either is dropped after the grace, and said so", async () => {
  const { lines, log } = logged();
  const t0 = performance.now();
  const how = await drainAfterEof({
    answered: hung().answered,
    pending: () => 2,
    stop: () => Promise.resolve(),
    log,
    waitMs: 100,
    noticeMs: 50,
    graceMs: 100,
  });
  assert.equal(how, "dropped");
  assert.ok(performance.now() - t0 < 1000);
  assert.deepEqual(lines.at(-1), {
    ...lines.at(-1),
    level: "warn",
    msg: "exiting with requests unanswered",
    dropped: 2,
  });
});

Deno.test("bridge: EOF with a hung tools invoke in flight says on stderr how long it waits", async () => {
  await using b = new BridgeProcess();
  await b.call("executas.register", {
    tool_id: "tool-plugin",
    project_dir: `${REPO_ROOT}tests/fixtures/executas`,
    command: ["node", "plugin.mjs"],
  });
  const answer = b.waitFor("hung");
  await b.writeRaw(
    JSON.stringify({
      jsonrpc: "2.0",
      id: "hung",
      method: "executas.invoke",
      params: { tool_id: "tool-plugin", method: "hang", timeout_ms: 90_000 },
    }) + "\n",
  );
  for (let n = 0; n < 1;) {
    n = ((await b.call("executas.list", {})).executas as { in_flight: number }[])[0].in_flight;
  }
  await b.closeStdin();
  const t0 = performance.now();
  while (!b.stderrText.includes("stdin closed: waiting up to 92 s for the answers")) {
    assert.ok(performance.now() - t0 < 15_000, `no notice:\n${b.stderrText}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  assert.match(b.stderrText, /in_flight=1/);
  // a shutdown signal during the wait still ends it at once, and the invoke is answered
  b.child.kill("SIGTERM");
  assert.equal((await b.exited).code, 0);
  const res = await answer as { result: { error: { message: string } } };
  assert.equal(res.result.error.message, "executa process exited");
});
