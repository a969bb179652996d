/** Tolerance rules of CONTRACT §3.2–§3.6: each emits a §3.7 warning and applies its fallback. */
import assert from "node:assert/strict";
import { analyzeManifest } from "../lib/manifest/mod.ts";
import { analyzeEdited, type Json, minimal, where } from "./helpers/manifest_edit.ts";

/** Warnings never remove the effective manifest. */
function run(edit: (m: Json) => void) {
  const out = analyzeEdited(edit);
  assert.ok(out.r.diagnostics.every((d) => d.severity === "warning"));
  return out;
}

Deno.test("schema_unsupported for 1, 3, missing and non-numbers", () => {
  for (const schema of [1, 3, undefined, "2"]) {
    const { r } = run((m) => (m.schema = schema));
    assert.deepEqual(where(r), ["schema_unsupported@schema"]);
  }
});

Deno.test("unknown_key at top level, in ui and in dev, with a did-you-mean hint", () => {
  const { r } = run((m) => {
    m.permisions = [];
    m.ui.form_factor = [];
    m.dev = { executas: {}, seed_credentials: {} };
    m.storage = { kv: true };
  });
  assert.deepEqual(where(r), [
    "unknown_key@permisions",
    "unknown_key@storage",
    "unknown_key@ui.form_factor",
    "unknown_key@dev.executas",
    "unknown_key@dev.seed_credentials",
  ]);
  assert.equal(r.diagnostics[0].hint, 'did you mean "permissions"?');
  assert.match(r.diagnostics[1].message, /schema-3/);
});

Deno.test("unknown_key hints also catch two swapped letters (shcema, veiws)", () => {
  const { r } = run((m) => {
    m.shcema = 2;
    m.ui.veiws = [];
  });
  const hints = r.diagnostics.filter((d) => d.code === "unknown_key").map((d) => d.hint);
  assert.deepEqual(hints, ['did you mean "schema"?', 'did you mean "views"?']);
});

Deno.test("executa refs: bare strings, invalid items, duplicates across lists", () => {
  const { r, m } = run((x) => {
    x.required_executas = ["tool-a", { tool_id: "tool-b", min_version: "1.0.0" }, { id: "x" }];
    x.optional_executas = [{ tool_id: "tool-a" }, { tool_id: "t".repeat(201) }, { tool_id: "c" }];
  });
  assert.deepEqual(where(r), [
    "executa_ref_invalid@required_executas[0]",
    "executa_ref_invalid@required_executas[2]",
    "executa_ref_duplicate@optional_executas[0]",
    "executa_ref_invalid@optional_executas[1]",
  ]);
  assert.deepEqual(m.required_executas, [
    { tool_id: "tool-a" },
    { tool_id: "tool-b", min_version: "1.0.0" },
  ]);
  assert.deepEqual(m.optional_executas, [{ tool_id: "c" }]);
  const { r: r2 } = run((x) => (x.required_executas = "tool-a"));
  assert.deepEqual(where(r2), ["executa_ref_invalid@required_executas"]);
  // a version of the wrong type is named, not dropped without a word; the ref itself stays
  const { r: r3, m: m3 } = run((x) => {
    x.required_executas = [{ tool_id: "tool-a", min_version: 1, version: "latest" }];
  });
  assert.deepEqual(where(r3), ["executa_ref_invalid@required_executas[0].min_version"]);
  assert.match(r3.diagnostics[0].message, /must be a string \(e\.g\. "1\.0\.0"\), got 1/);
  assert.deepEqual(m3.required_executas, [{ tool_id: "tool-a", version: "latest" }]);
});

