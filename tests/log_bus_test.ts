/** The dashboard log bus (CONTRACT §11.11): the newest 2000 entries, in order, whatever was pushed. */
import assert from "node:assert/strict";
import { LOG_MAX_ENTRIES, LogBus } from "../lib/core/log_bus.ts";

Deno.test("log bus: keeps exactly the newest 2000 entries at every point, oldest first", () => {
  const bus = new LogBus(true);
  for (let i = 1; i <= 2.5 * LOG_MAX_ENTRIES; i++) {
    bus.push({ type: "reload", paths: [`/x/${i}`] });
    if (
      i % 97 === 0 || i === LOG_MAX_ENTRIES || i === LOG_MAX_ENTRIES + 1 ||
      i === 2 * LOG_MAX_ENTRIES
    ) {
      const seqs = bus.entries().map((e) => e.seq);
      const want = Math.min(i, LOG_MAX_ENTRIES);
      assert.equal(seqs.length, want, `after ${i} pushes`);
      assert.equal(seqs[0], i - want + 1);
      assert.equal(seqs[seqs.length - 1], i);
      assert.ok(seqs.every((s, k) => k === 0 || s === seqs[k - 1] + 1), "contiguous");
    }
  }
  assert.equal(bus.retained, LOG_MAX_ENTRIES, "evicted entries are let go, not kept for later");
  // entries() is a copy
  const a = bus.entries();
  a.length = 0;
  assert.equal(bus.entries().length, LOG_MAX_ENTRIES);
});

Deno.test("log bus: disabled → nothing kept, null returned", () => {
  const bus = new LogBus(false);
  assert.equal(bus.push({ type: "reload", paths: [] }), null);
  assert.deepEqual(bus.entries(), []);
});

Deno.test("truncateField: exact at the 64 KiB boundary, and the cheap bound never hides a large value", async () => {
  const { truncateField } = await import("../lib/core/log_bus.ts");
  const { byteSize } = await import("../lib/util/json.ts");
  const exact = "x".repeat(65_536 - 2); // JSON adds the two quotes
  assert.equal(truncateField(exact), exact);
  assert.deepEqual(truncateField(exact + "y"), { _truncated: true, bytes: 65_537 });
  const escaped = "\u0001".repeat(11_000); // 6 bytes each once escaped
  assert.deepEqual(truncateField(escaped), { _truncated: true, bytes: byteSize(escaped) });
  // many small values: whatever the bound decides, a kept value is never over the limit
  let seed = 3;
  const r = () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff;
  const gen = (depth: number): unknown => {
    const x = r();
    if (depth > 3 || x < 0.3) return "é".repeat(Math.floor(r() * 4000));
    if (x < 0.5) return Math.floor(r() * 1e9);
    if (x < 0.75) return Array.from({ length: Math.floor(r() * 6) }, () => gen(depth + 1));
    return Object.fromEntries(
      Array.from({ length: Math.floor(r() * 6) }, (_, i) => [`k${i}`, gen(depth + 1)]),
    );
  };
  for (let i = 0; i < 300; i++) {
    const v = gen(0);
    const out = truncateField(v);
    if (out === v) assert.ok(byteSize(v) <= 65_536, `kept a ${byteSize(v)}-byte value`);
    else assert.deepEqual(out, { _truncated: true, bytes: byteSize(v) });
  }
});

Deno.test("log bus: an entry's prepare runs before its first reader, and once", () => {
  const bus = new LogBus(true);
  let runs = 0;
  const entry = { type: "event", detail: "unfilled" as string };
  bus.push(entry, () => {
    runs++;
    entry.detail = "filled";
  });
  assert.equal(runs, 0, "nobody has read it yet");
  assert.equal(bus.entries()[0].detail, "filled");
  bus.entries();
  assert.equal(runs, 1);
  // with a listener, the entry is complete when the listener sees it
  const seen: string[] = [];
  bus.subscribe((e) => seen.push(e.detail as string));
  const second = { type: "event", detail: "unfilled" };
  bus.push(second, () => (second.detail = "filled"));
  assert.deepEqual(seen, ["filled"]);
});

