/** The dashboard log bus (CONTRACT §11.11): the newest 2000 entries, in order, whatever was pushed. */
import assert from "node:assert/strict";
import { LOG_MAX_ENTRIES, LogBus } from "../lib/core/log_bus.ts";

Deno.test("log bus: keeps exactly the newest 2000 entries at every point, oldest first", () => {
  const bus = new LogBus(true);
  for (let i = 1; i <= 2.5 * LOG_MAX_ENTRIES; i++) {
    bus.push({ type: "reload", paths: [`/x/${i}`] });
    if (
      i % 97 === 0 || i === LOG_MAX_ENTRIES || i === LOG_MAX_ENTRIES + 1 ||
      i === 2 * LOG_MAX_ENTRIES
    ) {
      const seqs = bus.entries().map((e) => e.seq);
      const want = Math.min(i, LOG_MAX_ENTRIES);
      assert.equal(seqs.length, want, `after ${i} pushes`);
      assert.equal(seqs[0], i - want + 1);
      assert.equal(seqs[seqs.length - 1], i);
      assert.ok(seqs.every((s, k) => k === 0 || s === seqs[k - 1] + 1), "contiguous");
    }
  }
  // entries() is a copy
  const a = bus.entries();
  a.length = 0;
  assert.equal(bus.entries().length, LOG_MAX_ENTRIES);
});

Deno.test("log bus: disabled → nothing kept, null returned", () => {
  const bus = new LogBus(false);
  assert.equal(bus.push({ type: "reload", paths: [] }), null);
  assert.deepEqual(bus.entries(), []);
});
