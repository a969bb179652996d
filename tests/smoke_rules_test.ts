/**
 * The rules behind replay (CONTRACT §14.2–§14.5, §9.4, §14.6): fixture classification and parsing,
 * globs, tool-id aliasing, value carry-over, the response check, the smoke HOME caches, Chromium lookup.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { FixtureError, parseFixtureText } from "../lib/smoke/fixtures.ts";
import { expandGlobs } from "../lib/smoke/glob.ts";
import { CarryOver, handleInToolId, parseAliases, ToolAliaser } from "../lib/smoke/alias.ts";
import { checkResponse } from "../lib/smoke/check.ts";
import { compareSubset, isVolatileKey } from "../lib/smoke/compare.ts";
import { cacheDefaults } from "../lib/smoke/home.ts";
import { ChromiumNotFound, findChromium, knownInstalls } from "../lib/smoke/chromium.ts";
import { exitCodeFor } from "../lib/smoke/report.ts";
import { stderrExcerpt } from "../lib/smoke/executas.ts";
import { tmpDir } from "./helpers/tmp.ts";
import { fixtureProblem } from "./helpers/fixture_problem.ts";

Deno.test("fixtures: classified by the first non-blank, non-comment line", () => {
  const rec = parseFixtureText(
    '\n# c\n// c\n{"t":0,"kind":"meta","view":"side"}\n{"t":1,"kind":"req","id":"a","ns":"storage","method":"get","args":{"key":"k"}}\n{"t":2,"kind":"auth.refresh","token":"x"}\n{"t":3,"kind":"res","id":"a","ok":false,"error":{"code":"not_found"}}\n',
    "r.jsonl",
  );
  assert.equal(rec.format, "recorded");
  assert.deepEqual(rec.steps.map((s) => s.type), ["meta", "req"]);
  assert.deepEqual(rec.steps[1], {
    type: "req",
    line: 5,
    id: "a",
    ns: "storage",
    method: "get",
    args: { key: "k" },
    expect: { ok: false, code: "not_found" },
    resLine: 7,
  });
  const docs = parseFixtureText(
    '{"t":1,"dir":"out","ns":"llm","method":"complete","args":{}}\n{"t":2,"dir":"in","name":"x","payload":{"a":1}}',
    "d.jsonl",
  );
  assert.equal(docs.format, "docs");
  assert.deepEqual(docs.steps.map((s) => s.type === "req" ? s.expect : s.type), [
    { ok: null },
    "event",
  ]);
  const mocks = parseFixtureText('{"ns":"image","method":"generate","result":{"ok":1}}', "m.jsonl");
  assert.equal(mocks.format, "mocks");
  assert.equal(mocks.mocks[0].source, "m.jsonl:1");
});

Deno.test("fixtures: an unknown key on a docs-format line is a warning naming it, once per key, so a misspelt expectation is not silently weaker", () => {
  const docs = parseFixtureText(
    [
      '{"t":1,"dir":"out","ns":"storage","method":"get","args":{"key":"k"},"error_code":"not_found"}',
      '{"t":2,"dir":"out","ns":"storage","method":"get","args":{"key":"j"},"error_code":"not_found"}',
      '{"t":3,"dir":"out","ns":"storage","method":"get","args":{"key":"i"},"results":{"ok":true}}',
      '{"t":4,"dir":"in","name":"runtime_state_synced","payload":{},"kind":"x"}',
      '{"t":5,"dir":"out","ns":"storage","method":"set","args":{"key":"k","value":1},"result":{"ok":true}}',
    ].join("\n"),
    "d.jsonl",
  );
  const out =
    'a "dir":"out" line is checked by "result", or by "error" with the expected error code';
  assert.deepEqual(docs.warnings, [
    `d.jsonl:1: unknown key "error_code" on a "dir":"out" line (and 1 more line), ignored; ${out}`,
    `d.jsonl:3: unknown key "results" on a "dir":"out" line, ignored; ${out}`,
    'd.jsonl:4: unknown key "kind" on a "dir":"in" line, ignored; a "dir":"in" line has only ' +
    '"name" and "payload"',
  ]);

  // the lines are still replayed as they read: only "not internal_error" for the first three
  assert.deepEqual(docs.steps.map((s) => s.type === "req" ? s.expect.ok : s.type), [
    null,
    null,
    null,
    "event",
    true,
  ]);
  const clean = parseFixtureText(
    '{"t":1,"dir":"out","ns":"llm","method":"complete","args":{},"error":"invalid_arg"}',
    "c.jsonl",
  );
  assert.deepEqual(clean.warnings, []);
});

Deno.test('fixtures: an unknown key on a recorded req or res line is a warning naming it, so a misspelt "args" or "result" is not silently dropped', () => {
  const rec = parseFixtureText(
    [
      '{"t":0,"kind":"meta","view":"main","recorder":"x"}',
      '{"t":1,"kind":"req","id":1,"ns":"storage","method":"get","arguments":{"key":"k"}}',
      '{"t":2,"kind":"res","id":1,"ok":true,"reslt":{"value":1}}',
      '{"t":3,"kind":"req","id":2,"ns":"storage","method":"get","args":{"key":"k"}}',
      '{"t":4,"kind":"res","id":2,"ok":true,"reslt":{"value":1}}',
      '{"t":5,"kind":"event","event":"x","payload":{},"seq":3}',
      '{"t":6,"kind":"constructor","toString":1}',
    ].join("\n"),
    "r.jsonl",
  );
  assert.deepEqual(rec.warnings, [
    'r.jsonl:2: unknown key "arguments" on a "req" line, ignored; a "req" line sends "args" ' +
    '(default {}) as "ns"."method"',
    'r.jsonl:3: unknown key "reslt" on a "res" line (and 1 more line), ignored; a "res" line is ' +
    'checked by "ok" with "result", or by "error" with the expected error code',
    'r.jsonl:7: unknown kind "constructor"; ignored (kinds: meta, req, res, auth.refresh, event)',
  ]);
  // read as written: {} sent, only ok checked
  const req = rec.steps[1];
  assert.ok(req.type === "req");
  assert.deepEqual([req.args, req.expect], [{}, { ok: true, hasResult: false, result: undefined }]);
  // the corpus recording's lines carry only the §14.3 keys
  assert.deepEqual(
    parseFixtureText(
      '{"t":0,"kind":"meta","harness_version":"0.1","session_id":"s","window_uuid":"w"}\n' +
        '{"t":1,"kind":"req","id":1,"ns":"window","method":"hello","args":{}}\n' +
        '{"t":2,"kind":"res","id":1,"ok":false,"result":null,"error":{"code":"x"}}\n' +
        '{"t":3,"kind":"auth.refresh","token":"t"}',
      "c.jsonl",
    ).warnings,
    [],
  );
});

Deno.test("fixtures: problems name file:line", () => {
  const bad = (text: string, re: RegExp) =>
    assert.throws(
      () => parseFixtureText(text, "/x/f.jsonl", "f.jsonl"),
      (e) => e instanceof FixtureError && re.test(e.message),
    );
  bad('{"t":0,"kind":"meta"}\nnot json', /^f\.jsonl:2: invalid JSON/);
  bad('{"t":0}', /^f\.jsonl:1: cannot tell the fixture format/);
  bad('{"ns":"a","method":"b","t":1}', /^f\.jsonl:1: cannot tell/);
  bad('{"ns":"a","method":"b"}', /^f\.jsonl:1: needs one of "result"/);
  bad('{"dir":"out","ns":"a"}', /^f\.jsonl:1: a "dir":"out" line needs "method"/);
  bad('{"kind":"req","ns":"a","method":"b"}', /^f\.jsonl:1: a "req" line needs "id"/);
  bad('{"kind":"meta"}\n[1]', /^f\.jsonl:2: each line must be a JSON object/);
});

Deno.test('fixtures: a wrong "dir" value, or a line of the other format, says which it is', () => {
  const message = fixtureProblem;
  const out = '{"dir":"out","ns":"storage","method":"get"}';
  assert.equal(
    message(`${out}\n{"dir":"OUT","ns":"storage","method":"get"}`),
    'f.jsonl:2: "dir" must be "out" (a request) or "in" (an expected event), got "OUT"',
  );
  assert.equal(
    message(`${out}\n{"t":1,"kind":"req","id":1,"ns":"storage","method":"get"}`),
    'f.jsonl:2: docs-format lines need "dir" ("out" or "in") (this line has "kind": a ' +
      "recorded-session line; each file holds one format, so move it to a file of its own)",
  );
  assert.equal(
    message(`${out}\n{"ns":"storage"}`),
    'f.jsonl:2: docs-format lines need "dir" ("out" or "in")',
  );
  assert.equal(
    message(`{"t":0,"kind":"meta"}\n${out}`),
    'f.jsonl:2: recorded-session lines need "kind" (meta, req, res, auth.refresh, event) (this ' +
      'line has "dir": a docs-format line; each file holds one format, so move it to a file of ' +
      "its own)",
  );
  const typo = parseFixtureText('{"t":0,"kind":"meta"}\n{"kind":"request"}', "f.jsonl");
  assert.deepEqual(typo.warnings, [
    'f.jsonl:2: unknown kind "request"; ignored (kinds: meta, req, res, auth.refresh, event)',
  ]);
});

Deno.test("glob: *, ** and ? relative to a base, sorted, files only", async () => {
  await using d = await tmpDir();
  for (
    const f of [
      "fixtures/b.jsonl",
      "fixtures/a.jsonl",
      "fixtures/x.txt",
      "fixtures/deep/c.jsonl",
      "fixtures/deep/er/d1.jsonl",
    ]
  ) {
    await Deno.mkdir(join(d.path, f, ".."), { recursive: true });
    await Deno.writeTextFile(join(d.path, f), "");
  }
  const rel = async (p: string[]) =>
    (await expandGlobs(p, d.path)).map((x) => x.slice(d.path.length + 1));
  assert.deepEqual(await rel(["fixtures/*.jsonl"]), ["fixtures/a.jsonl", "fixtures/b.jsonl"]);
  assert.deepEqual(await rel(["fixtures/**/*.jsonl"]), [
    "fixtures/a.jsonl",
    "fixtures/b.jsonl",
    "fixtures/deep/c.jsonl",
    "fixtures/deep/er/d1.jsonl",
  ]);
  assert.deepEqual(await rel(["**/d?.jsonl", "fixtures/x.txt", "missing/*.jsonl"]), [
    "fixtures/deep/er/d1.jsonl",
    "fixtures/x.txt",
  ]);
  assert.deepEqual(await rel([join(d.path, "fixtures/*.txt")]), ["fixtures/x.txt"]);
  // a final ** is every file below, at any depth
  assert.deepEqual(await rel(["fixtures/deep/**"]), [
    "fixtures/deep/c.jsonl",
    "fixtures/deep/er/d1.jsonl",
  ]);
});