Deno.test("texts: addendum length, prefix template placeholder and length", () => {
  const long = run((m) => (m.system_prompt_addendum = "x".repeat(4001))).r;
  assert.deepEqual(where(long), ["text_too_long@system_prompt_addendum"]);
  assert.deepEqual(where(run((m) => (m.system_prompt_addendum = "x".repeat(4000))).r), []);
  for (const tpl of ["no placeholder", "{user_message} {user_message}", 5]) {
    const { r } = run((m) => (m.user_message_prefix_template = tpl));
    assert.deepEqual(where(r), ["prefix_template_invalid@user_message_prefix_template"]);
  }
  const big = run((m) => (m.user_message_prefix_template = "{user_message}" + "x".repeat(500))).r;
  assert.deepEqual(where(big), ["text_too_long@user_message_prefix_template"]);
  // characters are code points, as for titles and summary templates: 4000 emoji fit, 4001 do not
  const emoji = "\u{1F600}";
  assert.deepEqual(where(run((m) => (m.system_prompt_addendum = emoji.repeat(4000))).r), []);
  const over = run((m) => (m.system_prompt_addendum = emoji.repeat(4001))).r;
  assert.deepEqual(where(over), ["text_too_long@system_prompt_addendum"]);
  assert.match(over.diagnostics[0].message, /has 4001 characters/);
  const tplEmoji = "{user_message}" + emoji.repeat(486);
  assert.deepEqual(where(run((m) => (m.user_message_prefix_template = tplEmoji)).r), []);
});

Deno.test("permissions and host_capabilities are checked for display and never enforced", () => {
  const { r, m } = run((x) => {
    x.permissions = ["storage.read", "storage.get", "llm.complete"];
    x.host_capabilities = ["llm.sample", "llm.samples"];
    x.tags = ["a", 3];
  });
  assert.deepEqual(where(r), [
    "permission_unknown@permissions[1]",
    "host_capability_unknown@host_capabilities[1]",
    "field_invalid@tags",
  ]);
  assert.equal(r.diagnostics[1].hint, 'did you mean "llm.sample"?');
  assert.deepEqual(m.permissions, ["storage.read", "llm.complete"]);
  assert.deepEqual(m.host_capabilities, ["llm.sample"]);
  assert.deepEqual(m.tags, ["a"]);
});

Deno.test("a value of the sibling list (permissions ↔ host_capabilities): the hint names where it belongs", () => {
  const { r, m } = run((x) => {
    x.permissions = ["llm.image", "web.search"];
    x.host_capabilities = ["llm.image", "storage.write"];
  });
  assert.deepEqual(r.diagnostics.map((d) => [d.path, d.hint]), [
    [
      "permissions[0]",
      '"llm.image" is a host_capabilities value and is already listed there; remove it from permissions',
    ],
    ["permissions[1]", '"web.search" is a host_capabilities value; move it to host_capabilities'],
    ["host_capabilities[1]", '"storage.write" is a permissions value; move it to permissions'],
  ]);
  assert.deepEqual([m.permissions, m.host_capabilities], [[], ["llm.image"]]);
});

Deno.test("bundle: missing, format, external origins; effective defaults", () => {
  const { r, m } = run((x) => delete x.ui.bundle);
  assert.deepEqual(where(r), ["bundle_missing@ui.bundle"]);
  assert.deepEqual(m.ui.bundle, {
    format: "static-spa",
    entry: "index.html",
    external_origins: [],
  });
  const f = run((x) => {
    x.ui.bundle = {
      format: "webpack",
      entry: "app.html",
      external_origins: [
        "https://api.x.com",
        "http://api.y.com",
        "https://*.z.com",
        7,
        "https://a.com; script-src 'unsafe-eval'",
        "https://",
      ],
    };
  });
  assert.deepEqual(where(f.r), [
    "bundle_format@ui.bundle.format",
    "external_origin_invalid@ui.bundle.external_origins[1]",
    "external_origin_invalid@ui.bundle.external_origins[2]",
    "external_origin_invalid@ui.bundle.external_origins[3]",
    "external_origin_invalid@ui.bundle.external_origins[4]",
    "external_origin_invalid@ui.bundle.external_origins[5]",
  ]);
  assert.deepEqual(f.m.ui.bundle, {
    format: "static-spa",
    entry: "app.html",
    external_origins: ["https://api.x.com"],
  });
});

