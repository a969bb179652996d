/**
 * §14.5 replay and comparison rules, and the §10.2 mock-table order in smoke, through real `smoke`
 * runs on fixture files: the app has no executas, so `image.*` and `tools.invoke` are answered by
 * the mock layers (§5.9) and each case's actual value is chosen by the test.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { explain, smokeJson } from "./fixtures/smoke/harness.ts";
import { writeAppDir } from "./helpers/app_dir.ts";
import { tmpDir } from "./helpers/tmp.ts";

const jsonl = (lines: unknown[]) => lines.map((l) => JSON.stringify(l)).join("\n") + "\n";

/** An app with a `bundled:notes-summarizer` handle, `image.*` and `llm.complete` allowed. */
/** `smoke` in json on the app in `dir` with the fixture `file` and the app's mocks.jsonl. */
const replay = (dir: string, file: string, ...extra: string[]) =>
  smokeJson([dir, "--fixtures", file, "--mock-llm", join(dir, "mocks.jsonl"), ...extra]);

/** The app's mocks.jsonl (what `replay` passes as --mock-llm). */
const writeMocks = (dir: string, entries: unknown[]) =>
  Deno.writeTextFile(join(dir, "mocks.jsonl"), jsonl(entries));

async function writeApp(dir: string, devMocks: Record<string, unknown> = {}) {
  await writeAppDir(
    dir,
    {
      schema: 2,
      optional_executas: [{ tool_id: "bundled:notes-summarizer" }],
      ui: {
        bundle: { entry: "index.html" },
        views: [{ name: "main", title: "Replay rules" }],
        host_api: {
          tools: ["bundled:notes-summarizer"],
          image: ["generate", "edit"],
          llm: ["complete"],
        },
      },
      dev: { mocks: devMocks },
    },
    "<!doctype html><p>x</p>\n",
  );
}

/** One recorded call: `[ns, method, args, response]`. */
type Call = [string, string, unknown, Record<string, unknown>];

/** A recorded session: one req/res pair per call. */
function recording(calls: Call[]): unknown[] {
  const lines: unknown[] = [{ t: 0, kind: "meta", view: "main" }];
  calls.forEach(([ns, method, args, res], i) => {
    lines.push({ t: 2 * i + 1, kind: "req", id: i + 1, ns, method, args });
    lines.push({ t: 2 * i + 2, kind: "res", id: i + 1, ...res });
  });
  return lines;
}

const writeRecording = (file: string, calls: Call[]) =>
  Deno.writeTextFile(file, jsonl(recording(calls)));

type Case = { status: string; diff?: { path: string; expected: unknown; actual: unknown }[] };
const statuses = (cases: Case[]) => cases.map((c) => c.status);

Deno.test("smoke: a volatile string that came back different is carried into later request args as a whole string", async () => {
  await using dir = await tmpDir();
  await writeApp(dir.path);
  await writeMocks(dir.path, [
    { ns: "image", method: "generate", result: { job_id: "job-real-7", model: "m" } },
    { ns: "image", method: "edit", match: { job_id: "job-real-7" }, result: { done: "whole" } },
    {
      ns: "image",
      method: "edit",
      match: { note: "job-rec-7 inside" },
      result: { done: "inside" },
    },
  ]);
  const file = join(dir.path, "carry.jsonl");
  await writeRecording(file, [
    ["image", "generate", { prompt: "p" }, { ok: true, result: { job_id: "job-rec-7" } }],
    // the whole string is replaced, also nested in an array
    ["image", "edit", { job_id: "job-rec-7" }, { ok: true, result: { done: "whole" } }],
    ["image", "edit", { list: ["x"], job_id: "job-rec-7" }, {
      ok: true,
      result: { done: "whole" },
    }],
    // not a substring of a longer one: that string is sent as recorded
    ["image", "edit", { note: "job-rec-7 inside" }, { ok: true, result: { done: "inside" } }],
  ]);
  const r = await replay(dir.path, file);
  assert.equal(r.code, 0, explain(r));
  assert.deepEqual(statuses(r.report!.fixtures[0].cases), ["pass", "pass", "pass", "pass"]);

  // a non-volatile key that differs fails and is not carried over
  await writeRecording(file, [
    ["image", "generate", { prompt: "p" }, { ok: true, result: { model: "rec-model" } }],
    ["image", "edit", { job_id: "rec-model" }, { ok: true, result: { done: "whole" } }],
  ]);
  const r2 = await replay(dir.path, file);
  assert.equal(r2.code, 1, explain(r2));
  const cases = r2.report!.fixtures[0].cases;
  assert.deepEqual(statuses(cases), ["fail", "fail"]);
  assert.deepEqual(cases[0].diff, [{ path: "result.model", expected: "rec-model", actual: "m" }]);
  assert.deepEqual(cases[1].diff, [{ path: "ok", expected: true, actual: false }]);
});