Deno.test("fixture globs: wildcards in the app directory's own path are not wildcards", async () => {
  await using d = await tmpDir();
  for (const app of ["app*", "appX", "app?"]) {
    await Deno.mkdir(join(d.path, app, "fixtures"), { recursive: true });
    await Deno.writeTextFile(join(d.path, app, "fixtures", `${app}.jsonl`), "");
  }
  for (const app of ["app*", "app?"]) {
    const base = join(d.path, app);
    assert.deepEqual(await expandGlobs(["fixtures/*.jsonl"], base), [
      join(base, "fixtures", `${app}.jsonl`),
    ]);
  }
});

Deno.test("fixture globs: ? is one character, an astral one too", async () => {
  await using d = await tmpDir();
  for (const f of ["s-\u{1F600}.jsonl", "s-\u00e9.jsonl", "s-ab.jsonl"]) {
    await Deno.writeTextFile(join(d.path, f), "");
  }
  const got = (await expandGlobs(["s-?.jsonl"], d.path)).map((p) => p.slice(d.path.length + 1));
  assert.deepEqual(got, ["s-\u00e9.jsonl", "s-\u{1F600}.jsonl"]);
});

Deno.test("aliasing: --tool-alias first, else the single manifest handle inside the id", () => {
  assert.equal(
    handleInToolId("tool-acme-notes-summarizer-k3j9x2pq", ["notes-summarizer", "todo"]),
    "notes-summarizer",
  );
  assert.equal(
    handleInToolId("tool-acme-notes-summarizer-k3j9x2pq", ["notes-summarizer", "notes"]),
    null,
    "not single",
  );
  assert.equal(
    handleInToolId("tool-acme-notes-summarizer-k3j9x2pq", ["summarizer", "notes"]),
    null,
    "two handles fit",
  );
  assert.equal(
    handleInToolId("tool-acme-notesx-k3j9x2pq", ["notes"]),
    null,
    "parts are -delimited",
  );
  const entries = [{ tool_id: "tool-local-sum", handle: "notes-summarizer", project_dir: "/a/x" }];
  const a = new ToolAliaser({
    aliases: parseAliases(["tool-old=tool-new"]) as Map<string, string>,
    handles: ["notes-summarizer"],
    known: (id) => id === "tool-local-sum" || id === "tool-new",
    ids: () => ["tool-local-sum", "tool-new"],
    entries: () => entries,
  });
  assert.equal(a.map("tool-old"), "tool-new");
  assert.equal(a.map("tool-acme-notes-summarizer-k3j9x2pq"), "tool-local-sum");
  assert.equal(a.map("tool-local-sum"), "tool-local-sum");
  assert.equal(a.map("tool-unrelated"), "tool-unrelated");
  assert.deepEqual(a.rewriteArgs({ tool_id: "tool-acme-notes-summarizer-k3j9x2pq__go" }), {
    tool_id: "tool-local-sum__go",
  });
  assert.equal(typeof parseAliases(["nope"]), "string");
  // no executa registered for the handle: the id becomes `bundled:<h>`, which the manifest
  // declares, so the call passes the ACL and mocks can answer it (§14.5, §5.3)
  const none = new ToolAliaser({
    aliases: new Map(),
    handles: ["notes-summarizer"],
    known: () => false,
    ids: () => [],
    entries: () => [],
  });
  assert.equal(none.map("tool-acme-notes-summarizer-k3j9x2pq"), "bundled:notes-summarizer");
});

