// Reverse storage/* (CONTRACT §9.8) and the shared key rules (§5.5).
// deno-lint-ignore-file no-explicit-any -- assertions walk plugin JSON
import assert from "node:assert/strict";
import { appContext, makePool, nodeSpec } from "./fixtures/executas/harness.ts";
import { checkStorageKey } from "../lib/executa/storage_keys.ts";
import { ReverseError, ReverseStorage } from "../lib/executa/reverse_storage.ts";
import { ReverseRpc } from "../lib/executa/reverse.ts";
import { reverseCaller } from "./helpers/reverse_rpc.ts";
import { createProvider } from "../lib/llm/mod.ts";
import { Logger } from "../lib/util/log.ts";
import { sha256Hex } from "../lib/util/hash.ts";
import type { AppContext } from "../lib/executa/types.ts";
import type { ExecutaPool } from "../lib/executa/mod.ts";

type Resp = { result?: any; error?: { code: number; message: string; data?: any } };
type Call = { method: string; params: Record<string, unknown> };

async function run(pool: ExecutaPool, tool: string, list: Call[], app: AppContext | null = null) {
  const r = await pool.invoke(tool, "call", { calls: list }, { app });
  assert.equal(r.ok, true, JSON.stringify(r));
  return (r as { result: { responses: Resp[] } }).result.responses;
}
const op = (m: string, params: Record<string, unknown>): Call => ({
  method: `storage/${m}`,
  params,
});
const etag = (gen: number, v: unknown) => `W/"${gen}-${sha256Hex(JSON.stringify(v)).slice(0, 16)}"`;

Deno.test("reverse storage: get/set/delete/list semantics and error codes", async () => {
  const { pool } = makePool();
  await pool.register([nodeSpec("st")]);
  try {
    const value = { todo: ["a", "b"], n: 1 };
    const [miss, set1, get1, set2, badMatch, okMatch, delMiss, delBad, del, after] = await run(
      pool,
      "st",
      [
        op("get", { key: "k/1" }),
        op("set", { key: "k/1", value }),
        op("get", { key: "k/1" }),
        op("set", { key: "k/1", value: null }),
        op("set", { key: "k/1", value: 1, if_match: etag(1, value) }),
        op("set", { key: "k/1", value: 2, if_match: etag(2, null) }),
        op("delete", { key: "nope" }),
        op("delete", { key: "k/1", if_match: 'W/"9-x"' }),
        op("delete", { key: "k/1" }),
        op("get", { key: "k/1" }),
      ],
    );
    assert.deepEqual(miss.result, { value: null, exists: false, etag: null });
    const size = JSON.stringify(value).length;
    assert.deepEqual(set1.result, { etag: etag(1, value), generation: 1, size_bytes: size });
    assert.deepEqual(get1.result, { value, exists: true, etag: etag(1, value) });
    assert.deepEqual(set2.result, { etag: etag(2, null), generation: 2, size_bytes: 4 });
    assert.equal(badMatch.error?.code, -32023);
    assert.equal(okMatch.result.generation, 3);
    assert.equal(delMiss.error?.code, -32022);
    assert.equal(delBad.error?.code, -32023);
    assert.deepEqual(del.result, { deleted: true });
    assert.equal(after.result.exists, false);

    const errs = await run(pool, "st", [
      op("set", { key: "big", value: "x".repeat(256 * 1024) }),
      op("set", { key: "fits", value: "x".repeat(256 * 1024 - 2) }),
      op("get", { key: "a//b" }),
      op("get", { key: 5 }),
      op("get", { key: "k", scope: "global" }),
      op("set", { key: "k" }),
      op("list", { limit: 0 }),
      op("list", { limit: 1001 }),
    ]);
    assert.deepEqual(errs.map((r) => r.error?.code ?? "ok"), [
      -32025,
      "ok",
      -32027,
      -32027,
      -32028,
      -32028,
      -32028,
      -32028,
    ]);
    assert.equal(errs[2].error?.data.reason, checkStorageKey("a//b"));
  } finally {
    await pool.shutdown();
  }
});

