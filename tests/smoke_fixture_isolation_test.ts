/**
 * Each fixture file replays against fresh host state (CONTRACT §14.1 step 5): `dev --record`
 * starts from an empty executa store (§9.8, in memory per process), so what one replayed file left
 * in the executas' reverse storage must not change what the next file's tools answer.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { copyDir } from "./helpers/dev_process.ts";
import { tmpDir } from "./helpers/tmp.ts";
import { explain, REPO_ROOT, smokeJson } from "./fixtures/smoke/harness.ts";

Deno.test("smoke: executa storage written by one fixture file is gone when the next file replays", async () => {
  await using dir = await tmpDir("anna-smoke-isolation-");
  const app = join(dir.path, "todo-node");
  await copyDir(join(REPO_ROOT, "examples/todo-node"), app);
  const recorded = (await Deno.readTextFile(join(app, "fixtures/todo-session.jsonl")))
    .trim().split("\n");
  await Deno.remove(join(app, "fixtures/todo-session.jsonl"));
  // two recordings, each made in its own `dev` run: one adds two todos and stops there, the other
  // only lists (and saw an empty list); replayed in path order, the adds come first
  await Deno.writeTextFile(join(app, "fixtures/a-adds.jsonl"), recorded.slice(0, 15).join("\n"));
  await Deno.writeTextFile(join(app, "fixtures/b-lists.jsonl"), recorded.slice(0, 7).join("\n"));

  const r = await smokeJson([app]);
  assert.equal(r.code, 0, explain(r));
  const files = r.report!.fixtures.map((f) => [f.file, f.status]);
  assert.deepEqual(files, [["fixtures/a-adds.jsonl", "pass"], ["fixtures/b-lists.jsonl", "pass"]]);
});