Deno.test("tool-id aliasing: a recorded id replay sends to no tool of the app says how to map it", () => {
  const a = new ToolAliaser({
    aliases: parseAliases(["tool-old=tool-gone"]) as Map<string, string>,
    handles: ["notes-summarizer"],
    known: (id) => id === "tool-local-sum",
    ids: () => ["tool-local-sum"],
    entries: () => [{ tool_id: "tool-local-sum", handle: "notes-summarizer", project_dir: "/a" }],
  });
  assert.equal(
    a.unmappedHint({ tool_id: "tool-prod-summ-zzzz9999", method: "go" }),
    "; tool_id 'tool-prod-summ-zzzz9999' is not a tool of this app and names no manifest handle: " +
      "map it with --tool-alias tool-prod-summ-zzzz9999=<tool_id> (tool ids here: tool-local-sum)",
  );
  // the `tool__method` form names the tool part
  assert.match(
    a.unmappedHint({ tool_id: "tool-prod-x__go" }),
    /--tool-alias tool-prod-x=<tool_id>/,
  );
  assert.equal(
    a.unmappedHint({ tool_id: "tool-old", method: "go" }),
    "; --tool-alias maps 'tool-old' to 'tool-gone', which is not a tool of this app (tool ids " +
      "here: tool-local-sum)",
  );
  // known, mapped by handle, or no tool_id at all: nothing to say
  assert.equal(a.unmappedHint({ tool_id: "tool-local-sum", method: "go" }), "");
  assert.equal(a.unmappedHint({ tool_id: "tool-acme-notes-summarizer-k3j9x2pq__go" }), "");
  assert.equal(a.unmappedHint({ key: "k" }), "");
  // the manifest's own `bundled:<h>` ref, as an app's recording holds it: a failure there (the
  // executa crashed, say) is no naming problem, so no --tool-alias advice
  assert.equal(a.unmappedHint({ tool_id: "bundled:notes-summarizer", method: "go" }), "");
  assert.match(a.unmappedHint({ tool_id: "bundled:other", method: "go" }), /--tool-alias/);
});

