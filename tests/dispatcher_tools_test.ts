/**
 * `tools.*` through the core (CONTRACT §5.2–§5.3, §5.6 steps 1–5, §5.11 `tools.invokeAsync`):
 * per-tool ACL, `a__b` / `a.b` splitting, `bundled:` resolution at call time, no-executa answers.
 * An in-process fake executa host records what reaches the pool; nothing is spawned.
 */
import assert from "node:assert/strict";
import { makeRuntime, manifest, openSession } from "./helpers/runtime.ts";
import { FakeExecutas } from "./helpers/fake_executas.ts";
import { notImplemented, permissionDenied } from "./helpers/contract_values.ts";

Deno.test("ACL: tools.list always allowed; other tools.* need a non-empty granted set", async () => {
  await using t = await makeRuntime();
  const none = await openSession(t, manifest({ tools: [] }));
  assert.deepEqual(await none.call("tools", "list"), { ok: true, result: { tools: [] } });
  assert.deepEqual(
    await none.call("tools", "getJob", { jobId: "x" }),
    permissionDenied("tools", "getJob"),
  );
  const m = manifest({ tools: ["t1"] }, {
    required_executas: [{ tool_id: "t1" }, { tool_id: "t2" }],
  });
  const some = await openSession(t, m);
  assert.deepEqual(await some.call("tools", "list"), {
    ok: true,
    result: {
      tools: [{
        tool_id: "t1",
        status: "unavailable",
        plugin_name: null,
        display_name: null,
        description: null,
        methods: null,
      }],
    },
  });
  // stage-2 job methods pass the ACL with a non-empty granted set and reach their handlers
  assert.deepEqual(await some.call("tools", "listJobs", {}), {
    ok: true,
    result: { jobs: [], truncated: false },
  });
  for (const method of ["getJob", "cancelJob"]) {
    const r = await some.call("tools", method, {});
    assert.equal(r.error.code, "invalid_arg", method);
    assert.equal(r.error.details.issues[0].path, "jobId", method);
    assert.equal((await some.call("tools", method, { jobId: "x" })).error.code, "job_not_found");
  }
  assert.deepEqual(await some.call("tools", "describe", {}), notImplemented("tools", "describe"));
});

Deno.test("tools.invokeAsync: per-tool ACL after validation; no executa and no mock → not_implemented", async () => {
  await using t = await makeRuntime();
  const m = manifest({ tools: ["t1"] }, {
    required_executas: [{ tool_id: "t1" }, { tool_id: "t2" }],
  });
  const s = await openSession(t, m);
  const noExecuta = {
    ok: false,
    error: {
      code: "not_implemented",
      message: "tools.invokeAsync is not available in this runtime",
      details: { tool_id: "t1" },
    },
  };
  assert.deepEqual(
    await s.call("tools", "invokeAsync", { tool_id: "t1", method: "run" }),
    noExecuta,
  );
  assert.deepEqual(await s.call("tools", "invokeAsync", { tool_id: "t1__run" }), noExecuta);
  assert.deepEqual(await s.call("tools", "invokeAsync", { tool_id: "t2", method: "run" }), {
    ok: false,
    error: {
      code: "permission_denied",
      message: "manifest does not grant 'tools.invokeAsync' for tool_id 't2'",
      details: { ns: "tools", method: "invokeAsync", tool_id: "t2" },
    },
  });
  assert.equal((await s.call("tools", "invokeAsync", {})).error.code, "invalid_arg");
  assert.equal(
    (await s.call("tools", "invokeAsync", "t1")).error.message,
    "args must be an object",
  );
});

