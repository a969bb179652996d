/**
 * The stderr line queue (lib/util/stderr_queue.ts): ordered, bounded, drops whole lines when the
 * reader is stuck and says how many, never throws, and a flush before exit waits a bounded time.
 */
import assert from "node:assert/strict";
import { LineQueue } from "../lib/util/stderr_queue.ts";

const dec = new TextDecoder();
const note = (n: number) => `NOTE dropped=${n}`;

/** A writer whose writes finish only when the test says so; takes at most `chunk` bytes each. */
class FakeStderr {
  private bytes: number[] = [];
  inFlight = 0;
  maxInFlight = 0;
  stuck = true;
  private release: (() => void)[] = [];
  constructor(readonly chunk = Infinity) {}
  write(b: Uint8Array): Promise<number> {
    this.maxInFlight = Math.max(this.maxInFlight, ++this.inFlight);
    const n = Math.min(b.length, this.chunk);
    return new Promise((resolve) => {
      const done = () => {
        this.bytes.push(...b.subarray(0, n));
        this.inFlight--;
        resolve(n);
      };
      if (this.stuck) this.release.push(done);
      else done();
    });
  }
  get out(): string {
    return dec.decode(new Uint8Array(this.bytes));
  }
  unstick() {
    this.stuck = false;
    for (const r of this.release.splice(0)) r();
  }
}

Deno.test("a stuck reader: lines past the bound are dropped whole and counted where they went missing", async () => {
  const w = new FakeStderr();
  const q = new LineQueue(w, note, 100);
  q.push("a".repeat(39)); // 40 bytes, goes to the writer (stuck)
  await Promise.resolve();
  q.push("b".repeat(39)); // 80 pending
  q.push("c".repeat(39)); // would be 120: dropped
  q.push("d".repeat(9)); // 90: fits, but a note must come first and both do not fit
  assert.equal(q.droppedCount, 2);
  w.unstick();
  assert.equal(await q.flush(1000), true);
  q.push("e");
  assert.equal(await q.flush(1000), true);
  assert.deepEqual(w.out.split("\n"), ["a".repeat(39), "b".repeat(39), "NOTE dropped=2", "e", ""]);
});

Deno.test("lines dropped at the end are reported by the flush before exit", async () => {
  const w = new FakeStderr();
  const q = new LineQueue(w, note, 10);
  q.push("12345678"); // in flight
  q.push("x"); // 9 + 2 > 10: dropped
  w.unstick();
  assert.equal(await q.flush(1000), true);
  assert.equal(w.out, "12345678\nNOTE dropped=1\n");
  assert.equal(q.droppedCount, 0);
});

Deno.test("flush gives up after its bound when the reader never reads", async () => {
  const w = new FakeStderr();
  const q = new LineQueue(w, note);
  q.push("fatal: something");
  const t0 = performance.now();
  assert.equal(await q.flush(50), false);
  assert.ok(performance.now() - t0 < 1000);
  w.unstick(); // let the pending write end so the test leaks nothing
  assert.equal(await q.flush(1000), true);
});

Deno.test("partial writes: every byte goes out once, in order, one write in flight", async () => {
  const w = new FakeStderr(7);
  w.stuck = false;
  const q = new LineQueue(w, note);
  const lines = Array.from({ length: 50 }, (_, i) => `line ${i} ✓`);
  for (const l of lines) q.push(l);
  assert.equal(await q.flush(1000), true);
  assert.equal(w.out, lines.join("\n") + "\n");
  assert.equal(q.droppedCount, 0);
  assert.equal(w.maxInFlight, 1);
});

Deno.test("an empty queue takes a line longer than the bound (a long fatal error is kept)", async () => {
  const w = new FakeStderr();
  w.stuck = false;
  const q = new LineQueue(w, note, 10);
  q.push("error: " + "z".repeat(50));
  assert.equal(await q.flush(1000), true);
  assert.equal(w.out, "error: " + "z".repeat(50) + "\n");
});

Deno.test("a closed stderr: pushes and flushes are quietly ignored from then on", async () => {
  let writes = 0;
  const q = new LineQueue({
    write: () => {
      writes++;
      return Promise.reject(new Deno.errors.BrokenPipe("closed"));
    },
  }, note);
  q.push("one");
  assert.equal(await q.flush(1000), true);
  q.push("two");
  assert.equal(await q.flush(1000), true);
  assert.equal(writes, 1);
});