Deno.test("carry-over: whole strings only, at any depth", () => {
  const c = new CarryOver();
  c.set("w-old", "w-new");
  c.set("same", "same");
  c.set("x", 5);
  assert.deepEqual(c.apply({ a: "w-old", b: ["w-old", "w-old2"], c: { d: "same" } }), {
    a: "w-new",
    b: ["w-new", "w-old2"],
    c: { d: "same" },
  });
  assert.equal(c.size, 1);
});

Deno.test("response check: ok, error codes, subsets, hello, tools.invoke envelopes, volatile keys", () => {
  const ok = (result: unknown) => ({ ok: true as const, hasResult: true, result });
  assert.deepEqual(
    checkResponse("storage", "get", ok({ value: 1 }), {
      ok: true,
      result: { value: 1, etag: "e", extra: 2 },
    }),
    [],
  );
  assert.deepEqual(
    checkResponse("storage", "get", ok({ value: [1, 2] }), { ok: true, result: { value: [1] } }),
    [
      { path: "result.value", expected: [1, 2], actual: [1] },
    ],
  );
  assert.deepEqual(
    checkResponse("window", "hello", ok({ view: "other" }), { ok: true, result: { view: "main" } }),
    [],
  );
  assert.deepEqual(
    checkResponse("fs", "read", { ok: false, code: "permission_denied" }, { ok: true, result: {} }),
    [
      { path: "ok", expected: false, actual: true },
    ],
  );
  assert.deepEqual(
    checkResponse("fs", "read", { ok: false, code: "permission_denied" }, {
      ok: false,
      error: { code: "not_implemented" },
    }),
    [
      { path: "error.code", expected: "permission_denied", actual: "not_implemented" },
    ],
  );
  const env = ok({ success: true, data: { s: "x" }, tool: "t" });
  assert.deepEqual(checkResponse("tools", "invoke", env, { ok: true, result: { s: "x" } }), []);
  // no `data`: a null result, or a tool's own data recorded unwrapped by `dev --record`
  const bare = ok({ success: true, count: 3 });
  assert.deepEqual(checkResponse("tools", "invoke", bare, { ok: true, result: null }), []);
  assert.deepEqual(
    checkResponse("tools", "invoke", bare, { ok: true, result: { success: true, count: 3 } }),
    [],
  );
  assert.deepEqual(
    checkResponse("tools", "invoke", bare, { ok: true, result: { success: true, count: 4 } }),
    [{ path: "result", expected: null, actual: { success: true, count: 4 } }],
  );
  const failed = ok({ success: false, error: "no" });
  assert.deepEqual(
    checkResponse("tools", "invoke", failed, { ok: false, error: { code: "tool_failed" } }),
    [],
  );
  assert.equal(
    checkResponse("tools", "invoke", failed, { ok: false, error: { code: "tool_timeout" } }).length,
    1,
  );
  assert.deepEqual(
    checkResponse("x", "y", { ok: null }, { ok: false, error: { code: "not_found" } }),
    [],
  );
  assert.equal(
    checkResponse("x", "y", { ok: null }, { ok: false, error: { code: "internal_error" } }).length,
    1,
  );
  const vol: string[] = [];
  const d = checkResponse("s", "m", ok({ session_id: "a", when_at: 1, my: "k" }), {
    ok: true,
    result: { session_id: "b", when_at: 2, my: "z" },
  }, {
    ignore: new Set(["my"]),
    onVolatile: (e, a) => vol.push(`${e}->${a}`),
  });
  assert.deepEqual(d, []);
  assert.deepEqual(vol, ["a->b", "k->z"]);
});

