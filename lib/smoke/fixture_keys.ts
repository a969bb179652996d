/**
 * Unknown keys on fixture lines (CONTRACT §14.3, §14.4): the keys each kind of line may carry, and
 * one warning per key that is none of them. Warnings only: a fixture stays loadable.
 */
import type { MockEntry } from "../llm/types.ts";

/** The keys §14.3/§14.4 give a kind of line, how warnings name that kind, and what it reads. */
interface KeyRules {
  keys: readonly string[];
  label: string;
  hint: string;
}

const DOCS_RULES: Record<string, KeyRules> = {
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
const RECORDED_RULES: Record<string, KeyRules> = {
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

/** Every line of a mock-table fixture (§10.2): the same keys whatever it answers. */
const MOCK_RULES: KeyRules = {
  keys: ["ns", "method", "match", "result", "error", "events"],
  label: "mock-table",
  hint: 'a mock-table line answers "ns"."method" calls that "match" holds for (no "match" = ' +
    'every call) with "result", "error" or "events"',
};

/** `table[name]` when it is one of its own keys (a line's `"kind":"constructor"` is not). */
const rulesFor = (table: Record<string, KeyRules>, name: unknown) =>
  typeof name === "string" && Object.hasOwn(table, name) ? table[name] : undefined;

/**
 * One warning per unknown key of a fixture file and kind of line (first line and count): a
 * misspelt expectation such as `"error_code"` or `"results"` otherwise leaves the request checked
 * only for "not internal_error" (or only its `ok`), a misspelt `"arguments"` sends `{}`, and the
 * run passes without saying so.
 */
export function unknownKeys(
  file: string,
  lines: { n: number; v: Record<string, unknown> }[],
  warnings: string[],
  /**
   * what tells a line's kind: `kind` in a recorded session (§14.3), `dir` in docs (§14.4); every
   * line of a mock table is alike (a misspelt `"match"` would answer every call)
   */
  by: "kind" | "dir" | "mock",
) {
  const table = by === "kind" ? RECORDED_RULES : DOCS_RULES;
  // keyed by kind of line and key together; insertion order keeps the warnings in line order
  const seen = new Map<string, { rules: KeyRules; key: string; first: number; count: number }>();
  for (const l of lines) {
    const rules = by === "mock" ? MOCK_RULES : rulesFor(table, l.v[by]);
    if (!rules) continue;
    for (const key of Object.keys(l.v)) {
      if (rules.keys.includes(key)) continue;
      const s = seen.get(`${rules.label} ${key}`);
      if (s) s.count++;
      else seen.set(`${rules.label} ${key}`, { rules, key, first: l.n, count: 1 });
    }
  }
  for (const s of seen.values()) {
    const more = s.count > 1 ? ` (and ${s.count - 1} more line${s.count > 2 ? "s" : ""})` : "";
    warnings.push(
      `${file}:${s.first}: unknown key ${
        JSON.stringify(s.key)
      } on a ${s.rules.label} line${more}, ignored; ${s.rules.hint}`,
    );
  }
}

/**
 * The same warnings for the entries of `--mock-llm` files (§10.2), which load outside the fixture
 * reader: a misspelt `"match"` there answers every call just the same.
 */
export function mockFileWarnings(entries: MockEntry[]): string[] {
  const byFile = new Map<string, { n: number; v: Record<string, unknown> }[]>();
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
  for (const [file, lines] of byFile) unknownKeys(file, lines, warnings, "mock");
  return warnings;
}
