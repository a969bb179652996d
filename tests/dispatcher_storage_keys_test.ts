/**
 * Storage key rules and the common args scope/owner (CONTRACT §5.5).
 */
import assert from "node:assert/strict";
import {
  bucketOf as bucket,
  type Loose,
  makeRuntime,
  manifest,
  openSession,
} from "./helpers/runtime.ts";

const ALL = { storage: ["get", "set", "delete", "list"] };

type Call = (ns: string, method: string, args?: unknown) => Promise<Loose>;

async function expectInvalidPath(call: Call, key: unknown, reason: RegExp) {
  for (const [method, extra] of [["get", {}], ["set", { value: 1 }], ["delete", {}]] as const) {
    const r = await call("storage", method, { key, ...extra });
    assert.equal(r.ok, false, `${method} ${JSON.stringify(key)}`);
    assert.equal(r.error.code, "invalid_path", `${method} ${JSON.stringify(key)}`);
    assert.equal(typeof r.error.details.reason, "string");
    assert.match(r.error.details.reason, reason, JSON.stringify(key));
    assert.deepEqual(Object.keys(r.error.details), ["reason"], "details are {reason} (§5.5)");
  }
}

Deno.test("storage key rules: every forbidden class → invalid_path with details.reason", async () => {
  await using t = await makeRuntime();
  const s = await openSession(t, manifest(ALL));
  const chars: [string, RegExp][] = [
    ["\u0000", /control/],
    ["\u0009", /control/],
    ["\u001f", /control/],
    ["\u007f", /control/],
    ["\u0085", /control/],
    ["\u009f", /control/],
    ["\\", /backslash/],
    ["\u200b", /zero-width/],
    ["\u200c", /zero-width/],
    ["\u200d", /zero-width/],
    ["\ufeff", /zero-width/],
    ["\u200e", /bidi/],
    ["\u200f", /bidi/],
    ["\u202a", /bidi/],
    ["\u202c", /bidi/],
    ["\u202e", /bidi/],
    ["\u2066", /bidi/],
    ["\u2069", /bidi/],
  ];
  for (const [c, reason] of chars) await expectInvalidPath(s.call, `a${c}b`, reason);
  const segments: [unknown, RegExp][] = [
    ["", /empty/],
    ["/a", /empty segment/],
    ["a/", /empty segment/],
    ["a//b", /empty segment/],
    ["/", /empty segment/],
    [".", /'\.' segment/],
    ["a/./b", /'\.' segment/],
    ["..", /'\.\.' segment/],
    ["a/..", /'\.\.' segment/],
    [" a", /whitespace/],
    ["a ", /whitespace/],
    ["a/ b/c", /whitespace/],
    ["a/b\u00a0", /whitespace/],
    [5, /string/],
    [null, /string/],
    [["a"], /string/],
  ];
  for (const [k, reason] of segments) await expectInvalidPath(s.call, k, reason);
  assert.deepEqual((await bucket(t, s.session_id)).state, {}, "nothing was stored");
  assert.deepEqual(await s.events(), []);
});

Deno.test("storage key rules: allowed neighbours of forbidden characters, case-sensitive keys", async () => {
  await using t = await makeRuntime();
  const s = await openSession(t, manifest(ALL));
  const ok = ["a.b", "...", ".a", "a b", "é/ü", "x\u00a0y", "a\u2010b", "a\u202fb", "a\u2065b"];
  for (const key of ok) {
    assert.deepEqual(await s.call("storage", "set", { key, value: key }), {
      ok: true,
      result: { ok: true },
    }, JSON.stringify(key));
  }
  await s.call("storage", "set", { key: "Key", value: 1 });
  await s.call("storage", "set", { key: "key", value: 2 });
  assert.equal((await s.call("storage", "get", { key: "Key" })).result.value, 1);
  assert.equal((await s.call("storage", "get", { key: "key" })).result.value, 2);
  assert.equal((await s.call("storage", "get", { key: "KEY" })).result.exists, false);
});

Deno.test("storage key lengths: key 1..1024 and segment 1..128 characters (code points)", async () => {
  await using t = await makeRuntime();
  const s = await openSession(t, manifest(ALL));
  const seg = (n: number, c = "x") => c.repeat(n);
  // 7 × 128 + 121 + 7 separators = 1024
  const key1024 = [...Array(7).fill(seg(128)), seg(121)].join("/");
  assert.equal(key1024.length, 1024);
  assert.equal((await s.call("storage", "set", { key: key1024, value: 1 })).ok, true);
  await expectInvalidPath(s.call, key1024 + "x", /longer than 1024/);
  assert.equal((await s.call("storage", "set", { key: seg(128), value: 1 })).ok, true);
  await expectInvalidPath(s.call, seg(129), /segment is longer than 128/);
  await expectInvalidPath(s.call, `a/${seg(129)}/b`, /segment is longer than 128/);
  // astral characters count once each
  assert.equal((await s.call("storage", "set", { key: seg(128, "😀"), value: 1 })).ok, true);
  await expectInvalidPath(s.call, seg(129, "😀"), /segment is longer than 128/);
  const astral1024 = [...Array(7).fill(seg(127, "😀")), seg(128, "😀")].join("/");
  assert.equal([...astral1024].length, 1024);
  assert.equal((await s.call("storage", "set", { key: astral1024, value: 1 })).ok, true);
  await expectInvalidPath(s.call, astral1024 + "😀", /longer than 1024/);
  assert.equal((await s.call("storage", "get", { key: "x" })).result.exists, false);
});

Deno.test("storage scope/owner: 'app' or absent accepted, others not_implemented; extras ignored", async () => {
  await using t = await makeRuntime();
  const s = await openSession(t, manifest(ALL));
  const extras = { if_match: 'W/"x"', metadata: { a: 1 }, tags: ["t"], ttl_seconds: 5 };
  assert.equal(
    (await s.call("storage", "set", { key: "k", value: 1, scope: "app", ...extras })).ok,
    true,
  );
  assert.equal(
    (await s.call("storage", "get", { key: "k", scope: "app", owner: null })).result.value,
    1,
  );
  for (const method of ["get", "set", "delete", "list"]) {
    // null is "any other value" for scope (only owner treats null as absent)
    for (const scope of ["user", "tool", "", null]) {
      assert.deepEqual(await s.call("storage", method, { key: "k", value: 2, scope }), {
        ok: false,
        error: {
          code: "not_implemented",
          message: `storage scope '${scope ?? "null"}' is not available in this runtime`,
          details: { scope },
        },
      });
    }
    const r = await s.call("storage", method, { key: "k", value: 2, owner: "u1" });
    assert.equal(r.error.code, "not_implemented", method);
    assert.equal(r.error.message, "storage owner is not available in this runtime");
  }
  assert.equal((await s.call("storage", "get", { key: "k" })).result.value, 1, "unchanged");
});
