/**
 * Core benchmark (not a test): the CPU cost of one pipelined `session.call` storage.set/get frame
 * inside the runtime — text in, response text out through `Runtime.handleTextNow`, the entry point
 * the stdio and WebSocket transports use — against a bare JSON-RPC echo of the same frames (parse,
 * then stringify a result echoing the params, as scripts/bench/echo_loop.ts does). No pipes and
 * no second process, so this is steady where the I/O benchmarks swing with the machine: use it to
 * see what a change to the hot path costs. Runs `bridge` mode (log bus off) and `dev` mode (log bus
 * on, as behind `/ws`). Rounds alternate the two sides; figures are medians over rounds.
 * Writes .artifacts/bench_core.json.
 *
 *   deno run -A scripts/bench_core.ts [--calls N] [--rounds N] [--mode bridge|dev|both] [--out FILE]
 */
import { parseArgs } from "node:util";
import { dirname, fromFileUrl, join } from "./bench/paths.ts";
import { BENCH_MANIFEST, storageFrames } from "./bench/storage_calls.ts";
import { Runtime, type RuntimeMode } from "../lib/core/runtime.ts";
import { LogBus } from "../lib/core/log_bus.ts";
import { ExecutaPool } from "../lib/executa/mod.ts";
import { createProvider } from "../lib/llm/mod.ts";
import { loadOrCreateKey } from "../lib/token/mod.ts";
import { silentLogger } from "../lib/util/log.ts";
import { VERSION } from "../lib/version.ts";

const ROOT = join(dirname(fromFileUrl(import.meta.url)), "..");
const { values } = parseArgs({
  args: Deno.args,
  options: {
    calls: { type: "string", default: "200000" },
    rounds: { type: "string", default: "7" },
    mode: { type: "string", default: "both" }, // bridge | dev | both
    out: { type: "string", default: join(ROOT, ".artifacts/bench_core.json") },
  },
});
const CALLS = Number(values.calls);
const ROUNDS = Number(values.rounds);

const home = await Deno.makeTempDir({ prefix: "anna-bench-core-" });
const logger = silentLogger();
const key = await loadOrCreateKey(join(home, "dev.key"), logger);
const llm = createProvider({ mode: "mock", mocks: [], logger });

async function runtimeFor(mode: RuntimeMode) {
  const rt = new Runtime({
    mode,
    key,
    tokenTtl: 30,
    llm,
    executas: new ExecutaPool({ logger, llm, version: VERSION }),
    logger,
    log: new LogBus(mode !== "bridge"),
  });
  const created = await rt.call("session.create", {
    app_slug: "bench",
    manifest: BENCH_MANIFEST,
  }, "stdio") as { session_id: string };
  return { rt, sid: created.session_id };
}

/** µs per frame for `answer` over every frame; checks each answer so nothing is optimised away. */
function timed(lines: string[], answer: (line: string) => unknown): number {
  let bytes = 0;
  const t0 = performance.now();
  for (const line of lines) {
    const out = answer(line);
    if (typeof out !== "string") throw new Error(`no synchronous answer for ${line}`);
    bytes += out.length;
  }
  const us = ((performance.now() - t0) * 1000) / lines.length;
  if (bytes === 0) throw new Error("empty answers");
  return us;
}

const echo = (line: string) => {
  const m = JSON.parse(line);
  return JSON.stringify({
    jsonrpc: "2.0",
    id: m.id,
    result: { ok: true, result: m.params ?? null },
  });
};

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const results: Record<string, unknown> = {};
const modes = (["bridge", "dev"] as const).filter((m) =>
  values.mode === "both" || values.mode === m
);
if (modes.length === 0) throw new Error(`--mode must be bridge, dev or both (got ${values.mode})`);
for (const mode of modes) {
  const { rt, sid } = await runtimeFor(mode);
  const lines = storageFrames(sid, CALLS);
  const core = (line: string) => rt.handleTextNow(line, "stdio");
  // a sanity check on the answers, then warm-up (JIT, a full event ring)
  const first = JSON.parse(core(lines[0]) as string);
  if (!first.result?.ok) throw new Error(`storage.set failed: ${JSON.stringify(first)}`);
  timed(lines, core);
  timed(lines, echo);
  const coreUs: number[] = [], echoUs: number[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    if (r % 2 === 0) {
      coreUs.push(timed(lines, core));
      echoUs.push(timed(lines, echo));
    } else {
      echoUs.push(timed(lines, echo));
      coreUs.push(timed(lines, core));
    }
  }
  results[mode] = {
    core_us_per_call: +median(coreUs).toFixed(3),
    echo_us_per_call: +median(echoUs).toFixed(3),
    added_us_per_call: +median(coreUs.map((c, i) => c - echoUs[i])).toFixed(3),
    ratio: +median(coreUs.map((c, i) => echoUs[i] / c)).toFixed(3),
    rounds_core_us: coreUs.map((x) => +x.toFixed(3)),
    rounds_echo_us: echoUs.map((x) => +x.toFixed(3)),
  };
  await rt.shutdown();
}

const report = {
  benchmark: "core",
  deno: Deno.version.deno,
  started_at: new Date().toISOString(),
  calls: CALLS,
  rounds: ROUNDS,
  ...results,
};
await Deno.remove(home, { recursive: true }).catch(() => {});
await Deno.mkdir(dirname(values.out!), { recursive: true });
await Deno.writeTextFile(values.out!, JSON.stringify(report, null, 2) + "\n");
console.log(JSON.stringify(report, null, 2));
