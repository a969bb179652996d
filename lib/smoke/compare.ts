/**
 * Expected-vs-actual comparison of replayed results (CONTRACT §14.5): expected ⊆ actual for
 * objects, equal length element-wise for arrays, strict equality for scalars; volatile keys ignored
 * at any depth.
 */

export interface Diff {
  path: string;
  expected: unknown;
  actual: unknown;
}

const VOLATILE = new Set([
  "id",
  "t",
  "ts",
  "seq",
  "token",
  "etag",
  "jobId",
  "latencyMs",
  "_meta",
  "timestamp",
  "duration_ms",
]);

export function isVolatileKey(k: string, extra: ReadonlySet<string> = new Set()): boolean {
  if (VOLATILE.has(k) || extra.has(k)) return true;
  if (k.endsWith("_id")) return k !== "tool_id";
  return k.endsWith("_uuid") || k.endsWith("_at");
}

const isObj = (v: unknown): v is Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v);

/** Collects differences; `onVolatile` sees volatile string values that differ (value carry-over). */
export function compareSubset(
  expected: unknown,
  actual: unknown,
  opts: {
    ignore?: ReadonlySet<string>;
    onVolatile?: (expected: string, actual: unknown, path: string) => void;
  } = {},
  path = "",
  diffs: Diff[] = [],
): Diff[] {
  if (isObj(expected)) {
    if (!isObj(actual)) {
      diffs.push({ path: path || "$", expected, actual });
      return diffs;
    }
    for (const [k, ev] of Object.entries(expected)) {
      const p = path ? `${path}.${k}` : k;
      if (isVolatileKey(k, opts.ignore)) {
        if (typeof ev === "string" && actual[k] !== ev) opts.onVolatile?.(ev, actual[k], p);
        continue;
      }
      if (!Object.hasOwn(actual, k)) {
        diffs.push({ path: p, expected: ev, actual: undefined });
        continue;
      }
      compareSubset(ev, actual[k], opts, p, diffs);
    }
    return diffs;
  }
  if (Array.isArray(expected)) {
    if (!Array.isArray(actual) || actual.length !== expected.length) {
      diffs.push({ path: path || "$", expected, actual });
      return diffs;
    }
    expected.forEach((ev, i) => compareSubset(ev, actual[i], opts, `${path}[${i}]`, diffs));
    return diffs;
  }
  if (expected !== actual) diffs.push({ path: path || "$", expected, actual });
  return diffs;
}

/**
 * The `--ignore-key` values, remembering which ones a comparison met. A key is a name ignored at
 * any depth, but a diff line shows a path (`result.value.version`), and a path passed as a key
 * matches nothing: `pathWarnings` names such values with the key to pass instead.
 */
export class IgnoredKeys extends Set<string> {
  readonly met = new Set<string>();

  override has(k: string): boolean {
    const hit = super.has(k);
    if (hit) this.met.add(k);
    return hit;
  }

  /** One warning per path-like value that no compared key had (a real key may hold a dot). */
  pathWarnings(): string[] {
    return [...this].filter((k) => /[.[\]]/.test(k) && !this.met.has(k)).map((k) => {
      const last = k.split(/[.[\]]+/).filter((p) => p !== "" && !/^\d+$/.test(p)).at(-1);
      return `--ignore-key '${k}' matched no key: it takes a key name, ignored at any depth, ` +
        `not a path${last ? ` (--ignore-key ${last})` : ""}`;
    });
  }
}