Deno.test("views: defaults, name format, duplicates, titles, multiple defaults", () => {
  const { r, m } = run((x) => {
    x.ui.bundle.entry = "app.html";
    x.ui.views = [
      { name: "Main View" },
      { name: "second", title: "x".repeat(121), default: true },
      { name: "second", title: "dup" },
      { name: "third", title: "  ", default: true, entry: "/etc/passwd" },
      { name: "fourth", title: 4, entry: "page.html?x=1#top", default: "yes" },
    ];
  });
  assert.deepEqual(where(r), [
    "view_name_format@ui.views[0].name",
    "view_title@ui.views[0].title",
    "view_title@ui.views[1].title",
    "view_duplicate@ui.views[2].name",
    "view_entry_unsafe@ui.views[3].entry",
    "view_default_multiple@ui.views[3].default",
    "view_title@ui.views[4].title",
    "view_invalid@ui.views[4].default",
  ]);
  const [v0, v1, v3, v4] = m.ui.views;
  assert.deepEqual(v0, {
    name: "Main View",
    title: "Main View",
    default: false,
    entry: "app.html",
    mobile_entry: null,
    min_size: null,
    default_size: null,
    max_size: null,
    resizable: true,
    movable: true,
    single_instance: false,
    summary_template: null,
    icon: null,
  });
  assert.equal(v1.default, true);
  assert.equal(v3.default, false, "the first default wins");
  assert.equal(v3.title, "  ", "a blank title of 1..120 characters is valid (§3.3)");
  assert.equal(v3.entry, "app.html", "unsafe view entry falls back to the bundle entry");
  assert.equal(v4.entry, "page.html?x=1#top");
  assert.equal(v4.title, "fourth");
});

Deno.test("view title and summary_template lengths count characters (code points), as window.set_title does", () => {
  const emoji = "\u{1F600}"; // one character, two UTF-16 units
  const { r, m } = run((x) => {
    x.ui.views = [
      { name: "a", title: emoji.repeat(120), summary_template: emoji.repeat(400) },
      { name: "b", title: emoji.repeat(121), summary_template: emoji.repeat(401) },
    ];
  });
  assert.deepEqual(where(r), [
    "view_title@ui.views[1].title",
    "text_too_long@ui.views[1].summary_template",
  ]);
  assert.equal(m.ui.views[0].title, emoji.repeat(120));
  assert.equal(m.ui.views[0].summary_template, emoji.repeat(400));
  assert.equal(m.ui.views[1].title, "b");
});

Deno.test("views_too_many: more than 16 views warn and all are kept", () => {
  const { r, m } = run((x) => {
    x.ui.views = Array.from({ length: 17 }, (_, i) => ({ name: `v${i}`, title: `V${i}` }));
  });
  assert.deepEqual(where(r), ["views_too_many@ui.views"]);
  assert.equal(m.ui.views.length, 17);
});

Deno.test("view sizes: clamped, rounded, default kept within min..max", () => {
  const { r, m } = run((x) => {
    x.ui.views = [
      { name: "a", title: "A", min_size: { w: 100, h: 200.6 }, max_size: { w: 5000, h: 900 } },
      { name: "b", title: "B", min_size: { w: 400, h: 400 }, default_size: { w: 300, h: 2000 } },
      { name: "c", title: "C", min_size: { w: 800, h: 800 }, max_size: { w: 600, h: 900 } },
      { name: "d", title: "D", default_size: "big", max_size: { w: "1" } },
      // 1e400 in a file parses to Infinity: out of range, so clamped, not dropped
      { name: "e", title: "E", default_size: { w: Infinity, h: 500 } },
    ];
  });
  assert.deepEqual(where(r), [
    "view_size@ui.views[0].min_size",
    "view_size@ui.views[0].max_size",
    "view_size@ui.views[1].default_size",
    "view_size@ui.views[2].max_size",
    "view_size@ui.views[3].max_size",
    "view_size@ui.views[3].default_size",
    "view_size@ui.views[4].default_size",
  ]);
  assert.deepEqual(m.ui.views[4].default_size, { w: 4096, h: 500 });
  assert.match(
    r.diagnostics.find((d) => d.path === "ui.views[4].default_size")!.message,
    /\{"w":Infinity,"h":500\} must be integers within 120\.\.4096; using \{"w":4096,"h":500\}/,
  );
  assert.deepEqual(m.ui.views[0].min_size, { w: 120, h: 201 });
  assert.deepEqual(m.ui.views[0].max_size, { w: 4096, h: 900 });
  assert.deepEqual(m.ui.views[1].default_size, { w: 400, h: 2000 });
  assert.deepEqual(m.ui.views[2].max_size, { w: 800, h: 900 });
  assert.equal(m.ui.views[3].default_size, null);
  assert.equal(m.ui.views[3].max_size, null);
});

