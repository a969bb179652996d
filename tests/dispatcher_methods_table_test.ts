/**
 * The §5 method-by-method sweep: the rows no other test pinned through the real core — the step
 * order of §5.1 (ACL → handler lookup → args; tools.invoke validates before its ACL), last_seen_at
 * on every call, §5.3 resolution (b) and an ambiguous (c) at call time, every grant form of the
 * §5.3 table as `window.hello` and the ACL see it, and `report_error`'s coerced message.
 */
import assert from "node:assert/strict";
import { type Loose, makeRuntime, manifest, openSession } from "./helpers/runtime.ts";
import { notImplemented, permissionDenied } from "./helpers/contract_values.ts";
import { FakeExecutas } from "./helpers/fake_executas.ts";

Deno.test("§5.1 order: ACL before handler lookup before args; tools.invoke validates before its ACL", async () => {
  await using t = await makeRuntime();
  const s = await openSession(t, manifest({ storage: ["get"], chat: ["*"] }));
  // step 3 before step 5: a denied call with unusable args is denied, not invalid_arg
  assert.deepEqual(await s.call("storage", "set", "k"), permissionDenied("storage", "set"));
  assert.deepEqual(await s.call("llm", "complete", "prompt"), permissionDenied("llm", "complete"));
  assert.deepEqual(await s.call("fs", "read", 5), permissionDenied("fs", "read"));
  // step 4 before step 5: an unimplemented method answers not_implemented whatever its args
  assert.deepEqual(await s.call("chat", "delete_all", "x"), notImplemented("chat", "delete_all"));
  // tools.invoke: steps 1–2 (validation, splitting) run before its per-tool ACL (§5.1 step 3 note)
  const empty = await s.call("tools", "invoke", { tool_id: "" });
  assert.equal(empty.error.code, "invalid_arg");
  assert.equal(empty.error.details.issues[0].path, "tool_id");
  const noMethod = {
    ok: false,
    error: {
      code: "invalid_arg",
      message: "method is required for tool_id 'plain'",
      details: { tool_id: "plain" },
    },
  };
  assert.deepEqual(await s.call("tools", "invoke", { tool_id: "plain" }), noMethod);
  assert.deepEqual(await s.call("tools", "invoke", { tool_id: "plain", method: "" }), noMethod);
  // valid args, ungranted tool: now the ACL answers, naming the tool
  assert.deepEqual(await s.call("tools", "invoke", { tool_id: "plain", method: "m" }), {
    ok: false,
    error: {
      code: "permission_denied",
      message: "manifest does not grant 'tools.invoke' for tool_id 'plain'",
      details: { ns: "tools", method: "invoke", tool_id: "plain" },
    },
  });
  assert.deepEqual(await s.events(), []);
});

Deno.test("§5.1 step 7: last_seen_at moves on every call, denied and failed ones included", async () => {
  await using t = await makeRuntime();
  const s = await openSession(t, manifest({ storage: ["get"] }));
  const seen = async () =>
    ((await t.call("session.get", { session_id: s.session_id })).windows as Loose[])[0]
      .last_seen_at;
  assert.equal(await seen(), null);
  const calls: [string, string, unknown][] = [
    ["storage", "set", { key: "k", value: 1 }], // denied
    ["storage", "get", { key: "/bad" }], // invalid_path
    ["fs", "read", {}], // denied stub
    ["storage", "get", { key: "k" }], // ok
  ];
  let last = 0;
  for (const [ns, method, args] of calls) {
    await new Promise((r) => setTimeout(r, 3));
    await s.call(ns, method, args);
    const now = await seen();
    assert.equal(typeof now, "number", `${ns}.${method}`);
    assert.ok(now > last, `${ns}.${method}: ${now} after ${last}`);
    last = now;
  }
});

