/** The ACL (CONTRACT §5.2), tool refs and `bundled:` resolution (§5.3), scopes (§5.4). */
import assert from "node:assert/strict";
import {
  aclAllows,
  declaredTools,
  grantedTools,
  resolveToolRef,
  scopesFor,
  type ToolEntry,
} from "../lib/manifest/acl.ts";
import { analyzeManifest } from "../lib/manifest/mod.ts";
import type { EffectiveManifest } from "../lib/manifest/types.ts";

function m(extra: Record<string, unknown>, hostApi?: unknown): EffectiveManifest {
  const ui: Record<string, unknown> = { bundle: {}, views: [{ name: "main", title: "M" }] };
  if (hostApi !== undefined) ui.host_api = hostApi;
  const r = analyzeManifest({ schema: 2, ...extra, ui });
  assert.ok(r.manifest);
  return r.manifest;
}

const entries: ToolEntry[] = [
  { tool_id: "tool-notes-abc", handle: "notes", project_dir: "/app/executas/notes-tool" },
  { tool_id: "bundled:literal", handle: "lit", project_dir: "/app/executas/literal" },
  { tool_id: "tool-sum-1", handle: "s1", project_dir: "/app/executas/summary-py" },
  { tool_id: "tool-x-1", handle: "x1", project_dir: "/app/executas/dup-a" },
  { tool_id: "tool-x-2", handle: "x2", project_dir: "/app/executas/dup-b" },
];

Deno.test("resolveToolRef: (a) handle, (b) literal tool_id, (c) the single <h>-* directory", () => {
  assert.equal(resolveToolRef("bundled:notes", entries), "tool-notes-abc");
  assert.equal(resolveToolRef("bundled:literal", entries), "bundled:literal");
  assert.equal(resolveToolRef("bundled:summary", entries), "tool-sum-1");
  assert.equal(resolveToolRef("bundled:dup", entries), "bundled:dup", "ambiguous (c) → unchanged");
  assert.equal(resolveToolRef("bundled:missing", entries), "bundled:missing");
  assert.equal(resolveToolRef("notes", entries), "notes", "no prefix → unchanged");
  assert.equal(resolveToolRef("bundled:notes", []), "bundled:notes");
  // (a) wins over (b): a handle equal to h beats an executa whose tool_id is literally x
  const both: ToolEntry[] = [
    { tool_id: "bundled:h", handle: "other", project_dir: "/a/one" },
    { tool_id: "real-h", handle: "h", project_dir: "/a/two" },
  ];
  assert.equal(resolveToolRef("bundled:h", both), "real-h");
  // (b) wins over (c): a literal tool_id beats a single `<h>-*` directory
  const literalAndDir: ToolEntry[] = [
    { tool_id: "bundled:notes", handle: "n0", project_dir: "/a/plain" },
    { tool_id: "t-dir", handle: "n1", project_dir: "/a/notes-1" },
  ];
  assert.equal(resolveToolRef("bundled:notes", literalAndDir), "bundled:notes");
  // (c) needs `<h>-`: a directory that only starts with the letters of h is another executa
  const lookalike: ToolEntry[] = [{
    tool_id: "t-notesapp",
    handle: "na",
    project_dir: "/p/notesapp",
  }];
  assert.equal(resolveToolRef("bundled:notes", lookalike), "bundled:notes");
});

Deno.test("declaredTools: resolved ids tagged required/optional, each once", () => {
  const man = m({
    required_executas: [{ tool_id: "bundled:notes" }, { tool_id: "plain" }],
    optional_executas: [{ tool_id: "bundled:summary" }, { tool_id: "tool-notes-abc" }],
  });
  assert.deepEqual(declaredTools(man, entries), [
    { tool_id: "tool-notes-abc", tag: "required" },
    { tool_id: "plain", tag: "required" },
    { tool_id: "tool-sum-1", tag: "optional" },
  ]);
});

Deno.test("grantedTools: absent, empty or non-array host_api.tools grants every declared id", () => {
  const decl = { required_executas: [{ tool_id: "a" }], optional_executas: [{ tool_id: "b" }] };
  for (const hostApi of [undefined, {}, { tools: [] }, { tools: "a" }]) {
    assert.deepEqual(grantedTools(m(decl, hostApi), []), ["a", "b"], JSON.stringify(hostApi));
  }
});

Deno.test("a non-array host_api.tools warns that it is ignored, and every declared id stays granted", () => {
  const raw = {
    schema: 2,
    required_executas: [{ tool_id: "a" }],
    optional_executas: [{ tool_id: "b" }],
    ui: { bundle: {}, views: [{ name: "main", title: "M" }], host_api: { tools: "a" } },
  };
  const r = analyzeManifest(raw);
  assert.ok(r.manifest);
  const w = r.diagnostics.filter((d) => d.code === "host_api_not_list");
  assert.equal(w.length, 1);
  assert.equal(w[0].path, "ui.host_api.tools");
  // the warning must describe what the ACL does (§5.3), not claim that nothing is granted
  assert.doesNotMatch(w[0].message, /grants nothing/);
  assert.match(w[0].message, /every declared executa is granted/);
  assert.deepEqual(grantedTools(r.manifest, []), ["a", "b"]);
  // any other namespace: a non-list grants nothing, and says so
  const chat = analyzeManifest({ ...raw, ui: { ...raw.ui, host_api: { chat: "read_history" } } });
  const cw = chat.diagnostics.find((d) => d.code === "host_api_not_list")!;
  assert.match(cw.message, /grants nothing/);
  assert.equal(aclAllows(chat.manifest!, "chat", "read_history", []), false);
});

