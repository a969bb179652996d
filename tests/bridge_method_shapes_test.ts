/**
 * Bridge method params and results that no other test pinned through a real path (CONTRACT §4.2,
 * §4.4.1, §4.4.5, §4.4.7–§4.4.10): each default, each result field, each documented error, through
 * the core's `call` or the real `main.ts bridge`.
 */
import assert from "node:assert/strict";
import { EXECUTA_LIST_ROW_KEYS } from "./helpers/contract_values.ts";
import { tmpDir } from "./helpers/tmp.ts";
import { join } from "node:path";
import { fileURLToPath as fromFileUrl } from "node:url";
import { type Loose, makeRuntime, manifest, openSession, rpcError } from "./helpers/runtime.ts";
import { FakeExecutas } from "./helpers/fake_executas.ts";
import { BridgeProcess, REPO_ROOT } from "./helpers/bridge_process.ts";
import { alive } from "./helpers/processes.ts";
import { createMainApp } from "../lib/server/app.ts";
import { AUTH, serverContext } from "./helpers/server.ts";

const FIXTURES = `${REPO_ROOT}tests/fixtures/executas`;
const VALID_APP = fromFileUrl(new URL("./fixtures/apps/valid-app", import.meta.url));
const LIST_ROW_KEYS = [...EXECUTA_LIST_ROW_KEYS].sort();
const TOOLS_MANIFEST = {
  schema: 2,
  required_executas: [{ tool_id: "tool-plugin" }],
  ui: { views: [{ name: "main" }], host_api: { tools: ["*"], storage: ["get", "set"] } },
};

Deno.test("session.create register_executas: default registers the app_dir's executas without spawning; false registers none; ignored with an inline manifest", async () => {
  {
    await using t = await makeRuntime();
    await t.call("session.create", { app_dir: VALID_APP, register_executas: false });
    assert.deepEqual(await t.call("executas.list"), { executas: [] });
    // "only with app_dir": with an inline manifest the flag is accepted and changes nothing
    await t.call("session.create", {
      app_slug: "inline",
      manifest: manifest(),
      register_executas: true,
    });
    assert.deepEqual(await t.call("executas.list"), { executas: [] });
  }
  await using t = await makeRuntime();
  await t.call("session.create", { app_dir: VALID_APP });
  const rows = (await t.call("executas.list")).executas as Loose[];
  assert.deepEqual(rows.map((r) => [r.tool_id, r.handle, r.type, r.status, r.pid]), [
    ["tool-notes-1234", "notes", "node", "registered", null],
  ]);
});

Deno.test("session.open_view: payload defaults to {} (the window's entry_payload)", async () => {
  await using t = await makeRuntime();
  const s = await openSession(t, manifest());
  const o = await t.call("session.open_view", { session_id: s.session_id });
  const g = await t.call("session.get", { session_id: s.session_id });
  const w = (g.windows as Loose[]).find((x) => x.window_uuid === o.window_uuid);
  assert.deepEqual([w.view, w.entry_payload], ["main", {}]);
});

