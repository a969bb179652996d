/** The mock table (CONTRACT §10.2): JSONL loading, `manifest.dev.mocks`, lookup and match rules. */
import { decodeUserFile, deepEqual, isPlainObject, jsonLines, NOT_UTF8 } from "../util/json.ts";
import { contentTexts, embedInputs } from "./args.ts";
import { fileProblem } from "../util/fs.ts";
import type { MockEntry } from "./types.ts";

/** Bad LLM configuration (flags, env); commands print the message and exit 2. */
export class LlmConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "LlmConfigError";
  }
}

/** A mock file that cannot be loaded; `message` is `file:line: …` (line 0 = the whole file). */
export class MockFileError extends LlmConfigError {
  constructor(readonly file: string, readonly line: number, problem: string) {
    super(line > 0 ? `${file}:${line}: ${problem}` : `${file}: ${problem}`);
    this.name = "MockFileError";
  }
}

export async function loadMockFile(path: string): Promise<MockEntry[]> {
  let bytes: Uint8Array;
  try {
    bytes = await Deno.readFile(path);
  } catch (e) {
    throw new MockFileError(path, 0, `cannot read mock file (${fileProblem(e)})`);
  }
  const { text, badLine } = decodeUserFile(bytes);
  if (badLine) throw new MockFileError(path, badLine, NOT_UTF8);
  return parseMockText(text, path);
}

/** Parses JSONL mock text; `file` names the source in errors and `source` fields. */
export function parseMockText(text: string, file: string): MockEntry[] {
  const entries: MockEntry[] = [];
  const fail = (n: number, problem: string): never => {
    throw new MockFileError(file, n, problem);
  };
  for (const { n, v } of jsonLines(text, fail)) {
    const problem = entryProblem(v);
    if (problem) throw new MockFileError(file, n, problem);
    entries.push({ ...(v as MockEntry), source: `${file}:${n}` });
  }
  return entries;
}

const FIXTURE_KINDS = new Set<unknown>(["meta", "req", "res", "event", "auth.refresh"]);

function entryProblem(v: unknown): string | undefined {
  if (!isPlainObject(v)) {
    return "each line must be a JSON object {ns, method, match?, result|error|events}";
  }
  // a recorded session (§14.3) or docs fixture (§14.4) given where a mock table belongs; only
  // their exact line shapes, since `kind`/`dir` are fine keys in a mock entry's own data
  const recorded = FIXTURE_KINDS.has(v.kind);
  if (typeof v.t === "number" && (recorded || v.dir === "out" || v.dir === "in")) {
    return `this line is a ${
      recorded ? "recorded-session" : "docs"
    } fixture, not a mock entry {ns, method, result}: replay it with smoke --fixtures FILE`;
  }
  if (
    (typeof v.ns !== "string" || v.ns === "") && typeof v.method === "string" &&
    /^[a-z_]+\.[A-Za-z_.]+$/.test(v.method)
  ) {
    const dot = v.method.indexOf(".");
    return `missing "ns" (a non-empty string): write "ns":"${v.method.slice(0, dot)}", ` +
      `"method":"${v.method.slice(dot + 1)}"`;
  }
  if (
    typeof v.ns === "string" && /^[a-z_]+\.[A-Za-z_./]+$/.test(v.ns) &&
    (typeof v.method !== "string" || v.method === "")
  ) {
    // the `dev.mocks` key form ("llm.complete") written into a file line
    const dot = v.ns.indexOf(".");
    return `missing "method" (a non-empty string): write "ns":"${v.ns.slice(0, dot)}", ` +
      `"method":"${v.ns.slice(dot + 1)}"`;
  }
  for (const k of ["ns", "method"]) {
    if (typeof v[k] === "string" && v[k] !== "") continue;
    // "missing" would send the user looking for a key that is there, with the wrong value
    return Object.hasOwn(v, k)
      ? `"${k}" must be a non-empty string (got ${JSON.stringify(v[k])})`
      : `missing "${k}" (a non-empty string)`;
  }
  if (!Object.hasOwn(v, "result") && !Object.hasOwn(v, "error") && !Object.hasOwn(v, "events")) {
    return 'needs one of "result", "error" or "events"';
  }
  if (v.match !== undefined && !isPlainObject(v.match)) return '"match" must be an object';
  if (isPlainObject(v.match)) {
    // a substring test on a non-string never holds: the entry would silently never answer
    for (const k of ["contentIncludes", "promptIncludes"]) {
      const want = v.match[k];
      if (want !== undefined && typeof want !== "string") {
        return `"match.${k}" must be a string (got ${JSON.stringify(want)}): ` +
          `write "${k}":"${typeof want === "number" ? want : "some text"}"`;
      }
    }
  }
  if (Object.hasOwn(v, "error")) {
    const e = v.error;
    if (!isPlainObject(e) || typeof e.code !== "string" || typeof e.message !== "string") {
      return '"error" must be an object {code, message, details?} with string code and message';
    }
    if (e.details !== undefined && !isPlainObject(e.details)) {
      return '"error.details" must be an object';
    }
  }
  if (v.events !== undefined && !Array.isArray(v.events)) return '"events" must be an array';
  return undefined;
}