Deno.test("grantedTools: every ref form of the §5.3 table", () => {
  const decl = {
    required_executas: [{ tool_id: "r1" }, { tool_id: "bundled:notes" }],
    optional_executas: [{ tool_id: "o1" }, { tool_id: "o2" }],
  };
  const g = (refs: unknown[], ents: ToolEntry[] = entries) =>
    grantedTools(m(decl, { tools: refs }), ents);
  assert.deepEqual(g(["*"]), ["r1", "tool-notes-abc", "o1", "o2"]);
  assert.deepEqual(g(["required:*"]), ["r1", "tool-notes-abc"]);
  assert.deepEqual(g(["optional:*"]), ["o1", "o2"]);
  assert.deepEqual(g(["required:o2"]), ["o2"], "either list counts for required:<x>");
  assert.deepEqual(g(["optional:bundled:notes"]), ["tool-notes-abc"]);
  assert.deepEqual(g(["bundled:notes"]), ["tool-notes-abc"]);
  assert.deepEqual(g(["tool-notes-abc"]), ["tool-notes-abc"], "the resolved id itself");
  assert.deepEqual(g(["bundled:notes"], []), ["bundled:notes"], "literal without a registry");
  assert.deepEqual(g(["  o1 ", "nope", 3, "required:nope"]), ["o1"], "trimmed; unresolved = none");
  assert.deepEqual(g(["o2", "r1", "o2"]), ["r1", "o2"], "declaration order, unique");
});

Deno.test("aclAllows: window always, tools rules, list namespaces, '*', case-sensitive", () => {
  const man = m(
    { required_executas: [{ tool_id: "bundled:notes" }], optional_executas: [{ tool_id: "o" }] },
    {
      window: [],
      tools: ["required:*"],
      storage: ["get", "set"],
      llm: ["*"],
      chat: [],
      fs: "read",
      video: ["play"],
    },
  );
  assert.equal(aclAllows(man, "window", "set_title", entries), true);
  assert.equal(aclAllows(man, "window", "anything", []), true);
  assert.equal(aclAllows(man, "tools", "list", []), true);
  assert.equal(aclAllows(man, "tools", "invoke", entries, "tool-notes-abc"), true);
  assert.equal(aclAllows(man, "tools", "invoke", entries, "o"), false, "optional not granted");
  assert.equal(aclAllows(man, "tools", "invoke", entries), false, "no tool id");
  assert.equal(aclAllows(man, "tools", "invokeAsync", entries, "tool-notes-abc"), true);
  assert.equal(aclAllows(man, "tools", "getJob", entries), true, "granted tools non-empty");
  assert.equal(aclAllows(man, "storage", "get", []), true);
  assert.equal(aclAllows(man, "storage", "Get", []), false, "case-sensitive");
  assert.equal(aclAllows(man, "storage", "list", []), false);
  assert.equal(aclAllows(man, "llm", "embed", []), true, '"*" grants every method');
  assert.equal(aclAllows(man, "chat", "write_message", []), false, "empty list");
  assert.equal(aclAllows(man, "fs", "read", []), false, "non-array grants nothing");
  assert.equal(aclAllows(man, "prefs", "get", []), false, "absent");
  assert.equal(aclAllows(man, "video", "play", []), true, "unknown namespace kept and granted");
  assert.equal(aclAllows(man, "constructor", "x", []), false);
  const none = m({ required_executas: [] }, { tools: ["nothing"] });
  assert.equal(aclAllows(none, "tools", "getJob", []), false);
  assert.equal(aclAllows(none, "tools", "list", []), true);
});

Deno.test("aclAllows: top-level permissions and host_capabilities are never consulted", () => {
  const man = m({
    permissions: ["storage.read", "llm.complete"],
    host_capabilities: ["llm.sample"],
  }, {});
  assert.equal(aclAllows(man, "storage", "get", []), false);
  assert.equal(aclAllows(man, "llm", "complete", []), false);
});

Deno.test("aclAllows: agent.* needs session.auto or session.fixed truthy", () => {
  const cases: [unknown, boolean][] = [
    [{ session: { auto: true } }, true],
    [{ session: { fixed: true } }, true],
    [{ session: { auto: false, fixed: { client_ids: [] } } }, true],
    [{ session: { auto: false, fixed: null } }, false],
    [{ session: {} }, false],
    [{ tools: ["x"] }, false],
    [true, false],
    [["session"], false],
  ];
  for (const [agent, allowed] of cases) {
    assert.equal(
      aclAllows(m({}, { agent }), "agent", "session.create", []),
      allowed,
      JSON.stringify(agent),
    );
  }
});

Deno.test("scopesFor: array-valued keys in manifest order, agent grants, then window.*", () => {
  const man = m({}, {
    tools: ["required:*"],
    llm: ["complete"],
    fs: "read",
    storage: ["get", "set"],
    window: ["set_title"],
    agent: { session: { auto: true, fixed: { client_ids: [] } } },
    chat: [],
  });
  assert.deepEqual(scopesFor(man), [
    "tools.required:*",
    "llm.complete",
    "storage.get",
    "storage.set",
    "window.set_title",
    "agent.session.auto",
    "agent.session.fixed",
    "window.*",
  ]);
  assert.deepEqual(scopesFor(m({})), ["window.*"]);
  assert.deepEqual(scopesFor(m({}, { agent: { session: { fixed: true } } })), [
    "agent.session.fixed",
    "window.*",
  ]);
});
