/**
 * A harness that pipes the bridge's stderr and never reads it must still get every answer on
 * stdout (§4.1, §4.5): logs are best-effort. Before, the logger wrote stderr synchronously and
 * the whole bridge froze once ~64 KiB of warn lines filled the pipe.
 */
import assert from "node:assert/strict";
import { denoDirEnv, MAIN_TS, REPO_ROOT } from "./helpers/bridge_process.ts";
import { tmpDir } from "./helpers/tmp.ts";

Deno.test("bridge answers every request while nobody reads its stderr; dropped lines are counted", async () => {
  await using tmp = await tmpDir("anna-bridge-home-");
  const home = tmp.path;
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", MAIN_TS, "bridge"],
    cwd: REPO_ROOT,
    env: { HOME: home, NO_COLOR: "1", ...denoDirEnv() },
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  try {
    await answersAll(child);
  } finally {
    // a frozen bridge (the bug) must not outlive the test
    try {
      child.kill("SIGKILL");
    } catch { /* already exited */ }
  }
});

async function answersAll(child: Deno.ChildProcess) {
  // each unknown method logs a warn line quoting the ~6 KB name twice: ~3.6 MB in all, far past
  // both the pipe (64 KiB) and the bridge's pending-log bound (1 MiB)
  const N = 300;
  const pad = "x".repeat(6000);
  const lines = Array.from(
    { length: N },
    (_, i) => JSON.stringify({ jsonrpc: "2.0", id: i, method: `nope.${pad}${i}` }) + "\n",
  );
  const stdin = child.stdin.getWriter();
  const writing = stdin.write(new TextEncoder().encode(lines.join("")));

  const ids = new Set<number>();
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let buf = "";
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<"late">((r) => (timer = setTimeout(() => r("late"), 30_000)));
  while (ids.size < N) {
    const got = await Promise.race([reader.read(), late]);
    if (got === "late" || got.done) break;
    buf += got.value;
    let nl;
    while ((nl = buf.indexOf("\n")) >= 0) {
      const msg = JSON.parse(buf.slice(0, nl));
      buf = buf.slice(nl + 1);
      assert.equal(msg.error?.message, "method_not_found");
      ids.add(msg.id);
    }
  }
  clearTimeout(timer);
  assert.equal(ids.size, N, `answers on stdout while stderr was unread: ${ids.size} of ${N}`);

  // now read stderr: what was queued comes out whole, with one note for the lines dropped
  const stderr = new Response(child.stderr).text();
  await writing;
  await stdin.close();
  await reader.cancel();
  const status = await child.status;
  const err = await stderr;
  assert.equal(status.code, 0);
  const logLines = err.trimEnd().split("\n");
  const notes = logLines.filter((l) => / WARN log: \d+ log lines dropped: stderr was not/.test(l));
  assert.ok(notes.length >= 1, `no note about dropped lines in:\n${err.slice(0, 500)}`);
  const dropped = notes.reduce((n, l) => n + Number(l.match(/log: (\d+)/)![1]), 0);
  const logged = logLines.filter((l) => l.includes(" WARN bridge: bridge error ")).length;
  // every warn line is either written whole or counted as dropped
  assert.equal(logged + dropped, N);
  for (const l of logLines) assert.ok(/^\d\d:\d\d:\d\d\.\d{3} WARN /.test(l), l.slice(0, 80));
}
