/**
 * The dispatcher's ACL, stubs and mocks (CONTRACT §5.2, §5.9, §5.10).
 */
import assert from "node:assert/strict";
import { makeRuntime, manifest, openSession } from "./helpers/runtime.ts";
import { notImplemented, permissionDenied, STUB_NAMESPACES } from "./helpers/contract_values.ts";

const LLM = { llm: ["complete"] };
const msg = { messages: [{ role: "user", content: "x" }] };

Deno.test("ACL: exact method, '*', case-sensitivity, absent/empty/non-array/legacy grants", async () => {
  await using t = await makeRuntime();
  const s = await openSession(
    t,
    manifest({
      storage: ["get"],
      fs: ["*"],
      web: [],
      prefs: "get",
      image: { generate: true },
      chat: ["read", "write"],
      custom: ["do"],
    }),
  );
  assert.equal((await s.call("storage", "get", { key: "k" })).ok, true);
  assert.deepEqual(
    await s.call("storage", "set", { key: "k", value: 1 }),
    permissionDenied("storage", "set"),
  );
  assert.deepEqual(
    await s.call("storage", "Get", { key: "k" }),
    permissionDenied("storage", "Get"),
  );
  assert.deepEqual(await s.call("fs", "read"), notImplemented("fs", "read"));
  assert.deepEqual(await s.call("fs", "anything"), notImplemented("fs", "anything"));
  assert.deepEqual(await s.call("web", "search"), permissionDenied("web", "search"));
  assert.deepEqual(await s.call("prefs", "get"), permissionDenied("prefs", "get"));
  assert.deepEqual(await s.call("image", "generate"), permissionDenied("image", "generate"));
  assert.deepEqual(await s.call("files", "list"), permissionDenied("files", "list"));
  assert.deepEqual(await s.call("chat", "read_history"), permissionDenied("chat", "read_history"));
  assert.deepEqual(await s.call("llm", "complete", msg), permissionDenied("llm", "complete"));
  assert.deepEqual(await s.call("custom", "do"), notImplemented("custom", "do"));
  assert.deepEqual(await s.call("custom", "undo"), permissionDenied("custom", "undo"));
  assert.deepEqual(await s.call("nothere", "x"), permissionDenied("nothere", "x"));
  assert.deepEqual(await s.call("__proto__", "x"), permissionDenied("__proto__", "x"));
  assert.deepEqual(
    await s.call("storage", "constructor"),
    permissionDenied("storage", "constructor"),
  );
});

Deno.test("ACL: window.* always granted, whatever host_api.window says", async () => {
  await using t = await makeRuntime();
  for (const win of [[], "none", { hello: false }, ["set_title"], null]) {
    const s = await openSession(t, manifest({ window: win }));
    assert.equal((await s.call("window", "hello")).ok, true, JSON.stringify(win));
    assert.equal((await s.call("window", "set_title", { title: "x" })).ok, true);
    assert.deepEqual(await s.call("window", "minimize"), notImplemented("window", "minimize"));
  }
});

Deno.test("ACL: top-level permissions and host_capabilities are never consulted", async () => {
  await using t = await makeRuntime();
  const s = await openSession(
    t,
    manifest({}, {
      permissions: ["storage.read", "storage.write", "llm.complete", "chat.write_message"],
      host_capabilities: ["llm.complete", "aps.kv"],
    }),
  );
  assert.deepEqual(
    await s.call("storage", "get", { key: "k" }),
    permissionDenied("storage", "get"),
  );
  assert.deepEqual(await s.call("llm", "complete", msg), permissionDenied("llm", "complete"));
  assert.deepEqual(
    await s.call("chat", "write_message", { role: "user", content: "x" }),
    permissionDenied("chat", "write_message"),
  );
});

Deno.test("ACL: agent.* needs host_api.agent.session.auto or .fixed (an object counts)", async () => {
  await using t = await makeRuntime();
  const cases: [unknown, boolean][] = [
    [{ session: { auto: true } }, true],
    [{ session: { fixed: true } }, true],
    [{ session: { fixed: { client_ids: [] } } }, true],
    [{ session: { auto: false, fixed: null } }, false],
    [{ session: {} }, false],
    [{ tools: ["x"] }, false],
    [["*"], false],
    ["session", false],
  ];
  for (const [agent, allowed] of cases) {
    const s = await openSession(t, manifest({ agent }));
    const r = await s.call("agent", "session_start", {});
    assert.deepEqual(
      r,
      allowed
        ? notImplemented("agent", "session_start")
        : permissionDenied("agent", "session_start"),
      JSON.stringify(agent),
    );
  }
});

Deno.test("stubs: every stub namespace answers not_implemented after the ACL, exact message/details", async () => {
  await using t = await makeRuntime();
  const grants: Record<string, unknown> = { agent: { session: { auto: true } } };
  for (const ns of STUB_NAMESPACES) if (ns !== "agent") grants[ns] = ["*"];
  const s = await openSession(t, manifest(grants));
  const bare = await openSession(t, manifest({}));
  for (const ns of STUB_NAMESPACES) {
    for (const method of ["read", "generate", "list"]) {
      assert.deepEqual(
        await s.call(ns, method, { any: 1 }),
        notImplemented(ns, method),
        `${ns}.${method}`,
      );
      assert.deepEqual(await bare.call(ns, method, { any: 1 }), permissionDenied(ns, method));
    }
  }
});