Deno.test("reverse storage: list paging by prefix and cursor", async () => {
  const { pool } = makePool();
  await pool.register([nodeSpec("pg")]);
  try {
    const keys = ["a/3", "a/1", "b/1", "a/5", "a/2", "a/4"];
    await run(pool, "pg", keys.map((key) => op("set", { key, value: key })));
    const [p1, p2, p3, all] = await run(pool, "pg", [
      op("list", { prefix: "a/", limit: 2 }),
      op("list", { prefix: "a/", limit: 2, cursor: "a/2" }),
      op("list", { prefix: "a/", limit: 2, cursor: "a/4" }),
      op("list", {}),
    ]);
    const names = (r: Resp) => r.result.items.map((i: { key: string }) => i.key);
    assert.deepEqual([names(p1), p1.result.next_cursor], [["a/1", "a/2"], "a/2"]);
    assert.deepEqual([names(p2), p2.result.next_cursor], [["a/3", "a/4"], "a/4"]);
    assert.deepEqual([names(p3), p3.result.next_cursor], [["a/5"], null]);
    assert.deepEqual(names(all), ["a/1", "a/2", "a/3", "a/4", "a/5", "b/1"]);
    const item = p1.result.items[0];
    assert.deepEqual(Object.keys(item).sort(), ["etag", "key", "size_bytes", "updated_at"]);
    assert.equal(item.etag, etag(1, "a/1"));
    assert.equal(typeof item.updated_at, "number");
    // without a limit a page holds 100 keys (§9.8)
    const many = Array.from({ length: 105 }, (_, i) => `m/${String(i).padStart(3, "0")}`);
    await run(pool, "pg", many.map((key) => op("set", { key, value: 0 })));
    const [first] = await run(pool, "pg", [op("list", { prefix: "m/" })]);
    assert.equal(first.result.items.length, 100);
    assert.equal(first.result.next_cursor, "m/099");
  } finally {
    await pool.shutdown();
  }
});

Deno.test("reverse storage buckets: app slug, user id, scope, tool_id for scope tool", async () => {
  const { pool } = makePool();
  await pool.register([nodeSpec("one"), nodeSpec("two")]);
  const appA1 = appContext({ slug: "a", user: 1 });
  try {
    await run(pool, "one", [
      op("set", { key: "k", value: "app" }),
      op("set", { key: "k", value: "user", scope: "user" }),
      op("set", { key: "k", value: "tool", scope: "tool" }),
    ], appA1);
    const get = async (tool: string, app: AppContext | null, scope = "app") =>
      (await run(pool, tool, [op("get", { key: "k", scope })], app))[0].result.value;
    assert.equal(await get("two", appA1), "app"); // scope app is shared by the app's executas
    assert.equal(await get("two", appA1, "user"), "user");
    assert.equal(await get("two", appA1, "tool"), null); // scope tool is per tool_id
    assert.equal(await get("one", appA1, "tool"), "tool");
    assert.equal(await get("one", appContext({ slug: "a", user: 2 })), null);
    assert.equal(await get("one", appContext({ slug: "b", user: 1 })), null);
    assert.equal(await get("one", null), null); // no app → the `_none` bucket
  } finally {
    await pool.shutdown();
  }
});

Deno.test("checkStorageKey follows the §5.5 key rules", () => {
  const longest = ["x".repeat(128), ...Array(7).fill("x".repeat(127))].join("/"); // 1024 chars
  for (const ok of ["a", "a/b/c", "notes:v1", longest, "y".repeat(128), "日本/語", "a b/c d"]) {
    assert.equal(checkStorageKey(ok), null, ok);
  }
  const bad = [
    5,
    "",
    longest + "x",
    "/a",
    "a/",
    "a//b",
    "./a",
    "a/..",
    " a",
    "a /b",
    "y".repeat(129),
    "a\u0000b",
    "a\u007fb",
    "a\u0085b",
    "a\\b",
    "a\u200bb",
    "a\ufeffb",
    "a\u200eb",
    "a\u202eb",
    "a\u2066b",
  ];
  for (const key of bad) assert.equal(typeof checkStorageKey(key), "string", JSON.stringify(key));
});

