/**
 * `storage.*` through the core (CONTRACT §5.5, §7.2 `runtime_state_synced`, §15 limits).
 */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { bucketOf as bucket, makeRuntime, manifest, openSession } from "./helpers/runtime.ts";

const ALL = { storage: ["get", "set", "delete", "list"] };
const MAX = 262_144;
const utf8 = (v: unknown) => new TextEncoder().encode(JSON.stringify(v)).length;
const etag = (v: unknown) =>
  `W/"1-${createHash("sha256").update(JSON.stringify(v)).digest("hex").slice(0, 16)}"`;

Deno.test('storage.get: hit and miss shapes, etag W/"1-<16 hex of sha256(JSON)>"', async () => {
  await using t = await makeRuntime();
  const s = await openSession(t, manifest(ALL), { seed_storage: { seeded: { deep: [1, "é"] } } });
  assert.deepEqual(await s.call("storage", "get", { key: "nope" }), {
    ok: true,
    result: { value: null, exists: false, etag: null },
  });
  assert.deepEqual(await s.call("storage", "get", { key: "seeded" }), {
    ok: true,
    result: { value: { deep: [1, "é"] }, exists: true, etag: etag({ deep: [1, "é"] }) },
  });
  for (const value of ["v", 0, false, [], { "😀": "\n" }, null]) {
    await s.call("storage", "set", { key: "k", value });
    const r = await s.call("storage", "get", { key: "k" });
    assert.deepEqual(r.result, { value, exists: true, etag: etag(value) });
    assert.match(r.result.etag, /^W\/"1-[0-9a-f]{16}"$/);
  }
});

Deno.test("storage.set: null allowed, missing value → invalid_arg with no change and no event", async () => {
  await using t = await makeRuntime();
  const s = await openSession(t, manifest(ALL));
  await s.call("storage", "set", { key: "k", value: "v" });
  await s.drain();
  const missing = await s.call("storage", "set", { key: "k" });
  assert.equal(missing.error.code, "invalid_arg");
  assert.equal(missing.error.message, "invalid argument 'value': value is required");
  assert.equal(missing.error.details.issues[0].path, "value");
  assert.equal((await s.call("storage", "get", { key: "k" })).result.value, "v");
  assert.deepEqual(await s.events(), []);
  for (const method of ["get", "set", "delete"]) {
    const noKey = await s.call("storage", method, { value: 1 });
    assert.equal(noKey.error.code, "invalid_arg", method);
    assert.equal(noKey.error.details.issues[0].path, "key");
    assert.match(noKey.error.message, /key is required/);
  }
  assert.deepEqual(await s.call("storage", "set", { key: "k", value: null }), {
    ok: true,
    result: { ok: true },
  });
  assert.deepEqual((await s.call("storage", "get", { key: "k" })).result, {
    value: null,
    exists: true,
    etag: etag(null),
  });
});

Deno.test("storage cap: exactly 262144 bytes fits; 262145 → state_too_large {size,max}, nothing changes", async () => {
  await using t = await makeRuntime();
  const s = await openSession(t, manifest(ALL), { seed_storage: { "é": [1, 2] } });
  const base = utf8({ "é": [1, 2] });
  // adding "k":"<pad>" costs 1 (comma) + 3 ("k") + 1 (:) + pad + 2 (quotes)
  const fits = MAX - base - 7;
  assert.deepEqual(await s.call("storage", "set", { key: "k", value: "x".repeat(fits) }), {
    ok: true,
    result: { ok: true },
  });
  let b = await bucket(t, s.session_id);
  assert.equal(utf8(b.state), MAX);
  assert.equal(b.bytes, MAX);
  await s.drain();
  const over = await s.call("storage", "set", { key: "k", value: "x".repeat(fits + 1) });
  assert.deepEqual(over, {
    ok: false,
    error: {
      code: "state_too_large",
      message: over.error.message,
      details: { size: MAX + 1, max: MAX },
    },
  });
  const extra = await s.call("storage", "set", { key: "z", value: 0 });
  assert.equal(extra.error.code, "state_too_large");
  assert.equal(extra.error.details.size, MAX + 6);
  // multi-byte characters count as UTF-8 bytes
  const multi = await s.call("storage", "set", { key: "k", value: "x".repeat(fits - 1) + "é" });
  assert.equal(multi.error.details.size, MAX + 1);
  b = await bucket(t, s.session_id);
  assert.equal(b.bytes, MAX);
  assert.equal((b.state.k as string).length, fits);
  assert.equal(Object.keys(b.state).length, 2);
  assert.deepEqual(await s.events(), [], "refused writes emit nothing");
  // shrinking is always fine and frees room
  assert.equal((await s.call("storage", "delete", { key: "k" })).ok, true);
  assert.equal((await bucket(t, s.session_id)).bytes, base);
});

