/** `chat.*` through the core (CONTRACT §5.7, §7.2). */
import assert from "node:assert/strict";
import {
  type Loose,
  makeRuntime,
  manifest,
  openSession,
  type TestRuntime,
} from "./helpers/runtime.ts";
import { CHAT_MAX_ITEMS, ChatStore } from "../lib/session/chat_store.ts";

const ALL = { chat: ["write_message", "append_artifact", "read_history"] };
const MAX = 262_144;
const MSG_ID = /^msg_[0-9a-f]{32}$/;
const ART_ID = /^art_[0-9a-f]{32}$/;

async function chatOf(t: TestRuntime, session_id: string) {
  return (await t.call("session.get", { session_id })).chat as {
    messages: Loose[];
    artifacts: Loose[];
  };
}

Deno.test("chat.write_message: every role, id format, chat_message_from_app event", async () => {
  await using t = await makeRuntime();
  const s = await openSession(t, manifest(ALL));
  for (const role of ["user", "assistant", "system"]) {
    const r = await s.call("chat", "write_message", { role, content: `hi ${role}` });
    assert.equal(r.ok, true);
    assert.deepEqual(Object.keys(r.result).sort(), ["message_id", "ok"]);
    assert.equal(r.result.ok, true);
    assert.match(r.result.message_id, MSG_ID);
    const [ev] = await s.events();
    assert.equal(ev.kind, "chat_message_from_app");
    assert.deepEqual(ev.payload, { message_id: r.result.message_id, role, content: `hi ${role}` });
    assert.equal(ev.window_uuid, s.window_uuid);
    assert.equal(ev.by_client_id, s.window_uuid);
  }
  for (
    const args of [{ role: "tool", content: "x" }, { content: "x" }, { role: "USER", content: "x" }]
  ) {
    const r = await s.call("chat", "write_message", args);
    assert.equal(r.error.code, "invalid_arg", JSON.stringify(args));
    assert.equal(r.error.details.issues[0].path, "role");
  }
  assert.equal((await chatOf(t, s.session_id)).messages.length, 3);
  assert.deepEqual(await s.events(), []);
});

Deno.test("chat.write_message: content string/object/array, text fallback, content wins, bad forms", async () => {
  await using t = await makeRuntime();
  const s = await openSession(t, manifest(ALL));
  const forms: [Record<string, unknown>, unknown][] = [
    [{ content: "plain" }, "plain"],
    [{ content: { type: "text", text: "obj" } }, { type: "text", text: "obj" }],
    [{ content: [{ type: "text", text: "a" }, { type: "image", url: "u" }] }, [
      { type: "text", text: "a" },
      { type: "image", url: "u" },
    ]],
    [{ text: "from text" }, "from text"],
    [{ content: "wins", text: "loses" }, "wins"],
    [{ content: "" }, ""],
  ];
  for (const [args, content] of forms) {
    const r = await s.call("chat", "write_message", { role: "user", ...args });
    assert.equal(r.ok, true, JSON.stringify(args));
    const [ev] = await s.events();
    assert.deepEqual(ev.payload.content, content);
  }
  const stored = (await chatOf(t, s.session_id)).messages.map((m) => m.content);
  assert.deepEqual(stored, forms.map(([, c]) => c));
  for (const args of [{}, { content: 5 }, { content: null }, { text: 5 }, { content: true }]) {
    const r = await s.call("chat", "write_message", { role: "user", ...args });
    assert.equal(r.error.code, "invalid_arg", JSON.stringify(args));
  }
  assert.equal((await chatOf(t, s.session_id)).messages.length, forms.length);
});

Deno.test("chat.write_message: a content of the wrong type is named with the forms it takes", async () => {
  await using t = await makeRuntime();
  const s = await openSession(t, manifest(ALL));
  for (const content of [42, true, null]) {
    const r = await s.call("chat", "write_message", { role: "user", content });
    assert.equal(r.error.code, "invalid_arg");
    assert.equal(
      r.error.message,
      "invalid argument 'content': must be a string, an object or an array " +
        "(or give a string 'text' instead)",
    );
    assert.equal(r.error.details.issues[0].path, "content");
  }
});