Deno.test("executas.register through the core: {registered, warnings}; list rows before any spawn; handle, cwd, command, app_slug rules; -32602 reasons", async () => {
  await using tmp = await tmpDir("reg-cwd");
  const cwd = tmp.path;
  await Deno.mkdir(join(cwd, "tools", "my-tool"), { recursive: true });
  await Deno.mkdir(join(cwd, "empty"));
  await using t = await makeRuntime({ cwd });
  // one Spec as the params object; a relative project_dir is read against the runtime's cwd
  assert.deepEqual(
    await t.call("executas.register", {
      tool_id: "one",
      project_dir: "tools/my-tool",
      command: "  node   main.js --x ",
      env: { A: "1" },
    }),
    { registered: ["one"], warnings: [] },
  );
  // the list form, answered in the given order
  assert.deepEqual(
    await t.call("executas.register", {
      executas: [
        { tool_id: "two", project_dir: FIXTURES, type: "binary", handle: "h2" },
        { tool_id: "three", project_dir: FIXTURES, command: ["node", "plugin.mjs"] },
        {
          tool_id: "four",
          project_dir: FIXTURES,
          command: ["x"],
          handle: "h4",
          app_slug: "only-this",
        },
      ],
    }),
    { registered: ["two", "three", "four"], warnings: [] },
  );
  const rows = (await t.call("executas.list")).executas as Loose[];
  for (const r of rows) assert.deepEqual(Object.keys(r).sort(), LIST_ROW_KEYS);
  const [one, two, three] = rows;
  // registration never spawns (§9.5)
  assert.deepEqual(one, {
    tool_id: "one",
    handle: "my-tool", // §9.2: no executa.json slug → the directory name
    project_dir: join(cwd, "tools", "my-tool"),
    type: null,
    command: ["node", "main.js", "--x"],
    status: "registered",
    pid: null,
    protocol: null,
    describe: null,
    restarts: 0,
    last_exit: null,
    in_flight: 0,
    stderr_tail: [],
  });
  // type without command: the §9.3 default command is used when it starts
  assert.deepEqual([two.type, two.command, two.handle], ["binary", null, "h2"]);
  assert.equal(three.handle, "executas");
  // app_slug limits the executa to that app's sidecar map; without it every app sees it
  const everyApp = { "my-tool": "one", h2: "two", executas: "three" };
  const other = await openSession(t, manifest());
  const ids = (await t.call("session.get", { session_id: other.session_id })).tool_ids;
  assert.deepEqual(ids, everyApp);
  const own = await t.call("session.create", { app_slug: "only-this", manifest: manifest() });
  const ownIds = (await t.call("session.get", { session_id: own.session_id })).tool_ids;
  assert.deepEqual(ownIds, { ...everyApp, h4: "four" });

  const missing = await rpcError(t, "executas.register", { tool_id: "x", project_dir: "nope" });
  assert.deepEqual([missing.code, missing.data.reason], [-32602, "project_dir_not_found"]);
  const noCmd = await rpcError(t, "executas.register", { tool_id: "x", project_dir: "empty" });
  assert.deepEqual([noCmd.code, noCmd.data.reason], [-32602, "no_command"]);
  for (const tool_id of ["", "t".repeat(201)]) {
    const e = await rpcError(t, "executas.register", { tool_id, project_dir: "empty" });
    assert.equal(e.code, -32602);
    assert.equal((e.data.issues as Loose[])[0].path, "tool_id");
  }
  await t.call("executas.register", {
    tool_id: "t".repeat(200),
    project_dir: FIXTURES,
    command: ["x"],
  });
  assert.equal(((await t.call("executas.list")).executas as Loose[]).length, 5);
});

Deno.test("executas.invoke: timeout_ms reaches the pool; session_id gives that session's app context, none without; unknown session → -32001", async () => {
  const fake = new FakeExecutas();
  fake.add("plug", "plug", "/x/plug");
  await using t = await makeRuntime({ executas: fake });
  const s = await openSession(t, manifest({ llm: ["complete"] }), { user_id: 4 });
  const out = await t.call("executas.invoke", {
    tool_id: "plug",
    method: "m",
    args: { a: 1 },
    timeout_ms: 1500,
    session_id: s.session_id,
  });
  assert.deepEqual(out, { ok: true, result: { tool_id: "plug", method: "m" } });
  const withApp = fake.invokes.at(-1)!;
  assert.deepEqual([withApp.method, withApp.args, withApp.opts.timeoutMs], ["m", { a: 1 }, 1500]);
  const app = withApp.opts.app!;
  assert.deepEqual([app.session_id, app.app_slug, app.user_id], [s.session_id, "test-app", 4]);
  assert.deepEqual([app.allows("llm", "complete"), app.allows("llm", "embed")], [true, false]);

  await t.call("executas.invoke", { tool_id: "plug", method: "m" });
  const bare = fake.invokes.at(-1)!;
  assert.deepEqual([bare.args, bare.opts.app, bare.opts.timeoutMs], [{}, null, undefined]);

  const id = "ses_" + "0".repeat(32);
  assert.deepEqual(
    await rpcError(t, "executas.invoke", { tool_id: "plug", method: "m", session_id: id }),
    { code: -32001, message: "unknown_session", data: { session_id: id } },
  );
  assert.equal(fake.invokes.length, 2, "nothing invoked for the unknown session");
});