Deno.test("stubs: llm.stream, unlisted methods of implemented namespaces, unknown namespaces", async () => {
  await using t = await makeRuntime();
  const s = await openSession(
    t,
    manifest({
      llm: ["*"],
      storage: ["*"],
      chat: ["*"],
      mystery: ["poke"],
    }),
  );
  assert.deepEqual(await s.call("llm", "stream", msg), notImplemented("llm", "stream"));
  assert.deepEqual(await s.call("llm", "image", {}), notImplemented("llm", "image"));
  assert.deepEqual(await s.call("storage", "clear"), notImplemented("storage", "clear"));
  assert.deepEqual(await s.call("storage", "toString"), notImplemented("storage", "toString"));
  assert.deepEqual(
    await s.call("chat", "delete_message"),
    notImplemented("chat", "delete_message"),
  );
  assert.deepEqual(
    await s.call("mystery", "poke", "positional"),
    notImplemented("mystery", "poke"),
  );
  const llmOnlyComplete = await openSession(t, manifest(LLM));
  assert.deepEqual(
    await llmOnlyComplete.call("llm", "stream", msg),
    permissionDenied("llm", "stream"),
  );
});

Deno.test("mocks (§5.9): answer only what would be not_implemented, after the ACL; result and error forms", async () => {
  await using t = await makeRuntime({
    mocks: [{
      ns: "web",
      method: "fetch",
      match: { url: "https://a.example" },
      result: { body: "A" },
    }],
  });
  const mocks = {
    "fs.read": { result: { text: "hi" } },
    "web.search": { error: { code: "upstream", message: "down", details: { retry: false } } },
    "storage.get": { result: "MOCK" },
    "window.minimize": { ok: 1 },
    "tools.invoke": { result: { mocked: true } },
    "custom.x": 5,
    "llm.stream": { result: "streamed" },
  };
  const grants = {
    fs: ["read"],
    web: ["*"],
    storage: ["get"],
    custom: ["x"],
    tools: ["t1"],
    llm: ["stream"],
  };
  const m = manifest(grants, {
    dev: { mocks },
    required_executas: [{ tool_id: "t1" }, { tool_id: "t2" }],
  });
  const s = await openSession(t, m);
  assert.deepEqual(await s.call("fs", "read", { path: "a" }), { ok: true, result: { text: "hi" } });
  assert.deepEqual(await s.call("web", "search", { q: "x" }), {
    ok: false,
    error: { code: "upstream", message: "down", details: { retry: false } },
  });
  assert.deepEqual(await s.call("storage", "get", { key: "k" }), {
    ok: true,
    result: { value: null, exists: false, etag: null },
  }, "implemented methods never hit the mocks");
  assert.deepEqual(await s.call("window", "minimize"), { ok: true, result: { ok: 1 } });
  assert.deepEqual(await s.call("custom", "x"), { ok: true, result: 5 });
  assert.deepEqual(await s.call("llm", "stream", msg), { ok: true, result: "streamed" });
  assert.deepEqual(await s.call("tools", "invoke", { tool_id: "t1", method: "m" }), {
    ok: true,
    result: { mocked: true },
  });
  assert.equal(
    (await s.call("tools", "invoke", { tool_id: "t2", method: "m" })).error.code,
    "permission_denied",
  );
  assert.deepEqual(
    await s.call("fs", "write"),
    permissionDenied("fs", "write"),
    "ACL before mocks",
  );
  assert.deepEqual(await s.call("web", "fetch", { url: "https://a.example" }), {
    ok: true,
    result: { body: "A" },
  });
  assert.deepEqual(
    await s.call("web", "fetch", { url: "https://b.example" }),
    notImplemented("web", "fetch"),
  );
  const other = await openSession(t, manifest(grants));
  assert.deepEqual(
    await other.call("fs", "read"),
    notImplemented("fs", "read"),
    "dev mocks are per session",
  );
});

Deno.test("a denied call is logged at info, and a tool the per-tool ACL refuses is named", async () => {
  const lines: Record<string, unknown>[] = [];
  await using t = await makeRuntime({ logSink: (l) => lines.push(JSON.parse(l)) });
  const m = manifest({ tools: ["t1"] }, {
    required_executas: [{ tool_id: "t1" }, { tool_id: "t2" }],
  });
  const s = await openSession(t, m);
  const denied = () => lines.filter((l) => l.msg === "call denied");
  assert.equal((await s.call("tools", "invoke", { tool_id: "t2", method: "m" })).ok, false);
  assert.equal(denied().length, 1);
  assert.equal(denied()[0].level, "info");
  assert.equal(denied()[0].tool_id, "t2");
  assert.equal(denied()[0].ns, "tools");
  assert.equal(denied()[0].session_id, s.session_id);
  // a namespace refusal has no tool to name
  assert.equal((await s.call("storage", "get", { key: "k" })).ok, false);
  assert.equal(denied().length, 2);
  assert.equal(denied()[1].ns, "storage");
  assert.equal("tool_id" in denied()[1], false);
});
