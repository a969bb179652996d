/**
 * The response check of replay (CONTRACT §14.5): `ok` must match; errors by `error.code`; results
 * expected ⊆ actual (not for `window.hello`); `tools.invoke` envelopes compared by `data`, and an
 * expected `{success:false}` requires `ok:false` with `tool_failed`. Paths in diffs start at the
 * response (`ok`, `error.code`, `result.…`).
 */
import { compareSubset, type Diff } from "./compare.ts";
import type { Expectation } from "./fixtures.ts";
import { isPlainObject } from "../util/json.ts";

export interface ActualOutcome {
  ok: boolean;
  result?: unknown;
  error?: { code?: unknown; message?: unknown; details?: unknown };
}

export interface CheckOptions {
  ignore?: ReadonlySet<string>;
  /** value carry-over: an expected volatile string and what came back at that path */
  onVolatile?: (expected: string, actual: unknown, path: string) => void;
}

/**
 * An executa that died or could not start answered this call: a runtime fault (§2.1 exit 3),
 * not an app assertion, unless the recording expected exactly that.
 */
export function executaFault(o: ActualOutcome) {
  if (o.ok || !o.error) return false;
  const d = (o.error.details ?? {}) as Record<string, unknown>;
  if (o.error.code === "tool_failed") return Object.hasOwn(d, "exit_code");
  return o.error.code === "executa_unavailable" && d.reason !== "stopped";
}

const codeOf = (o: ActualOutcome) => (isPlainObject(o.error) ? o.error.code : undefined);

/** What a recorded `tools.invoke` `{success:false, error?}` envelope stands for. */
export function envelopeFailure(env: Record<string, unknown>): Expectation {
  const e = env.error;
  const message = typeof e === "string"
    ? e
    : isPlainObject(e) && typeof e.message === "string"
    ? e.message
    : undefined;
  return message === undefined
    ? { ok: false, code: "tool_failed" }
    : { ok: false, code: "tool_failed", message };
}

/** Diffs between an expectation and an actual dispatcher outcome; `[]` = pass. */
export function checkResponse(
  ns: string,
  method: string,
  expect: Expectation,
  actual: ActualOutcome,
  opts: CheckOptions = {},
): Diff[] {
  const code = codeOf(actual);
  if (expect.ok === null || expect.ok === "missing") {
    return code === "internal_error"
      ? [{ path: "error.code", expected: "not internal_error", actual: code }]
      : [];
  }
  let exp: Expectation = expect;
  let expectedResult = expect.ok ? expect.result : undefined;
  if (
    ns === "tools" && method === "invoke" && expect.ok && expect.hasResult &&
    isPlainObject(expect.result)
  ) {
    const env = expect.result;
    if (env.success === true && Object.hasOwn(env, "data")) expectedResult = env.data;
    else if (env.success === true) {
      // `{success:true}` with no `data`: the envelope of a null result (§9.7), or a recording of
      // a tool whose own data looks like that (`dev --record` writes the unwrapped result)
      const whole = actual.ok ? compareSubset(env, actual.result, opts, "result") : null;
      if (whole?.length === 0) return [];
      expectedResult = null;
    } else if (env.success === false) exp = envelopeFailure(env);
  }
  if (exp.ok !== actual.ok) {
    return [{ path: "ok", expected: exp.ok, actual: actual.ok }];
  }
  if (exp.ok === false) {
    return exp.code !== null && code !== exp.code
      ? [{ path: "error.code", expected: exp.code, actual: code }]
      : [];
  }
  if (!exp.hasResult || (ns === "window" && method === "hello")) return [];
  return compareSubset(expectedResult, actual.result, opts, "result");
}
