/**
 * Conformance rows of CONTRACT §14.1 (steps of `smoke`), §14.2 (fixture files), §14.3/§14.4 (the
 * two fixture formats), §14.8 (report order) and §14.9 (exit codes) that no other test pins, each
 * through the real `main.ts smoke … --format json` (or pretty). One row = one rule.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { explain, runCli, SMOKE_FIXTURES, smokeJson } from "./fixtures/smoke/harness.ts";
import { writeAppDir } from "./helpers/app_dir.ts";
import { tmpDir } from "./helpers/tmp.ts";

const PLUGIN = join(SMOKE_FIXTURES, "mini_plugin.mjs");
const executa = (mode: string) =>
  `dir=${SMOKE_FIXTURES},tool_id=tool-mini,type=node,command=${
    JSON.stringify(["node", PLUGIN, mode])
  }`;

/**
 * Views `main` (min 200×200, first) and `side` (min 300×300, `default: true`), plus an item with
 * no name (not a usable view, §3.3); `window.resize` to 1×1 answers the view's minimum, so a
 * replayed call tells which view its session is in. `dev.seed_storage` seeds `greeting`.
 */
async function tableApp(dir: string, dev: Record<string, unknown> = {}): Promise<string> {
  const app = await writeAppDir(
    join(dir, "table-app"),
    {
      schema: 2,
      ui: {
        bundle: { format: "static-spa", entry: "index.html" },
        views: [
          { name: "main", title: "Main", min_size: { w: 200, h: 200 } },
          { title: "No name" },
          { name: "side", title: "Side", min_size: { w: 300, h: 300 }, default: true },
        ],
        host_api: { storage: ["get", "set"] },
      },
      dev: { seed_storage: { greeting: "hi" }, ...dev },
    },
    "<!doctype html><title>t</title>",
  );
  await Deno.mkdir(join(app, "fixtures"));
  return app;
}

async function writeLines(file: string, lines: (unknown | string)[]) {
  await Deno.writeTextFile(
    file,
    lines.map((l) => (typeof l === "string" ? l : JSON.stringify(l))).join("\n") + "\n",
  );
}

const resize = { ns: "window", method: "resize", args: { w: 1, h: 1 } };
const getGreeting = { ns: "storage", method: "get", args: { key: "greeting" } };

