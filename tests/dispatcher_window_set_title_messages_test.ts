/**
 * window.set_title's bound is 1..120 characters after trimming (CONTRACT §5.4): a refused title is
 * `invalid_arg` whose message says what is wrong with the title as sent, whitespace included.
 */
import assert from "node:assert/strict";
import { makeRuntime, openSession } from "./helpers/runtime.ts";

const manifest = {
  schema: 2,
  ui: { views: [{ name: "main", title: "Main" }], host_api: {} },
};

Deno.test("window.set_title: a blank or too long title is refused with a message that fits it", async () => {
  await using t = await makeRuntime();
  const s = await openSession(t, manifest);
  const cases: [string, string][] = [
    ["", "invalid argument 'title': must not be empty or only whitespace"],
    ["   \t", "invalid argument 'title': must not be empty or only whitespace"],
    [
      ` ${"x".repeat(121)} `,
      "invalid argument 'title': must have at most 120 characters after trimming",
    ],
  ];
  for (const [title, message] of cases) {
    const r = await s.call("window", "set_title", { title });
    assert.equal(r.ok, false, JSON.stringify(title));
    assert.equal(r.error.code, "invalid_arg");
    assert.equal(r.error.message, message);
    assert.deepEqual(r.error.details.issues, [{ path: "title", message: message.split(": ")[1] }]);
  }
  // the bound is on the trimmed title: 120 characters inside whitespace still fit
  assert.equal((await s.call("window", "set_title", { title: ` ${"x".repeat(120)} ` })).ok, true);
});
