/**
 * The dashboard's own bridge calls (new session, open view, storage editor, try invoke) report a
 * refused request in its error box by the message host_link.js builds. A JSON-RPC -32602 error
 * (CONTRACT §4.3) carries what went wrong in `data` — `issues`, the manifest `diagnostics`
 * (§4.4.1), the unknown view and the available ones (§3.9), a size against its maximum — and that
 * must reach the developer, not only the bare reason ("invalid_params (manifest_invalid)").
 */
import assert from "node:assert/strict";
import { type Any, fakeHostPage } from "../lib/dashboard/testing.ts";

/** The message the dashboard shows when the bridge answers `error`. */
async function messageFor(error: Any): Promise<string> {
  const page = fakeHostPage({
    bridge: () => {
      throw error;
    },
  });
  try {
    await page.host.rpc("session.create", {});
  } catch (e) {
    return (e as Error).message;
  }
  throw new Error("the call did not fail");
}

const invalid = (data: Any) => ({ code: -32602, message: "invalid_params", data });

Deno.test("dashboard error message: the manifest's error diagnostics are named", async () => {
  const m = await messageFor(invalid({
    reason: "manifest_invalid",
    diagnostics: [
      { severity: "warning", code: "unknown_key", path: "x", message: "unknown key 'x'" },
      {
        severity: "error",
        code: "manifest_unreadable",
        path: "",
        message: "cannot read manifest /apps/a/manifest.json: file not found",
      },
    ],
  }));
  assert.equal(
    m,
    "invalid_params (manifest_invalid): manifest_unreadable: cannot read manifest " +
      "/apps/a/manifest.json: file not found",
  );
});

Deno.test("dashboard error message: an unknown view lists the views there are", async () => {
  const m = await messageFor(
    invalid({ reason: "unknown_view", view: "nosuch", available: ["board", "detail"] }),
  );
  assert.equal(m, "invalid_params (unknown_view): no view 'nosuch' (available: board, detail)");
});

Deno.test("dashboard error message: a size over its limit says both numbers", async () => {
  const m = await messageFor(invalid({ reason: "state_too_large", size: 270008, max: 262144 }));
  assert.equal(m, "invalid_params (state_too_large): 270008 bytes, max 262144");
});

Deno.test("dashboard error message: issues are kept, with or without a reason", async () => {
  const issue = { path: "app_dir", message: "'/nope' is not a directory" };
  assert.equal(
    await messageFor(invalid({ reason: "app_dir_not_found", issues: [issue] })),
    "invalid_params (app_dir_not_found): app_dir: '/nope' is not a directory",
  );
  assert.equal(
    await messageFor(invalid({ issues: [issue, { path: "view", message: "must be a string" }] })),
    "invalid_params: app_dir: '/nope' is not a directory; view: must be a string",
  );
});

Deno.test("dashboard error message: a bare reason or no data stays short", async () => {
  assert.equal(
    await messageFor({ code: -32001, message: "unknown_session", data: { session_id: "ses_1" } }),
    "unknown_session",
  );
  assert.equal(
    await messageFor(invalid({ reason: "window_limit" })),
    "invalid_params (window_limit)",
  );
  assert.equal(await messageFor({ code: -32603, message: "internal_error" }), "internal_error");
});