Deno.test("view fields: booleans, strings, summary_template length", () => {
  const { r, m } = run((x) => {
    x.ui.views = [{
      name: "a",
      title: "A",
      resizable: "no",
      movable: false,
      single_instance: true,
      icon: 5,
      mobile_entry: "m.html",
      summary_template: "s".repeat(401),
    }];
  });
  assert.deepEqual(where(r), [
    "text_too_long@ui.views[0].summary_template",
    "view_invalid@ui.views[0].resizable",
    "view_invalid@ui.views[0].icon",
  ]);
  const v = m.ui.views[0];
  assert.deepEqual(
    [v.resizable, v.movable, v.single_instance, v.icon, v.mobile_entry, v.summary_template],
    [true, false, true, null, "m.html", null],
  );
});

Deno.test("host_api: not an object, unknown namespaces, non-lists, unknown methods, agent", () => {
  const notObj = run((x) => (x.ui.host_api = ["storage"]));
  assert.deepEqual(where(notObj.r), ["host_api_not_object@ui.host_api"]);
  assert.deepEqual(notObj.m.ui.host_api, {});
  const { r, m } = run((x) => {
    x.ui.host_api = {
      storage: ["read", "write", "get", "*"],
      llm: ["sample", "complete"],
      chat: "write_message",
      strage: ["get"],
      video: ["play"],
      window: "anything goes",
      credentials: ["github"],
      agent: { session: { auto: "yes", fixed: { client_ids: [1] } }, tools: "x" },
    };
  });
  assert.deepEqual(where(r), [
    "host_api_unknown_method@ui.host_api.storage[0]",
    "host_api_unknown_method@ui.host_api.storage[1]",
    "host_api_unknown_method@ui.host_api.llm[0]",
    "host_api_not_list@ui.host_api.chat",
    "host_api_unknown_namespace@ui.host_api.strage",
    "host_api_unknown_namespace@ui.host_api.video",
    "agent_spec_invalid@ui.host_api.agent.session.auto",
    "agent_spec_invalid@ui.host_api.agent.session.fixed",
    "agent_spec_invalid@ui.host_api.agent.tools",
  ]);
  assert.match(r.diagnostics[0].hint!, /"get" and "list"/);
  assert.match(r.diagnostics[1].hint!, /"set" and "delete"/);
  assert.match(r.diagnostics[2].hint!, /"complete"/);
  assert.equal(r.diagnostics[4].hint, 'did you mean "storage"?');
  // copied as given, legacy names kept literally (never translated)
  assert.deepEqual(m.ui.host_api.storage, ["read", "write", "get", "*"]);
  assert.equal(m.ui.host_api.window, "anything goes");
  // a non-string item is named as what it is, not as a method called "5"
  const nonString = run((x) => (x.ui.host_api = { storage: ["get", 5, null] }));
  assert.deepEqual(nonString.r.diagnostics.map((d) => d.message), [
    "ui.host_api.storage contains 5, which is not a method name (a string); it grants nothing",
    "ui.host_api.storage contains null, which is not a method name (a string); it grants nothing",
  ]);
  assert.match(nonString.r.diagnostics[0].hint!, /storage methods: get, set, delete, list/);
  const agentNotObj = run((x) => (x.ui.host_api = { agent: true }));
  assert.deepEqual(where(agentNotObj.r), ["agent_spec_invalid@ui.host_api.agent"]);
});

