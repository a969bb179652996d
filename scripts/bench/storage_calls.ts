/**
 * The workload every storage throughput benchmark sends (bench_bridge, bench_server, bench_core):
 * `storage.set` then `storage.get` of the same key, in turn, over 100 keys.
 */

/** The manifest of the benchmark app: storage get/set granted, nothing else. */
export const BENCH_MANIFEST = {
  schema: 2,
  ui: { views: [{ name: "main" }], host_api: { storage: ["get", "set"] } },
};

/** `session.call` params of call `i`: even calls set key k(i % 100), odd ones read it back. */
export function storageCallParams(sid: string, i: number): Record<string, unknown> {
  return i % 2 === 0
    ? {
      session_id: sid,
      ns: "storage",
      method: "set",
      args: { key: `k${i % 100}`, value: { n: i, text: "hello world" } },
    }
    : { session_id: sid, ns: "storage", method: "get", args: { key: `k${(i - 1) % 100}` } };
}

/** `n` JSON-RPC `session.call` frames of the workload, ids from `base`. */
export function storageFrames(sid: string, n: number, base = 0): string[] {
  return Array.from({ length: n }, (_, i) =>
    JSON.stringify({
      jsonrpc: "2.0",
      id: base + i,
      method: "session.call",
      params: storageCallParams(sid, i),
    }));
}