Deno.test("tools.invoke without a registered executa → not_implemented {tool_id}; undeclared → denied", async () => {
  await using t = await makeRuntime();
  const m = manifest({}, {
    required_executas: [{ tool_id: "notes" }, { tool_id: "a__b" }, { tool_id: "pkg.tool" }],
  });
  const s = await openSession(t, m);
  const noExec = (tool_id: string) => ({
    ok: false,
    error: {
      code: "not_implemented",
      message: "tools.invoke is not available in this runtime",
      details: { tool_id },
    },
  });
  assert.deepEqual(
    await s.call("tools", "invoke", { tool_id: "notes", method: "search" }),
    noExec("notes"),
  );
  assert.deepEqual(await s.call("tools", "invoke", { tool_id: "notes__search" }), noExec("notes"));
  assert.deepEqual(await s.call("tools", "invoke", { tool_id: "notes", method: "" }), {
    ok: false,
    error: {
      code: "invalid_arg",
      message: "method is required for tool_id 'notes'",
      details: { tool_id: "notes" },
    },
  });
  assert.deepEqual(await s.call("tools", "invoke", { tool_id: "a__b__run" }), noExec("a__b"));
  assert.deepEqual(
    await s.call("tools", "invoke", { tool_id: "pkg.tool.run" }),
    noExec("pkg.tool"),
  );
  assert.deepEqual(await s.call("tools", "invoke", { tool_id: "notes.x__y" }), {
    ok: false,
    error: {
      code: "permission_denied",
      message: "manifest does not grant 'tools.invoke' for tool_id 'notes.x'",
      details: { ns: "tools", method: "invoke", tool_id: "notes.x" },
    },
  });
  for (
    const args of [{}, { tool_id: "" }, { tool_id: 5 }, { tool_id: "x".repeat(201), method: "m" }, {
      tool_id: "notes",
      method: "m",
      args: [1],
    }, { tool_id: "notes", method: "m", arguments: "x" }]
  ) {
    assert.equal(
      (await s.call("tools", "invoke", args)).error.code,
      "invalid_arg",
      JSON.stringify(args).slice(0, 60),
    );
  }
  assert.equal((await s.call("tools", "invoke", "notes")).error.message, "args must be an object");
});

Deno.test("tools: bundled:<handle> stays literal when no executa is registered, resolves once one is", async () => {
  await using t = await makeRuntime();
  const m = manifest({ tools: ["bundled:calc"] }, {
    required_executas: [{ tool_id: "bundled:calc" }],
  });
  const s = await openSession(t, m);
  assert.deepEqual(
    (await s.call("tools", "list")).result.tools.map((x: { tool_id: string }) => x.tool_id),
    [
      "bundled:calc",
    ],
  );
  const r = await s.call("tools", "invoke", { tool_id: "bundled:calc", method: "add" });
  assert.deepEqual(r.error, {
    code: "not_implemented",
    message: "tools.invoke is not available in this runtime",
    details: { tool_id: "bundled:calc" },
  });
  assert.equal(
    (await s.call("tools", "invoke", { tool_id: "bundled:other", method: "x" })).error.code,
    "permission_denied",
  );
  // registering after session.create works: resolution happens at call time (never spawns)
  const dir = `${t.dir}/calc-tool`;
  await Deno.mkdir(dir);
  await t.call("executas.register", {
    tool_id: "acme-calc",
    project_dir: dir,
    command: ["true"],
    handle: "calc",
  });
  const listed = (await s.call("tools", "list")).result.tools;
  assert.deepEqual(listed.map((x: { tool_id: string; status: string }) => [x.tool_id, x.status]), [[
    "acme-calc",
    "available",
  ]]);
  assert.deepEqual((await s.call("window", "hello")).result.capabilities.tools, ["acme-calc"]);
  const denial = await s.call("tools", "invoke", { tool_id: "bundled:nope", method: "x" });
  assert.equal(denial.error.details.tool_id, "bundled:nope");
});

