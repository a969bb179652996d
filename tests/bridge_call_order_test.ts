/**
 * Requests start in the order they arrive, whatever bridge method carries them: an app
 * (or a harness relaying it) that sends `storage.set` and then `storage.get` without waiting must
 * read its own write. `app.call` checks its token asynchronously first, and those checks finish in
 * any order, so without care a later call could overtake an earlier one.
 */
import assert from "node:assert/strict";
import { makeRuntime, manifest, openSession } from "./helpers/runtime.ts";
import { BridgeProcess } from "./helpers/bridge_process.ts";

const N = 300;

Deno.test("app.call: pipelined calls run in arrival order (a get sees the set sent before it)", async () => {
  await using t = await makeRuntime();
  const s = await openSession(t, manifest({ storage: ["get", "set"] }));
  const token = s.created.token;
  const app = (method: string, args: unknown) =>
    t.call("app.call", { token, ns: "storage", method, args });
  const calls: Promise<Record<string, unknown>>[] = [];
  for (let i = 0; i < N; i++) {
    calls.push(app("set", { key: "k", value: i }));
    calls.push(app("get", { key: "k" }));
  }
  const out = await Promise.all(calls);
  const seen = out.filter((_, i) => i % 2 === 1).map((o) => (o.result as { value: unknown }).value);
  assert.deepEqual(seen, Array.from({ length: N }, (_, i) => i));
});

Deno.test("a session.call sent after an app.call runs after it; a bad token keeps its place", async () => {
  await using t = await makeRuntime();
  const s = await openSession(t, manifest({ storage: ["get", "set"] }));
  const token = s.created.token;
  const calls: Promise<Record<string, unknown>>[] = [];
  for (let i = 0; i < N; i++) {
    calls.push(
      t.call("app.call", { token, ns: "storage", method: "set", args: { key: "k", value: i } }),
    );
    // a refused call between them changes nothing and does not let anything overtake
    calls.push(t.call("app.call", { token: "dev1.x.y", ns: "storage", method: "get", args: {} }));
    calls.push(
      t.call("session.call", {
        session_id: s.session_id,
        ns: "storage",
        method: "get",
        args: { key: "k" },
      }),
    );
  }
  const out = await Promise.all(calls);
  const seen = out.filter((_, i) => i % 3 === 2).map((o) => (o.result as { value: unknown }).value);
  assert.deepEqual(seen, Array.from({ length: N }, (_, i) => i));
  assert.ok(out.filter((_, i) => i % 3 === 1).every((o) => o.ok === false));
});

Deno.test("session.drain_events sent right after an app.call sees that call's event", async () => {
  await using t = await makeRuntime();
  const s = await openSession(t, manifest({ storage: ["get", "set"] }));
  for (let i = 0; i < 50; i++) {
    const set = t.call("app.call", {
      token: s.created.token,
      ns: "storage",
      method: "set",
      args: { key: "k", value: i },
    });
    const drained = t.call("session.drain_events", { session_id: s.session_id });
    await set;
    const events = (await drained).events as { payload: { runtime_state: unknown } }[];
    assert.deepEqual(events.map((e) => e.payload.runtime_state), [{ k: i }]);
  }
});

Deno.test("bridge (stdio): pipelined app.call set/get pairs read their own writes", async () => {
  await using b = new BridgeProcess();
  const s = await b.call("session.create", {
    app_slug: "order",
    manifest: manifest({ storage: ["get", "set"] }),
  });
  const lines: string[] = [];
  const gets: Promise<Record<string, unknown>>[] = [];
  for (let i = 0; i < N; i++) {
    const call = (id: string, method: string, args: unknown) =>
      JSON.stringify({
        jsonrpc: "2.0",
        id,
        method: "app.call",
        params: { token: s.token, ns: "storage", method, args },
      });
    lines.push(call(`s${i}`, "set", { key: "k", value: i }));
    lines.push(call(`g${i}`, "get", { key: "k" }));
    gets.push(b.waitFor(`g${i}`));
  }
  await b.writeRaw(lines.join("\n") + "\n");
  const seen = (await Promise.all(gets)).map((r) =>
    (r.result as { result: { value: unknown } }).result.value
  );
  assert.deepEqual(seen, Array.from({ length: N }, (_, i) => i));
});
