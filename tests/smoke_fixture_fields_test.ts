/**
 * Hand-written fixture lines with fields of the wrong type (CONTRACT §14.3, §14.4): a value that
 * cannot mean what §14.5 checks stops smoke with `file:line`, the field and the fix, instead of
 * quietly checking less than the line says.
 */
import assert from "node:assert/strict";
import { FixtureError, parseFixtureText } from "../lib/smoke/fixtures.ts";

/** The FixtureError message of a fixture text, or the expectation of its first request. */
function outcome(text: string): string | unknown {
  try {
    const f = parseFixtureText(text, "/x/f.jsonl", "f.jsonl");
    const req = f.steps.find((s) => s.type === "req");
    return req?.type === "req" ? req.expect : null;
  } catch (e) {
    if (e instanceof FixtureError) return e.message;
    throw e;
  }
}

const REQ = '{"t":0,"kind":"meta"}\n{"t":1,"kind":"req","id":1,"ns":"storage","method":"get"}\n';
const res = (error: string) => `${REQ}{"t":2,"kind":"res","id":1,"ok":false,"error":${error}}`;
const docs = (error: string) =>
  `{"t":1,"dir":"out","ns":"storage","method":"get","args":{"key":"k"},"error":${error}}`;

Deno.test("fixture error codes: a code that is not a string is an error naming the field, not 'any error'", () => {
  assert.equal(
    outcome(res('{"code":-32601,"message":"Method not found"}')),
    'f.jsonl:3: "error.code" must be a non-empty string such as "not_found", got -32601 (the ' +
      "host API answers with string codes; a number is a JSON-RPC or HTTP code); leave " +
      '"code" out to accept any error',
  );
  assert.match(
    String(outcome(docs('{"code":""}'))),
    /^f\.jsonl:1: "error\.code" must be a non-empty string/,
  );
  assert.equal(
    outcome(docs("false")),
    'f.jsonl:1: "error" must be an error code such as "not_found", or {"code":"not_found"}, got ' +
      'false; to expect success, give "result" or leave "error" out',
  );
  assert.match(String(outcome(res('["not_found"]'))), /^f\.jsonl:3: "error" must be an error code/);

  // what still means "any error", and codes as §14.3/§14.4 write them
  assert.deepEqual(outcome(res('{"message":"denied"}')), {
    ok: false,
    code: null,
    message: "denied",
  });
  assert.deepEqual(outcome(res("null")), { ok: false, code: null });
  assert.deepEqual(outcome(res('{"code":"not_found"}')), { ok: false, code: "not_found" });
  assert.deepEqual(outcome(docs('"not_found"')), { ok: false, code: "not_found" });
  assert.deepEqual(outcome(docs("null")), { ok: null });
});

Deno.test("fixture ids: a response whose id is the request's of another type, or already answered, says which line it missed", () => {
  const f = parseFixtureText(
    [
      '{"t":0,"kind":"meta"}',
      '{"t":1,"kind":"req","id":"2","ns":"storage","method":"get","args":{"key":"k"}}',
      '{"t":2,"kind":"res","id":2,"ok":true,"result":{"value":2}}',
      '{"t":3,"kind":"req","id":1,"ns":"storage","method":"set","args":{"key":"k","value":1}}',
      '{"t":4,"kind":"req","id":1,"ns":"storage","method":"set","args":{"key":"k","value":2}}',
      '{"t":5,"kind":"res","id":1,"ok":true,"result":{"ok":true}}',
      '{"t":6,"kind":"res","id":1,"ok":true,"result":{"ok":true}}',
      '{"t":7,"kind":"res","id":99,"ok":true}',
    ].join("\n"),
    "f.jsonl",
  );
  assert.deepEqual(f.warnings, [
    'f.jsonl:3: response id 2 has no request (line 2 has id "2", a string, and this one a ' +
    "number: a response pairs only with the same id); ignored, so line 2 is not checked",
    "f.jsonl:5: request id 1 repeats the id of line 4, which has no response yet; a response " +
    "pairs with the latest request of its id, so line 4 is replayed unchecked (give each " +
    "request its own id)",
    "f.jsonl:7: response id 1 answers no open request: the request of line 5 with this id was " +
    "answered on line 6 (give each request its own id); ignored",
    "f.jsonl:8: response id 99 has no request; ignored",
  ]);
  // pairing itself is unchanged: same id, latest open request
  assert.deepEqual(
    f.steps.flatMap((s) => s.type === "req" ? [[s.line, s.resLine ?? null]] : []),
    [[2, null], [4, null], [5, 6]],
  );
});

Deno.test('fixture "ok": a value that is not true or false is named, a quoted one with the fix', () => {
  const res = (ok: string) => `${REQ}{"t":2,"kind":"res","id":1${ok},"result":{}}`;
  assert.equal(
    outcome(res(',"ok":"true"')),
    'f.jsonl:3: a "res" line needs "ok" (true or false), got "true": write true without quotes',
  );
  assert.equal(
    outcome(res(',"ok":1')),
    'f.jsonl:3: a "res" line needs "ok" (true or false), got 1',
  );
  assert.equal(outcome(res("")), 'f.jsonl:3: a "res" line needs "ok" (true or false)');
});

Deno.test('mock-table fixtures: an unknown key is a warning naming it, so a misspelt "match" does not quietly answer every call', () => {
  const f = parseFixtureText(
    [
      '{"ns":"llm","method":"complete","mach":{"contentIncludes":"x"},"result":{"content":"a"}}',
      '{"ns":"llm","method":"complete","result":{"content":"b"},"mach":{}}',
      '{"ns":"tools","method":"invoke","match":{"tool_id":"t"},"error":{"code":"tool_failed","message":"m"}}',
    ].join("\n"),
    "m.jsonl",
  );
  assert.equal(f.format, "mocks");
  assert.deepEqual(f.warnings, [
    'm.jsonl:1: unknown key "mach" on a mock-table line (and 1 more line), ignored; a mock-table ' +
    'line answers "ns"."method" calls that "match" holds for (no "match" = every call) with ' +
    '"result", "error" or "events"',
  ]);
  for (
    const path of [
      "examples/notes-app/fixtures/llm-mocks.jsonl",
      "tests/fixtures/smoke/basic-app/fixtures/mocks.jsonl",
    ]
  ) {
    const text = Deno.readTextFileSync(path);
    assert.deepEqual(parseFixtureText(text, path).warnings, []);
  }
});
