/**
 * Calls that ran at the same time in a recording (CONTRACT §14.3: a `req` line before the `res`
 * of another) are replayed one at a time in file order (§14.5): when such a request fails, the
 * failure says so, since a value that depends on which call went first differs without the app
 * changing and re-recording does not settle it.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { tmpDir } from "./helpers/tmp.ts";
import { explain, SMOKE_FIXTURES, smokeJson } from "./fixtures/smoke/harness.ts";
import { parseFixtureText } from "../lib/smoke/fixtures.ts";

const BASIC = join(SMOKE_FIXTURES, "basic-app");

// the get was sent first but answered after the set (two windows, two transports)
const RECORDED = [
  { t: 0, kind: "meta", session_id: "s1", window_uuid: "w1", view: "main" },
  { t: 1, kind: "req", id: 1, ns: "storage", method: "get", args: { key: "k" } },
  { t: 1, kind: "req", id: 2, ns: "storage", method: "set", args: { key: "k", value: 2 } },
  { t: 2, kind: "res", id: 2, ok: true, result: { ok: true } },
  { t: 3, kind: "res", id: 1, ok: true, result: { value: 2, exists: true } },
  { t: 4, kind: "req", id: 3, ns: "storage", method: "get", args: { key: "k" } },
  { t: 5, kind: "res", id: 3, ok: true, result: { value: 3, exists: true } },
].map((l) => JSON.stringify(l)).join("\n");

Deno.test("fixtures: each recorded request knows the requests that ran at the same time", () => {
  const reqs = parseFixtureText(RECORDED, "f.jsonl").steps.filter((s) => s.type === "req");
  assert.deepEqual(reqs.map((r) => r.type === "req" && [r.line, r.concurrent]), [
    [2, [3]],
    [3, [2]],
    [6, undefined],
  ]);
});

Deno.test("smoke: a failing request that ran concurrently in the recording says replay ran it alone", async () => {
  await using dir = await tmpDir();
  const file = join(dir.path, "concurrent.jsonl");
  await Deno.writeTextFile(file, RECORDED);
  const r = await smokeJson([BASIC, "--fixtures", file]);
  assert.equal(r.code, 1, explain(r));
  const failed = r.report!.fixtures[0].cases.filter((c) => c.status === "fail");
  assert.deepEqual(failed.map((c) => c.line), [2, 6]);
  assert.match(
    failed[0].message!,
    /^result\.value, result\.exists differ; recorded while the request of line 3 ran too: replay sends one request at a time in file order/,
  );
  // a request that ran alone fails without the note
  assert.equal(failed[1].message, "result.value differ");
});
