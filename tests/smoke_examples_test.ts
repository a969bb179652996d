/**
 * The example apps pass `smoke` with their recorded fixtures (CONTRACT §14): the recordings in
 * examples/<app>/fixtures were made with the Recorder (lib/smoke/recorder.ts) and replay green,
 * events included, against a fresh runtime and fresh executa processes.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { explain, REPO_ROOT, smokeJson } from "./fixtures/smoke/harness.ts";

const EXAMPLES: [string, string, number][] = [
  // app, its executa, requests in the recording
  ["notes-app", "tool-notes-summary", 14],
  ["todo-node", "tool-todo-store", 10],
];

for (const [app, tool, requests] of EXAMPLES) {
  Deno.test(`smoke: examples/${app} passes with its recorded fixture (exit 0)`, async () => {
    const dir = join(REPO_ROOT, "examples", app);
    const r = await smokeJson([dir, "--fixtures", join(dir, "fixtures/*.jsonl"), "--check-events"]);
    assert.equal(r.code, 0, explain(r));
    const rep = r.report!;
    assert.equal(rep.result, "pass");
    assert.deepEqual(rep.executas.map((e) => [e.tool_id, e.status]), [[tool, "pass"]]);
    const recorded = rep.fixtures.filter((f) => f.format === "recorded");
    assert.equal(recorded.length, 1);
    const cases = recorded[0].cases;
    assert.equal(cases.filter((c) => c.ns !== "event").length, requests);
    assert.ok(
      cases.every((c) => c.status === "pass"),
      JSON.stringify(cases.filter((c) => c.status !== "pass")),
    );
    assert.ok(
      cases.some((c) => c.ns === "tools" && c.method === "invoke"),
      "the executa is exercised",
    );
  });
}