Deno.test("exit codes: 2 stopped early, else 3 for faults, else 1 for failures", () => {
  const step = (status: "pass" | "fail" | "skip" | "error") => ({
    suite: "s",
    name: "n",
    status,
    duration_ms: 0,
  });
  assert.equal(exitCodeFor({ steps: [step("pass")], fixtures: [] }, true), 2);
  assert.equal(exitCodeFor({ steps: [step("fail"), step("error")], fixtures: [] }, false), 3);
  assert.equal(
    exitCodeFor({
      steps: [step("skip")],
      fixtures: [{ file: "f", format: "docs", status: "fail", cases: [] }],
    }, false),
    1,
  );
  assert.equal(exitCodeFor({ steps: [step("pass"), step("skip")], fixtures: [] }, false), 0);
});

Deno.test("smoke HOME: toolchain caches stay under the real home when unset", () => {
  assert.deepEqual(cacheDefaults({}, "/home/u", "linux"), {
    UV_PYTHON_INSTALL_DIR: "/home/u/.local/share/uv/python",
    GOPATH: "/home/u/go",
    GOCACHE: "/home/u/.cache/go-build",
    UV_CACHE_DIR: "/home/u/.cache/uv",
    XDG_CACHE_HOME: "/home/u/.cache",
  });
  assert.deepEqual(cacheDefaults({ GOPATH: "/g", XDG_CACHE_HOME: "/c" }, "/home/u", "linux"), {
    UV_PYTHON_INSTALL_DIR: "/home/u/.local/share/uv/python",
    GOCACHE: "/c/go-build",
    UV_CACHE_DIR: "/c/uv",
  });
  // uv's installed Pythons live in its data dir: kept where the real home has them
  assert.equal(
    cacheDefaults({ XDG_DATA_HOME: "/d" }, "/Users/u", "darwin").UV_PYTHON_INSTALL_DIR,
    "/d/uv/python",
  );
  assert.equal(
    cacheDefaults({ UV_PYTHON_INSTALL_DIR: "/p" }, "/home/u", "linux").UV_PYTHON_INSTALL_DIR,
    undefined,
  );
  assert.equal(cacheDefaults({}, "C:\\Users\\u", "windows").UV_PYTHON_INSTALL_DIR, undefined);
  assert.equal(cacheDefaults({}, "/Users/u", "darwin").GOCACHE, "/Users/u/Library/Caches/go-build");
});

