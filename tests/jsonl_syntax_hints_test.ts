/**
 * A hand-written JSONL line that is not JSON (fixtures §14.2, mock tables §10.2): the error names
 * the column, the reason and what to change, for the slips people make in such files.
 */
import assert from "node:assert/strict";
import { fixtureProblem } from "./helpers/fixture_problem.ts";
import { MockFileError, parseMockText } from "../lib/llm/mod.ts";

const META = '{"t":0,"kind":"meta"}';

Deno.test("jsonl lines: pretty-printed JSON, a comment after a value and two values on a line say what to change", () => {
  assert.equal(
    fixtureProblem(`${META}\n{\n  "t": 1,\n  "kind": "req"\n}`),
    "f.jsonl:2: invalid JSON at column 2: expected a property name in double quotes, found end " +
      "of input; each line holds one whole JSON value, and this one ends first (pretty-printed " +
      "JSON?): put each object on a single line",
  );
  assert.equal(
    fixtureProblem(`${META} // the session starts`),
    "f.jsonl:1: invalid JSON at column 23: unexpected '/' after the JSON value; a comment needs " +
      "a line of its own, starting with # or //",
  );
  assert.equal(
    fixtureProblem(`${META}${META}`),
    "f.jsonl:1: invalid JSON at column 22: unexpected '{' after the JSON value; one JSON value " +
      "per line: start the next one on a new line",
  );
});

Deno.test("jsonl lines: trailing commas, single quotes and invisible characters are named, with the column in the file's line", () => {
  assert.equal(
    fixtureProblem(`${META}\n  {"t":1,"kind":"req",}`),
    "f.jsonl:2: invalid JSON at column 23: expected a property name in double quotes, found '}'; " +
      "remove the comma before '}' (JSON allows no trailing commas)",
  );
  assert.match(
    fixtureProblem(`{'t':0,'kind':'meta'}`),
    /^f\.jsonl:1: invalid JSON at column 2: .*; JSON strings and property names use double quotes$/,
  );
  assert.equal(
    fixtureProblem(`\u200b${META}`),
    "f.jsonl:1: invalid JSON at column 1: unexpected U+200B (an invisible character)",
  );
  // mock tables read their lines the same way
  assert.throws(
    () => parseMockText('{"ns":"llm","method":"complete","result":{},}\n', "m.jsonl"),
    (e) =>
      e instanceof MockFileError && /^m\.jsonl:1: invalid JSON at column 45: .*trailing commas/
        .test(e.message),
  );
});
