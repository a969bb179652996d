/**
 * The bridge never dies on a bad line (CONTRACT §4.1–§4.3): ≥ 1 000 generated bad lines, then a
 * normal `session.call` is answered correctly, and stdout never carries anything but responses.
 */
import assert from "node:assert/strict";
import { BridgeProcess } from "./helpers/bridge_process.ts";

/** Deterministic PRNG so a failure reproduces. */
function rng(seed: number) {
  return () => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed / 0x7fffffff;
  };
}

function badLines(count: number): (string | Uint8Array)[] {
  const r = rng(42);
  const pick = <T>(xs: T[]) => xs[Math.floor(r() * xs.length)];
  const junk = () =>
    Array.from(
      { length: 1 + Math.floor(r() * 40) },
      () => String.fromCharCode(33 + Math.floor(r() * 90)),
    ).join("");
  const gens: (() => string | Uint8Array)[] = [
    () => "{" + junk(), // invalid JSON
    () => junk(),
    () => new Uint8Array([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x3a, 0x31, 0x7d]), // invalid UTF-8
    () => new Uint8Array([0xc3, 0x28, 0x0a - 10 + 0x41]),
    () => JSON.stringify(pick([1, "str", null, true, 3.5])), // not an object
    () => JSON.stringify({ jsonrpc: pick(["1.0", 2, null]), id: 1, method: "runtime.info" }),
    () => JSON.stringify({ jsonrpc: "2.0", id: pick([{}, [1], true]), method: "runtime.info" }),
    () => JSON.stringify({ jsonrpc: "2.0", id: 7, method: pick([1, null, {}, []]) }),
    () =>
      JSON.stringify({
        jsonrpc: "2.0",
        id: 8,
        method: "runtime.info",
        params: pick([[1], "x", 5, null]),
      }),
    () => JSON.stringify({ jsonrpc: "2.0", id: 9, method: "no." + junk() }),
    () =>
      JSON.stringify({
        jsonrpc: "2.0",
        id: 10,
        method: "session.call",
        params: { session_id: "ses_" + junk(), ns: "storage", method: "get", args: {} },
      }),
    () =>
      JSON.stringify({
        jsonrpc: "2.0",
        id: 11,
        method: "session.call",
        params: {
          session_id: pick([1, null, {}]),
          ns: pick(["", 5, "x".repeat(70)]),
          method: pick(["", null]),
        },
      }),
    () =>
      JSON.stringify({
        jsonrpc: "2.0",
        id: 12,
        method: "session.create",
        params: { app_slug: pick([1, "", null]), manifest: pick(["x", [], 5]) },
      }),
    () =>
      JSON.stringify({
        jsonrpc: "2.0",
        id: 13,
        method: "session.create",
        params: { app_slug: "x", manifest: { ui: pick([1, null, {}, { views: [] }]) } },
      }),
    () =>
      JSON.stringify({
        jsonrpc: "2.0",
        id: 14,
        method: "app.call",
        params: { token: pick([junk(), 5, null, "dev1.a.b"]), ns: "storage", method: "get" },
      }),
    () =>
      JSON.stringify({
        jsonrpc: "2.0",
        id: 15,
        method: "executas.register",
        params: { tool_id: pick(["", 1, "x"]), project_dir: "/nonexistent/" + junk() },
      }),
    () => "[]",
    () => JSON.stringify([1, 2, { jsonrpc: "2.0" }]),
    () => "[".repeat(100_000) + "]".repeat(100_000), // deep nesting
    () => '{"a":'.repeat(20_000) + "1" + "}".repeat(20_000),
    () =>
      JSON.stringify({
        jsonrpc: "2.0",
        id: 16,
        method: "session.drain_events",
        params: { session_id: junk(), limit: pick([0, -1, 1e9, "x"]) },
      }),
  ];
  return Array.from({ length: count }, () => pick(gens)());
}

function assertResponseLine(line: string) {
  const v = JSON.parse(line);
  const items = Array.isArray(v) ? v : [v];
  assert.ok(items.length > 0, `empty array on stdout: ${line.slice(0, 200)}`);
  for (const m of items) {
    assert.equal(m.jsonrpc, "2.0", line.slice(0, 200));
    assert.ok(Object.hasOwn(m, "id"), line.slice(0, 200));
    assert.ok(Object.hasOwn(m, "result") !== Object.hasOwn(m, "error"), line.slice(0, 200));
    assert.ok(!Object.hasOwn(m, "method"), "no unsolicited messages");
  }
}

Deno.test("bridge survives 1 000+ bad lines, a 17 MiB line and a 1 MiB valid line, then answers normally", async () => {
  await using b = new BridgeProcess();
  const enc = new TextEncoder();
  const lines = badLines(1200);
  for (const l of lines) {
    const bytes = typeof l === "string" ? enc.encode(l) : l;
    const framed = new Uint8Array(bytes.length + 1);
    framed.set(bytes);
    framed[bytes.length] = 10;
    await b.writeRaw(framed);
  }
  // a 17 MiB line, sent in pieces
  const piece = new Uint8Array(1 << 20).fill(0x20);
  for (let i = 0; i < 17; i++) await b.writeRaw(piece);
  await b.writeRaw("\n");
  // a valid 1 MiB line
  await b.writeRaw(
    JSON.stringify({
      jsonrpc: "2.0",
      id: "big",
      method: "session.list",
      params: { pad: "p".repeat(1 << 20) },
    }) + "\n",
  );

  const created = await b.call("session.create", {
    app_slug: "after",
    manifest: {
      schema: 2,
      ui: { views: [{ name: "main" }], host_api: { storage: ["get", "set"] } },
    },
  });
  const set = await b.call("session.call", {
    session_id: created.session_id,
    ns: "storage",
    method: "set",
    args: { key: "survived", value: true },
  });
  assert.deepEqual(set, { ok: true, result: { ok: true } });
  const got = await b.call("session.call", {
    session_id: created.session_id,
    ns: "storage",
    method: "get",
    args: { key: "survived" },
  });
  assert.equal((got.result as { value: boolean }).value, true);

  await b.closeStdin();
  const st = await b.exited;
  assert.equal(st.code, 0, b.stderrText.slice(-2000));
  // every line on stdout is a JSON-RPC response
  for (const l of b.stdoutLines) assertResponseLine(l);
  const all = b.stdoutLines.map((l) => JSON.parse(l));
  assert.ok(all.some((m) => m?.error?.message === "frame_too_large"), "17 MiB line answered");
  assert.ok(all.some((m) => m?.id === "big" && m.result), "1 MiB valid line answered");
  assert.ok(all.filter((m) => m?.error?.code === -32700).length > 100, "parse errors answered");
  // bad lines that are requests get answers; the count matches what we can predict loosely
  assert.ok(b.stdoutLines.length >= 1000, `only ${b.stdoutLines.length} responses`);
});
