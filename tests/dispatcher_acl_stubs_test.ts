/**
 * The dispatcher's ACL, stubs and mocks (CONTRACT §5.2, §5.9, §5.10).
 */
import assert from "node:assert/strict";
import { makeRuntime, manifest, openSession } from "./helpers/runtime.ts";

const STUB_NS = [
  "artifact",
  "fs",
  "prefs",
  "files",
  "image",
  "upload",
  "web",
  "apps",
  "agent",
  "credentials",
  "mobile",
  "video",
  "audio",
];
const notImpl = (ns: string, method: string) => ({
  ok: false,
  error: {
    code: "not_implemented",
    message: `${ns}.${method} is not implemented in this runtime`,
    details: { ns, method },
  },
});
const denied = (ns: string, method: string) => ({
  ok: false,
  error: {
    code: "permission_denied",
    message: `manifest does not grant '${ns}.${method}'`,
    details: { ns, method },
  },
});

/** A provider whose `complete` waits until released (a mock-free slow call). */

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
    denied("storage", "set"),
  );
  assert.deepEqual(await s.call("storage", "Get", { key: "k" }), denied("storage", "Get"));
  assert.deepEqual(await s.call("fs", "read"), notImpl("fs", "read"));
  assert.deepEqual(await s.call("fs", "anything"), notImpl("fs", "anything"));
  assert.deepEqual(await s.call("web", "search"), denied("web", "search"));
  assert.deepEqual(await s.call("prefs", "get"), denied("prefs", "get"));
  assert.deepEqual(await s.call("image", "generate"), denied("image", "generate"));
  assert.deepEqual(await s.call("files", "list"), denied("files", "list"));
  assert.deepEqual(await s.call("chat", "read_history"), denied("chat", "read_history"));
  assert.deepEqual(await s.call("llm", "complete", msg), denied("llm", "complete"));
  assert.deepEqual(await s.call("custom", "do"), notImpl("custom", "do"));
  assert.deepEqual(await s.call("custom", "undo"), denied("custom", "undo"));
  assert.deepEqual(await s.call("nothere", "x"), denied("nothere", "x"));
  assert.deepEqual(await s.call("__proto__", "x"), denied("__proto__", "x"));
  assert.deepEqual(await s.call("storage", "constructor"), denied("storage", "constructor"));
});

Deno.test("ACL: window.* always granted, whatever host_api.window says", async () => {
  await using t = await makeRuntime();
  for (const win of [[], "none", { hello: false }, ["set_title"], null]) {
    const s = await openSession(t, manifest({ window: win }));
    assert.equal((await s.call("window", "hello")).ok, true, JSON.stringify(win));
    assert.equal((await s.call("window", "set_title", { title: "x" })).ok, true);
    assert.deepEqual(await s.call("window", "minimize"), notImpl("window", "minimize"));
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
  assert.deepEqual(await s.call("storage", "get", { key: "k" }), denied("storage", "get"));
  assert.deepEqual(await s.call("llm", "complete", msg), denied("llm", "complete"));
  assert.deepEqual(
    await s.call("chat", "write_message", { role: "user", content: "x" }),
    denied("chat", "write_message"),
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
      allowed ? notImpl("agent", "session_start") : denied("agent", "session_start"),
      JSON.stringify(agent),
    );
  }
});

Deno.test("stubs: every stub namespace answers not_implemented after the ACL, exact message/details", async () => {
  await using t = await makeRuntime();
  const grants: Record<string, unknown> = { agent: { session: { auto: true } } };
  for (const ns of STUB_NS) if (ns !== "agent") grants[ns] = ["*"];
  const s = await openSession(t, manifest(grants));
  const bare = await openSession(t, manifest({}));
  for (const ns of STUB_NS) {
    for (const method of ["read", "generate", "list"]) {
      assert.deepEqual(
        await s.call(ns, method, { any: 1 }),
        notImpl(ns, method),
        `${ns}.${method}`,
      );
      assert.deepEqual(await bare.call(ns, method, { any: 1 }), denied(ns, method));
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
  assert.deepEqual(await s.call("llm", "stream", msg), notImpl("llm", "stream"));
  assert.deepEqual(await s.call("llm", "image", {}), notImpl("llm", "image"));
  assert.deepEqual(await s.call("storage", "clear"), notImpl("storage", "clear"));
  assert.deepEqual(await s.call("storage", "toString"), notImpl("storage", "toString"));
  assert.deepEqual(await s.call("chat", "delete_message"), notImpl("chat", "delete_message"));
  assert.deepEqual(await s.call("mystery", "poke", "positional"), notImpl("mystery", "poke"));
  const llmOnlyComplete = await openSession(t, manifest(LLM));
  assert.deepEqual(await llmOnlyComplete.call("llm", "stream", msg), denied("llm", "stream"));
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
  assert.deepEqual(await s.call("fs", "write"), denied("fs", "write"), "ACL before mocks");
  assert.deepEqual(await s.call("web", "fetch", { url: "https://a.example" }), {
    ok: true,
    result: { body: "A" },
  });
  assert.deepEqual(
    await s.call("web", "fetch", { url: "https://b.example" }),
    notImpl("web", "fetch"),
  );
  const other = await openSession(t, manifest(grants));
  assert.deepEqual(
    await other.call("fs", "read"),
    notImpl("fs", "read"),
    "dev mocks are per session",
  );
});