Deno.test("§5.3 through the core: (b) a literal bundled: tool_id, an ambiguous (c) stays as written, app-less executas apply", async () => {
  const fake = new FakeExecutas();
  fake.add("bundled:lit", "other", "/x/executas/lit");
  fake.add("dup-1", "d1", "/x/executas/dup-a");
  fake.add("dup-2", "d2", "/x/executas/dup-b");
  fake.add("mine-id", "mine", "/x/executas/mine", "test-app");
  fake.add("theirs-id", "theirs", "/x/executas/theirs", "another-app");
  await using t = await makeRuntime({ executas: fake });
  const refs = ["bundled:lit", "bundled:dup", "bundled:mine", "bundled:theirs"];
  const s = await openSession(
    t,
    manifest({ tools: refs }, { required_executas: refs.map((tool_id) => ({ tool_id })) }),
  );
  const tools = ["bundled:lit", "bundled:dup", "mine-id", "bundled:theirs"];
  assert.deepEqual((await s.call("window", "hello")).result.capabilities.tools, tools);
  assert.deepEqual(
    (await s.call("tools", "list")).result.tools.map((r: Loose) => [r.tool_id, r.status]),
    [
      ["bundled:lit", "available"],
      ["bundled:dup", "unavailable"],
      ["mine-id", "available"],
      ["bundled:theirs", "unavailable"],
    ],
  );
  assert.deepEqual(await s.call("tools", "invoke", { tool_id: "bundled:lit", method: "go" }), {
    ok: true,
    result: { tool_id: "bundled:lit", method: "go" },
  });
  assert.deepEqual(await s.call("tools", "invoke", { tool_id: "bundled:dup", method: "go" }), {
    ok: false,
    error: {
      code: "not_implemented",
      message: "tools.invoke is not available in this runtime",
      details: { tool_id: "bundled:dup" },
    },
  });
  // resolution runs at call time: once the ambiguity goes, the ref resolves
  fake.entries.splice(fake.entries.findIndex((e) => e.spec.tool_id === "dup-2"), 1);
  assert.deepEqual((await s.call("window", "hello")).result.capabilities.tools[1], "dup-1");
  assert.deepEqual(await s.call("tools", "invoke", { tool_id: "bundled:dup__go" }), {
    ok: true,
    result: { tool_id: "dup-1", method: "go" },
  });
  assert.deepEqual(fake.invokes.map((i) => i.tool_id), ["bundled:lit", "dup-1"]);
});

Deno.test("§5.3 grant table through the core: every ref form in hello's tools and the per-tool ACL", async () => {
  await using t = await makeRuntime();
  const declared = {
    required_executas: [{ tool_id: "r1" }, { tool_id: "r2" }],
    optional_executas: [{ tool_id: "o1" }, { tool_id: "o2" }],
  };
  const cases: [unknown, string[]][] = [
    [undefined, ["r1", "r2", "o1", "o2"]],
    [[], ["r1", "r2", "o1", "o2"]],
    ["*", ["r1", "r2", "o1", "o2"]], // not an array
    [[" * "], ["r1", "r2", "o1", "o2"]], // refs are trimmed
    [["required:*"], ["r1", "r2"]],
    [["optional:*"], ["o1", "o2"]],
    [["required:o1"], ["o1"]], // the tag names no list: declared in either one is enough
    [["optional:r2", " o2 "], ["r2", "o2"]],
    [["o1", "r1"], ["r1", "o1"]], // declaration order, not ref order
    [["nope", "required:nope", "bundled:nope"], []],
  ];
  for (const [tools, granted] of cases) {
    const hostApi = tools === undefined ? {} : { tools };
    const s = await openSession(t, manifest(hostApi, declared));
    const where = JSON.stringify(tools);
    assert.deepEqual((await s.call("window", "hello")).result.capabilities.tools, granted, where);
    assert.deepEqual(
      (await s.call("tools", "list")).result.tools.map((r: Loose) => r.tool_id),
      granted,
      where,
    );
    for (const id of ["r1", "r2", "o1", "o2"]) {
      const r = await s.call("tools", "invoke", { tool_id: id, method: "m" });
      // a granted id with no executa is not_implemented; an ungranted one is denied
      assert.equal(
        r.error.code,
        granted.includes(id) ? "not_implemented" : "permission_denied",
        `${where} ${id}`,
      );
    }
    // other tools.* methods need a non-empty granted set
    const job = await s.call("tools", "getJob", { jobId: "tjob_x" });
    assert.equal(job.error.code, granted.length ? "job_not_found" : "permission_denied", where);
  }
});

Deno.test("window.report_error: the message is coerced to a string and logged at warn", async () => {
  const lines: string[] = [];
  await using t = await makeRuntime({ logSink: (l) => lines.push(l) });
  const s = await openSession(t, manifest());
  const sent: [unknown, string][] = [
    ["plain", "plain"],
    [12, "12"],
    [false, "false"],
    [null, "null"],
    [{ nested: 1 }, '{"nested":1}'],
    [["a", 1], '["a",1]'],
  ];
  for (const [message] of sent) {
    assert.deepEqual(await s.call("window", "report_error", { message }), {
      ok: true,
      result: { ok: true },
    });
  }
  const logged = lines.map((l) => JSON.parse(l)).filter((e) => e.msg === "app reported an error");
  assert.deepEqual(
    logged.map((e) => [e.level, e.message, e.window_uuid, e.fatal]),
    sent.map(([, text]) => ["warn", text, s.window_uuid, false]),
  );
});