Deno.test("chat.write_message: content of 262144 bytes fits, 262145 → invalid_arg", async () => {
  await using t = await makeRuntime();
  const s = await openSession(t, manifest(ALL));
  // a string's size is its JSON text: 2 quote bytes + content
  const fits = await s.call("chat", "write_message", {
    role: "user",
    content: "x".repeat(MAX - 2),
  });
  assert.equal(fits.ok, true);
  await s.drain();
  const big = await s.call("chat", "write_message", { role: "user", content: "x".repeat(MAX - 1) });
  assert.equal(big.error.code, "invalid_arg");
  assert.deepEqual(big.error.details, { size: MAX + 1, max: MAX });
  const bigText = await s.call("chat", "write_message", {
    role: "user",
    text: "é".repeat(MAX / 2),
  });
  assert.equal(bigText.error.code, "invalid_arg");
  const bigArr = await s.call("chat", "write_message", {
    role: "user",
    content: [{ type: "text", text: "x".repeat(MAX) }],
  });
  assert.equal(bigArr.error.code, "invalid_arg");
  assert.equal((await chatOf(t, s.session_id)).messages.length, 1);
  assert.deepEqual(await s.events(), []);
});

Deno.test("chat.append_artifact: normalisation of kind/summary/payload/payload_ref", async () => {
  await using t = await makeRuntime();
  const s = await openSession(t, manifest(ALL));
  const cases: [unknown, Record<string, unknown>][] = [
    [
      { kind: "note", summary: "S", payload: { a: 1 }, payload_ref: "ref://1", extra: true },
      { kind: "note", summary: "S", payload: { a: 1 }, payload_ref: "ref://1" },
    ],
    [
      { type: "chart", title: "T", data: [1, 2] },
      { kind: "chart", summary: "T", payload: [1, 2], payload_ref: null },
    ],
    [{}, { kind: "app_event", summary: null, payload: null, payload_ref: null }],
    [
      { kind: "k", type: "t", summary: "s", title: "t", payload: "p", data: "d" },
      { kind: "k", summary: "s", payload: "p", payload_ref: null },
    ],
    [{ kind: 5 }, { kind: "5", summary: null, payload: null, payload_ref: null }],
    [{ type: true }, { kind: "true", summary: null, payload: null, payload_ref: null }],
    [
      { artifact: { kind: "inner", summary: "in", payload: 1 }, kind: "outer" },
      { kind: "inner", summary: "in", payload: 1, payload_ref: null },
    ],
    [
      { artifact: "not-an-object", kind: "outer", title: "o" },
      { kind: "outer", summary: "o", payload: null, payload_ref: null },
    ],
    [{ artifact: [1], data: { d: 1 } }, {
      kind: "app_event",
      summary: null,
      payload: { d: 1 },
      payload_ref: null,
    }],
  ];
  for (const [args, want] of cases) {
    const r = await s.call("chat", "append_artifact", args);
    assert.equal(r.ok, true, JSON.stringify(args));
    assert.deepEqual(Object.keys(r.result).sort(), ["artifact_id", "ok"]);
    assert.match(r.result.artifact_id, ART_ID);
    const [ev] = await s.events();
    assert.equal(ev.kind, "artifact_appended");
    assert.deepEqual(
      ev.payload,
      { artifact_id: r.result.artifact_id, ...want },
      JSON.stringify(args),
    );
    assert.equal(ev.by_client_id, s.window_uuid);
  }
  // the full body is stored too
  const arts = (await chatOf(t, s.session_id)).artifacts;
  assert.equal(arts.length, cases.length);
  assert.deepEqual(arts[0].body, cases[0][0]);
  assert.deepEqual(arts[6].body, { kind: "inner", summary: "in", payload: 1 });
  // artifacts are not messages
  assert.deepEqual((await s.call("chat", "read_history")).result.messages, []);
});

