/**
 * HTTP server benchmark (not a test): `session.call` storage.set/get throughput over `POST /rpc`
 * and over `/ws`, against a bare Hono echo mounted on the same server in the same run
 * (`POST /_bench/echo` and a WebSocket echo at `/_bench/ws`, added only in this process). The main
 * origin is built in process from lib/server's app factory around a real `dev`-mode Runtime (log
 * bus on, as in `dev`), served by one Deno.serve; the load comes from a Worker thread
 * (scripts/bench/server_load.ts). Both paths pass the request guard (CONTRACT §11.2), as every
 * route of the main origin does; the difference is JSON-RPC + dispatcher + storage + logging.
 * A third WebSocket route (`/_bench/ws_json`, diagnostic only) parses each frame and answers a
 * JSON-RPC result echoing its params: the floor any JSON-RPC server pays over a bare echo, so the
 * report shows how much of the /ws gap is parse + stringify and how much is the runtime.
 * Rounds alternate the order of the paths; throughputs are medians over rounds, ratios the median
 * of per-round ratios (each pair ran back to back). Writes .artifacts/bench_server.json.
 *
 *   deno run -A scripts/bench_server.ts [--http-calls N] [--ws-calls N] [--concurrency N]
 *        [--window N] [--rounds N] [--out FILE] [--no-log-bus]
 */
import { parseArgs } from "node:util";
import { upgradeWebSocket } from "hono/deno";
import { dirname, fromFileUrl, join } from "./bench/paths.ts";
import { BENCH_MANIFEST, storageFrames } from "./bench/storage_calls.ts";
import { createMainApp, resolveControlToken, type ServerContext } from "../lib/server/mod.ts";
import { CspReportStore } from "../lib/server/csp.ts";
import type { ServerConfig } from "../lib/server/hosts.ts";
import { dashboardPages } from "../lib/server/pages.ts";
import { Runtime } from "../lib/core/runtime.ts";
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
    "http-calls": { type: "string", default: "10000" },
    "ws-calls": { type: "string", default: "20000" },
    concurrency: { type: "string", default: "16" },
    window: { type: "string", default: "64" },
    rounds: { type: "string", default: "15" },
    // diagnostic: the dashboard log bus off (never the case in `dev`/`serve`), to see its share
    "no-log-bus": { type: "boolean", default: false },
    out: { type: "string", default: join(ROOT, ".artifacts/bench_server.json") },
  },
});
const HTTP_CALLS = Number(values["http-calls"]);
const WS_CALLS = Number(values["ws-calls"]);
const CONCURRENCY = Number(values.concurrency);
const WINDOW = Number(values.window);
const ROUNDS = Number(values.rounds);

// ---- the server: main-origin app + the bench-only echo routes on one listener ----------------
const home = await Deno.makeTempDir({ prefix: "anna-bench-server-" });
const logger = silentLogger();
const key = await loadOrCreateKey(join(home, "dev.key"), logger);
const llm = createProvider({ mode: "mock", mocks: [], logger });
const log = new LogBus(!values["no-log-bus"]);
const executas = new ExecutaPool({ logger, llm, version: VERSION, onEvent: (e) => log.push(e) });
const rt = new Runtime({
  mode: "dev",
  key,
  tokenTtl: 30,
  llm,
  executas,
  logger,
  autoRefresh: true,
  log,
});
const controlToken = resolveControlToken(undefined, false)!;
const config: ServerConfig = {
  bindHost: "127.0.0.1",
  mainPort: 0,
  appPort: 0,
  allowedHosts: [],
  allowRemote: false,
  localAddresses: [],
  controlToken,
};
const ctx: ServerContext = {
  runtime: rt,
  config,
  version: VERSION,
  pages: dashboardPages,
  cspReports: new CspReportStore(),
  logger,
  closers: new Set(),
};
const app = createMainApp(ctx);
app.post(
  "/_bench/echo",
  async (c) =>
    c.body(await c.req.text(), 200, { "Content-Type": "application/json; charset=utf-8" }),
);
app.get(
  "/_bench/ws_json",
  upgradeWebSocket(() => ({
    onMessage(evt, ws) {
      const m = JSON.parse(String(evt.data));
      ws.send(JSON.stringify({ jsonrpc: "2.0", id: m.id, result: { ok: true, result: m.params } }));
    },
  })),
);
app.get(
  "/_bench/ws",
  upgradeWebSocket(() => ({
    onMessage(evt, ws) {
      ws.send(String(evt.data));
    },
  })),
);
const server = Deno.serve(
  { hostname: "127.0.0.1", port: 0, onListen() {} },
  (req, info) => app.fetch(req, info),
);
config.mainPort = server.addr.port;
const origin = `http://127.0.0.1:${server.addr.port}`;

const created = await rt.call("session.create", {
  app_slug: "bench",
  manifest: BENCH_MANIFEST,
}, "api") as { session_id: string };
const sid = created.session_id;

/** `n` session.call frames of the storage workload, ids from `base`. */
const frames = (n: number, base: number) => storageFrames(sid, n, base);

