/**
 * Unknown keys on the lines of a JSONL file the user wrote (fixtures §14.3/§14.4, mock tables
 * §10.2): one warning per kind of line and key (first line and count). Warnings only: the file
 * stays loadable, but a misspelt expectation or `"match"` would otherwise change a run silently.
 */

/** The keys a kind of line may carry, how warnings name that kind, and what such a line reads. */
export interface LineKeyRules {
  keys: readonly string[];
  label: string;
  hint: string;
}

/** One numbered, parsed line of a JSONL file. */
export interface NumberedLine {
  n: number;
  v: Record<string, unknown>;
}

/** Pushes onto `warnings` one line per unknown key; `rulesOf` gives a line's rules (or none). */
export function lineKeyWarnings(
  file: string,
  lines: NumberedLine[],
  warnings: string[],
  rulesOf: (line: Record<string, unknown>) => LineKeyRules | undefined,
) {
  // keyed by kind of line and key together; insertion order keeps the warnings in line order
  const seen = new Map<
    string,
    { rules: LineKeyRules; key: string; first: number; count: number }
  >();
  for (const l of lines) {
    const rules = rulesOf(l.v);
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