/** Deterministic PRNG (mulberry32) so a failure is reproducible. */
function rng(seed: number) {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let x = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    x = (x + Math.imul(x ^ (x >>> 7), 61 | x)) ^ x;
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  };
}

Deno.test("storage size bookkeeping equals the bucket's byte size after many mixed set/delete", async () => {
  await using t = await makeRuntime();
  const s = await openSession(t, manifest(ALL), { seed_storage: { seed: "ä", "10": 1 } });
  const rand = rng(20260124);
  const keys = [
    "a",
    "b/c",
    "é",
    "日本/語",
    "😀",
    'q"uote',
    "__proto__",
    "constructor",
    "toString",
    "hasOwnProperty",
    "1",
    "10",
    "02",
    "x y",
    "ß/ẞ",
    "seed",
  ];
  const pick = <T>(xs: T[]) => xs[Math.floor(rand() * xs.length)];
  const values: (() => unknown)[] = [
    () => null,
    () => rand() < 0.5,
    () => Math.floor(rand() * 1e6) / 7,
    () => 'é😀\n\t\u0001"\\'.repeat(Math.floor(rand() * 5)),
    () => "\ud800 lone surrogate",
    () => ({ nested: [pick(keys), { "ключ": rand() }], "": [] }),
    () => [1, "two", null, { three: 3 }],
    () => "x".repeat(Math.floor(rand() * 2000)),
  ];
  const model = new Map<string, unknown>([["seed", "ä"], ["10", 1]]);
  for (let i = 0; i < 400; i++) {
    const key = pick(keys);
    if (rand() < 0.35) {
      const r = await s.call("storage", "delete", { key });
      assert.deepEqual(r.result, { ok: true, deleted: model.has(key) }, `op ${i}`);
      model.delete(key);
    } else {
      const value = pick(values)();
      assert.equal((await s.call("storage", "set", { key, value })).ok, true, `op ${i}`);
      model.set(key, value);
    }
    const b = await bucket(t, s.session_id);
    assert.equal(b.bytes, utf8(b.state), `bookkeeping after op ${i} (${key})`);
    assert.deepEqual(new Set(Object.keys(b.state)), new Set(model.keys()), `keys after op ${i}`);
  }
  for (const [key, value] of model) {
    const r = await s.call("storage", "get", { key });
    assert.deepEqual(r.result.value, JSON.parse(JSON.stringify(value)), key);
  }
  assert.equal(Object.getPrototypeOf((await bucket(t, s.session_id)).state), Object.prototype);
});

Deno.test("storage.delete: existing → deleted:true + event; missing → deleted:false, no event", async () => {
  await using t = await makeRuntime();
  const s = await openSession(t, manifest(ALL), { seed_storage: { a: 1, b: 2 } });
  assert.deepEqual(await s.call("storage", "delete", { key: "a" }), {
    ok: true,
    result: { ok: true, deleted: true },
  });
  const evs = await s.events();
  assert.equal(evs.length, 1);
  assert.equal(evs[0].kind, "runtime_state_synced");
  assert.deepEqual(evs[0].payload, { runtime_state: { b: 2 } });
  assert.equal(evs[0].by_client_id, s.window_uuid);
  assert.deepEqual(await s.call("storage", "delete", { key: "a" }), {
    ok: true,
    result: { ok: true, deleted: false },
  });
  assert.deepEqual(await s.events(), []);
  await s.call("storage", "delete", { key: "b" });
  const [last] = await s.events();
  assert.deepEqual(last.payload, { runtime_state: {} });
  assert.equal((await bucket(t, s.session_id)).bytes, 2);
});

