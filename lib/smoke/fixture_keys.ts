/**
 * Unknown keys on fixture lines (CONTRACT §14.3, §14.4): the keys each kind of line may carry.
 * Mock-table fixtures use the rules of lib/llm/mock_keys.ts.
 */
import { type LineKeyRules, lineKeyWarnings, type NumberedLine } from "../util/line_keys.ts";

const DOCS_RULES: Record<string, LineKeyRules> = {
  out: {
    keys: ["t", "dir", "ns", "method", "args", "result", "error"],
    label: '"dir":"out"',
    hint: 'a "dir":"out" line is checked by "result", or by "error" with the expected error code',
  },
  in: {
    keys: ["t", "dir", "name", "payload"],
    label: '"dir":"in"',
    hint: 'a "dir":"in" line has only "name" and "payload"',
  },
};

/** Only the lines that decide what is sent and checked: meta, event and token lines may carry more. */
const RECORDED_RULES: Record<string, LineKeyRules> = {
  req: {
    keys: ["t", "kind", "id", "ns", "method", "args", "window_uuid"],
    label: '"req"',
    hint: 'a "req" line sends "args" (default {}) as "ns"."method"',
  },
  res: {
    keys: ["t", "kind", "id", "ok", "result", "error"],
    label: '"res"',
    hint:
      'a "res" line is checked by "ok" with "result", or by "error" with the expected error code',
  },
};

/** `table[name]` when it is one of its own keys (a line's `"kind":"constructor"` is not). */
const rulesFor = (table: Record<string, LineKeyRules>, name: unknown) =>
  typeof name === "string" && Object.hasOwn(table, name) ? table[name] : undefined;

/**
 * One warning per unknown key of a fixture file and kind of line (first line and count): a
 * misspelt expectation such as `"error_code"` or `"results"` otherwise leaves the request checked
 * only for "not internal_error" (or only its `ok`), and a misspelt `"arguments"` sends `{}`.
 */
export function unknownKeys(
  file: string,
  lines: NumberedLine[],
  warnings: string[],
  /** what tells a line's kind: `kind` in a recorded session (§14.3), `dir` in docs (§14.4) */
  by: "kind" | "dir",
) {
  const table = by === "kind" ? RECORDED_RULES : DOCS_RULES;
  lineKeyWarnings(file, lines, warnings, (v) => rulesFor(table, v[by]));
}