Deno.test("smoke: volatile keys are ignored at any depth, tool_id is not, and --ignore-key adds a key", async () => {
  await using dir = await tmpDir();
  await writeApp(dir.path);
  const actual = {
    id: 1,
    t: 2,
    ts: 3,
    seq: 4,
    token: "a",
    etag: "b",
    jobId: "c",
    latencyMs: 5,
    _meta: { provider: "x" },
    request_id: "d",
    window_uuid: "e",
    created_at: "f",
    timestamp: 6,
    duration_ms: 7,
    tool_id: "tool-a",
    name: "real",
  };
  await writeMocks(dir.path, [{
    ns: "image",
    method: "generate",
    result: { top: actual, list: [actual] },
  }]);
  const recorded = Object.fromEntries(
    Object.entries(actual).map(([k, v]) => [k, typeof v === "number" ? v + 100 : `rec-${k}`]),
  );
  const same = { ...recorded, tool_id: "tool-a", name: "real" };
  const file = join(dir.path, "volatile.jsonl");
  const gen = (result: unknown) =>
    ["image", "generate", { prompt: "p" }, { ok: true, result }] as Call;
  await writeRecording(file, [
    gen({ top: same, list: [same] }),
    gen({ top: { ...same, tool_id: "tool-b" } }),
    gen({ list: [{ ...same, name: "recorded" }] }),
  ]);
  const r = await replay(dir.path, file);
  assert.equal(r.code, 1, explain(r));
  const cases = r.report!.fixtures[0].cases;
  assert.deepEqual(statuses(cases), ["pass", "fail", "fail"]);
  assert.deepEqual(cases[1].diff, [
    { path: "result.top.tool_id", expected: "tool-b", actual: "tool-a" },
  ]);
  assert.deepEqual(cases[2].diff, [
    { path: "result.list[0].name", expected: "recorded", actual: "real" },
  ]);

  const r2 = await replay(dir.path, file, "--ignore-key", "name");
  assert.deepEqual(statuses(r2.report!.fixtures[0].cases), ["pass", "fail", "pass"], explain(r2));
  const r3 = await replay(dir.path, file, "--ignore-key", "tool_id");
  assert.deepEqual(statuses(r3.report!.fixtures[0].cases), ["pass", "pass", "fail"], explain(r3));
});

Deno.test("smoke: errors compare by code only; results as a subset, arrays by length and element", async () => {
  await using dir = await tmpDir();
  await writeApp(dir.path);
  await writeMocks(dir.path, [
    {
      ns: "image",
      method: "edit",
      error: { code: "quota_exceeded", message: "the message replay sees" },
    },
    { ns: "image", method: "generate", result: { a: 1, extra: true, xs: [1, 2], n: "1" } },
  ]);
  const file = join(dir.path, "check.jsonl");
  const err = (code: string) => ({ ok: false, error: { code, message: "recorded words" } });
  await writeRecording(file, [
    ["image", "edit", {}, err("quota_exceeded")],
    ["image", "edit", {}, err("rate_limited")],
    ["image", "generate", {}, { ok: true, result: { a: 1, xs: [1, 2] } }],
    ["image", "generate", {}, { ok: true, result: { xs: [1] } }],
    ["image", "generate", {}, { ok: true, result: { n: 1 } }],
    ["image", "generate", {}, err("quota_exceeded")],
  ]);
  const r = await replay(dir.path, file);
  assert.equal(r.code, 1, explain(r));
  const cases = r.report!.fixtures[0].cases;
  assert.deepEqual(statuses(cases), ["pass", "fail", "pass", "fail", "fail", "fail"]);
  assert.deepEqual(cases[1].diff, [
    { path: "error.code", expected: "rate_limited", actual: "quota_exceeded" },
  ]);
  assert.deepEqual(cases[3].diff, [{ path: "result.xs", expected: [1], actual: [1, 2] }]);
  assert.deepEqual(cases[4].diff, [{ path: "result.n", expected: 1, actual: "1" }]);
  assert.deepEqual(cases[5].diff, [{ path: "ok", expected: false, actual: true }]);
});