Deno.test("reverse storage is capped as a whole: a full store refuses new writes, keeps every key", () => {
  const st = new ReverseStorage({ maxKeys: 3, maxTotalBytes: 40 });
  const owner = (user: number) => ({ app_slug: "a", user_id: user, tool_id: "t" });
  const call = (o: string, params: Record<string, unknown>, user = 1) => {
    try {
      return { result: st.handle(o, params, owner(user)) as any };
    } catch (e) {
      return { error: (e as ReverseError).toJSON() as any };
    }
  };
  assert.ok(call("set", { key: "k1", value: "0123456789" }).result); // 2 + 12 bytes
  assert.ok(call("set", { key: "k2", value: "0123456789" }, 2).result); // another bucket: 28
  const big = call("set", { key: "k3", value: "0123456789" }, 3); // 42 > 40
  assert.equal(big.error?.code, -32025);
  assert.equal(big.error?.data.reason, "store_full");
  assert.match(big.error?.message, /reverse storage is full .*storage\/delete/);
  assert.ok(call("set", { key: "k1", value: "x" }).result, "shrinking a value always fits");
  assert.ok(call("set", { key: "k3", value: "0123456789" }, 3).result); // 3 keys, 33 bytes
  const fourth = call("set", { key: "k", value: 1 }, 4);
  assert.equal(fourth.error?.data.reason, "store_full", "at most 3 keys");
  assert.deepEqual(st.stats(), { buckets: 3, keys: 3, bytes: 33 });
  assert.equal(call("get", { key: "k2" }, 2).result.value, "0123456789", "nothing was evicted");
  assert.deepEqual(call("delete", { key: "k3" }, 3).result, { deleted: true });
  assert.ok(call("set", { key: "k", value: 1 }, 4).result, "room again after a delete");
});

Deno.test("reverse storage reads from many (app, user) pairs leave no buckets behind", () => {
  const st = new ReverseStorage();
  for (let user = 0; user < 1000; user++) {
    const owner = { app_slug: `app-${user}`, user_id: user, tool_id: "t" };
    st.handle("get", { key: "k" }, owner);
    st.handle("list", {}, owner);
    assert.throws(() => st.handle("delete", { key: "k" }, owner), ReverseError);
  }
  assert.deepEqual(st.stats(), { buckets: 0, keys: 0, bytes: 0 });
  const owner = { app_slug: "a", user_id: 1, tool_id: "t" };
  st.handle("set", { key: "k", value: 1 }, owner);
  st.handle("delete", { key: "k" }, owner);
  assert.deepEqual(st.stats(), { buckets: 0, keys: 0, bytes: 0 });
});

Deno.test("a full reverse store is said once in the log, again after a delete made room", async () => {
  const lines: string[] = [];
  const logger = new Logger({ level: "warn", format: "json", sink: (l) => void lines.push(l) });
  const rpc = new ReverseRpc(
    createProvider({ mode: "off", mocks: [] }),
    logger,
    new ReverseStorage({ maxKeys: 1, maxTotalBytes: 1024 }),
  );
  const reverse = reverseCaller(rpc, "filler");
  const call = (m: string, params: unknown) => reverse(`storage/${m}`, params);
  assert.ok((await call("set", { key: "a", value: 1 })).result);
  for (let i = 0; i < 5; i++) {
    assert.equal((await call("set", { key: `b${i}`, value: 1 })).error?.code, -32025);
  }
  assert.equal(lines.length, 1);
  assert.match(lines[0], /executa filler: reverse storage is full/);
  await call("delete", { key: "a" });
  await call("set", { key: "a", value: 1 });
  await call("set", { key: "b", value: 1 });
  assert.equal(lines.length, 2);
});