/** A dev-mode runtime with one session granted storage.set, and a `set` of key "n" in it. */
async function devStorageSession() {
  const { makeRuntime } = await import("./helpers/runtime.ts");
  const t = await makeRuntime({ mode: "dev" });
  const { session_id } = await t.call("session.create", {
    app_slug: "log",
    manifest: { schema: 2, ui: { views: [{ name: "main" }], host_api: { storage: ["set"] } } },
  });
  const set = (value: unknown) =>
    t.call("session.call", { session_id, ns: "storage", method: "set", args: { key: "n", value } });
  return { t, set };
}

Deno.test("dev runtime: the log's storage events show the bucket as it was, read late", async () => {
  const s = await devStorageSession();
  await using t = s.t;
  for (const v of [1, 2, 3]) await s.set(v);
  const states = t.rt.log.entries()
    .filter((e) => e.type === "event")
    .map((e) => (e.event as { kind: string; payload: Record<string, unknown> }))
    .filter((ev) => ev.kind === "runtime_state_synced")
    .map((ev) => ev.payload.runtime_state);
  assert.deepEqual(states, [{ n: 1 }, { n: 2 }, { n: 3 }]);
});

Deno.test("dev runtime: an event entry has its event's time; an rpc entry the time its call ended", async () => {
  const s = await devStorageSession();
  await using t = s.t;
  const before = Date.now();
  await s.set(1);
  const after = Date.now();
  const entries = t.rt.log.entries().filter((e) => e.seq > 0 && e.ts >= before);
  const ev = entries.find((e) => e.type === "event")!;
  const rpc = entries.find((e) => e.type === "rpc")!;
  assert.equal(ev.ts, (ev.event as { ts: number }).ts);
  assert.ok(rpc.ts >= ev.ts && rpc.ts <= after, `rpc ts ${rpc.ts} in [${ev.ts}, ${after}]`);
  assert.ok(rpc.seq > ev.seq, "the call's event is logged before the call itself");
});

Deno.test("log bus: event entries hold at most the ring's byte cap; a lone oversized one stays", () => {
  const bus = new LogBus(true, 1000);
  const event = (n: number) => bus.push({ type: "event", n }, undefined, 400);
  for (let i = 1; i <= 5; i++) event(i);
  assert.deepEqual(bus.entries().map((e) => e.n), [4, 5]);
  bus.push({ type: "reload", paths: [] }); // entries without an event count nothing
  assert.deepEqual(bus.entries().map((e) => e.type), ["event", "event", "reload"]);
  bus.push({ type: "event", n: 6 }, undefined, 5000);
  assert.deepEqual(bus.entries().map((e) => e.n), [6]);
  assert.equal(bus.retained, 1);
});

Deno.test("rpcEntry: the same entry, key order included, as {type, transport, ...rec} for every outcome", async () => {
  const { rpcEntry } = await import("../lib/core/log_bus.ts");
  const { makeRuntime, manifest } = await import("./helpers/runtime.ts");
  await using t = await makeRuntime({ mode: "dev" });
  const s = await t.call("session.create", {
    manifest: manifest({ storage: ["get", "set"] }),
    app_slug: "x",
  });
  const recs: [Record<string, unknown>, string][] = [];
  t.rt.dispatcher.observers.push((rec, transport) => recs.push([{ ...rec }, transport]));
  const call = (method: string, args?: unknown) =>
    t.call("session.call", { session_id: s.session_id, ns: "storage", method, args });
  await call("set", { key: "a", value: 1 }); // ok
  await call("get", undefined); // no args: invalid_arg (error)
  await call("delete", { key: "a" }); // not granted (denied)
  await call("get", { key: "a" }); // ok with a result
  assert.deepEqual(recs.map(([r]) => r.outcome), ["ok", "error", "denied", "ok"]);
  for (const [rec, transport] of recs) {
    const spread = {
      type: "rpc",
      transport,
      ...rec,
      args: rec.args === undefined ? {} : rec.args,
      seq: 0,
      ts: 0,
    };
    const entry = rpcEntry(rec as never, transport);
    assert.deepEqual(entry, spread);
    assert.deepEqual(Object.keys(entry), Object.keys(spread));
  }
});
