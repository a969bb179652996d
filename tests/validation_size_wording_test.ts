/**
 * Size bounds in `invalid_params` / `invalid_arg` issues read as English (CONTRACT §4.3, §5.1
 * step 5): a bound of one says "1 character" / "1 item", other bounds keep the plural.
 */
import assert from "node:assert/strict";
import { makeRuntime, openSession, rpcError } from "./helpers/runtime.ts";

Deno.test("issue messages: a bound of 1 is singular, other bounds plural", async () => {
  await using t = await makeRuntime();
  const s = await openSession(t, { schema: 2, ui: { views: [{ name: "main" }], host_api: {} } });
  const empty = await rpcError(t, "session.call", {
    session_id: s.session_id,
    ns: "",
    method: "m",
  });
  assert.deepEqual(empty.data.issues, [{ path: "ns", message: "must have at least 1 character" }]);
  const long = await rpcError(t, "session.call", {
    session_id: s.session_id,
    ns: "n".repeat(65),
    method: "m",
  });
  assert.deepEqual(long.data.issues, [{ path: "ns", message: "must have at most 64 characters" }]);
  const view = await s.call("window", "open_view", { view: "" });
  assert.equal(view.error.message, "invalid argument 'view': must have at least 1 character");
});