Deno.test("tools_ref_unresolved with a did-you-mean hint; a resolver can be supplied", () => {
  const { r } = run((x) => {
    x.required_executas = [{ tool_id: "tool-notes" }, { tool_id: "bundled:helper" }];
    x.ui.host_api = {
      tools: ["tool-note", "required:tool-notes", "optional:*", "bundled:helper", "nothing", 4],
    };
  });
  assert.deepEqual(where(r), [
    "tools_ref_unresolved@ui.host_api.tools[0]",
    "tools_ref_unresolved@ui.host_api.tools[2]",
    "tools_ref_unresolved@ui.host_api.tools[4]",
    "tools_ref_unresolved@ui.host_api.tools[5]",
  ]);
  assert.equal(r.diagnostics[0].hint, 'did you mean "tool-notes"?');
  // a resolved id in host_api.tools only matches once bundled: refs are resolved
  const raw = minimal();
  raw.required_executas = [{ tool_id: "bundled:helper" }];
  raw.ui.host_api = { tools: ["tool-helper-1"] };
  assert.deepEqual(where(analyzeManifest(raw)), ["tools_ref_unresolved@ui.host_api.tools[0]"]);
  const resolve = (x: string) => (x === "bundled:helper" ? "tool-helper-1" : x);
  assert.deepEqual(analyzeManifest(raw, { resolve }).diagnostics, []);
});

Deno.test("csp_overrides: directives and values filtered and de-duplicated", () => {
  const frames = Array.from({ length: 9 }, (_, i) => `https://f${i}.example.com`);
  const { r, m } = run((x) => {
    x.ui.csp_overrides = {
      "script-src": ["'self'", "'unsafe-eval'", "'sha256-abc+/='", "'nonce-xyz'", "'self'"],
      "style-src": ["'unsafe-inline'", "https://cdn.x.com"],
      "connect-src": ["https:", "wss://rt.x.com", "http://localhost:8080", "http://evil.com"],
      "img-src": ["data:", "blob:", "https://*.cdn.com/img/"],
      "frame-src": [...frames, "https://a.com/path"],
      "object-src": ["'none'"],
      "font-src": "data:",
    };
  });
  assert.deepEqual(where(r), [
    "csp_value_rejected@ui.csp_overrides.script-src[1]",
    "csp_value_rejected@ui.csp_overrides.style-src[1]",
    "csp_value_rejected@ui.csp_overrides.connect-src[3]",
    "csp_value_rejected@ui.csp_overrides.frame-src[8]",
    "csp_value_rejected@ui.csp_overrides.frame-src[9]",
    "csp_directive_unknown@ui.csp_overrides.object-src",
    "csp_value_rejected@ui.csp_overrides.font-src",
  ]);
  assert.deepEqual(m.ui.csp_overrides, {
    "script-src": ["'self'", "'sha256-abc+/='", "'nonce-xyz'"],
    "style-src": ["'unsafe-inline'"],
    "connect-src": ["https:", "wss://rt.x.com", "http://localhost:8080"],
    "img-src": ["data:", "blob:", "https://*.cdn.com/img/"],
    "frame-src": frames.slice(0, 8),
  });
  const notObj = run((x) => (x.ui.csp_overrides = ["'self'"]));
  assert.deepEqual(where(notObj.r), ["csp_directive_unknown@ui.csp_overrides"]);
});

Deno.test("state_merge and form_factors", () => {
  const { r, m } = run((x) => {
    x.ui.state_merge = "crdt";
    x.ui.form_factors = ["desktop", "watch", "mobile"];
  });
  assert.deepEqual(where(r), [
    "state_merge_unknown@ui.state_merge",
    "form_factor_unknown@ui.form_factors[1]",
  ]);
  assert.equal(m.ui.state_merge, "last_writer_wins");
  assert.deepEqual(m.ui.form_factors, ["desktop", "mobile"]);
});

