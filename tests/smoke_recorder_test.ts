/**
 * Record mode (CONTRACT §14.7): a session driven through the core and through HTTP `/rpc`
 * (`app.call` with the window token) is recorded by `startRecording` in the §14.3 format, and the
 * recording replays green with the real `smoke --check-events`.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { makeRuntime, manifest } from "./helpers/runtime.ts";
import { tmpDir } from "./helpers/tmp.ts";
import { explain, SMOKE_FIXTURES, smokeJson } from "./fixtures/smoke/harness.ts";
import { startRecording } from "../lib/smoke/recorder.ts";
import { loadMockFile } from "../lib/llm/mod.ts";
import { startServer } from "../lib/server/mod.ts";
import { dashboardPages } from "../lib/server/pages.ts";
import { silentLogger } from "../lib/util/log.ts";

const BASIC = join(SMOKE_FIXTURES, "basic-app");
const MOCKS = join(BASIC, "fixtures/mocks.jsonl");

// deno-lint-ignore no-explicit-any
type Line = Record<string, any>;

Deno.test("recorder: a session driven through the core and HTTP is recorded and replays green", async () => {
  await using dir = await tmpDir();
  await using t = await makeRuntime({ mode: "dev", mocks: await loadMockFile(MOCKS) });
  const file = join(dir.path, "recorded.jsonl");
  const created = await t.call("session.create", { app_dir: BASIC });
  const session_id = created.session_id as string;
  const rec = await startRecording(t.rt, session_id, file);

  const call = (ns: string, method: string, args: unknown, window_uuid?: string) =>
    t.call("session.call", { session_id, ns, method, args, window_uuid });
  assert.equal((await call("window", "hello", {})).ok, true);
  assert.equal(
    (await call("storage", "set", { key: "draft", value: { text: "hi", n: 1 } })).ok,
    true,
  );
  const echo = await call("tools", "invoke", {
    tool_id: "bundled:echo",
    method: "echo",
    args: { x: [1, 2] },
  });
  assert.deepEqual(echo, { ok: true, result: { echo: { x: [1, 2] } } });
  const sum = await call("tools", "invoke", {
    tool_id: "tool-smoke-echo",
    method: "summarize",
    args: { text: "a b c" },
  });
  assert.deepEqual(sum, { ok: true, result: { summary: "abc in short" } });
  const opened = await call("window", "open_view", { view: "side", payload: { from: "test" } });
  const side = (opened.result as { window_uuid: string }).window_uuid;
  assert.equal((await call("window", "set_title", { title: "Side" }, side)).ok, true);
  await t.call("session.refresh_token", { session_id });
  assert.equal((await call("fs", "read", { path: "x" })).ok, false);

  // the same session through HTTP, as the browser would reach it
  const control = "c".repeat(40);
  const server = startServer({
    runtime: t.rt,
    logger: silentLogger(),
    version: "test",
    pages: dashboardPages,
    bindHost: "127.0.0.1",
    port: 0,
    appPort: 0,
    allowRemote: false,
    allowedHosts: [],
    controlToken: control,
  });
  try {
    const res = await fetch(`${server.mainOrigin}/rpc`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${control}` },
      body: JSON.stringify({
        jsonrpc: "2.0",
        id: 1,
        method: "app.call",
        params: { token: created.token, ns: "storage", method: "get", args: { key: "draft" } },
      }),
    });
    const body = await res.json();
    assert.equal(body.result?.ok, true, JSON.stringify(body));
    assert.deepEqual(body.result.result.value, { text: "hi", n: 1 });
  } finally {
    await server.close();
  }
  await rec.stop();
  await call("storage", "set", { key: "after", value: 1 }); // not recorded after stop

  const lines: Line[] = (await Deno.readTextFile(file)).trim().split("\n").map((l) =>
    JSON.parse(l)
  );
  assert.deepEqual(lines[0], {
    t: 0,
    kind: "meta",
    harness_version:
      JSON.parse(await Deno.readTextFile(new URL("../deno.json", import.meta.url))).version,
    session_id,
    window_uuid: created.window_uuid,
    app_slug: "basic-app",
    view: "main",
  });
  const reqs = lines.filter((l) => l.kind === "req");
  assert.deepEqual(reqs.map((l) => l.id), [1, 2, 3, 4, 5, 6, 7, 8]);
  assert.deepEqual(reqs.map((l) => `${l.ns}.${l.method}`), [
    "window.hello",
    "storage.set",
    "tools.invoke",
    "tools.invoke",
    "window.open_view",
    "window.set_title",
    "fs.read",
    "storage.get",
  ]);
  assert.equal(reqs[5].window_uuid, side, "non-primary windows are named");
  assert.equal(reqs[0].window_uuid, undefined, "the primary window is implicit");
  // every req is followed by its res; events caused by a call come after that call's res
  for (const r of reqs) {
    const i = lines.indexOf(r);
    assert.equal(lines[i + 1].kind, "res");
    assert.equal(lines[i + 1].id, r.id);
  }
  const setRes = lines.findIndex((l) => l.kind === "res" && l.id === 2);
  assert.equal(lines[setRes + 1].kind, "event");
  assert.equal(lines[setRes + 1].event, "runtime_state_synced");
  assert.deepEqual(
    lines.find((l) => l.kind === "res" && l.id === 7)?.error?.code,
    "permission_denied",
  );
  const push = lines.filter((l) => l.kind === "auth.refresh");
  assert.equal(push.length, 1);
  assert.match(push[0].token, /^dev1\./);
  assert.ok(lines.some((l) => l.kind === "event" && l.event === "open_view"));
  assert.ok(!lines.some((l) => l.kind === "req" && l.args?.key === "after"));
  for (let i = 1; i < lines.length; i++) {
    assert.ok(lines[i].t >= lines[i - 1].t, "t never decreases");
  }

  const r = await smokeJson([BASIC, "--fixtures", file, "--fixtures", MOCKS, "--check-events"]);
  assert.equal(r.code, 0, explain(r));
  const cases = r.report!.fixtures[0].cases;
  assert.equal(cases.filter((c) => c.ns !== "event").length, 8);
  assert.ok(cases.filter((c) => c.ns === "event").length >= 3);
  assert.ok(cases.every((c) => c.status === "pass"), JSON.stringify(cases, null, 1));
});

Deno.test("recorder: req lines are written as calls start, so concurrent calls interleave; stop waits for them", async () => {
  await using dir = await tmpDir();
  const gates: (() => void)[] = [];
  await using t = await makeRuntime({
    mode: "dev",
    wrapLlm: (inner) => ({
      ...inner,
      mode: inner.mode,
      complete: async (args, o) => {
        await new Promise<void>((r) => gates.push(r));
        return inner.complete(args, o);
      },
      embed: (args, o) => inner.embed(args, o),
      lookupMock: (...a) => inner.lookupMock(...a),
    }),
  });
  const file = join(dir.path, "rec.jsonl");
  const created = await t.call("session.create", {
    app_slug: "rec",
    manifest: manifest({ llm: ["complete"], storage: ["get", "set"] }),
  });
  const session_id = created.session_id as string;
  const rec = await startRecording(t.rt, session_id, file);
  const call = (ns: string, method: string, args: unknown) =>
    t.call("session.call", { session_id, ns, method, args });
  const read = async (): Promise<Line[]> =>
    (await Deno.readTextFile(file)).trim().split("\n").map((l) => JSON.parse(l));

  const slow = call("llm", "complete", { messages: [{ role: "user", content: "hi" }] });
  assert.deepEqual((await read()).slice(1).map((l) => [l.kind, l.id]), [["req", 1]]);
  assert.equal((await call("storage", "set", { key: "k", value: 1 })).ok, true);
  while (gates.length === 0) await new Promise((r) => setTimeout(r, 1));
  gates.shift()!();
  assert.equal((await slow).ok, true);
  const lines = await read();
  assert.deepEqual(lines.slice(1).map((l) => [l.kind, l.id ?? l.event]), [
    ["req", 1],
    ["req", 2],
    ["res", 2],
    ["event", "runtime_state_synced"],
    ["res", 1],
  ]);

  // stop() gives a running call its grace to finish and records its res
  const late = call("llm", "complete", { messages: [{ role: "user", content: "late" }] });
  while (gates.length === 0) await new Promise((r) => setTimeout(r, 1));
  const stopping = rec.stop();
  gates.shift()!();
  await late;
  await stopping;
  const after = (await read()).slice(lines.length).map((l) => [l.kind, l.id]);
  assert.deepEqual(after, [["req", 3], ["res", 3]]);
});

Deno.test("recorder: once dev begins to stop, a call ending in an error keeps its req without a res; answers still get theirs", async () => {
  await using dir = await tmpDir();
  // each gate decides how its call ends: true = the error a shutdown gives (executa stopped)
  const gates: ((cutShort: boolean) => void)[] = [];
  await using t = await makeRuntime({
    mode: "dev",
    wrapLlm: (inner) => ({
      ...inner,
      mode: inner.mode,
      complete: async (args, o) => {
        const cutShort = await new Promise<boolean>((r) => gates.push(r));
        return cutShort
          ? { ok: false, error: { code: "provider_error", message: "stopped", details: {} } }
          : inner.complete(args, o);
      },
      embed: (args, o) => inner.embed(args, o),
      lookupMock: (...a) => inner.lookupMock(...a),
    }),
  });
  const file = join(dir.path, "rec.jsonl");
  const created = await t.call("session.create", {
    app_slug: "rec",
    manifest: manifest({ llm: ["complete"] }),
  });
  const session_id = created.session_id as string;
  const rec = await startRecording(t.rt, session_id, file);
  const complete = (content: string) =>
    t.call("session.call", {
      session_id,
      ns: "llm",
      method: "complete",
      args: { messages: [{ role: "user", content }] },
    });
  // before stopping, an error is the app's and is recorded
  const early = complete("early");
  while (gates.length < 1) await new Promise((r) => setTimeout(r, 1));
  gates.shift()!(true);
  assert.equal((await early).ok, false);
  const cut = complete("cut short");
  const answered = complete("answered");
  while (gates.length < 2) await new Promise((r) => setTimeout(r, 1));
  rec.beginStop();
  gates.shift()!(true);
  gates.shift()!(false);
  assert.equal((await cut).ok, false);
  assert.equal((await answered).ok, true);
  await rec.stop();
  const lines: Line[] = (await Deno.readTextFile(file)).trim().split("\n").map((l) =>
    JSON.parse(l)
  );
  assert.deepEqual(lines.slice(1).map((l) => [l.kind, l.id, l.ok]), [
    ["req", 1, undefined],
    ["res", 1, false],
    ["req", 2, undefined],
    ["req", 3, undefined],
    ["res", 3, true],
  ]);
});