Deno.test("tools.invoke: method splitting and args/arguments reach the executa; bundled: resolves per app", async () => {
  const fake = new FakeExecutas();
  fake.add("acme-notes", "notes", "/x/executas/notes-tool");
  fake.add("a__b", "ab", "/x/ab");
  fake.add("pkg.tool", "pkg", "/x/pkg");
  fake.add("calc-v2", "calc2", "/x/executas/calc-v2");
  fake.add("foreign", "foreign", "/x/foreign", "another-app");
  await using t = await makeRuntime({ executas: fake });
  const m = manifest({
    tools: ["bundled:notes", "a__b", "pkg.tool", "bundled:calc", "bundled:foreign"],
  }, {
    required_executas: [{ tool_id: "bundled:notes" }, { tool_id: "a__b" }, {
      tool_id: "bundled:calc",
    }],
    optional_executas: [{ tool_id: "pkg.tool" }, { tool_id: "bundled:foreign" }],
  });
  const s = await openSession(t, m);
  // (a) handle, (c) the single `<h>-*` project directory; another app's executa is invisible
  assert.deepEqual((await s.call("window", "hello")).result.capabilities.tools, [
    "acme-notes",
    "a__b",
    "calc-v2",
    "pkg.tool",
    "bundled:foreign",
  ]);
  const calls: [Record<string, unknown>, string, string, unknown][] = [
    [{ tool_id: "bundled:notes", method: "search", args: { q: 1 } }, "acme-notes", "search", {
      q: 1,
    }],
    [{ tool_id: "bundled:notes__search" }, "acme-notes", "search", {}],
    [{ tool_id: "a__b__run", arguments: { x: 2 } }, "a__b", "run", { x: 2 }],
    [{ tool_id: "a__b", method: "go", args: { a: 1 }, arguments: { b: 2 } }, "a__b", "go", {
      a: 1,
    }],
    [{ tool_id: "pkg.tool.run" }, "pkg.tool", "run", {}],
    [{ tool_id: "bundled:calc", method: "add" }, "calc-v2", "add", {}],
  ];
  for (const [args, tool_id, method, callArgs] of calls) {
    const r = await s.call("tools", "invoke", args);
    assert.deepEqual(r, { ok: true, result: { tool_id, method } }, JSON.stringify(args));
    const last = fake.invokes.at(-1)!;
    assert.deepEqual([last.tool_id, last.method, last.args], [tool_id, method, callArgs]);
    assert.equal(last.opts.app?.session_id, s.session_id);
    assert.equal(last.opts.app?.app_slug, "test-app");
  }
  await s.call("tools", "invoke", { tool_id: "pkg.tool", method: "m", timeoutMs: 1234 });
  assert.equal(fake.invokes.at(-1)!.opts.timeoutMs, 1234);
  const foreign = await s.call("tools", "invoke", { tool_id: "bundled:foreign", method: "m" });
  assert.equal(foreign.error.code, "not_implemented", "unresolved for this app: no executa");
  assert.equal(fake.invokes.length, calls.length + 1);
});

Deno.test("tools.list: rows from the cached describe; a failed executa is unavailable (§5.6)", async () => {
  const fake = new FakeExecutas();
  fake.add("t-full", "full", "/x/full");
  fake.add("t-bare", "bare", "/x/bare");
  fake.add("t-dead", "dead", "/x/dead");
  fake.entries[0].describe = {
    name: "full-plugin",
    display_name: "Full Plugin",
    description: "does it all",
    tools: [{ name: "a" }, { name: "b" }],
  };
  fake.entries[1].describe = { tools: [] };
  fake.entries[2].status = "failed";
  await using t = await makeRuntime({ executas: fake });
  const ids = ["t-full", "t-bare", "t-dead", "t-none"];
  const s = await openSession(
    t,
    manifest({ tools: ids }, { required_executas: ids.map((tool_id) => ({ tool_id })) }),
  );
  assert.deepEqual((await s.call("tools", "list")).result.tools, [
    {
      tool_id: "t-full",
      status: "available",
      plugin_name: "full-plugin",
      display_name: "Full Plugin",
      description: "does it all",
      methods: ["a", "b"],
    },
    {
      tool_id: "t-bare",
      status: "available",
      plugin_name: "t-bare",
      display_name: null,
      description: null,
      methods: [],
    },
    {
      tool_id: "t-dead",
      status: "unavailable",
      plugin_name: null,
      display_name: null,
      description: null,
      methods: null,
    },
    {
      tool_id: "t-none",
      status: "unavailable",
      plugin_name: null,
      display_name: null,
      description: null,
      methods: null,
    },
  ]);
  // tool_id is a string of 1..200 characters
  for (const tool_id of ["", "x".repeat(201)]) {
    const r = await s.call("tools", "invoke", { tool_id, method: "a" });
    assert.equal(r.error?.code, "invalid_arg", JSON.stringify(r));
  }
});