Deno.test("§14.1/§14.8: steps run and are reported in order validate → executas → views (every usable view) → fixtures", async () => {
  await using dir = await tmpDir();
  const app = await tableApp(dir.path);
  const f = join(app, "fixtures/a.jsonl");
  await writeLines(f, [{ t: 0, dir: "out", ...getGreeting, result: { value: "hi" } }]);
  const r = await smokeJson([app, "--executa", executa("fine"), "--fixtures", f]);
  assert.equal(r.code, 0, explain(r));
  assert.deepEqual(r.report!.steps.map((s) => s.name), [
    "validate",
    "executas: tool-mini start+describe",
    "executas: tool-mini health",
    "views: main",
    "views: side",
  ]);
  // the unusable view item is a warning (step 1), not a view to check (step 4)
  assert.ok(
    r.report!.warnings.some((w) => w.startsWith("view_invalid ui.views[1]")),
    r.report!.warnings.join("\n"),
  );
  assert.deepEqual(r.report!.fixtures.map((x) => [x.file, x.status]), [[
    "fixtures/a.jsonl",
    "pass",
  ]]);

  // pretty: the same order, fixture cases after the views, then the summary
  const p = await runCli(["smoke", app, "--executa", executa("fine"), "--fixtures", f]);
  assert.equal(p.code, 0, explain(p));
  const at = (re: RegExp) => p.stdout.split("\n").findIndex((l) => re.test(l));
  const order = [
    at(/^PASS {2}validate /),
    at(/^PASS {2}executas: tool-mini start\+describe /),
    at(/^PASS {2}executas: tool-mini health /),
    at(/^PASS {2}views: main /),
    at(/^PASS {2}views: side /),
    at(/#1 storage\.get \(line 1\)/),
    at(/^smoke PASS: /),
  ];
  assert.ok(order.every((i) => i >= 0), `${order} in\n${p.stdout}`);
  assert.deepEqual([...order].sort((a, b) => a - b), order, p.stdout);
});

Deno.test("§14.1 step 5: a fixture without a meta view runs in the default view (default:true, not the first)", async () => {
  await using dir = await tmpDir();
  const app = await tableApp(dir.path);
  const docs = join(dir.path, "docs.jsonl");
  await writeLines(docs, [{ t: 0, dir: "out", ...resize, result: { ok: true, w: 300 } }]);
  const rec = join(dir.path, "rec.jsonl");
  await writeLines(rec, [
    { t: 0, kind: "meta", session_id: "s1" }, // a meta line with no view: the default one too
    { t: 1, kind: "req", id: 1, ...resize },
    { t: 2, kind: "res", id: 1, ok: true, result: { ok: true, w: 300 } },
  ]);
  const r = await smokeJson([app, "--no-executas", "--fixtures", docs, "--fixtures", rec]);
  assert.equal(r.code, 0, explain(r));
  assert.deepEqual(r.report!.fixtures.map((f) => f.status), ["pass", "pass"]);
});

Deno.test("§14.1 step 5: each file's storage is seeded from dev.seed_storage (§4.4.1), whatever an earlier file wrote", async () => {
  await using dir = await tmpDir();
  const app = await tableApp(dir.path, { fixtures: ["fixtures/*.jsonl"] });
  // a.jsonl changes the seeded key; b.jsonl, replayed next in a fresh session, still sees the seed
  await writeLines(join(app, "fixtures/a.jsonl"), [
    { t: 0, dir: "out", ...getGreeting, result: { value: "hi" } },
    { t: 1, dir: "out", ns: "storage", method: "set", args: { key: "greeting", value: "bye" } },
    { t: 2, dir: "out", ...getGreeting, result: { value: "bye" } },
  ]);
  await writeLines(join(app, "fixtures/b.jsonl"), [
    { t: 0, dir: "out", ...getGreeting, result: { value: "hi" } },
  ]);
  const r = await smokeJson([app, "--no-executas"]);
  assert.equal(r.code, 0, explain(r));
  assert.deepEqual(r.report!.fixtures.map((f) => [f.file, f.status]), [
    ["fixtures/a.jsonl", "pass"],
    ["fixtures/b.jsonl", "pass"],
  ]);
});

Deno.test("§14.2: --fixtures replaces dev.fixtures; files of all globs are replayed sorted by path", async () => {
  await using dir = await tmpDir();
  // dev.fixtures names a file that would fail: --fixtures must replace it, not add to it
  const app = await tableApp(dir.path, { fixtures: ["fixtures/bad.jsonl"] });
  await writeLines(join(app, "fixtures/bad.jsonl"), [
    { t: 0, dir: "out", ...getGreeting, result: { value: "not the seed" } },
  ]);
  const good = [{ t: 0, dir: "out", ...getGreeting, result: { value: "hi" } }];
  await writeLines(join(dir.path, "b.jsonl"), good);
  await writeLines(join(dir.path, "a.jsonl"), good);
  const r = await smokeJson([
    app,
    "--no-executas",
    "--fixtures",
    join(dir.path, "b.jsonl"),
    "--fixtures",
    join(dir.path, "a.jsonl"),
  ]);
  assert.equal(r.code, 0, explain(r));
  assert.deepEqual(r.report!.fixtures.map((f) => f.file), [
    join(dir.path, "a.jsonl"),
    join(dir.path, "b.jsonl"),
  ]);
  // without --fixtures, dev.fixtures (relative to the manifest directory) is what runs
  const own = await smokeJson([app, "--no-executas"]);
  assert.equal(own.code, 1, explain(own));
  assert.deepEqual(own.report!.fixtures.map((f) => f.file), ["fixtures/bad.jsonl"]);
});

Deno.test("§14.2: no fixture file → the fixtures step passes with a note", async () => {
  await using dir = await tmpDir();
  const app = await tableApp(dir.path);
  const r = await smokeJson([app, "--no-executas"]);
  assert.equal(r.code, 0, explain(r));
  const step = r.report!.steps.find((s) => s.name === "fixtures");
  assert.equal(step?.status, "pass", JSON.stringify(r.report!.steps));
  assert.ok(step?.message, "the step carries a note");
  assert.deepEqual(r.report!.fixtures, []);
});

Deno.test("§14.2: classified by the first non-blank, non-comment line; a mock table is loaded, not replayed", async () => {
  await using dir = await tmpDir();
  const app = await tableApp(dir.path);
  const docs = join(dir.path, "docs.jsonl");
  // a comment and a blank line first, then a docs line
  await writeLines(docs, ["# hand-written", "", { t: 0, dir: "out", ...getGreeting }]);
  const mocks = join(dir.path, "mocks.jsonl");
  await writeLines(mocks, [{ ns: "llm", method: "complete", result: { text: "x" } }]);
  const r = await smokeJson([app, "--no-executas", "--fixtures", docs, "--fixtures", mocks]);
  assert.equal(r.code, 0, explain(r));
  assert.deepEqual(r.report!.fixtures.map((f) => [f.format, f.cases[0]?.line]), [["docs", 3]]);

  // ns + method WITH t is neither format: exit 2 naming file:line, before anything runs
  const odd = join(dir.path, "odd.jsonl");
  await writeLines(odd, ["// first a comment", { t: 0, ns: "storage", method: "get" }]);
  const bad = await smokeJson([app, "--executa", executa("fine"), "--fixtures", odd]);
  assert.equal(bad.code, 2, explain(bad));
  assert.match(bad.stderr, /odd\.jsonl:2: cannot tell the fixture format/);
  assert.deepEqual(bad.report?.executas ?? [], [], "no executa was started");
});

Deno.test("§14.3: ids pair by value and type, auth.refresh lines are ignored by replay", async () => {
  await using dir = await tmpDir();
  const app = await tableApp(dir.path);
  const rec = join(dir.path, "rec.jsonl");
  await writeLines(rec, [
    { t: 0, kind: "meta", view: "main" },
    { t: 1, kind: "req", id: "a", ...getGreeting },
    { t: 2, kind: "auth.refresh", token: "dev1.x.y" },
    { t: 3, kind: "res", id: "a", ok: true, result: { value: "hi" } },
    { t: 4, kind: "req", id: 7, ...resize },
    { t: 5, kind: "res", id: 7, ok: true, result: { ok: true, w: 200 } },
  ]);
  const r = await smokeJson([app, "--no-executas", "--fixtures", rec]);
  assert.equal(r.code, 0, explain(r));
  assert.deepEqual(
    r.report!.fixtures[0].cases.map((c) => [c.index, c.line, `${c.ns}.${c.method}`, c.status]),
    [[1, 2, "storage.get", "pass"], [2, 5, "window.resize", "pass"]],
  );
  // a response with the other id's wrong value fails that case (it is checked, exit 1)
  await writeLines(rec, [
    { t: 0, kind: "meta", view: "main" },
    { t: 1, kind: "req", id: "a", ...getGreeting },
    { t: 3, kind: "res", id: "a", ok: true, result: { value: "nope" } },
  ]);
  const failed = await smokeJson([app, "--no-executas", "--fixtures", rec]);
  assert.equal(failed.code, 1, explain(failed));
});

Deno.test("§14.4: docs `error` expects ok:false with that code; neither result nor error accepts any non-internal_error answer", async () => {
  await using dir = await tmpDir();
  const app = await tableApp(dir.path);
  const docs = join(dir.path, "docs.jsonl");
  const denied = { ns: "fs", method: "read", args: { path: "x" } };
  await writeLines(docs, [
    { t: 0, dir: "out", ...denied }, // permission_denied: not internal_error, so it passes
    { t: 1, dir: "out", ...denied, error: { code: "permission_denied" } },
    { t: 2, dir: "out", ...getGreeting }, // ok: passes too
  ]);
  const r = await smokeJson([app, "--no-executas", "--fixtures", docs]);
  assert.equal(r.code, 0, explain(r));
  assert.deepEqual(r.report!.fixtures[0].cases.map((c) => c.status), ["pass", "pass", "pass"]);

  await writeLines(docs, [
    { t: 0, dir: "out", ...denied, error: { code: "not_found" } }, // wrong code
    { t: 1, dir: "out", ...getGreeting, error: "permission_denied" }, // came back ok
  ]);
  const bad = await smokeJson([app, "--no-executas", "--fixtures", docs]);
  assert.equal(bad.code, 1, explain(bad));
  assert.deepEqual(bad.report!.fixtures[0].cases.map((c) => c.status), ["fail", "fail"]);
});

Deno.test("§14.1 step 3: describe without an object or a tools array fails; health {status:'error'} fails", async () => {
  await using dir = await tmpDir();
  const app = await tableApp(dir.path);
  const rows: [string, string, string][] = [
    // mode, start+describe, health
    ["describe-string", "fail", "pass"],
    ["describe-notools", "fail", "pass"],
    ["health-status-error", "pass", "fail"],
  ];
  for (const [mode, describe, health] of rows) {
    const r = await smokeJson([app, "--no-fixtures", "--executa", executa(mode)]);
    assert.equal(r.code, 1, `${mode}: ${explain(r)}`);
    const status = (n: string) => r.report!.steps.find((s) => s.name === `executas: ${n}`)?.status;
    assert.deepEqual(
      [status("tool-mini start+describe"), status("tool-mini health")],
      [describe, health],
      mode,
    );
    assert.equal(r.report!.executas[0].status, "fail", mode);
  }
});

Deno.test("§14.1 step 2: --no-executas registers none and says so in the executas step", async () => {
  const r = await smokeJson([join(SMOKE_FIXTURES, "basic-app"), "--no-executas", "--no-fixtures"]);
  assert.equal(r.code, 0, explain(r));
  assert.deepEqual(r.report!.executas, []);
  const step = r.report!.steps.find((s) => s.name === "executas");
  assert.deepEqual([step?.status, step?.message], ["pass", "--no-executas"]);
});

Deno.test("§14.9: a runtime fault wins over a failed check (exit 3, result error); both are reported", async () => {
  await using dir = await tmpDir();
  const app = await tableApp(dir.path);
  const docs = join(dir.path, "docs.jsonl");
  await writeLines(docs, [{ t: 0, dir: "out", ...getGreeting, result: { value: "wrong" } }]);
  const r = await smokeJson([app, "--executa", executa("health-die"), "--fixtures", docs]);
  assert.equal(r.code, 3, explain(r));
  assert.deepEqual([r.report!.result, r.report!.exit_code], ["error", 3]);
  assert.equal(r.report!.fixtures[0].cases[0].status, "fail");
  // the same failure alone is exit 1
  const only = await smokeJson([app, "--executa", executa("fine"), "--fixtures", docs]);
  assert.equal(only.code, 1, explain(only));
  assert.deepEqual([only.report!.result, only.report!.exit_code], ["fail", 1]);
});
