/**
 * `storage` etags and sizes are kept per key instead of recomputed per read (CONTRACT §5.5: `etag` =
 * `W/"1-<16 hex of sha256(JSON)>"`, `size_bytes` = size of the value, the bucket's 256 KiB cap on
 * its whole size). Whatever changes a key, every answer equals a fresh computation.
 */
import assert from "node:assert/strict";
import { makeRuntime, manifest, openSession } from "./helpers/runtime.ts";
import { sha256Hex } from "../lib/util/hash.ts";
import { byteSize } from "../lib/util/json.ts";

const etag = (v: unknown) => `W/"1-${sha256Hex(JSON.stringify(v)).slice(0, 16)}"`;

/** A deterministic PRNG (mulberry32). */
function prng(seed: number) {
  return (n: number) => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return Math.floor((((t ^ (t >>> 14)) >>> 0) / 4294967296) * n);
  };
}

Deno.test("storage: get/list etags, size_bytes and the bucket size follow every change", async () => {
  await using t = await makeRuntime();
  const s = await openSession(t, manifest({ storage: ["*"] }), {
    seed_storage: { a: "seed", b: { n: [1, 2] } },
  });
  const model: Record<string, unknown> = { a: "seed", b: { n: [1, 2] } };
  const keys = ["a", "b", "c", "d/e", "__proto__"];
  const values: unknown[] = [null, 0, "x", "é".repeat(40), [1, { z: true }], { k: "v" }, "x"];
  const rnd = prng(7);
  const check = async (step: string) => {
    for (const key of keys) {
      const r = (await s.call("storage", "get", { key })).result;
      if (Object.hasOwn(model, key)) {
        assert.deepEqual(r, { value: model[key], exists: true, etag: etag(model[key]) }, step);
      } else assert.deepEqual(r, { value: null, exists: false, etag: null }, step);
    }
    const items = (await s.call("storage", "list", {})).result.items as {
      key: string;
      etag: string;
      size_bytes: number;
    }[];
    assert.deepEqual(
      items.map((i) => [i.key, i.etag, i.size_bytes]),
      Object.keys(model).sort().map((k) => [k, etag(model[k]), byteSize(model[k])]),
      step,
    );
    const got = await t.call("session.get", { session_id: s.session_id });
    assert.equal(got.runtime_state_bytes, byteSize(got.runtime_state), step);
    assert.equal(
      got.runtime_state_bytes,
      byteSize(Object.fromEntries(Object.entries(model))),
      step,
    );
  };
  await check("seeded");
  for (let i = 0; i < 200; i++) {
    const key = keys[rnd(keys.length)];
    const op = rnd(10);
    if (op < 6) {
      const value = values[rnd(values.length)];
      assert.equal((await s.call("storage", "set", { key, value })).ok, true);
      Object.defineProperty(model, key, {
        value,
        enumerable: true,
        configurable: true,
        writable: true,
      });
    } else if (op < 9) {
      await s.call("storage", "delete", { key });
      delete model[key];
    } else {
      const state = { a: values[rnd(values.length)], c: "replaced" };
      await t.call("session.set_runtime_state", { session_id: s.session_id, runtime_state: state });
      for (const k of Object.keys(model)) delete model[k];
      Object.assign(model, state);
    }
    await check(`step ${i}`);
  }
});

Deno.test("storage.set: replacing a value frees exactly its size under the 256 KiB cap", async () => {
  await using t = await makeRuntime();
  const s = await openSession(t, manifest({ storage: ["*"] }));
  // {"k":"…"} is 8 bytes around the string's characters
  const fill = (n: number) => "x".repeat(n);
  assert.equal((await s.call("storage", "set", { key: "k", value: fill(262_144 - 8) })).ok, true);
  for (let i = 0; i < 3; i++) {
    // the same size again fits; one more byte does not, and changes nothing
    assert.equal((await s.call("storage", "set", { key: "k", value: fill(262_144 - 8) })).ok, true);
    const over = await s.call("storage", "set", { key: "k", value: fill(262_144 - 7) });
    assert.deepEqual(over.error.details, { size: 262_145, max: 262_144 });
  }
  assert.equal((await s.call("storage", "set", { key: "k", value: 1 })).ok, true);
  const got = await t.call("session.get", { session_id: s.session_id });
  assert.equal(got.runtime_state_bytes, byteSize({ k: 1 }));
  assert.equal((await s.call("storage", "list", {})).result.items[0].size_bytes, 1);
});