// ---- the load worker ---------------------------------------------------------------------------
const worker = new Worker(new URL("./bench/server_load.ts", import.meta.url), { type: "module" });
interface RunResult {
  ms: number;
  n: number;
  bad: number;
  error?: string;
}
function run(msg: Record<string, unknown>): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    worker.onmessage = (e: MessageEvent<RunResult>) =>
      e.data.error ? reject(new Error(e.data.error)) : resolve(e.data);
    worker.postMessage(msg);
  });
}
const headers = { "Content-Type": "application/json", "X-Anna-Control-Token": controlToken };
const paths = {
  http_rpc: (f: string[]) =>
    run({
      kind: "http",
      url: `${origin}/rpc`,
      headers,
      frames: f,
      concurrency: CONCURRENCY,
      expect: "ok",
    }),
  http_echo: (f: string[]) =>
    run({
      kind: "http",
      url: `${origin}/_bench/echo`,
      headers,
      frames: f,
      concurrency: CONCURRENCY,
      expect: "echo",
    }),
  ws_session_call: (f: string[]) =>
    run({
      kind: "ws",
      url: `${origin.replace("http", "ws")}/ws?ct=${controlToken}`,
      frames: f,
      window: WINDOW,
      expect: "ok",
    }),
  ws_json_floor: (f: string[]) =>
    run({
      kind: "ws",
      url: `${origin.replace("http", "ws")}/_bench/ws_json`,
      frames: f,
      window: WINDOW,
      expect: "ok",
    }),
  ws_echo: (f: string[]) =>
    run({
      kind: "ws",
      url: `${origin.replace("http", "ws")}/_bench/ws`,
      frames: f,
      window: WINDOW,
      expect: "echo",
    }),
};
type PathName = keyof typeof paths;
const callsOf = (p: PathName) => (p.startsWith("http") ? HTTP_CALLS : WS_CALLS);

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const rates: Record<PathName, number[]> = {
  http_rpc: [],
  http_echo: [],
  ws_session_call: [],
  ws_json_floor: [],
  ws_echo: [],
};
let bad = 0;
let nextId = 1;

// warm-up (JIT, connection pool, log bus at capacity), then alternating measured rounds
for (let w = 0; w < 3; w++) {
  for (const p of Object.keys(paths) as PathName[]) {
    const f = frames(callsOf(p), nextId);
    nextId += f.length;
    await paths[p](f);
  }
}
for (let r = 0; r < ROUNDS; r++) {
  const order = Object.keys(paths) as PathName[];
  if (r % 2 === 1) order.reverse();
  for (const p of order) {
    const f = frames(callsOf(p), nextId);
    nextId += f.length;
    const res = await paths[p](f);
    bad += res.bad;
    rates[p].push(res.n / (res.ms / 1000));
  }
}

const med = Object.fromEntries(Object.entries(rates).map(([k, v]) => [k, median(v)])) as Record<
  PathName,
  number
>;
// ratios per round (the two paths ran back to back under the same machine load), then the median
const ratioOf = (a: PathName, b: PathName) => median(rates[a].map((x, i) => x / rates[b][i]));
const httpRatio = ratioOf("http_rpc", "http_echo");
const wsRatio = ratioOf("ws_session_call", "ws_echo");
// the same comparison as time: what a call costs beyond the echo, in µs (less machine-dependent)
const addedUs = (a: PathName, b: PathName) =>
  +median(rates[a].map((x, i) => 1e6 / x - 1e6 / rates[b][i])).toFixed(2);
const report = {
  benchmark: "server",
  deno: Deno.version.deno,
  started_at: new Date().toISOString(),
  calls: { http: HTTP_CALLS, ws: WS_CALLS },
  http_concurrency: CONCURRENCY,
  ws_window: WINDOW,
  rounds: ROUNDS,
  log_bus: log.enabled,
  bad_responses: bad,
  throughput_calls_per_s: {
    http: {
      rpc_session_call: Math.round(med.http_rpc),
      echo_baseline: Math.round(med.http_echo),
      ratio: +httpRatio.toFixed(3),
      added_us_per_call: addedUs("http_rpc", "http_echo"),
    },
    ws: {
      session_call: Math.round(med.ws_session_call),
      echo_baseline: Math.round(med.ws_echo),
      ratio: +wsRatio.toFixed(3),
      added_us_per_call: addedUs("ws_session_call", "ws_echo"),
      // diagnostic: parse + stringify alone, and what the runtime adds above that floor
      json_floor: Math.round(med.ws_json_floor),
      json_floor_ratio: +ratioOf("ws_json_floor", "ws_echo").toFixed(3),
      ratio_to_json_floor: +ratioOf("ws_session_call", "ws_json_floor").toFixed(3),
      added_us_over_json_floor: addedUs("ws_session_call", "ws_json_floor"),
    },
  },
  rounds_calls_per_s: Object.fromEntries(
    Object.entries(rates).map(([k, v]) => [k, v.map(Math.round)]),
  ),
  targets: {
    http_ratio_ge_0_8: httpRatio >= 0.8,
    ws_ratio_ge_0_8: wsRatio >= 0.8,
    no_bad_responses: bad === 0,
  },
};

worker.terminate();
await rt.shutdown();
await server.shutdown();
await Deno.remove(home, { recursive: true }).catch(() => {});
await Deno.mkdir(dirname(values.out!), { recursive: true });
await Deno.writeTextFile(values.out!, JSON.stringify(report, null, 2) + "\n");
console.log(JSON.stringify(report, null, 2));
