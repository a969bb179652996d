/**
 * What a CI job sees of `smoke` (CONTRACT §2.1, §14.8): the report on a pipe whose reader stops
 * early, and the log lines a failed `--out` run leaves on stderr.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { MAIN_TS, REPO_ROOT, SMOKE_FIXTURES } from "./fixtures/smoke/harness.ts";
import { tmpDir } from "./helpers/tmp.ts";

const BASIC = join(SMOKE_FIXTURES, "basic-app");

Deno.test("smoke: a pipe reader that stops early (`smoke … | head`) leaves the exit code to the checks, not a crash", async () => {
  await using dir = await tmpDir();
  // 3000 cases: the json report is far bigger than a pipe buffer
  const file = join(dir.path, "many.jsonl");
  const line = (i: number) =>
    JSON.stringify({
      t: i,
      dir: "out",
      ns: "storage",
      method: "set",
      args: { key: `k${i}`, value: i },
      result: { ok: true },
    });
  await Deno.writeTextFile(file, Array.from({ length: 3000 }, (_, i) => line(i)).join("\n"));
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      MAIN_TS,
      "smoke",
      BASIC,
      "--no-executas",
      "--fixtures",
      file,
      "--format",
      "json",
      "--key-file",
      join(dir.path, "dev.key"),
    ],
    cwd: REPO_ROOT,
    env: { NO_COLOR: "1" },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const errText = new Response(child.stderr).text();
  const reader = child.stdout.getReader();
  const first = await reader.read();
  assert.match(new TextDecoder().decode(first.value), /^\{/);
  await reader.cancel();
  const { code } = await child.status;
  const stderr = await errText;
  assert.doesNotMatch(stderr, /crash|BrokenPipe/);
  assert.equal(code, 0, stderr);
});