Deno.test("bridge: a slow tools.invoke blocks no other request (answered out of order); a batch runs its elements concurrently", async () => {
  await using b = new BridgeProcess();
  await b.call("executas.register", {
    tool_id: "tool-plugin",
    project_dir: FIXTURES,
    command: ["node", "plugin.mjs"],
  });
  const s = await b.call("session.create", { app_slug: "slow", manifest: TOOLS_MANIFEST });
  // the fixture's `call` with together:2 answers only once a second such invoke is running
  const meet = { together: 2, calls: [] };
  const slow = b.request("session.call", {
    session_id: s.session_id,
    ns: "tools",
    method: "invoke",
    args: { tool_id: "tool-plugin", method: "call", args: meet, timeoutMs: 30_000 },
  }, "slow");
  const fast = await b.request("session.call", {
    session_id: s.session_id,
    ns: "storage",
    method: "set",
    args: { key: "k", value: 1 },
  }, "fast");
  assert.deepEqual(fast.result, { ok: true, result: { ok: true } });
  assert.equal((await b.request("runtime.info", {}, "info")).id, "info");
  const answered = () => b.stdoutLines.map((l) => JSON.parse(l).id);
  assert.ok(!answered().includes("slow"), "the slow invoke is still running");
  // its partner releases it
  const partner = await b.call("executas.invoke", {
    tool_id: "tool-plugin",
    method: "call",
    args: meet,
  });
  assert.equal(partner.ok, true, JSON.stringify(partner));
  assert.equal(((await slow).result as Loose).ok, true);
  const order = answered();
  assert.ok(order.indexOf("fast") < order.indexOf("slow"), order.join());

  // run one after the other, the first element would wait for its partner until its deadline
  const req = (id: string) => ({
    jsonrpc: "2.0",
    id,
    method: "executas.invoke",
    params: { tool_id: "tool-plugin", method: "call", args: meet, timeout_ms: 10_000 },
  });
  const both = Promise.all([b.waitFor("b1"), b.waitFor("b2")]);
  await b.writeRaw(JSON.stringify([req("b1"), req("b2")]) + "\n");
  for (const r of await both) {
    assert.equal((r.result as Loose).ok, true, JSON.stringify(r));
  }
});

Deno.test("bridge: executas.list row of a running executa; session.close leaves it running; executas.restart stops it", async () => {
  await using b = new BridgeProcess();
  await b.call("executas.register", {
    tool_id: "tool-plugin",
    project_dir: FIXTURES,
    command: ["node", "plugin.mjs"],
  });
  const s = await b.call("session.create", { app_slug: "keep", manifest: TOOLS_MANIFEST });
  const out = await b.call("session.call", {
    session_id: s.session_id,
    ns: "tools",
    method: "invoke",
    args: { tool_id: "tool-plugin", method: "pid" },
  }) as Loose;
  assert.equal(out.ok, true, JSON.stringify(out));
  const pid = out.result.pid as number;
  const row = async () => ((await b.call("executas.list", {})).executas as Loose[])[0];
  const running = await row();
  assert.deepEqual(Object.keys(running).sort(), LIST_ROW_KEYS);
  const { describe, stderr_tail, ...rest } = running;
  assert.deepEqual(rest, {
    tool_id: "tool-plugin",
    handle: "executas",
    project_dir: FIXTURES,
    type: null,
    command: ["node", "plugin.mjs"],
    status: "ready",
    pid,
    protocol: "v2",
    restarts: 0,
    last_exit: null,
    in_flight: 0,
  });
  assert.equal(describe.name, "fault-plugin");
  assert.ok(Array.isArray(stderr_tail));

  // §4.4.5: executas belong to the runtime, not to the session that used them
  assert.deepEqual(await b.call("session.close", { session_id: s.session_id }), { closed: true });
  const after = await row();
  assert.deepEqual([after.status, after.pid], ["ready", pid]);
  assert.ok(alive(pid));

  assert.deepEqual(await b.call("executas.restart", { tool_id: "tool-plugin" }), {
    restarted: true,
  });
  const stopped = await row();
  assert.equal(stopped.status, "stopped");
  assert.equal(alive(pid), false);
  assert.deepEqual(Object.keys(stopped.last_exit).sort(), ["at", "code", "signal"]);
  assert.equal(typeof stopped.last_exit.at, "number");
});