Deno.test("chromium lookup: --chromium, then ANNA_APP_CHROMIUM, then PATH names", async () => {
  await using d = await tmpDir();
  const exe = join(d.path, "google-chrome");
  await Deno.writeTextFile(exe, "#!/bin/sh\n");
  await Deno.chmod(exe, 0o755);
  assert.equal(await findChromium(undefined, { PATH: d.path }), exe);
  assert.equal(
    await findChromium(undefined, { PATH: "/nonexistent", ANNA_APP_CHROMIUM: exe }),
    exe,
  );
  await assert.rejects(
    findChromium(join(d.path, "nope"), { ANNA_APP_CHROMIUM: exe }),
    ChromiumNotFound,
  );
  await assert.rejects(findChromium(undefined, { PATH: "/nonexistent" }), /no Chromium found/);
});

Deno.test("chromium lookup: off PATH, a browser installed in its usual place is named as the fix", async () => {
  await using d = await tmpDir();
  const chrome = join(d.path, "Google", "Chrome", "Application", "chrome.exe");
  await Deno.mkdir(join(chrome, ".."), { recursive: true });
  await Deno.writeTextFile(chrome, "");
  await Deno.chmod(chrome, 0o755);
  const env = { PATH: "/nonexistent", LOCALAPPDATA: d.path };
  // the contract's lookup still fails (exit 2): the install is only suggested
  await assert.rejects(
    findChromium(undefined, env, "windows"),
    (e: Error) => e instanceof ChromiumNotFound && e.message.endsWith(`--chromium "${chrome}"`),
  );
  await assert.rejects(
    findChromium(undefined, env, "linux"),
    (e: Error) => !e.message.includes("installed here"),
  );
  assert.ok(
    knownInstalls("darwin", { HOME: "/Users/u" }).includes(
      "/Users/u/Applications/Google Chrome.app/Contents/MacOS/Google Chrome",
    ),
  );
});

