/**
 * What fixture files parse into (CONTRACT §14.3, §14.4): replay steps and their expectations,
 * `FixtureError` (smoke exits 2 with `file:line`), and the line helpers both formats' parsers share.
 */
import type { MockEntry } from "../llm/types.ts";
import { isPlainObject } from "../util/json.ts";
import { executaFault } from "./check.ts";

export type FixtureFormat = "recorded" | "docs" | "mocks";

/** What a replayed request must answer (§14.5 response check). */
export type Expectation =
  /** `ok:true`; `result` (when `hasResult`) must be ⊆ the actual result. */
  | { ok: true; hasResult: boolean; result?: unknown }
  /** `ok:false`; `code` must match when given (`message` is shown, never compared). */
  | { ok: false; code: string | null; message?: string; fault?: true }
  /** Docs line with neither `result` nor `error`: only "not `internal_error`". */
  | { ok: null }
  /** A recorded request without a response line: replayed, not checked beyond `internal_error`. */
  | { ok: "missing" };

export interface MetaStep {
  type: "meta";
  line: number;
  session_id?: string;
  window_uuid?: string;
  view?: string;
  app_slug?: string;
}
export interface RequestStep {
  type: "req";
  line: number;
  id?: string | number;
  ns: string;
  method: string;
  args: unknown;
  window_uuid?: string;
  expect: Expectation;
  /** line of the recorded response (an event recorded before it may come from this request) */
  resLine?: number;
  /** lines of the requests that ran at the same time in the recording (recorded sessions) */
  concurrent?: number[];
}
export interface EventStep {
  type: "event";
  line: number;
  name: string;
  payload: unknown;
  /** recorded with `by_client_id: null`: the host caused it, no request (replay redoes it) */
  byHost?: true;
}
export type Step = MetaStep | RequestStep | EventStep;

export interface FixtureFile {
  /** absolute path */
  path: string;
  /** path as shown in reports (relative to the app directory when inside it) */
  name: string;
  format: FixtureFormat;
  steps: Step[];
  /** mock-table fixtures only */
  mocks: MockEntry[];
  warnings: string[];
}

export class FixtureError extends Error {
  constructor(readonly file: string, readonly line: number, problem: string) {
    super(line > 0 ? `${file}:${line}: ${problem}` : `${file}: ${problem}`);
    this.name = "FixtureError";
  }
}

export interface RawLine {
  n: number;
  v: Record<string, unknown>;
}

export const nonEmpty = (v: unknown): v is string => typeof v === "string" && v !== "";

export function need(file: string, l: RawLine, k: string, what: string): string {
  const v = l.v[k];
  if (!nonEmpty(v)) throw new FixtureError(file, l.n, `${what} needs "${k}" (a non-empty string)`);
  return v;
}

/** The expectation of a recorded or documented error (its message only for the report). */
export function errorExpectation(file: string, l: RawLine, e: unknown): Expectation {
  const x: Extract<Expectation, { ok: false }> = { ok: false, code: errorCode(file, l, e) };
  if (isPlainObject(e) && typeof e.message === "string") x.message = e.message;
  // the recording itself caught an executa dying: replay may see the same without a fault
  if (isPlainObject(e) && executaFault({ ok: false, error: e })) x.fault = true;
  return x;
}

/**
 * The expected error code; null = any code (no error, or one without a code). A code of another
 * type would otherwise also mean "any code": `{"code":-32601}` would pass whatever error came.
 */
function errorCode(file: string, l: RawLine, e: unknown): string | null {
  if (nonEmpty(e)) return e;
  if (e === null || e === undefined) return null;
  const codes = 'an error code such as "not_found", or {"code":"not_found"}';
  if (!isPlainObject(e)) {
    const success = e === false && Object.hasOwn(l.v, "dir")
      ? '; to expect success, give "result" or leave "error" out'
      : "";
    throw new FixtureError(
      file,
      l.n,
      `"error" must be ${codes}, got ${JSON.stringify(e)}${success}`,
    );
  }
  if (!Object.hasOwn(e, "code") || e.code === null) return null;
  if (nonEmpty(e.code)) return e.code;
  const rpc = typeof e.code === "number"
    ? " (the host API answers with string codes; a number is a JSON-RPC or HTTP code)"
    : "";
  throw new FixtureError(
    file,
    l.n,
    `"error.code" must be a non-empty string such as "not_found", got ${
      JSON.stringify(e.code)
    }${rpc}; leave "code" out to accept any error`,
  );
}
