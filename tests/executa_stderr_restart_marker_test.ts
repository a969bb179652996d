/**
 * The stderr ring of an executa (CONTRACT §9.11) outlives its processes, so a tail can hold lines
 * of several: after a restart one marker line names the new process, and a line the replaced
 * process writes late is tagged with its pid. Before, a crash loop's tail was three identical
 * lines with nothing saying which process wrote which.
 */
import assert from "node:assert/strict";
import { makePool, nodeSpec } from "./fixtures/executas/harness.ts";
import { newEntry, pushStderr, stderrFrom } from "../lib/executa/entry.ts";

const pidsOf = (events: { type: string; pid?: number }[]) => [
  ...new Set(events.filter((e) => e.type === "executa" && e.pid).map((e) => e.pid!)),
];

type Failed = { ok: false; error: { message: string; details: { stderr_tail: string[] } } };
const failed = (o: unknown) => o as Failed;

Deno.test("a respawn after a crash puts a marker naming the new pid between the processes' lines", async () => {
  const { pool, events } = makePool();
  await pool.register([nodeSpec("p")]);
  try {
    const first = failed(await pool.invoke("p", "crash", { stderr: ["first process"] }, {}));
    assert.deepEqual(first.error.details.stderr_tail, ["first process"], "one process: no marker");
    const second = failed(await pool.invoke("p", "crash", { stderr: ["second process"] }, {}));
    assert.equal(second.error.message, "executa process exited");
    const pid2 = pidsOf(events)[1];
    const tail = [
      "first process",
      `--- executa restarted: new process pid ${pid2} (restart 1) ---`,
      "second process",
    ];
    assert.deepEqual(second.error.details.stderr_tail, tail);
    assert.deepEqual(pool.list()[0].stderr_tail, tail);
    // the live feed (dashboard) gets the marker too, in the same place
    const fed = events.filter((e) => e.type === "stderr").map((e) => (e as { line: string }).line);
    assert.deepEqual(fed, tail);
  } finally {
    await pool.shutdown();
  }
});

Deno.test("executas.restart: the next process's lines follow a marker with its pid", async () => {
  const { pool } = makePool();
  await pool.register([nodeSpec("p")]);
  try {
    await pool.invoke("p", "crash", { stderr: ["before restart"] }, {});
    await pool.restart("p");
    const out = await pool.invoke("p", "pid", {}, {}) as unknown as {
      ok: true;
      result: { pid: number };
    };
    assert.equal(out.ok, true);
    assert.deepEqual(pool.list()[0].stderr_tail, [
      "before restart",
      `--- executa restarted: new process pid ${out.result.pid} (restart 1) ---`,
    ]);
  } finally {
    await pool.shutdown();
  }
});

Deno.test("a line the replaced process writes after the new one started is tagged with its pid", () => {
  const e = newEntry(nodeSpec("p"));
  stderrFrom(e, 100);
  pushStderr(e, "old line", 100);
  stderrFrom(e, 200);
  pushStderr(e, "new line", 200);
  pushStderr(e, "late old line", 100);
  assert.deepEqual(e.stderr, [
    "old line",
    "--- executa restarted: new process pid 200 (restart 0) ---",
    "new line",
    "[pid 100, replaced] late old line",
  ]);
});
