/**
 * `app.call` (CONTRACT §4.4.3) and the token failures reachable through the core (§8.3, §8.4):
 * a good token selects session and window; every failure is the outcome `invalid_token {reason}`.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { type Loose, makeRuntime, manifest, openSession } from "./helpers/runtime.ts";
import { b64urlDecode, b64urlEncode, loadOrCreateKey, mintToken } from "../lib/token/mod.ts";
import { silentLogger } from "../lib/util/log.ts";

type Outcome = Loose;

function expectInvalid(r: Outcome, reason: string) {
  assert.equal(r.ok, false, JSON.stringify(r));
  assert.deepEqual(Object.keys(r.error).sort(), ["code", "details", "message"]);
  assert.equal(r.error.code, "invalid_token");
  assert.deepEqual(r.error.details, { reason });
  assert.equal(typeof r.error.message, "string");
  assert.ok(r.error.message.length > 0);
}

Deno.test("app.call: a good token selects the session and window; args alias params", async () => {
  await using t = await makeRuntime();
  const a = await openSession(t, manifest({ storage: ["get", "set"] }));
  const b = await openSession(t, manifest({ storage: ["get", "set"] }));
  const hello = await t.call("app.call", {
    token: a.created.token,
    ns: "window",
    method: "hello",
    args: {},
  });
  assert.equal(hello.ok, true);
  assert.equal((hello.result as Record<string, unknown>).window_uuid, a.window_uuid);
  await t.call("app.call", {
    token: a.created.token,
    ns: "storage",
    method: "set",
    params: { key: "k", value: "A" },
  });
  await t.call("app.call", {
    token: b.created.token,
    ns: "storage",
    method: "set",
    args: { key: "k", value: "B" },
    params: { key: "k", value: "ignored" },
  });
  assert.equal((await a.call("storage", "get", { key: "k" })).result.value, "A");
  assert.equal((await b.call("storage", "get", { key: "k" })).result.value, "B");
  // app-caused events name the token's window
  const [ev] = await a.events();
  assert.equal(ev.by_client_id, a.window_uuid);
  // the dispatcher still decides: ACL denial is an outcome, not a JSON-RPC error
  const denied = await t.call("app.call", { token: a.created.token, ns: "fs", method: "read" });
  assert.equal((denied.error as Record<string, unknown>).code, "permission_denied");
});

Deno.test("app.call: a token for a second window targets that window", async () => {
  await using t = await makeRuntime();
  const s = await openSession(t, manifest());
  const o = await t.call("session.open_view", { session_id: s.session_id, view: "main" });
  const r = await t.call("app.call", {
    token: o.token,
    ns: "window",
    method: "set_title",
    args: { title: "two" },
  });
  assert.equal(r.ok, true);
  const [ev] = (await s.events()).filter((e) => e.kind === "title_changed");
  assert.equal(ev.window_uuid, o.window_uuid);
  assert.equal(ev.by_client_id, o.window_uuid);
});

Deno.test("app.call: malformed tokens", async () => {
  await using t = await makeRuntime();
  const s = await openSession(t, manifest());
  const good = s.created.token as string;
  const [v, c] = good.split(".");
  for (
    const token of [
      "garbage",
      "",
      5,
      null,
      { t: good },
      "a.b",
      `${v}.${c}`,
      `${good}.x`,
      `${v}.${c}.!!!`,
      `${v}.${c}.${b64urlEncode(new Uint8Array(16))}`,
      `${v}.${b64urlEncode("[1]")}.${good.split(".")[2]}`,
      `${v}.${b64urlEncode('{"wid":1}')}.${good.split(".")[2]}`,
      "x".repeat(4097),
    ]
  ) {
    expectInvalid(await t.call("app.call", { token, ns: "window", method: "hello" }), "malformed");
  }
});

Deno.test("app.call: tampered claims → bad_signature; other version → unsupported_version", async () => {
  await using t = await makeRuntime();
  const s = await openSession(t, manifest({ storage: ["get"] }));
  const [v, c, sig] = (s.created.token as string).split(".");
  const claims = JSON.parse(new TextDecoder().decode(b64urlDecode(c)!));
  const forged = b64urlEncode(JSON.stringify({ ...claims, uid: 999 }));
  expectInvalid(
    await t.call("app.call", { token: `${v}.${forged}.${sig}`, ns: "window", method: "hello" }),
    "bad_signature",
  );
  const flipped = b64urlDecode(sig)!;
  flipped[0] ^= 1;
  expectInvalid(
    await t.call("app.call", {
      token: `${v}.${c}.${b64urlEncode(flipped)}`,
      ns: "window",
      method: "hello",
    }),
    "bad_signature",
  );
  expectInvalid(
    await t.call("app.call", { token: `dev2.${c}.${sig}`, ns: "window", method: "hello" }),
    "unsupported_version",
  );
});

Deno.test("app.call: a closed session's tokens → unknown_window; window.close → window_closed", async () => {
  await using t = await makeRuntime();
  const a = await openSession(t, manifest());
  const b = await openSession(t, manifest());
  await t.call("session.close", { session_id: a.session_id });
  expectInvalid(
    await t.call("app.call", { token: a.created.token, ns: "window", method: "hello" }),
    "unknown_window",
  );
  const other = await t.call("session.open_view", { session_id: b.session_id, view: "main" });
  await b.call("window", "close");
  expectInvalid(
    await t.call("app.call", { token: b.created.token, ns: "window", method: "hello" }),
    "window_closed",
  );
  await b.call(
    "window",
    "report_error",
    { message: "x", fatal: true },
    other.window_uuid as string,
  );
  expectInvalid(
    await t.call("app.call", { token: other.token, ns: "window", method: "hello" }),
    "window_closed",
  );
});

Deno.test("app.call: token minted for another app slug → wrong_app", async () => {
  await using t = await makeRuntime();
  const s = await openSession(t, manifest());
  const m = await mintToken(t.rt.key, {
    wid: s.window_uuid,
    uid: 1,
    app: "other-app",
    view: "main",
    scopes: ["window.*"],
    ttl: 30,
  });
  expectInvalid(
    await t.call("app.call", { token: m.token, ns: "window", method: "hello" }),
    "wrong_app",
  );
});

Deno.test("app.call: expired, not-yet-valid and foreign-key tokens", async () => {
  await using t = await makeRuntime();
  const s = await openSession(t, manifest());
  const base = {
    wid: s.window_uuid,
    uid: 1,
    app: "test-app",
    view: "main",
    scopes: ["window.*"],
    ttl: 30,
  };
  const expired = await mintToken(t.rt.key, { ...base, now: Date.now() - 3_600_000 });
  expectInvalid(
    await t.call("app.call", { token: expired.token, ns: "window", method: "hello" }),
    "expired",
  );
  const future = await mintToken(t.rt.key, { ...base, now: Date.now() + 3_600_000 });
  expectInvalid(
    await t.call("app.call", { token: future.token, ns: "window", method: "hello" }),
    "not_yet_valid",
  );
  // within the 5 s leeway: still valid
  const recent = await mintToken(t.rt.key, { ...base, ttl: 5, now: Date.now() - 6_000 });
  assert.equal(
    (await t.call("app.call", { token: recent.token, ns: "window", method: "hello" })).ok,
    true,
  );
  const otherKey = await loadOrCreateKey(join(t.dir, "other.key"), silentLogger());
  const foreign = await mintToken(otherKey, base);
  expectInvalid(
    await t.call("app.call", { token: foreign.token, ns: "window", method: "hello" }),
    "unknown_key",
  );
});

Deno.test("app.call: bad params are bridge errors (-32602), not outcomes", async () => {
  await using t = await makeRuntime();
  const s = await openSession(t, manifest());
  for (
    const params of [
      { ns: "window", method: "hello" },
      { token: s.created.token, method: "hello" },
      { token: s.created.token, ns: "window" },
      { token: s.created.token, ns: "", method: "hello" },
      { token: s.created.token, ns: "window", method: 5 },
    ]
  ) {
    const e = await t.callError("app.call", params);
    assert.equal(e.code, -32602, JSON.stringify(params));
    assert.ok(Array.isArray(e.data?.issues));
  }
  const missing = await t.callError("app.call", { ns: "window", method: "hello" });
  assert.deepEqual(missing.data, {
    issues: [{ path: "token", message: "token is required: the window's dev token (dev1.…)" }],
  });
});