Deno.test("chat.append_artifact: absent args default to {}, non-object args and > 256 KiB → invalid_arg", async () => {
  await using t = await makeRuntime();
  const s = await openSession(t, manifest(ALL));
  const none = await s.call("chat", "append_artifact");
  assert.equal(none.ok, true, JSON.stringify(none));
  const [ev] = await s.events();
  assert.deepEqual(ev.payload, {
    artifact_id: none.result.artifact_id,
    kind: "app_event",
    summary: null,
    payload: null,
    payload_ref: null,
  });
  for (const args of ["x", [1], 5]) {
    const r = await s.call("chat", "append_artifact", args);
    assert.equal(r.error.code, "invalid_arg");
    assert.equal(r.error.message, "args must be an object");
  }
  // {"payload":"<pad>"} = 14 + pad bytes
  assert.equal(
    (await s.call("chat", "append_artifact", { payload: "x".repeat(MAX - 14) })).ok,
    true,
  );
  const big = await s.call("chat", "append_artifact", { payload: "x".repeat(MAX - 13) });
  assert.equal(big.error.code, "invalid_arg");
  assert.deepEqual(big.error.details, { size: MAX + 1, max: MAX });
  const bigInner = await s.call("chat", "append_artifact", {
    artifact: { payload: "x".repeat(MAX) },
  });
  assert.equal(bigInner.error.code, "invalid_arg");
  assert.equal((await chatOf(t, s.session_id)).artifacts.length, 2);
});

Deno.test("chat.read_history: oldest first, limit most recent, before cursor, has_more", async () => {
  await using t = await makeRuntime();
  const s = await openSession(t, manifest(ALL));
  const ids: string[] = [];
  for (let i = 0; i < 7; i++) {
    const role = ["user", "assistant", "system"][i % 3];
    ids.push((await s.call("chat", "write_message", { role, content: `m${i}` })).result.message_id);
    await s.call("chat", "append_artifact", { kind: "noise" });
  }
  const all = (await s.call("chat", "read_history")).result;
  assert.equal(all.has_more, false);
  assert.deepEqual(all.messages.map((m: { message_id: string }) => m.message_id), ids);
  assert.deepEqual(Object.keys(all.messages[0]).sort(), [
    "content",
    "created_at",
    "message_id",
    "role",
  ]);
  assert.equal(all.messages[1].role, "assistant");
  assert.equal(all.messages[1].content, "m1");
  assert.equal(typeof all.messages[0].created_at, "number");
  const page = async (args: Record<string, unknown>) => {
    const r = (await s.call("chat", "read_history", args)).result;
    return [r.messages.map((m: { content: string }) => m.content), r.has_more];
  };
  assert.deepEqual(await page({ limit: 3 }), [["m4", "m5", "m6"], true]);
  // one message left out is still "more"
  assert.deepEqual(await page({ limit: 6 }), [["m1", "m2", "m3", "m4", "m5", "m6"], true]);
  assert.deepEqual(await page({ limit: 7 }), [["m0", "m1", "m2", "m3", "m4", "m5", "m6"], false]);
  assert.deepEqual(await page({ before: ids[4], limit: 2 }), [["m2", "m3"], true]);
  assert.deepEqual(await page({ before: ids[1], limit: 5 }), [["m0"], false]);
  assert.deepEqual(await page({ before: ids[0] }), [[], false]);
  assert.deepEqual(await page({ before: ids[3], limit: 3 }), [["m0", "m1", "m2"], false]);
  const unknown = await s.call("chat", "read_history", { before: "msg_" + "0".repeat(32) });
  assert.equal(unknown.error.code, "invalid_arg");
  for (const limit of [0, 201, 2.5, "3"]) {
    const r = await s.call("chat", "read_history", { limit });
    assert.equal(r.error.code, "invalid_arg", JSON.stringify(limit));
  }
  assert.equal((await s.call("chat", "read_history", { limit: 200 })).result.messages.length, 7);
  assert.equal((await s.call("chat", "read_history", 5)).error.message, "args must be an object");
});

