/**
 * Odd input and broken collaborators never turn into `internal_error`, lost answers or silent
 * bridge errors: storage `scope`/`owner` of any JSON type (CONTRACT §5.5), a throwing call observer
 * (§5.1 step 7), and `invalid_request` answers logged at warn like every bridge-level error (§4.5).
 */
import assert from "node:assert/strict";
import { makeRuntime, manifest, openSession, rpcError } from "./helpers/runtime.ts";
import { handleText } from "../lib/bridge/jsonrpc.ts";
import { Logger } from "../lib/util/log.ts";

Deno.test("storage scope of any JSON type → not_implemented naming it; never internal_error", async () => {
  await using t = await makeRuntime();
  const s = await openSession(t, manifest({ storage: ["*"] }));
  const scopes: unknown[] = [
    "user",
    5,
    true,
    [1, "a"],
    {},
    { toString: 1 },
    { valueOf: "x", toString: null },
  ];
  for (const method of ["get", "set", "delete", "list"]) {
    for (const scope of scopes) {
      const r = await s.call("storage", method, { key: "k", value: 1, scope });
      const shown = typeof scope === "string" ? scope : JSON.stringify(scope);
      assert.deepEqual(r, {
        ok: false,
        error: {
          code: "not_implemented",
          message: `storage scope '${shown}' is not available in this runtime`,
          details: { scope },
        },
      }, `${method} ${shown}`);
    }
    for (const owner of ["u1", 0, { toString: 1 }, []]) {
      const r = await s.call("storage", method, { key: "k", value: 1, owner });
      assert.equal(r.error.code, "not_implemented", `${method} owner ${JSON.stringify(owner)}`);
    }
  }
  assert.equal((await s.call("storage", "get", { key: "k" })).result.exists, false);
});

Deno.test("a throwing call observer changes no outcome, sync or async, and the next call works", async () => {
  await using t = await makeRuntime();
  const s = await openSession(t, manifest({ storage: ["*"], llm: ["complete"] }));
  let seen = 0;
  t.rt.dispatcher.observers.push(() => {
    seen++;
    throw new Error("observer bug");
  });
  assert.deepEqual(await s.call("storage", "set", { key: "k", value: 1 }), {
    ok: true,
    result: { ok: true },
  });
  const llm = await s.call("llm", "complete", { messages: [{ role: "user", content: "hi" }] });
  assert.equal(llm.ok, true);
  assert.equal((await s.call("fs", "read")).error.code, "permission_denied");
  assert.equal(
    (await s.call("window", "hello", undefined, "no-such-window")).error.code,
    "not_found",
  );
  assert.equal(seen, 4);
  // the in-flight counter was released each time
  assert.equal(t.rt.sessions.get(s.session_id)!.windows.get(s.window_uuid)!.inflight, 0);
});

Deno.test("invalid requests and empty batches are answered and logged at warn", async () => {
  const lines: string[] = [];
  const log = new Logger({ level: "warn", format: "json", sink: (l) => lines.push(l) });
  const call = () => Promise.resolve({ ok: true });
  const cases: [string, string][] = [
    ["[]", "empty batch"],
    ['{"jsonrpc":"1.0","id":1,"method":"x"}', 'jsonrpc must be "2.0"'],
    ['{"jsonrpc":"2.0","id":1,"method":7}', "method must be a string"],
    ['{"jsonrpc":"2.0","id":{},"method":"x"}', "id must be a string, a number or null"],
    ["[5]", "a JSON-RPC request must be an object"],
  ];
  for (const [text, detail] of cases) {
    lines.length = 0;
    const res = JSON.parse((await handleText(call, text, log))!);
    const err = (Array.isArray(res) ? res[0] : res).error;
    assert.equal(err.code, -32600, text);
    assert.equal(err.data.detail, detail);
    assert.equal(lines.length, 1, `${text}: ${lines.join("\n")}`);
    const entry = JSON.parse(lines[0]);
    assert.equal(entry.level, "warn");
    // the log names the code and keeps the number beside it (one type per field name)
    assert.equal(entry.code, "invalid_request");
    assert.equal(entry.rpc_code, -32600);
    assert.equal(entry.data.detail, detail);
  }
});

Deno.test("a result JSON cannot hold still gets an answer: internal_error for that id, the rest of a batch intact", async () => {
  const lines: string[] = [];
  const log = new Logger({ level: "warn", format: "json", sink: (l) => lines.push(l) });
  const cyclic: Record<string, unknown> = {};
  cyclic.self = cyclic;
  // a synchronous and an asynchronous method, as the bridge has both
  const call = (method: string) =>
    method === "bad" ? cyclic : method === "bad_async" ? Promise.resolve(cyclic) : { fine: true };
  for (const method of ["bad", "bad_async"]) {
    const one = JSON.parse(
      (await handleText(call, `{"jsonrpc":"2.0","id":7,"method":"${method}"}`, log))!,
    );
    assert.equal(one.id, 7);
    assert.equal(one.error.code, -32603);
    assert.equal(one.error.message, "internal_error");
    assert.match(one.error.data.detail, /could not be serialised/);
  }
  const batch = JSON.parse(
    (await handleText(
      call,
      '[{"jsonrpc":"2.0","id":1,"method":"ok"},{"jsonrpc":"2.0","id":2,"method":"bad"}]',
      log,
    ))!,
  );
  assert.deepEqual(batch[0], { jsonrpc: "2.0", id: 1, result: { fine: true } });
  assert.equal(batch[1].id, 2);
  assert.equal(batch[1].error.code, -32603);
  assert.ok(lines.some((l) => JSON.parse(l).level === "error"), lines.join("\n"));
});

Deno.test("field errors say what the field needs, in words, on the dispatcher and the bridge", async () => {
  await using t = await makeRuntime();
  const s = await openSession(
    t,
    manifest({ storage: ["*"], chat: ["*"], tools: ["t"] }, {
      required_executas: [{ tool_id: "t" }],
    }),
  );
  const msg = async (ns: string, method: string, args: unknown) =>
    (await s.call(ns, method, args)).error?.message;
  assert.equal(
    await msg("window", "open_view", {}),
    "invalid argument 'view': is required (a string)",
  );
  assert.equal(
    await msg("window", "open_view", { view: "main", payload: "x" }),
    "invalid argument 'payload': must be an object, not a string",
  );
  assert.equal(
    await msg("storage", "list", { limit: 5000 }),
    "invalid argument 'limit': must be at most 1000",
  );
  assert.equal(
    await msg("chat", "read_history", { limit: 0 }),
    "invalid argument 'limit': must be at least 1",
  );
  assert.equal(
    await msg("tools", "listJobs", { state: "done" }),
    `invalid argument 'state': must be one of "queued", "running", "succeeded", "failed", "cancelled", "expired"`,
  );
  // the bridge's own params take the same wording
  const bad = await rpcError(t, "session.create", { app_slug: "x", manifest: "nope" });
  assert.deepEqual(bad.data.issues, [{
    path: "manifest",
    message: "must be an object, not a string",
  }]);
});
