/**
 * Executa benchmark (not a test): warm `tools.invoke` round trip through the real bridge versus the
 * same executa driven directly over its own pipes, in the same run; and cold spawn-to-first-result
 * both ways. Writes a JSON report (default .artifacts/bench_executa.json).
 *
 *   deno run -A scripts/bench_executa.ts [--calls N] [--cold-runs N] [--out FILE]
 */
import { parseArgs } from "node:util";
import { dirname, fromFileUrl, join } from "./bench/paths.ts";

const ROOT = join(dirname(fromFileUrl(import.meta.url)), "..");
const PLUGIN_DIR = join(ROOT, "tests/fixtures/executas");
const { values } = parseArgs({
  args: Deno.args,
  options: {
    calls: { type: "string", default: "2000" },
    "cold-runs": { type: "string", default: "5" },
    out: { type: "string", default: join(ROOT, ".artifacts/bench_executa.json") },
  },
});
const CALLS = Number(values.calls);
const COLD = Number(values["cold-runs"]);
const denoDir = Deno.env.get("DENO_DIR") ?? `${Deno.env.get("HOME")}/.cache/deno`;

/** A child speaking NDJSON JSON-RPC; answers reverse requests with -32601 (none are expected). */
class Rpc {
  child: Deno.ChildProcess;
  private w: WritableStreamDefaultWriter<Uint8Array>;
  private pending = new Map<unknown, (m: Record<string, unknown>) => void>();
  private enc = new TextEncoder();
  private next = 1;
  constructor(cmd: string, args: string[], cwd: string, env: Record<string, string> = {}) {
    this.child = new Deno.Command(cmd, {
      args,
      cwd,
      env,
      stdin: "piped",
      stdout: "piped",
      stderr: "null",
    }).spawn();
    this.w = this.child.stdin.getWriter();
    this.read();
  }
  private async read() {
    const dec = new TextDecoder();
    let buf = "";
    for await (const c of this.child.stdout) {
      buf += dec.decode(c, { stream: true });
      let nl;
      while ((nl = buf.indexOf("\n")) >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        let m: Record<string, unknown>;
        try {
          m = JSON.parse(line);
        } catch {
          continue;
        }
        this.pending.get(m.id)?.(m);
        this.pending.delete(m.id);
      }
    }
  }
  request(method: string, params?: unknown): Promise<Record<string, unknown>> {
    const id = this.next++;
    const p = new Promise<Record<string, unknown>>((r) => this.pending.set(id, r));
    this.w.write(this.enc.encode(JSON.stringify({ jsonrpc: "2.0", id, method, params }) + "\n"));
    return p;
  }
  async close() {
    await this.w.close().catch(() => {});
    await this.child.status;
  }
}

const pct = (xs: number[], p: number) =>
  [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))];
async function timeCalls(n: number, f: (i: number) => Promise<unknown>) {
  const xs: number[] = [];
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    await f(i);
    xs.push(performance.now() - t0);
  }
  return { p50_ms: pct(xs, 50), p99_ms: pct(xs, 99), mean_ms: xs.reduce((a, b) => a + b, 0) / n };
}

const invokeParams = (i: number) => ({
  tool: "echo",
  arguments: { i, text: "hello" },
  invoke_id: `inv_bench_${i}`,
  context: {
    invoke_id: `inv_bench_${i}`,
    deadline_ms: Date.now() + 60000,
    plugin_name: "tool-plugin",
    credentials: {},
  },
});

// --- direct: the plugin over its own pipes ---
async function directSession() {
  const t0 = performance.now();
  const p = new Rpc("node", ["plugin.mjs"], PLUGIN_DIR);
  await p.request("initialize", { protocolVersion: "2.0" });
  await p.request("describe");
  await p.request("invoke", invokeParams(0));
  return { rpc: p, coldMs: performance.now() - t0 };
}

// --- bridge: tools.invoke through session.call ---
const home = Deno.makeTempDirSync({ prefix: "anna-bench-" });
const manifest = {
  schema: 2,
  required_executas: [{ tool_id: "tool-plugin" }],
  ui: { views: [{ name: "main" }], host_api: { tools: ["*"] } },
};
async function bridgeSession() {
  const b = new Rpc(Deno.execPath(), ["run", "-A", join(ROOT, "main.ts"), "bridge"], ROOT, {
    HOME: home,
    DENO_DIR: denoDir,
  });
  await b.request("executas.register", {
    tool_id: "tool-plugin",
    project_dir: PLUGIN_DIR,
    command: ["node", "plugin.mjs"],
  });
  const s = await b.request("session.create", { app_slug: "bench", manifest });
  const sid = (s.result as { session_id: string }).session_id;
  const call = (i: number) =>
    b.request("session.call", {
      session_id: sid,
      ns: "tools",
      method: "invoke",
      args: { tool_id: "tool-plugin", method: "echo", args: { i, text: "hello" } },
    });
  const t0 = performance.now();
  const first = await call(0);
  if (!(first.result as { ok: boolean }).ok) {
    throw new Error(`bridge invoke failed: ${JSON.stringify(first)}`);
  }
  return { rpc: b, call, coldMs: performance.now() - t0 };
}

const direct = await directSession();
const bridge = await bridgeSession();
await timeCalls(200, (i) => direct.rpc.request("invoke", invokeParams(i)));
await timeCalls(200, bridge.call);
// interleave the two measurements so machine noise hits both alike
const d1 = await timeCalls(CALLS / 2, (i) => direct.rpc.request("invoke", invokeParams(i)));
const b1 = await timeCalls(CALLS / 2, bridge.call);
const d2 = await timeCalls(CALLS / 2, (i) => direct.rpc.request("invoke", invokeParams(i)));
const b2 = await timeCalls(CALLS / 2, bridge.call);
await direct.rpc.close();
await bridge.rpc.close();

const coldDirect: number[] = [];
const coldBridge: number[] = [];
for (let i = 0; i < COLD; i++) {
  const d = await directSession();
  coldDirect.push(d.coldMs);
  await d.rpc.close();
  const b = await bridgeSession();
  coldBridge.push(b.coldMs);
  await b.rpc.close();
}

const p50 = (a: { p50_ms: number }, b: { p50_ms: number }) => (a.p50_ms + b.p50_ms) / 2;
const report = {
  benchmark: "executa",
  deno: Deno.version.deno,
  calls: CALLS,
  warm_invoke_ms: {
    direct: { p50: p50(d1, d2), p99: Math.max(d1.p99_ms, d2.p99_ms) },
    bridge: { p50: p50(b1, b2), p99: Math.max(b1.p99_ms, b2.p99_ms) },
    added_p50: p50(b1, b2) - p50(d1, d2),
  },
  cold_first_result_ms: {
    direct_spawn_handshake_invoke_median: pct(coldDirect, 50),
    bridge_first_invoke_median: pct(coldBridge, 50),
  },
  targets: { added_p50_le_0_2ms: p50(b1, b2) - p50(d1, d2) <= 0.2 },
};
await Deno.mkdir(dirname(values.out!), { recursive: true });
await Deno.writeTextFile(values.out!, JSON.stringify(report, null, 2) + "\n");
console.log(JSON.stringify(report, null, 2));
await Deno.remove(home, { recursive: true }).catch(() => {});
