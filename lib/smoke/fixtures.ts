/**
 * Fixture files (CONTRACT §14.2–§14.4): classification by the first non-blank, non-comment line,
 * and parsing of the recorded-session format, the docs format and mock-table fixtures into replay
 * steps. Any problem is a `FixtureError` naming `file:line` (smoke exits 2).
 */
import { relative } from "node:path";
import { MockFileError, parseMockText } from "../llm/mod.ts";
import type { MockEntry } from "../llm/types.ts";
import { decodeUserFile, isPlainObject, jsonLines, NOT_UTF8 } from "../util/json.ts";
import { executaFault } from "./check.ts";
import { unknownKeys } from "./fixture_keys.ts";

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
}
export interface EventStep {
  type: "event";
  line: number;
  name: string;
  payload: unknown;
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

interface RawLine {
  n: number;
  v: Record<string, unknown>;
}

function contentLines(text: string, file: string): RawLine[] {
  const out: RawLine[] = [];
  const fail = (n: number, problem: string): never => {
    throw new FixtureError(file, n, problem);
  };
  for (const { n, v } of jsonLines(text, fail)) {
    if (!isPlainObject(v)) throw new FixtureError(file, n, "each line must be a JSON object");
    out.push({ n, v });
  }
  return out;
}

/** §14.2 classification of the first content line; null for anything else. */
export function classify(first: Record<string, unknown>): FixtureFormat | null {
  if (Object.hasOwn(first, "kind")) return "recorded";
  if (Object.hasOwn(first, "dir")) return "docs";
  if (Object.hasOwn(first, "ns") && Object.hasOwn(first, "method") && !Object.hasOwn(first, "t")) {
    return "mocks";
  }
  return null;
}

const nonEmpty = (v: unknown): v is string => typeof v === "string" && v !== "";

function need(file: string, l: RawLine, k: string, what: string): string {
  const v = l.v[k];
  if (!nonEmpty(v)) throw new FixtureError(file, l.n, `${what} needs "${k}" (a non-empty string)`);
  return v;
}

/** The expectation of a recorded or documented error (its message only for the report). */
function errorExpectation(file: string, l: RawLine, e: unknown): Expectation {
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

/** The `kind`s of §14.3. */
const KINDS = "meta, req, res, auth.refresh, event";

/**
 * Why a response pairs with no request, naming the near miss a hand-written file has: the same id
 * of another JSON type (`"2"` vs `2`), or an id whose request was already answered.
 */
function orphanResponse(
  file: string,
  l: RawLine,
  pending: Map<string, RequestStep>,
  answered: RequestStep | undefined,
): string {
  const id = l.v.id;
  const head = `${file}:${l.n}: response id ${JSON.stringify(id)} has no request`;
  const typeOf = (v: unknown) => (typeof v === "string" ? "a string" : `a ${typeof v}`);
  const other = [...pending.values()].find((r) => r.id !== id && String(r.id) === String(id));
  if (other) {
    return `${head} (line ${other.line} has id ${JSON.stringify(other.id)}, ${
      typeOf(other.id)
    }, and this one ${
      typeOf(id)
    }: a response pairs only with the same id); ignored, so line ${other.line} is not checked`;
  }
  if (answered) {
    return `${file}:${l.n}: response id ${JSON.stringify(id)} answers no open request: the ` +
      `request of line ${answered.line} with this id was answered on line ${answered.resLine} ` +
      "(give each request its own id); ignored";
  }
  return `${head}; ignored`;
}

function parseRecorded(file: string, lines: RawLine[], warnings: string[]): Step[] {
  unknownKeys(file, lines, warnings, "kind");
  const steps: Step[] = [];
  let pending = new Map<string, RequestStep>(); // id → latest unanswered request of this segment
  let answered = new Map<string, RequestStep>(); // id → its last answered request
  const key = (id: unknown) => `${typeof id}:${String(id)}`;
  for (const l of lines) {
    const kind = l.v.kind;
    if (!nonEmpty(kind)) {
      // the format is fixed by the first line (§14.2): a docs line pasted below recorded lines
      const other = Object.hasOwn(l.v, "dir")
        ? ' (this line has "dir": a docs-format line; each file holds one format, so move it ' +
          "to a file of its own)"
        : "";
      throw new FixtureError(file, l.n, `recorded-session lines need "kind" (${KINDS})${other}`);
    }
    switch (kind) {
      case "meta": {
        pending = new Map();
        answered = new Map();
        const m: MetaStep = { type: "meta", line: l.n };
        if (nonEmpty(l.v.session_id)) m.session_id = l.v.session_id;
        if (nonEmpty(l.v.window_uuid)) m.window_uuid = l.v.window_uuid;
        if (nonEmpty(l.v.view)) m.view = l.v.view;
        if (nonEmpty(l.v.app_slug)) m.app_slug = l.v.app_slug;
        steps.push(m);
        break;
      }
      case "req": {
        const id = l.v.id;
        if (typeof id !== "string" && typeof id !== "number") {
          throw new FixtureError(file, l.n, 'a "req" line needs "id" (a number or string)');
        }
        const r: RequestStep = {
          type: "req",
          line: l.n,
          id,
          ns: need(file, l, "ns", 'a "req" line'),
          method: need(file, l, "method", 'a "req" line'),
          args: Object.hasOwn(l.v, "args") ? l.v.args : {},
          expect: { ok: "missing" },
        };
        if (nonEmpty(l.v.window_uuid)) r.window_uuid = l.v.window_uuid;
        const open = pending.get(key(id));
        if (open) {
          warnings.push(
            `${file}:${l.n}: request id ${
              JSON.stringify(id)
            } repeats the id of line ${open.line}, ` +
              `which has no response yet; a response pairs with the latest request of its id, so ` +
              `line ${open.line} is replayed unchecked (give each request its own id)`,
          );
        }
        pending.set(key(id), r);
        steps.push(r);
        break;
      }
      case "res": {
        const r = pending.get(key(l.v.id));
        if (!r) {
          warnings.push(orphanResponse(file, l, pending, answered.get(key(l.v.id))));
          break;
        }
        pending.delete(key(l.v.id));
        answered.set(key(l.v.id), r);
        r.resLine = l.n;
        if (typeof l.v.ok !== "boolean") {
          const got = Object.hasOwn(l.v, "ok") ? `, got ${JSON.stringify(l.v.ok)}` : "";
          const quoted = l.v.ok === "true" || l.v.ok === "false"
            ? `: write ${l.v.ok} without quotes`
            : "";
          throw new FixtureError(
            file,
            l.n,
            `a "res" line needs "ok" (true or false)${got}${quoted}`,
          );
        }
        r.expect = l.v.ok
          ? { ok: true, hasResult: Object.hasOwn(l.v, "result"), result: l.v.result }
          : errorExpectation(file, l, l.v.error);
        break;
      }
      case "auth.refresh":
        break; // token pushes are ignored by replay (§14.3)
      case "event":
        steps.push({
          type: "event",
          line: l.n,
          name: need(file, l, "event", 'an "event" line'),
          payload: l.v.payload ?? {},
        });
        break;
      default:
        warnings.push(
          `${file}:${l.n}: unknown kind ${JSON.stringify(kind)}; ignored (kinds: ${KINDS})`,
        );
    }
  }
  return steps;
}

/** Why a docs-format line has no usable `dir`: a wrong value, or a line of another format. */
function badDir(v: Record<string, unknown>): string {
  if (Object.hasOwn(v, "dir")) {
    return `"dir" must be "out" (a request) or "in" (an expected event), got ${
      JSON.stringify(v.dir)
    }`;
  }
  // the format is fixed by the first line (§14.2): a recorded line pasted below docs lines
  const other = Object.hasOwn(v, "kind")
    ? ' (this line has "kind": a recorded-session line; ' +
      "each file holds one format, so move it to a file of its own)"
    : "";
  return `docs-format lines need "dir" ("out" or "in")${other}`;
}

function parseDocs(file: string, lines: RawLine[], warnings: string[]): Step[] {
  unknownKeys(file, lines, warnings, "dir");
  const steps: Step[] = [];
  for (const l of lines) {
    const dir = l.v.dir;
    if (dir === "out") {
      let expect: Expectation = { ok: null };
      if (Object.hasOwn(l.v, "error") && l.v.error !== null && l.v.error !== undefined) {
        expect = errorExpectation(file, l, l.v.error);
      } else if (Object.hasOwn(l.v, "result")) {
        expect = { ok: true, hasResult: true, result: l.v.result };
      }
      steps.push({
        type: "req",
        line: l.n,
        ns: need(file, l, "ns", 'a "dir":"out" line'),
        method: need(file, l, "method", 'a "dir":"out" line'),
        args: Object.hasOwn(l.v, "args") ? l.v.args : {},
        expect,
      });
    } else if (dir === "in") {
      steps.push({
        type: "event",
        line: l.n,
        name: need(file, l, "name", 'a "dir":"in" line'),
        payload: l.v.payload ?? {},
      });
    } else throw new FixtureError(file, l.n, badDir(l.v));
  }
  return steps;
}

/** Display name: relative to `appDir` when inside it, else the absolute path. */
export function fixtureName(path: string, appDir: string): string {
  const rel = relative(appDir, path).replaceAll("\\", "/");
  return rel.startsWith("..") || rel === "" ? path : rel;
}

/** Reads, classifies and parses one fixture file. */
export async function loadFixture(path: string, appDir: string): Promise<FixtureFile> {
  const name = fixtureName(path, appDir);
  let bytes: Uint8Array;
  try {
    bytes = await Deno.readFile(path);
  } catch (e) {
    throw new FixtureError(name, 0, `cannot read fixture file (${(e as Error).message})`);
  }
  const { text, badLine } = decodeUserFile(bytes);
  if (badLine) throw new FixtureError(name, badLine, NOT_UTF8);
  return parseFixtureText(text, path, name);
}

export function parseFixtureText(text: string, path: string, name = path): FixtureFile {
  const lines = contentLines(text, name);
  const warnings: string[] = [];
  const base = { path, name, steps: [] as Step[], mocks: [] as MockEntry[], warnings };
  if (lines.length === 0) {
    warnings.push(`${name}: no fixture lines; nothing to replay`);
    return { ...base, format: "recorded" };
  }
  const format = classify(lines[0].v);
  if (!format) {
    throw new FixtureError(
      name,
      lines[0].n,
      'cannot tell the fixture format: the first line needs "kind" (recorded session), "dir" ' +
        '(docs format) or "ns"+"method" without "t" (mock table)',
    );
  }
  if (format === "mocks") {
    try {
      const mocks = parseMockText(text, name);
      unknownKeys(name, lines, warnings, "mock");
      return { ...base, format, mocks };
    } catch (e) {
      if (e instanceof MockFileError) {
        throw new FixtureError(e.file, e.line, e.message.replace(/^.*?:\d+: /, ""));
      }
      throw e;
    }
  }
  const steps = format === "recorded"
    ? parseRecorded(name, lines, warnings)
    : parseDocs(name, lines, warnings);
  return { ...base, format, steps };
}

/**
 * Meta lines naming another app slug. Replayed all the same (it may be this app under an older
 * slug), but a recording of another app is the usual cause of a run full of failures.
 */
export function otherAppWarnings(f: FixtureFile, slug: string): string[] {
  return f.steps.flatMap((s) =>
    s.type === "meta" && s.app_slug !== undefined && s.app_slug !== slug
      ? [`${f.name}:${s.line}: recorded for app '${s.app_slug}', replayed against '${slug}'`]
      : []
  );
}