Deno.test("smoke: a recorded tool id reaches the single manifest handle in it; tools.invoke envelopes compare by data or need tool_failed", async () => {
  await using dir = await tmpDir();
  await writeApp(dir.path);
  await writeMocks(dir.path, [
    {
      ns: "tools",
      method: "invoke",
      match: { tool_id: "bundled:notes-summarizer", method: "ok" },
      result: { summary: "s", n: 2 },
    },
    {
      ns: "tools",
      method: "invoke",
      match: { tool_id: "bundled:notes-summarizer", method: "fails" },
      error: { code: "tool_failed", message: "the tool said no" },
    },
    {
      ns: "tools",
      method: "invoke",
      match: { tool_id: "bundled:notes-summarizer", method: "denied" },
      error: { code: "permission_denied", message: "no" },
    },
  ]);
  const file = join(dir.path, "tools.jsonl");
  const inv = (method: string, result: unknown, tool_id = "tool-acme-notes-summarizer-k3j9x2pq") =>
    ["tools", "invoke", { tool_id, method, args: {} }, { ok: true, result }] as Call;
  await writeRecording(file, [
    inv("ok", { success: true, data: { summary: "s" }, took: 5 }),
    inv("ok", { success: true, data: { summary: "other" } }),
    inv("fails", { success: false, error: "recorded words" }),
    inv("denied", { success: false, error: "recorded words" }),
    inv("ok", { success: false }),
    // the handle as a '-'-delimited part only: "summarizer" alone names no handle
    inv("ok", { success: true, data: { summary: "s" } }, "tool-acme-summarizer-k3j9x2pq"),
  ]);
  const mocks = ["--mock-llm", join(dir.path, "mocks.jsonl"), "--no-executas"];
  const r = await smokeJson([dir.path, "--fixtures", file, ...mocks]);
  assert.equal(r.code, 1, explain(r));
  const cases = r.report!.fixtures[0].cases;
  assert.deepEqual(statuses(cases), ["pass", "fail", "pass", "fail", "fail", "fail"]);
  assert.deepEqual(cases[1].diff, [
    { path: "result.summary", expected: "other", actual: "s" },
  ]);
  assert.deepEqual(cases[3].diff, [
    { path: "error.code", expected: "tool_failed", actual: "permission_denied" },
  ]);
  assert.deepEqual(cases[4].diff, [{ path: "ok", expected: false, actual: true }]);
  assert.equal(cases[5].diff?.[0].path, "ok");

  // --tool-alias wins over the handle found in the id
  const aliased = await smokeJson([
    dir.path,
    "--fixtures",
    file,
    ...mocks,
    "--tool-alias",
    "tool-acme-notes-summarizer-k3j9x2pq=bundled:other",
    "--tool-alias",
    "tool-acme-summarizer-k3j9x2pq=bundled:notes-summarizer",
  ]);
  assert.deepEqual(
    statuses(aliased.report!.fixtures[0].cases),
    ["fail", "fail", "fail", "fail", "fail", "pass"],
    explain(aliased),
  );
});

Deno.test("smoke: the mock table is --mock-llm files (flag order), then mock-table fixtures, then manifest dev.mocks", async () => {
  await using dir = await tmpDir();
  const answer = (text: string) => ({
    role: "assistant",
    content: { type: "text", text },
    model: "m",
    stopReason: "endTurn",
    usage: { inputTokens: 1, outputTokens: 1, totalTokens: 2 },
  });
  await writeApp(dir.path, { "llm.complete": answer("from dev.mocks") });
  const entry = (word: string, text: string) => ({
    ns: "llm",
    method: "complete",
    match: { contentIncludes: word },
    result: answer(text),
  });
  await Deno.writeTextFile(
    join(dir.path, "a.jsonl"),
    jsonl([entry("alpha", "from file a")]),
  );
  await Deno.writeTextFile(
    join(dir.path, "b.jsonl"),
    jsonl([entry("alpha", "from file b"), entry("beta", "from file b")]),
  );
  await Deno.mkdir(join(dir.path, "fx"));
  await Deno.writeTextFile(
    join(dir.path, "fx", "mocks.jsonl"),
    jsonl([entry("beta", "from fixture"), entry("gamma", "from fixture")]),
  );
  const ask = (word: string, text: string) =>
    [
      "llm",
      "complete",
      { messages: [{ role: "user", content: `say ${word}` }] },
      { ok: true, result: answer(text) },
    ] as Call;
  await writeRecording(join(dir.path, "fx", "order.jsonl"), [
    ask("alpha", "from file a"),
    ask("beta", "from file b"),
    ask("gamma", "from fixture"),
    ask("delta", "from dev.mocks"),
  ]);
  const r = await smokeJson([
    dir.path,
    "--fixtures",
    join(dir.path, "fx", "*.jsonl"),
    "--mock-llm",
    join(dir.path, "a.jsonl"),
    "--mock-llm",
    join(dir.path, "b.jsonl"),
  ]);
  assert.equal(r.code, 0, explain(r));
  assert.deepEqual(r.report!.fixtures.map((f) => [f.file, f.format]), [
    ["fx/order.jsonl", "recorded"],
  ]);
  assert.deepEqual(statuses(r.report!.fixtures[0].cases), ["pass", "pass", "pass", "pass"]);
});
