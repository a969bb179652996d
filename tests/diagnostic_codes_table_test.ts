/**
 * The §3.7 diagnostics table through `session.create`, the path apps take (manifest_warnings_test
 * and manifest_errors_test pin each rule on the analyser itself): every error code is a -32602
 * `manifest_invalid` with `diagnostics`, every warning the manifest alone can raise comes back in
 * `warnings`, each `{severity, code, path, message, hint?}` and nothing else.
 * `entry_not_found` and `strict_ungranted_call` belong to `validate`/`dev` (validate_cli_test),
 * `executa_discovery` to app_dir discovery (bridge_session_create_test).
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { type Loose, makeRuntime, rpcError } from "./helpers/runtime.ts";

const SHAPE = new Set(["severity", "code", "path", "message", "hint"]);

function assertShape(d: Loose, severity: string) {
  for (const k of Object.keys(d)) assert.ok(SHAPE.has(k), `unexpected key ${k} in ${d.code}`);
  assert.equal(d.severity, severity, d.code);
  assert.equal(typeof d.code, "string");
  assert.equal(typeof d.path, "string", d.code);
  assert.ok(typeof d.message === "string" && d.message.length > 0, d.code);
  if ("hint" in d) assert.equal(typeof d.hint, "string", d.code);
}

/** One manifest that breaks every tolerance rule a manifest alone can break, once each. */
function everyWarning(): Record<string, unknown> {
  const filler = Array.from({ length: 14 }, (_, i) => ({ name: `v${i}`, title: `V${i}` }));
  return {
    schema: 3, // schema_unsupported
    surprise: 1, // unknown_key
    required_executas: [{ id: "x" }, { tool_id: "tool-a" }], // executa_ref_invalid
    optional_executas: [{ tool_id: "tool-a" }], // executa_ref_duplicate
    system_prompt_addendum: "x".repeat(4001), // text_too_long
    user_message_prefix_template: "no placeholder", // prefix_template_invalid
    permissions: ["storage.get"], // permission_unknown
    host_capabilities: ["llm.samples"], // host_capability_unknown
    ui: {
      // bundle_format, external_origin_invalid
      bundle: { format: "webpack", external_origins: ["http://api.y.com"] },
      views: [
        { name: "main", title: "M", default: true, min_size: { w: 100, h: 200 } }, // view_size
        { name: "Main View", title: "x".repeat(121) }, // view_name_format, view_title
        { name: "main", title: "dup" }, // view_duplicate
        // view_default_multiple, view_entry_unsafe, view_invalid
        { name: "third", title: "T", default: true, entry: "/etc/passwd", resizable: "no" },
        ...filler, // views_too_many: 17 usable (the duplicate is dropped)
      ],
      host_api: {
        storage: ["read"], // host_api_unknown_method
        strage: ["get"], // host_api_unknown_namespace
        chat: "write_message", // host_api_not_list
        agent: true, // agent_spec_invalid
        tools: ["nothing"], // tools_ref_unresolved
      },
      // csp_directive_unknown, csp_value_rejected
      csp_overrides: { "object-src": ["'none'"], "script-src": ["'unsafe-eval'"] },
      state_merge: "crdt", // state_merge_unknown
      form_factors: ["watch"], // form_factor_unknown
    },
    // dev_fixtures_invalid, dev_mocks_invalid, seed_storage_invalid, dev_user_id_invalid
    dev: { fixtures: [3], mocks: { nodot: 1 }, seed_storage: [], user_id: -1 },
  };
}

Deno.test("session.create returns every §3.7 warning a manifest can raise, in the diagnostic shape", async () => {
  await using t = await makeRuntime();
  const created = await t.call("session.create", { app_slug: "a", manifest: everyWarning() });
  const warnings = created.warnings as Loose[];
  for (const w of warnings) assertShape(w, "warning");
  assert.deepEqual([...new Set(warnings.map((w) => w.code))].sort(), [
    "agent_spec_invalid",
    "bundle_format",
    "csp_directive_unknown",
    "csp_value_rejected",
    "dev_fixtures_invalid",
    "dev_mocks_invalid",
    "dev_user_id_invalid",
    "executa_ref_duplicate",
    "executa_ref_invalid",
    "external_origin_invalid",
    "form_factor_unknown",
    "host_api_not_list",
    "host_api_unknown_method",
    "host_api_unknown_namespace",
    "host_capability_unknown",
    "permission_unknown",
    "prefix_template_invalid",
    "schema_unsupported",
    "seed_storage_invalid",
    "state_merge_unknown",
    "text_too_long",
    "tools_ref_unresolved",
    "unknown_key",
    "view_default_multiple",
    "view_duplicate",
    "view_entry_unsafe",
    "view_invalid",
    "view_name_format",
    "view_size",
    "view_title",
    "views_too_many",
  ]);
  // the two that need a manifest of their own: no bundle, host_api not an object
  const views = [{ name: "main", title: "M" }];
  for (
    const [ui, code] of [
      [{ views }, "bundle_missing"],
      [{ bundle: {}, views, host_api: ["storage"] }, "host_api_not_object"],
    ] as const
  ) {
    const r = await t.call("session.create", { app_slug: "a", manifest: { schema: 2, ui } });
    const ws = r.warnings as Loose[];
    assert.deepEqual(ws.map((w) => w.code), [code]);
    assertShape(ws[0], "warning");
  }
});

Deno.test("session.create: each §3.7 error code is -32602 manifest_invalid carrying it as an error diagnostic", async () => {
  await using t = await makeRuntime();
  const viaDir = async (name: string, text: string | null) => {
    const dir = join(t.dir, name);
    await Deno.mkdir(dir);
    if (text !== null) await Deno.writeTextFile(join(dir, "manifest.json"), text);
    return { app_dir: dir, register_executas: false };
  };
  const inline = (m: unknown) => ({ app_slug: "a", manifest: m });
  const cases: [string, Record<string, unknown>][] = [
    ["manifest_unreadable", await viaDir("none", null)],
    ["manifest_not_json", await viaDir("bad", '{\n  "schema": 2,\n  "ui": { "views": [ }\n}\n')],
    ["manifest_not_object", await viaDir("arr", "[1, 2]")],
    ["manifest_not_object", await viaDir("nul", "null")],
    ["ui_missing", inline({ schema: 2 })],
    ["views_missing", inline({ schema: 2, ui: { views: [] } })],
    [
      "entry_unsafe",
      inline({ schema: 2, ui: { bundle: { entry: "../x.html" }, views: [{ name: "m" }] } }),
    ],
  ];
  for (const [code, params] of cases) {
    const e = await rpcError(t, "session.create", params);
    assert.equal(e.code, -32602, code);
    assert.equal(e.message, "invalid_params", code);
    assert.equal(e.data.reason, "manifest_invalid", code);
    const errors = (e.data.diagnostics as Loose[]).filter((d) => d.severity === "error");
    assert.deepEqual(errors.map((d) => d.code), [code]);
    assertShape(errors[0], "error");
    // §3.7: invalid JSON says where, as line:column
    if (code === "manifest_not_json") assert.match(errors[0].message, /:3:22\b/);
  }
  assert.equal(t.rt.sessions.size, 0, "no refused create opened a session");
});
