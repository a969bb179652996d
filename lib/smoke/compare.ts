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
