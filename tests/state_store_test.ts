/**
 * The storage bucket's lazy snapshots (lib/session/state_store.ts): every event payload shows the
 * bucket as it was when the event was emitted, however late it is read (CONTRACT §7.2).
 */
import assert from "node:assert/strict";
import { StateStore } from "../lib/session/state_store.ts";
import { byteSize } from "../lib/util/json.ts";

function rng(seed: number) {
  return () => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed / 0x7fffffff;
  };
}

Deno.test("snapshots taken along a random history read back exactly, in any order", () => {
  const st = new StateStore({ seed: 1 }, byteSize({ seed: 1 }));
  const r = rng(7);
  const model: Record<string, unknown> = { seed: 1 };
  const taken: { payload: Record<string, unknown>; expected: string }[] = [];
  for (let i = 0; i < 3000; i++) {
    const x = r();
    const key =
      ["a", "b", "c", "__proto__", "10", "2", `k${Math.floor(r() * 20)}`][Math.floor(r() * 7)];
    if (x < 0.6) {
      const value = { i, nested: [i, String(i)] };
      st.set(key, value, 0);
      Object.defineProperty(model, key, {
        value,
        enumerable: true,
        configurable: true,
        writable: true,
      });
    } else if (x < 0.9) {
      if (st.has(key)) {
        st.delete(key, 0);
        delete model[key];
      }
    } else if (x < 0.93) {
      const fresh = { replaced: i };
      st.replaceAll(fresh, 0);
      for (const k of Object.keys(model)) delete model[k];
      model.replaced = i;
    }
    if (r() < 0.3) {
      taken.push({
        payload: st.lazyPayload({ n: i }, { tail: true }),
        expected: JSON.stringify(model),
      });
    }
  }
  // read newest first, then oldest, then the rest: rebuilding must not depend on read order
  const order = [...taken.keys()].reverse();
  order.unshift(...order.splice(order.length - 5, 5));
  for (const idx of order) {
    const t = taken[idx];
    assert.equal(JSON.stringify(t.payload.runtime_state), t.expected, `snapshot ${idx}`);
  }
  assert.deepEqual(Object.keys(taken[0].payload), ["n", "runtime_state", "tail"]);
  assert.equal(JSON.stringify(st.snapshot()), JSON.stringify(model));
});

Deno.test("the journal is trimmed once every snapshot that could need it has been read", () => {
  const st = new StateStore({}, 2);
  const kept: Record<string, unknown>[] = [];
  for (let i = 0; i < 6000; i++) {
    st.set(`k${i % 50}`, i, 0);
    const p = st.lazyPayload();
    if (i === 10) kept.push(p); // an old snapshot still held: its history must survive trimming
    else void p.runtime_state; // read at once, like a transport that serialises it
  }
  assert.ok(st.journalLength >= 5980, "history kept while an old snapshot is unread");
  assert.equal((kept[0].runtime_state as Record<string, number>).k10, 10);
  assert.equal((kept[0].runtime_state as Record<string, number>).k11, undefined);
  for (let i = 0; i < 1024; i++) st.set("x", i, 0);
  assert.ok(st.journalLength < 2048, `journal ${st.journalLength} after every snapshot was read`);
});

Deno.test("a literal __proto__ key is an own property of snapshots", () => {
  const st = new StateStore({}, 2);
  st.set("__proto__", { x: 1 }, 0);
  const p = st.lazyPayload();
  st.set("a", 2, 0);
  assert.equal(JSON.stringify(p.runtime_state), '{"__proto__":{"x":1}}');
  assert.equal(JSON.stringify(st.snapshot()), '{"__proto__":{"x":1},"a":2}');
  assert.equal(Object.getPrototypeOf(st.snapshot()), Object.prototype);
});
