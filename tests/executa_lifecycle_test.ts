// Crash loop → failed → restart (CONTRACT §9.9), register replacing a running executa (§4.4.8),
// restart, and shutdown leaving no child behind (§9.10).
import assert from "node:assert/strict";
import { makePool, nodeSpec } from "./fixtures/executas/harness.ts";
import { alive } from "./helpers/processes.ts";
import { tmpDir } from "./helpers/tmp.ts";

const pidsOf = (
  events: { type: string; pid?: number }[],
) => [...new Set(events.filter((e) => e.type === "executa" && e.pid).map((e) => e.pid!))];

Deno.test("crash loop: backoff, failed after 3 crashes in 30 s, restart clears it", async () => {
  const { pool, events, logs } = makePool();
  await using tmp = await tmpDir();
  const dir = tmp.path;
  const crashFile = `${dir}/crash`;
  await Deno.writeTextFile(crashFile, "");
  await pool.register([nodeSpec("loop", [`--crash-file=${crashFile}`])]);
  try {
    const t0 = Date.now();
    const outcomes = [];
    for (let i = 0; i < 3; i++) outcomes.push(await pool.invoke("loop", "echo", {}, {}));
    // the 2nd and 3rd spawns waited 1000 and 2000 ms after the previous exit
    assert.ok(Date.now() - t0 >= 3000);
    for (const o of outcomes) {
      assert.equal(o.ok, false);
      assert.equal((o as { error: { message: string } }).error.message, "executa process exited");
    }
    const failed = await pool.invoke("loop", "echo", {}, {});
    const row = pool.list()[0];
    assert.equal(row.status, "failed");
    assert.deepEqual(failed, {
      ok: false,
      error: {
        code: "executa_unavailable",
        message: "executa loop crashed 3 times within 30s; re-register or restart it",
        details: {
          reason: "crash_loop",
          last_exit: row.last_exit,
          // one line per process, each later one after the marker naming it
          stderr_tail: [
            "fatal: crash file present",
            `--- executa restarted: new process pid ${pidsOf(events)[1]} (restart 1) ---`,
            "fatal: crash file present",
            `--- executa restarted: new process pid ${pidsOf(events)[2]} (restart 2) ---`,
            "fatal: crash file present",
          ],
        },
      },
    });
    assert.equal(row.last_exit?.code, 3);
    assert.equal(row.restarts, 2);
    assert.equal(pool.get("loop")?.status, "failed");
    // still failed while the cause is gone, until restart
    await Deno.remove(crashFile);
    assert.equal((await pool.invoke("loop", "echo", {}, {})).ok, false);
    const waits = () => logs.filter((l) => l.msg === "waiting before respawn").length;
    assert.equal(waits(), 2);
    await pool.restart("loop");
    assert.equal(pool.get("loop")?.status, "registered");
    assert.equal((await pool.invoke("loop", "echo", {}, {})).ok, true);
    assert.equal(waits(), 2, "no backoff after restart");
    await pool.shutdown();
    assert.equal(pidsOf(events).length, 4);
    assert.ok(pidsOf(events).every((pid) => !alive(pid)));
  } finally {
    await pool.shutdown();
  }
});

Deno.test("register replaces a running executa gracefully; restart respawns on next use", async () => {
  const { pool, events } = makePool();
  await pool.register([nodeSpec("rep"), nodeSpec("other")]);
  try {
    assert.equal((await pool.invoke("rep", "echo", {}, {})).ok, true);
    const first = pool.list()[0].pid!;
    await pool.register([nodeSpec("rep", ["--declare=llm.sample"])]);
    assert.equal(alive(first), false);
    assert.deepEqual(pool.list().map((r) => [r.tool_id, r.status, r.pid]), [
      ["rep", "registered", null],
      ["other", "registered", null],
    ]);
    assert.equal((await pool.invoke("rep", "echo", {}, {})).ok, true);
    const second = pool.list()[0].pid!;
    assert.notEqual(second, first);
    assert.deepEqual(pool.list()[0].describe?.host_capabilities, ["llm.sample"]);

    await pool.restart("rep");
    assert.equal(alive(second), false);
    assert.equal(pool.list()[0].status, "stopped");
    assert.equal(pool.list()[0].last_exit?.code, 0);
    assert.equal((await pool.invoke("rep", "echo", {}, {})).ok, true);
    assert.equal(pool.list()[0].restarts, 1);
    await assert.rejects(() => pool.restart("nope"), RangeError);
    assert.ok(events.some((e) => e.type === "executa" && e.status === "stopped"));
  } finally {
    await pool.shutdown();
  }
});

Deno.test("a second restart or register during a slow stop waits for it: one process per tool_id", async () => {
  const { pool } = makePool();
  await pool.register([nodeSpec("stub", ["--ignore-term"])]);
  try {
    const first = await pool.invoke("stub", "pid", {}, {});
    const pid1 = (first as { result: { pid: number } }).result.pid;
    const restarting = pool.restart("stub"); // stdin close, 2 s, SIGTERM (ignored), 2 s, SIGKILL
    await new Promise((r) => setTimeout(r, 300));
    assert.ok(alive(pid1), "still in its graceful stop");
    // the second restart's entry has no process; before, it forgot the first one's stop
    await pool.restart("stub");
    assert.equal(alive(pid1), false, "the second restart waited for the first process");
    await pool.register([nodeSpec("stub")]);
    const again = await pool.invoke("stub", "pid", {}, {});
    assert.notEqual((again as { result: { pid: number } }).result.pid, pid1);
    await restarting;
  } finally {
    await pool.shutdown();
  }
});

Deno.test("shutdown stops every process in parallel; stubborn ones get SIGTERM then SIGKILL", async () => {
  const { pool } = makePool();
  await pool.register([
    nodeSpec("polite"),
    nodeSpec("stubborn", ["--ignore-term"]),
    nodeSpec("idle"),
  ]);
  const results = await Promise.all([
    pool.invoke("polite", "pid", {}, {}),
    pool.invoke("stubborn", "pid", {}, {}),
  ]);
  const pids = results.map((r) => (r as { result: { pid: number } }).result.pid);
  assert.ok(pids.every(alive));
  const t0 = Date.now();
  await pool.shutdown();
  const took = Date.now() - t0;
  assert.ok(took >= 4000, `stdin close + 2 s + SIGTERM + 2 s before SIGKILL (${took} ms)`);
  assert.ok(pids.every((pid) => !alive(pid)));
  const status = Object.fromEntries(
    pool.list().map((r) => [r.tool_id, [r.status, r.last_exit?.signal ?? null]]),
  );
  assert.deepEqual(status, {
    polite: ["stopped", null],
    stubborn: ["stopped", "SIGKILL"],
    idle: ["registered", null],
  });
  // nothing spawns after shutdown
  const after = await pool.invoke("polite", "echo", {}, {});
  assert.equal(after.ok, false);
  assert.equal(pool.list()[0].pid, null);
});
