/**
 * Fixture files (CONTRACT §14.2–§14.4): classification by the first non-blank, non-comment line,
 * and parsing of the recorded-session format, the docs format and mock-table fixtures into replay
 * steps. Any problem is a `FixtureError` naming `file:line` (smoke exits 2).
 */
import { relative } from "node:path";
import { MockFileError, mockLineWarnings, parseMockText } from "../llm/mod.ts";
import type { MockEntry } from "../llm/types.ts";
import { decodeUserFile, isPlainObject, jsonLines, NOT_UTF8 } from "../util/json.ts";
import { unknownKeys } from "./fixture_keys.ts";
import { parseRecorded } from "./fixture_recorded.ts";
import {
  errorExpectation,
  type Expectation,
  FixtureError,
  type FixtureFile,
  type FixtureFormat,
  need,
  type RawLine,
  type Step,
} from "./fixture_steps.ts";

export { FixtureError } from "./fixture_steps.ts";
export type {
  EventStep,
  Expectation,
  FixtureFile,
  FixtureFormat,
  MetaStep,
  RequestStep,
  Step,
} from "./fixture_steps.ts";

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
      mockLineWarnings(name, lines, warnings);
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
