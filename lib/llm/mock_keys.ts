/**
 * Unknown keys on mock-table lines (CONTRACT §10.2), whether the table is a `--mock-llm` file or a
 * smoke fixture: a misspelt `"match"` answers every call, so each unknown key gets a warning.
 */
import { type LineKeyRules, lineKeyWarnings, type NumberedLine } from "../util/line_keys.ts";
import type { MockEntry } from "./types.ts";

/** Every line of a mock table: the same keys whatever it answers. */
export const MOCK_LINE_RULES: LineKeyRules = {
  keys: ["ns", "method", "match", "result", "error", "events"],
  label: "mock-table",
  hint: 'a mock-table line answers "ns"."method" calls that "match" holds for (no "match" = ' +
    'every call) with "result", "error" or "events"',
};

/** The warnings for the lines of one mock table. */
export function mockLineWarnings(file: string, lines: NumberedLine[], warnings: string[]) {
  lineKeyWarnings(file, lines, warnings, () => MOCK_LINE_RULES);
}

/** The same warnings for the entries of `--mock-llm` files, which load outside the fixture reader. */
export function mockFileWarnings(entries: MockEntry[]): string[] {
  const byFile = new Map<string, NumberedLine[]>();
  for (const e of entries) {
    // `source` is "<file>:<line>"; the file may hold ':' itself (C:\…)
    const at = e.source?.lastIndexOf(":") ?? -1;
    const n = at > 0 ? Number(e.source!.slice(at + 1)) : NaN;
    if (!Number.isInteger(n)) continue;
    const { source: _, ...v } = e;
    const file = e.source!.slice(0, at);
    byFile.set(file, [...byFile.get(file) ?? [], { n, v: v as Record<string, unknown> }]);
  }
  const warnings: string[] = [];
  for (const [file, lines] of byFile) mockLineWarnings(file, lines, warnings);
  return warnings;
}