Deno.test("bridge: re-registering a failed tool_id clears its failed state and crash history", async () => {
  await using b = new BridgeProcess();
  const register = (command: string[]) =>
    b.call("executas.register", { tool_id: "tool-plugin", project_dir: FIXTURES, command });
  await register(["node", "plugin.mjs", "--exit-at-start=5"]);
  const row = async () => ((await b.call("executas.list", {})).executas as Loose[])[0];
  for (let i = 0; i < 4 && (await row()).status !== "failed"; i++) {
    await b.call("executas.invoke", { tool_id: "tool-plugin", method: "echo" });
  }
  const failed = await row();
  assert.equal(failed.status, "failed");
  assert.ok(failed.restarts >= 1 && failed.last_exit?.code === 5, JSON.stringify(failed));

  assert.deepEqual(await register(["node", "plugin.mjs"]), {
    registered: ["tool-plugin"],
    warnings: [],
  });
  const fresh = await row();
  assert.deepEqual([fresh.status, fresh.restarts, fresh.last_exit, fresh.pid], [
    "registered",
    0,
    null,
    null,
  ]);
  const ok = await b.call("executas.invoke", { tool_id: "tool-plugin", method: "pid" }) as Loose;
  assert.equal(ok.ok, true, JSON.stringify(ok));
  assert.equal((await row()).status, "ready");
});

Deno.test("bridge: runtime.info says llm_mode openai under --llm openai", async () => {
  await using b = new BridgeProcess({
    args: ["--llm", "openai", "--llm-base-url", "http://127.0.0.1:9/v1"],
    env: { OPENAI_API_KEY: "" },
  });
  const info = await b.call("runtime.info", {});
  assert.deepEqual([info.mode, info.llm_mode], ["bridge", "openai"]);
});

Deno.test("POST /rpc: a batch of only notifications, failing ones included, is answered 204 with no body", async () => {
  await using t = await makeRuntime({ mode: "serve" });
  const app = createMainApp(serverContext(t.rt));
  const note = (method: string, params: unknown = {}) => ({ jsonrpc: "2.0", method, params });
  const res = await app.request("/rpc", {
    method: "POST",
    headers: AUTH,
    body: JSON.stringify([
      note("session.list"),
      note("no.such.method"),
      note("session.call", { session_id: "ses_nope", ns: "window", method: "hello" }),
      note("runtime.info", [1]),
    ]),
  });
  assert.equal(res.status, 204);
  assert.equal(await res.text(), "");
});

Deno.test("executas.register: env is added to the child's environment", async () => {
  await using t = await makeRuntime();
  await t.call("executas.register", {
    tool_id: "env-plugin",
    project_dir: FIXTURES,
    // the shell reports the variable on stderr, then becomes the plugin
    command: ["sh", "-c", 'echo "seen=$ANNA_SPEC_ENV" >&2; exec node plugin.mjs'],
    env: { ANNA_SPEC_ENV: "from the spec" },
  });
  const out = await t.call("executas.invoke", { tool_id: "env-plugin", method: "pid" });
  assert.equal(out.ok, true, JSON.stringify(out));
  let tail: string[] = [];
  for (let i = 0; i < 50 && !tail.length; i++) {
    tail = ((await t.call("executas.list")).executas as Loose[])[0].stderr_tail;
    if (!tail.length) await new Promise((r) => setTimeout(r, 20));
  }
  assert.deepEqual(tail, ["seen=from the spec"]);
});
