/**
 * Object arguments reach state and plugins exactly as sent (CONTRACT §1.3: any JSON object), even
 * with an own `"__proto__"` key that zod's record parse would drop; `tools.invoke` / `executas.invoke`
 * argument types are checked before anything else happens (§5.6 step 1, §4.4.9).
 */
import assert from "node:assert/strict";
import { type Loose, makeRuntime, openSession } from "./helpers/runtime.ts";
import { FakeExecutas } from "./helpers/fake_executas.ts";

/** `{"__proto__":{"x":1},"a":2}` parsed as the bridge parses it: "__proto__" is an own key. */
const withProto = () => JSON.parse('{"__proto__":{"x":1},"a":2}') as Record<string, unknown>;

const hasOwnProto = (o: unknown) =>
  typeof o === "object" && o !== null && Object.hasOwn(o, "__proto__") &&
  JSON.stringify(o).includes('"__proto__":{"x":1}');

const MANIFEST = {
  schema: 2,
  required_executas: [{ tool_id: "plug" }],
  ui: {
    bundle: { entry: "index.html" },
    views: [{ name: "main", title: "Main" }, { name: "side", single_instance: true }],
    host_api: { chat: ["*"] },
  },
};

Deno.test("open_view payloads keep an own __proto__ key (window.open_view, session.open_view, reuse)", async () => {
  await using t = await makeRuntime();
  const s = await openSession(t, MANIFEST);
  const opened = await s.call("window", "open_view", { view: "side", payload: withProto() });
  assert.equal(opened.ok, true);
  const host = await t.call("session.open_view", {
    session_id: s.session_id,
    view: "main",
    payload: withProto(),
  });
  // reuse merges the new payload into the old one
  await t.call("session.open_view", { session_id: s.session_id, view: "side", payload: { b: 3 } });
  const got = await t.call("session.get", { session_id: s.session_id });
  const win = (id: string) => (got.windows as Loose[]).find((w) => w.window_uuid === id);
  assert.ok(hasOwnProto(win(opened.result.window_uuid).entry_payload));
  assert.equal(win(opened.result.window_uuid).entry_payload.b, 3);
  assert.ok(hasOwnProto(win(host.window_uuid as string).entry_payload));
  const evs = await s.events();
  const opens = evs.filter((e) => e.kind === "open_view");
  assert.equal(opens.length, 3);
  for (const e of opens) assert.ok(hasOwnProto(e.payload.entry_payload), JSON.stringify(e));
  // nothing leaked onto a prototype
  assert.equal(({} as Loose).x, undefined);
});

Deno.test("chat content and artifact bodies keep an own __proto__ key", async () => {
  await using t = await makeRuntime();
  const s = await openSession(t, MANIFEST);
  assert.equal(
    (await s.call("chat", "write_message", { role: "user", content: withProto() })).ok,
    true,
  );
  const art = { kind: "note", ...withProto() };
  assert.equal((await s.call("chat", "append_artifact", { artifact: art })).ok, true);
  const bare = await s.call("chat", "append_artifact", withProto());
  assert.equal(bare.ok, true);
  const history = (await s.call("chat", "read_history")).result;
  assert.ok(hasOwnProto(history.messages[0].content));
  const got = await t.call("session.get", { session_id: s.session_id });
  const arts = (got.chat as Loose).artifacts as Loose[];
  assert.ok(hasOwnProto(arts[0].body));
  assert.equal(arts[0].kind, "note");
  assert.ok(hasOwnProto(arts[1].body));
  assert.equal(arts[1].kind, "app_event");
  const [msg] = (await s.events()).filter((e) => e.kind === "chat_message_from_app");
  assert.ok(hasOwnProto(msg.payload.content));
});

Deno.test("tools.invoke and executas.invoke pass the plugin arguments as sent", async () => {
  const fake = new FakeExecutas();
  fake.add("plug", "plug", "/x/plug");
  await using t = await makeRuntime({ executas: fake });
  const s = await openSession(t, MANIFEST);
  assert.equal(
    (await s.call("tools", "invoke", { tool_id: "plug", method: "m", args: withProto() }))
      .ok,
    true,
  );
  assert.ok(hasOwnProto(fake.invokes.at(-1)!.args));
  await s.call("tools", "invoke", { tool_id: "plug", method: "m", arguments: withProto() });
  assert.ok(hasOwnProto(fake.invokes.at(-1)!.args));
  await t.call("executas.invoke", { tool_id: "plug", method: "m", args: withProto() });
  assert.ok(hasOwnProto(fake.invokes.at(-1)!.args));
  await t.call("executas.invoke", { tool_id: "plug", method: "m" });
  assert.deepEqual(fake.invokes.at(-1)!.args, {});
});

Deno.test("executas.invoke: non-object args are tools.invoke's invalid_arg outcome naming args (§4.4.9); nothing is invoked", async () => {
  const fake = new FakeExecutas();
  fake.add("plug", "plug", "/x/plug");
  await using t = await makeRuntime({ executas: fake });
  for (const args of ["text", 5, [1, 2], null, true]) {
    const out = await t.call("executas.invoke", { tool_id: "plug", method: "m", args }) as Loose;
    assert.equal(out.ok, false, JSON.stringify(args));
    assert.equal(out.error.code, "invalid_arg", JSON.stringify(args));
    assert.match(out.error.message, /invalid argument 'args'/);
    assert.deepEqual((out.error.details.issues as Loose[]).map((i) => i.path), ["args"]);
  }
  assert.equal(fake.invokes.length, 0);
});

Deno.test("tools.invoke: a non-number timeoutMs is invalid_arg at step 1, before executa or mocks", async () => {
  const fake = new FakeExecutas();
  fake.add("plug", "plug", "/x/plug");
  await using t = await makeRuntime({
    executas: fake,
    mocks: [{ ns: "tools", method: "invoke", result: { mocked: true } }],
  });
  const s = await openSession(t, {
    ...MANIFEST,
    required_executas: [{ tool_id: "plug" }, { tool_id: "mocked" }],
  });
  for (const tool_id of ["plug", "mocked"]) {
    for (const timeoutMs of ["5000", {}, [1], true]) {
      const r = await s.call("tools", "invoke", { tool_id, method: "m", timeoutMs });
      assert.equal(r.error?.code, "invalid_arg", `${tool_id} ${JSON.stringify(timeoutMs)}`);
      assert.equal(r.error.details.issues[0].path, "timeoutMs");
    }
  }
  assert.equal(fake.invokes.length, 0);
  // null = the default; a number goes through
  assert.equal(
    (await s.call("tools", "invoke", { tool_id: "mocked", method: "m", timeoutMs: null }))
      .ok,
    true,
  );
  assert.equal(
    (await s.call("tools", "invoke", { tool_id: "plug", method: "m", timeoutMs: null }))
      .ok,
    true,
  );
  assert.equal(fake.invokes.at(-1)!.opts.timeoutMs, null);
});
