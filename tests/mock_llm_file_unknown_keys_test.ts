/**
 * `--mock-llm` files (CONTRACT §10.2) warn about unknown keys as mock-table fixtures do: a
 * misspelt `"match"` leaves an entry without a match, which then answers every call of its method.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { mockFileWarnings } from "../lib/llm/mod.ts";
import { parseMockText } from "../lib/llm/mocks.ts";
import { BridgeProcess } from "./helpers/bridge_process.ts";
import { explain, runCli, SMOKE_FIXTURES, smokeJson } from "./fixtures/smoke/harness.ts";
import { tmpDir } from "./helpers/tmp.ts";

const TABLE = [
  '{"ns":"llm","method":"complete","macth":{"contentIncludes":"weather"},"result":{"text":"sunny"}}',
  '{"ns":"llm","method":"complete","match":{"contentIncludes":"rain"},"result":{"text":"wet"}}',
].join("\n");

const warningFor = (file: string) =>
  `${file}:1: unknown key "macth" on a mock-table line, ignored; a mock-table line answers ` +
  '"ns"."method" calls that "match" holds for (no "match" = every call) with "result", ' +
  '"error" or "events"';

Deno.test("mockFileWarnings: one warning per file and key, with the file's line, whatever ':' the path holds", () => {
  const a = parseMockText(TABLE, "C:\\mocks\\a.jsonl");
  const b = parseMockText(TABLE + "\n" + TABLE, "b.jsonl");
  assert.deepEqual(mockFileWarnings([...a, ...b]), [
    warningFor("C:\\mocks\\a.jsonl"),
    warningFor("b.jsonl").replace("line, ignored", "line (and 1 more line), ignored"),
  ]);
  assert.deepEqual(mockFileWarnings(parseMockText(TABLE.split("\n")[1], "ok.jsonl")), []);
});

Deno.test("bridge and smoke: a --mock-llm file with a misspelt key says so on stderr / in the report", async () => {
  await using dir = await tmpDir();
  const file = join(dir.path, "mocks.jsonl");
  await Deno.writeTextFile(file, TABLE);

  await using bridge = new BridgeProcess({
    args: ["--mock-llm", file, "--key-file", join(dir.path, "dev.key")],
  });
  await bridge.call("runtime.info", {}); // started: the tables are loaded
  assert.ok(bridge.stderrText.includes(warningFor(file)), bridge.stderrText);

  const r = await smokeJson([join(SMOKE_FIXTURES, "inline-app"), "--mock-llm", file]);
  assert.ok(r.report, explain(r));
  assert.ok(r.report.warnings.includes(warningFor(file)), explain(r));
  // and a table without unknown keys stays quiet
  await Deno.writeTextFile(file, TABLE.split("\n")[1]);
  const quiet = await runCli(["smoke", join(SMOKE_FIXTURES, "inline-app"), "--mock-llm", file]);
  assert.ok(!quiet.stdout.includes("unknown key"), explain(quiet));
});
