// The §9.7 reply-mapping table as a pure function (the process-level table is in
// executa_replies_test.ts): string errors of `success:false` are the message verbatim.
import assert from "node:assert/strict";
import { mapInvokeResponse } from "../lib/executa/mapping.ts";

const reply = (result: unknown) => mapInvokeResponse({ jsonrpc: "2.0", id: 1, result });

Deno.test("success:false with a string error: message = that string, even when empty", () => {
  assert.deepEqual(reply({ success: false, error: "disk full" }), {
    ok: false,
    error: { code: "tool_failed", message: "disk full" },
  });
  assert.deepEqual(reply({ success: false, error: "" }), {
    ok: false,
    error: { code: "tool_failed", message: "" },
  });
  // a non-string error keeps the generic message with details
  assert.deepEqual(reply({ success: false, error: 7 }), {
    ok: false,
    error: { code: "tool_failed", message: "tool reported failure", details: { error: 7 } },
  });
});

Deno.test("no success key: only a non-empty string or an object error is a failure", () => {
  assert.deepEqual(reply({ error: "" }), { ok: true, result: { error: "" } });
  assert.deepEqual(reply({ error: null, data: 1 }), { ok: true, result: { error: null, data: 1 } });
  assert.deepEqual(reply({ error: "nope" }), {
    ok: false,
    error: { code: "tool_failed", message: "nope" },
  });
});