Deno.test("dev block: fixtures, mocks, seed_storage, user_id", () => {
  const ok = run((x) => {
    x.dev = {
      fixtures: ["fixtures/*.jsonl"],
      mocks: { "llm.complete": { result: 1 } },
      seed_storage: { a: 1 },
      user_id: 0,
    };
  });
  assert.deepEqual(ok.r.diagnostics, []);
  assert.deepEqual(ok.m.dev, {
    fixtures: ["fixtures/*.jsonl"],
    mocks: { "llm.complete": { result: 1 } },
    seed_storage: { a: 1 },
    user_id: 0,
  });
  const bad = run((x) => {
    x.dev = {
      fixtures: ["a", 3],
      mocks: { nodot: 1, "tools.invoke": 2 },
      seed_storage: [],
      user_id: -1,
    };
  });
  assert.deepEqual(where(bad.r), [
    "dev_fixtures_invalid@dev.fixtures[1]",
    "dev_mocks_invalid@dev.mocks.nodot",
    "seed_storage_invalid@dev.seed_storage",
    "dev_user_id_invalid@dev.user_id",
  ]);
  assert.deepEqual(bad.m.dev, {
    fixtures: ["a"],
    mocks: { "tools.invoke": 2 },
    seed_storage: null,
    user_id: null,
  });
  const huge = run((x) => (x.dev = { seed_storage: { k: "x".repeat(262144) }, user_id: 1.5 }));
  assert.deepEqual(where(huge.r), [
    "seed_storage_invalid@dev.seed_storage",
    "dev_user_id_invalid@dev.user_id",
  ]);
  const notObj = run((x) => (x.dev = "dev"));
  assert.deepEqual(where(notObj.r), ["field_invalid@dev"]);
});

Deno.test("every warning names a path and explains itself", () => {
  const { r } = run((x) => {
    x.schema = 1;
    x.extra = 1;
    x.ui.views.push({ name: "main" });
    x.ui.host_api = { storage: ["read"] };
  });
  assert.ok(r.diagnostics.length >= 4);
  for (const d of r.diagnostics) {
    assert.ok(d.path.length > 0, d.code);
    assert.ok(d.message.length > 20, d.code);
  }
});

Deno.test("views: a name of 40 characters is fine, 41 is view_name_format (§3.3)", () => {
  const names = (name: string) =>
    where(
      run((x) => {
        x.ui.views = [{ name, title: "T" }];
      }).r,
    ).filter((w) => w.startsWith("view_name_format"));
  assert.deepEqual(names("a".repeat(40)), []);
  assert.deepEqual(names("a".repeat(41)), ["view_name_format@ui.views[0].name"]);
});

Deno.test("csp_overrides: each value outside §3.5's lists is dropped", () => {
  const rejected: Record<string, string[]> = {
    "script-src": ["'unsafe-inline'", "'unsafe-eval'", "'sha1-abc='", "https://cdn.x.com", "*"],
    "style-src": ["'unsafe-eval'", "https://cdn.x.com"],
    "connect-src": ["'unsafe-eval'", "http://evil.com", "*"],
    "frame-src": ["http://a.example", "https:", "https://a.example/path"],
  };
  for (const [directive, values] of Object.entries(rejected)) {
    for (const v of values) {
      const { m } = run((x) => (x.ui.csp_overrides = { [directive]: [v] }));
      assert.equal(m.ui.csp_overrides[directive], undefined, `${directive} ${v}`);
    }
  }
  const kept = run((x) => (x.ui.csp_overrides = {
    "script-src": ["'wasm-unsafe-eval'", "'sha384-abc='", "'sha512-abc='"],
    "frame-src": ["https://a.example:8443"],
  })).m.ui.csp_overrides;
  assert.deepEqual(kept, {
    "script-src": ["'wasm-unsafe-eval'", "'sha384-abc='", "'sha512-abc='"],
    "frame-src": ["https://a.example:8443"],
  });
});

Deno.test("unknown_key in ui.bundle and in a view, with a did-you-mean hint (a misspelt default is not silently lost)", () => {
  const { r, m } = run((x) => {
    x.ui.bundle = { entry: "index.html", entry_point: "app.html" };
    x.ui.views = [{ name: "a", title: "A" }, { name: "b", title: "B", defualt: true, minSize: {} }];
  });
  assert.deepEqual(where(r), [
    "unknown_key@ui.bundle.entry_point",
    "unknown_key@ui.views[1].defualt",
    "unknown_key@ui.views[1].minSize",
  ]);
  assert.equal(
    r.diagnostics[1].message,
    "ui.views[1].defualt is not a known view key; it is ignored",
  );
  assert.equal(r.diagnostics[1].hint, 'did you mean "default"?');
  assert.equal(m.ui.views[1].default, false);
});