Deno.test("storage.list: prefix, JS string order, cursor strictly after, limit and next_cursor", async () => {
  await using t = await makeRuntime();
  const s = await openSession(t, manifest(ALL));
  const keys = ["b", "a/b", "a-b", "a", "B", "é", "😀", "\uff01", "a/c", "ab", "10", "9"];
  for (const [i, key] of keys.entries()) await s.call("storage", "set", { key, value: { i } });
  const sorted = [...keys].sort();
  const all = await s.call("storage", "list", {});
  assert.deepEqual(all.result.items.map((x: { key: string }) => x.key), sorted);
  assert.equal(all.result.next_cursor, null);
  assert.deepEqual(all.result.items[0], {
    key: sorted[0],
    etag: etag({ i: keys.indexOf(sorted[0]) }),
    size_bytes: utf8({ i: keys.indexOf(sorted[0]) }),
    metadata: null,
    tags: null,
    updated_at: null,
  });
  const pre = await s.call("storage", "list", { prefix: "a/" });
  assert.deepEqual(pre.result.items.map((x: { key: string }) => x.key), ["a/b", "a/c"]);
  // paging with limit 5 visits every key once, in order
  const seen: string[] = [];
  let cursor: string | undefined;
  for (let page = 0; page < 10; page++) {
    const args: Record<string, unknown> = { limit: 5 };
    if (cursor !== undefined) args.cursor = cursor;
    const r = (await s.call("storage", "list", args)).result;
    seen.push(...r.items.map((x: { key: string }) => x.key));
    if (r.next_cursor === null) break;
    assert.equal(r.next_cursor, r.items.at(-1).key);
    cursor = r.next_cursor;
  }
  assert.deepEqual(seen, sorted);
  // exactly `limit` remaining → no next_cursor
  const tail = await s.call("storage", "list", { cursor: sorted.at(-3), limit: 2 });
  assert.deepEqual(tail.result.items.map((x: { key: string }) => x.key), sorted.slice(-2));
  assert.equal(tail.result.next_cursor, null);
  // a cursor that is not a stored key works lexically; prefix and cursor combine
  const after = await s.call("storage", "list", { cursor: "a.", prefix: "a" });
  assert.deepEqual(after.result.items.map((x: { key: string }) => x.key), ["a/b", "a/c", "ab"]);
  assert.deepEqual((await s.call("storage", "list", { prefix: "zz" })).result, {
    items: [],
    next_cursor: null,
  });
});

Deno.test("storage.list: limit 1..1000 (default 100, also for null), outside → invalid_arg", async () => {
  await using t = await makeRuntime();
  const seed: Record<string, number> = {};
  for (let i = 0; i < 1001; i++) seed[`k${String(i).padStart(4, "0")}`] = i;
  const s = await openSession(t, manifest(ALL), { seed_storage: seed });
  const def = (await s.call("storage", "list")).result;
  assert.equal(def.items.length, 100);
  assert.equal(def.next_cursor, "k0099");
  const max = (await s.call("storage", "list", { limit: 1000 })).result;
  assert.equal(max.items.length, 1000);
  assert.equal(max.next_cursor, "k0999");
  assert.equal((await s.call("storage", "list", { limit: 1 })).result.items.length, 1);
  // null is absent (the default applies), like a `next_cursor: null` passed straight back
  const nulls = (await s.call("storage", "list", { limit: null, cursor: null, prefix: null }))
    .result;
  assert.deepEqual([nulls.items.length, nulls.next_cursor], [100, "k0099"]);
  for (const limit of [0, 1001, -1, 1.5, "5"]) {
    const r = await s.call("storage", "list", { limit });
    assert.equal(r.error?.code, "invalid_arg", JSON.stringify(limit));
    assert.equal(r.error.details.issues[0].path, "limit");
  }
  for (const bad of [{ prefix: 1 }, { cursor: ["a"] }]) {
    assert.equal((await s.call("storage", "list", bad)).error.code, "invalid_arg");
  }
});

Deno.test("runtime_state_synced carries the full bucket; storage is shared by all windows", async () => {
  await using t = await makeRuntime();
  const s = await openSession(t, manifest(ALL), { seed_storage: { seed: true } });
  const other = (await s.call("window", "open_view", { view: "main" })).result.window_uuid;
  await s.drain();
  await s.call("storage", "set", { key: "a", value: 1 });
  await s.call("storage", "set", { key: "b", value: [2] }, other);
  await s.call("storage", "set", { key: "a", value: 3 });
  const evs = await s.events();
  assert.deepEqual(
    evs.map((e) => [e.kind, e.payload.runtime_state, e.by_client_id, e.window_uuid]),
    [
      ["runtime_state_synced", { seed: true, a: 1 }, s.window_uuid, s.window_uuid],
      ["runtime_state_synced", { seed: true, a: 1, b: [2] }, other, other],
      ["runtime_state_synced", { seed: true, a: 3, b: [2] }, s.window_uuid, s.window_uuid],
    ],
  );
  assert.deepEqual((await s.call("storage", "get", { key: "b" }, other)).result.value, [2]);
  assert.deepEqual((await s.call("window", "hello", {}, other)).result.runtime_state, {
    seed: true,
    a: 3,
    b: [2],
  });
});

Deno.test("storage: sessions have separate buckets; ACL per method", async () => {
  await using t = await makeRuntime();
  const a = await openSession(t, manifest(ALL));
  const b = await openSession(t, manifest({ storage: ["get"] }));
  await a.call("storage", "set", { key: "k", value: "a" });
  assert.equal((await b.call("storage", "get", { key: "k" })).result.exists, false);
  for (const method of ["set", "delete", "list"]) {
    assert.deepEqual(await b.call("storage", method, { key: "k", value: 1 }), {
      ok: false,
      error: {
        code: "permission_denied",
        message: `manifest does not grant 'storage.${method}'`,
        details: { ns: "storage", method },
      },
    });
  }
});