/**
 * `manifest.dev.mocks`: `{"ns.method": response}` → entries without `match`. A value whose only key
 * is `result` or `error` is unwrapped; anything else is the result itself.
 */
export function mocksFromManifest(devMocks: Record<string, unknown>): MockEntry[] {
  const out: MockEntry[] = [];
  if (!isPlainObject(devMocks)) return out;
  for (const [key, value] of Object.entries(devMocks)) {
    const dot = key.indexOf(".");
    if (dot <= 0 || dot === key.length - 1) continue; // not "ns.method": the manifest check reports it
    const base = {
      ns: key.slice(0, dot),
      method: key.slice(dot + 1),
      source: "manifest.dev.mocks",
    };
    const keys = isPlainObject(value) ? Object.keys(value) : [];
    if (keys.length === 1 && keys[0] === "result") {
      out.push({ ...base, result: (value as { result: unknown }).result });
    } else if (keys.length === 1 && keys[0] === "error") {
      out.push({ ...base, error: normaliseError((value as { error: unknown }).error) });
    } else {
      out.push({ ...base, result: value });
    }
  }
  return out;
}

/** Hand-written manifest errors may be loose; the answer must still be a valid error envelope. */
export function normaliseError(
  e: unknown,
): { code: string; message: string; details?: Record<string, unknown> } {
  if (!isPlainObject(e)) {
    return {
      code: "mock_error",
      message: typeof e === "string" ? e : JSON.stringify(e) ?? "mock error",
    };
  }
  const out: { code: string; message: string; details?: Record<string, unknown> } = {
    code: typeof e.code === "string" && e.code ? e.code : "mock_error",
    message: typeof e.message === "string" ? e.message : String(e.message ?? "mock error"),
  };
  if (isPlainObject(e.details)) out.details = e.details;
  return out;
}

export type MatchKind = "complete" | "embed" | "other";

/** The text `contentIncludes`/`promptIncludes` search (§10.2). */
export function matchTextFor(kind: MatchKind, args: unknown): string {
  if (kind === "other") return JSON.stringify(args) ?? "";
  if (!isPlainObject(args)) return "";
  if (kind === "embed") return embedInputs(args).join("\n");
  const parts: string[] = [];
  const sys = args.systemPrompt ?? args.system;
  if (typeof sys === "string") parts.push(sys);
  if (Array.isArray(args.messages)) {
    for (const m of args.messages) if (isPlainObject(m)) parts.push(...contentTexts(m.content));
  }
  return parts.join("\n");
}

function matches(entry: MockEntry, args: unknown, matchText: string): boolean {
  const m = entry.match;
  if (!m) return true;
  const a = isPlainObject(args) ? args : {};
  for (const [k, want] of Object.entries(m)) {
    if (k === "contentIncludes" || k === "promptIncludes") {
      if (typeof want !== "string" || !matchText.includes(want)) return false;
    } else if (k === "modeEquals") {
      if (!deepEqual(want, a.submode ?? a.mode)) return false;
    } else if (!deepEqual(want, a[k])) return false;
  }
  return true;
}

/**
 * First entry answering one of `keys` ("ns/method"), trying the keys in order and the entries in
 * table order for each key. Entries with neither `result` nor `error` (events only) never answer.
 */
export function matchMock(
  entries: MockEntry[],
  keys: string[],
  args: unknown,
  matchText: string,
): MockEntry | undefined {
  for (const key of keys) {
    for (const e of entries) {
      if (`${e.ns}/${e.method}` !== key) continue;
      if (!Object.hasOwn(e, "result") && !Object.hasOwn(e, "error")) continue;
      if (matches(e, args, matchText)) return e;
    }
  }
  return undefined;
}
