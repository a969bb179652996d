/**
 * The numbers of the crash policy (CONTRACT §9.9, §15) at their edges, without spawning anything:
 * backoff min(1000 × 2^(k−1), 8000) ms, crashes counted over the last 30 s only, and the stderr
 * ring of 200 lines that every later tail (20 in errors, 50 in executas.list) is cut from.
 */
import assert from "node:assert/strict";
import {
  backoffMs,
  CRASH_LOOP_COUNT,
  STDERR_RING,
  STDERR_TAIL_ERROR,
  STDERR_TAIL_LIST,
} from "../lib/executa/limits.ts";
import { newEntry, pushStderr, recentCrashes, toInfo } from "../lib/executa/entry.ts";

const spec = {
  tool_id: "t",
  project_dir: "/x",
  command: ["x"],
  type: "binary" as const,
  env: {},
  handle: "t",
  app_slug: null,
};

Deno.test("backoff: 1 s, 2 s, 4 s, then held at 8 s", () => {
  assert.deepEqual([1, 2, 3, 4, 5, 10].map(backoffMs), [1000, 2000, 4000, 8000, 8000, 8000]);
  assert.equal(CRASH_LOOP_COUNT, 3);
});

Deno.test("crash window: a crash 29 999 ms ago counts, one 30 000 ms ago no longer does (and is pruned)", () => {
  const e = newEntry(spec);
  const now = 1_000_000;
  e.crashes = [now - 30_000, now - 29_999, now - 1];
  assert.equal(recentCrashes(e, now), 2);
  assert.deepEqual(e.crashes, [now - 29_999, now - 1]);
});

Deno.test("stderr ring: exactly 200 lines kept, the 201st drops the oldest; tails of 20 and 50", () => {
  const e = newEntry(spec);
  for (let i = 1; i <= 200; i++) pushStderr(e, `line ${i}`);
  assert.equal(e.stderr.length, STDERR_RING);
  assert.equal(e.stderr[0], "line 1");
  pushStderr(e, "line 201");
  assert.equal(e.stderr.length, 200);
  assert.equal(e.stderr[0], "line 2");
  assert.deepEqual(toInfo(e).stderr_tail, e.stderr.slice(-STDERR_TAIL_LIST));
  assert.equal(toInfo(e).stderr_tail.length, 50);
  assert.equal(STDERR_TAIL_ERROR, 20);
});