Deno.test("chat.read_history: default limit 50; histories are per session", async () => {
  await using t = await makeRuntime();
  const s = await openSession(t, manifest(ALL));
  const other = await openSession(t, manifest(ALL));
  for (let i = 0; i < 55; i++) {
    await s.call("chat", "write_message", { role: "user", text: `${i}` });
  }
  const r = (await s.call("chat", "read_history", {})).result;
  assert.equal(r.messages.length, 50);
  assert.equal(r.messages[0].content, "5");
  assert.equal(r.messages[49].content, "54");
  assert.equal(r.has_more, true);
  assert.deepEqual((await other.call("chat", "read_history")).result, {
    messages: [],
    has_more: false,
  });
});

Deno.test("chat: each method needs its own grant", async () => {
  await using t = await makeRuntime();
  const s = await openSession(t, manifest({ chat: ["read_history"] }));
  assert.equal((await s.call("chat", "read_history")).ok, true);
  for (const method of ["write_message", "append_artifact"]) {
    assert.deepEqual(await s.call("chat", method, { role: "user", content: "x" }), {
      ok: false,
      error: {
        code: "permission_denied",
        message: `manifest does not grant 'chat.${method}'`,
        details: { ns: "chat", method },
      },
    });
  }
  assert.deepEqual((await chatOf(t, s.session_id)).messages, []);
});

Deno.test("chat store: at most 10 000 messages + artifacts, the oldest evicted even within one millisecond", () => {
  const store = new ChatStore();
  const at = 1_700_000_000_000;
  store.addArtifact({
    artifact_id: "art_first",
    kind: "k",
    summary: null,
    payload: null,
    payload_ref: null,
    body: {},
    created_at: at,
    window_uuid: null,
  });
  for (let i = 0; i < CHAT_MAX_ITEMS; i++) {
    store.addMessage({
      message_id: `m${i}`,
      role: "user",
      content: i,
      created_at: at,
      window_uuid: null,
    });
  }
  assert.equal(store.artifacts.length, 0, "the artifact was the oldest item");
  assert.equal(store.messages.length, CHAT_MAX_ITEMS);
  store.addMessage({
    message_id: "last",
    role: "user",
    content: 0,
    created_at: at,
    window_uuid: null,
  });
  assert.equal(store.messages[0].message_id, "m1");
  assert.equal(store.messages.at(-1)!.message_id, "last");
});

Deno.test("chat: the 10 001st item evicts the oldest message from read_history", async () => {
  await using t = await makeRuntime();
  const s = await openSession(t, manifest(ALL));
  const first = await s.call("chat", "write_message", { role: "user", content: "first" });
  const second = await s.call("chat", "write_message", { role: "user", content: "second" });
  // the contract's number (§5.7, §15), not the constant, so a changed cap fails here
  for (let i = 2; i < 10_000; i++) await s.call("chat", "append_artifact", { payload: i });
  await s.call("chat", "write_message", { role: "user", content: "newest" });
  const c = await chatOf(t, s.session_id);
  assert.equal(c.messages.length + c.artifacts.length, 10_000);
  const h = (await s.call("chat", "read_history", { limit: 200 })).result;
  assert.deepEqual(h.messages.map((m: { content: string }) => m.content), ["second", "newest"]);
  const gone = await s.call("chat", "read_history", { before: first.result.message_id });
  assert.equal(gone.error.code, "invalid_arg");
  const before = await s.call("chat", "read_history", { before: second.result.message_id });
  assert.deepEqual(before.result, { messages: [], has_more: false });
});
