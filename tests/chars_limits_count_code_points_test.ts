/**
 * The contract's "N chars" are code points (util/text.ts), an emoji one char:
 * - `session.call` / `app.call` take `ns` of 1..64 and `method` of 1..128 chars (CONTRACT §4.4.2,
 *   §4.4.3): 64 emoji (128 UTF-16 units) pass, one more is refused with -32602 `issues`. zod's
 *   `.max()` on strings counts code points in the pinned zod; this pins it.
 * - `window.set_title` takes 1..120 chars after trimming (§5.4), as the manifest's view title.
 */
import assert from "node:assert/strict";
import { type Loose, makeRuntime, openSession, rpcError } from "./helpers/runtime.ts";

const EMOJI = "😀"; // one code point, two UTF-16 units

Deno.test("session.call and app.call: ns and method lengths count code points", async () => {
  await using t = await makeRuntime();
  const s = await openSession(t, { schema: 2, ui: { views: [{ name: "main" }], host_api: {} } });
  const token = s.created.token;
  const cases = [
    { field: "ns", max: 64, other: { method: "m" } },
    { field: "method", max: 128, other: { ns: "window" } },
  ];
  for (const { field, max, other } of cases) {
    for (
      const [method, base] of [["session.call", { session_id: s.session_id }], ["app.call", {
        token,
      }]] as const
    ) {
      // at the bound: past validation, answered by the dispatcher (an unknown name)
      const at = { ...base, ...other, [field]: EMOJI.repeat(max) };
      const out = await t.call(method, at) as Loose;
      assert.equal(out.ok, false, `${method} ${field} of ${max} emoji`);
      assert.notEqual(out.error.code, "invalid_arg");
      // one over: the contract's invalid_params with the field named
      const over = await rpcError(t, method, { ...base, ...other, [field]: EMOJI.repeat(max + 1) });
      assert.equal(over.code, -32602);
      assert.equal(over.message, "invalid_params");
      assert.deepEqual(over.data.issues, [
        { path: field, message: `must have at most ${max} characters` },
      ]);
      // ASCII keeps its bounds, and empty is still refused
      await t.call(method, { ...base, ...other, [field]: "a".repeat(max) });
      const ascii = await rpcError(t, method, { ...base, ...other, [field]: "a".repeat(max + 1) });
      assert.deepEqual(ascii.data.issues, over.data.issues);
      const empty = await rpcError(t, method, { ...base, ...other, [field]: "" });
      assert.deepEqual(empty.data.issues, [
        { path: field, message: "must have at least 1 character" },
      ]);
    }
  }
});

Deno.test("window.set_title: 120 emoji are a 120-char title, 121 are refused", async () => {
  await using t = await makeRuntime();
  const s = await openSession(t, { schema: 2, ui: { views: [{ name: "main" }], host_api: {} } });
  const ok = await s.call("window", "set_title", { title: ` ${EMOJI.repeat(120)} ` });
  assert.equal(ok.ok, true, JSON.stringify(ok));
  const got = await t.call("session.get", { session_id: s.session_id }) as Loose;
  assert.equal(got.windows[0].title, EMOJI.repeat(120));
  const over = await s.call("window", "set_title", { title: EMOJI.repeat(121) });
  assert.equal(over.ok, false);
  assert.equal(over.error.code, "invalid_arg");
  assert.deepEqual(over.error.details.issues, [
    { path: "title", message: "must have at most 120 characters after trimming" },
  ]);
  assert.equal((await s.call("window", "set_title", { title: "a".repeat(121) })).ok, false);
});
