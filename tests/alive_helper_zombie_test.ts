/**
 * The `alive()` helper (tests/helpers/processes.ts) that the "nothing outlives a stop" tests rely
 * on: a running process is alive, a zombie (exited, not reaped by its parent) is not, a reaped
 * one is not. Before, a signal probe counted a zombie as alive, so a stopped executa orphaned to a
 * slow-reaping pid 1 looked like a survivor.
 */
import assert from "node:assert/strict";
import { alive } from "./helpers/processes.ts";

Deno.test({
  name: "alive(): running → true; zombie (exited, unreaped) → false; reaped → false",
  ignore: Deno.build.os !== "linux",
  async fn() {
    // sh starts a background child, prints its pid, then becomes `sleep 30`, which never waits
    // for it; the child exits once its parent is `sleep` (so sh cannot have reaped it) and stays
    // a zombie until the parent is killed
    const script = 'p=$$; (while [ "$(cat /proc/$p/comm)" != sleep ]; do sleep 0.01; done) & ' +
      "echo $!; exec sleep 30";
    const parent = new Deno.Command("sh", {
      args: ["-c", script],
      stdout: "piped",
      stderr: "null",
    }).spawn();
    try {
      const reader = parent.stdout.getReader();
      let out = "";
      while (!out.includes("\n")) {
        const { value, done } = await reader.read();
        if (done) break;
        out += new TextDecoder().decode(value);
      }
      reader.releaseLock();
      const zombie = Number(out.trim());
      assert.ok(zombie > 0, `child pid: ${JSON.stringify(out)}`);
      // wait for the child to have exited (a zombie's stat says Z)
      const stateOf = () => {
        const s = Deno.readTextFileSync(`/proc/${zombie}/stat`);
        return s.slice(s.lastIndexOf(")") + 2, s.lastIndexOf(")") + 3);
      };
      for (let i = 0; i < 250 && stateOf() !== "Z"; i++) {
        await new Promise((r) => setTimeout(r, 20));
      }
      assert.equal(stateOf(), "Z", "the child is a zombie");
      assert.equal(alive(zombie), false, "a zombie is not alive");
      assert.equal(alive(parent.pid), true, "the running parent is alive");
    } finally {
      parent.kill("SIGKILL");
      await parent.stdout.cancel().catch(() => {});
      await parent.status;
    }
    assert.equal(alive(parent.pid), false, "a reaped process is not alive");
  },
});
