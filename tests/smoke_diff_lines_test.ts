/**
 * How a failing case's diffs read in the pretty report, the --out log and junit (CONTRACT §14.8):
 * long values are cut, but never so that two different values read the same.
 */
import assert from "node:assert/strict";
import { diffLines } from "../lib/smoke/report_pretty.ts";

Deno.test("diff lines: long values that differ past the cut are shown from where they differ", () => {
  const body = "Lorem ipsum dolor sit amet, ".repeat(12);
  const [line] = diffLines([
    { path: "result.value.body", expected: body + "the end!", actual: body + "the end." },
  ]);
  const m = /^result\.value\.body: expected (.*), got (.*)$/.exec(line);
  assert.ok(m, line);
  assert.notEqual(m[1], m[2]);
  assert.match(m[1], /^….*the end!"$/);
  assert.match(m[2], /^….*the end\."$/);
  assert.ok(m[1].length <= 200, m[1]);
});

Deno.test("diff lines: arrays of another length say how many items each has", () => {
  const expected = Array.from({ length: 61 }, (_, i) => i);
  const [line] = diffLines([{ path: "result.items", expected, actual: expected.slice(0, 60) }]);
  assert.match(
    line,
    /^result\.items: expected \[.*,59,60\] \(61 items\), got \[.*,58,59\] \(60 items\)$/,
  );
  // short values stay whole, a missing key says so
  assert.deepEqual(
    diffLines([
      { path: "result.v", expected: [1], actual: [] },
      { path: "result.w", expected: "a", actual: undefined },
    ]),
    ["result.v: expected [1] (1 item), got [] (0 items)", 'result.w: expected "a", got (missing)'],
  );
});