Deno.test("volatile keys: exactly the §14.5 list, *_id except tool_id, *_uuid, *_at, --ignore-key", () => {
  const listed = ["id", "t", "ts", "seq", "token", "etag", "jobId", "latencyMs", "_meta"];
  for (const k of [...listed, "timestamp", "duration_ms"]) assert.ok(isVolatileKey(k), k);
  for (const k of ["session_id", "invoke_id", "x_id", "window_uuid", "created_at", "expires_at"]) {
    assert.ok(isVolatileKey(k), k);
  }
  for (
    const k of ["tool_id", "ID", "jobid", "uuid", "at", "idx", "tokens", "status", "value", "meta"]
  ) {
    assert.ok(!isVolatileKey(k), k);
  }
  assert.ok(isVolatileKey("value", new Set(["value"])), "--ignore-key adds keys");
  // at any depth, also inside arrays; tool_id is compared
  const expected = { a: [{ id: 1, tool_id: "x", n: 1 }], b: { c: { created_at: 5, seq: 2 } } };
  const actual = { a: [{ id: 9, tool_id: "y", n: 1 }], b: { c: { created_at: 6, seq: 3 } } };
  assert.deepEqual(compareSubset(expected, actual), [
    { path: "a[0].tool_id", expected: "x", actual: "y" },
  ]);
});

Deno.test("aliasing: a leading `tool-` and a trailing -<exactly 8 alphanumerics> are removed first", () => {
  // without removing the `tool-` prefix both handles would fit
  assert.equal(handleInToolId("tool-notes-k3j9x2pq", ["tool", "notes"]), "notes");
  // the 8-character suffix is not a part of the id
  assert.equal(handleInToolId("tool-acme-notes-abcd1234", ["notes", "abcd1234"]), "notes");
  // 7 or 9 characters are not the publish suffix: that part stays and may match a handle
  assert.equal(handleInToolId("tool-acme-notes-abcd12345", ["notes", "abcd12345"]), null);
  assert.equal(handleInToolId("tool-acme-abc1234", ["abc1234"]), "abc1234");
  // the id without prefix or suffix still works
  assert.equal(handleInToolId("acme-notes", ["notes"]), "notes");
});

Deno.test("stderr excerpt: the last 5 lines, plus the first error line when they miss it", () => {
  const node = [
    "file:///app/index.mjs:3",
    "function () {",
    "SyntaxError: Function statements require a function name",
    "    at compileSourceTextModule (node:internal/modules/esm/utils:338:16)",
    "    at ModuleLoader.moduleStrategy (node:internal/modules/esm/translators:102:18)",
    "    at callTranslator (node:internal/modules/esm/loader:285:14)",
    "    at ModuleLoader.moduleProvider (node:internal/modules/esm/loader:291:30)",
    "",
    "Node.js v20.20.2",
  ];
  assert.equal(
    stderrExcerpt(node),
    ["SyntaxError: Function statements require a function name", "…", ...node.slice(-5)].join(
      "\n",
    ),
  );
  const python = ["Traceback (most recent call last):", '  File "x.py", line 1', "ValueError: x"];
  assert.equal(stderrExcerpt(python), python.join("\n"), "short: all of it, nothing added");
  const quiet = ["a", "b", "c", "d", "e", "f", "g"];
  assert.equal(stderrExcerpt(quiet), "c\nd\ne\nf\ng", "no error line anywhere: the tail");
  // an executa run with FORCE_COLOR (set in many CI environments): no escapes in the report
  const colour = [
    "\x1b[31m\x1b[1mError\x1b[22m: cannot open db\x1b[39m",
    "\x1b]8;;file:///app/db.ts\x1b\\db.ts\x1b]8;;\x1b\\:3 \x1b[2K\x1b[90mat open\x1b[0m",
  ];
  assert.equal(stderrExcerpt(colour), "Error: cannot open db\ndb.ts:3 at open");
});

Deno.test("compare: arrays need equal length, scalars strict equality (§14.5)", () => {
  const paths = (e: unknown, a: unknown) => compareSubset(e, a).map((d) => d.path);
  assert.deepEqual(paths([1], [1, 2]), ["$"]);
  assert.deepEqual(paths([1, 2], [1]), ["$"]);
  assert.deepEqual(paths({ items: [{ k: 1 }] }, { items: [{ k: 1 }, { k: 2 }] }), ["items"]);
  assert.deepEqual(paths(1, "1"), ["$"]);
  assert.deepEqual(paths(0, false), ["$"]);
  assert.deepEqual(paths(null, undefined), ["$"]);
  assert.deepEqual(paths({ v: "" }, { v: 0 }), ["v"]);
  // equal values do not differ, whatever their number form in the file
  assert.deepEqual(paths([1, "a", null, true], [1.0, "a", null, true]), []);
});
