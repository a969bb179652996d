/**
 * The one place where zod failures become the contract's `invalid_arg` outcome (CONTRACT §5.1
 * step 5): non-object args → "args must be an object"; field problems → `details.issues`.
 */
import type { z } from "zod";
import { DispatchError } from "../core/outcome.ts";
import { isPlainObject } from "../util/json.ts";

export interface Issue {
  path: string;
  message: string;
}

export function zodIssues(err: z.ZodError): Issue[] {
  return err.issues.map((i) => ({
    path: i.path.map((p) => (typeof p === "number" ? `[${p}]` : String(p))).join(".")
      .replace(/\.\[/g, "["),
    message: issueMessage(i),
  }));
}

const KIND: Record<string, string> = {
  record: "an object",
  object: "an object",
  array: "an array",
  int: "an integer",
  string: "a string",
  number: "a number",
  boolean: "a boolean",
  null: "null",
  undefined: "nothing",
};
const kindName = (k: string) => KIND[k] ?? k;

/** zod's wording said the way a person fixing their call needs it ("is required (a string)"). */
function issueMessage(i: z.core.$ZodIssue): string {
  const r = i as unknown as Record<string, unknown>;
  if (i.code === "invalid_type") {
    const got = /received (\w+)/.exec(i.message)?.[1];
    const want = kindName(String(r.expected));
    if (got === "undefined") return `is required (${want})`;
    return got ? `must be ${want}, not ${kindName(got)}` : `must be ${want}`;
  }
  if (i.code === "too_big" || i.code === "too_small") {
    const big = i.code === "too_big";
    const n = big ? r.maximum : r.minimum;
    const incl = r.inclusive !== false;
    const bound = big ? (incl ? "at most" : "less than") : (incl ? "at least" : "more than");
    const one = n === 1 || n === 1n; // "at least 1 item", not "1 items"
    const unit = r.origin === "string"
      ? (one ? " character" : " characters")
      : r.origin === "array"
      ? (one ? " item" : " items")
      : "";
    const what = r.origin === "string" || r.origin === "array" ? "must have" : "must be";
    return typeof n === "number" || typeof n === "bigint"
      ? `${what} ${bound} ${n}${unit}`
      : i.message;
  }
  if (i.code === "invalid_value" && Array.isArray(r.values)) {
    return `must be one of ${r.values.map((v) => JSON.stringify(v)).join(", ")}`;
  }
  return i.message;
}

/** `invalid_arg` naming the first failing field, with every issue in `details.issues`. */
export function invalidArg(issues: Issue[]): DispatchError {
  const first = issues[0];
  return new DispatchError(
    "invalid_arg",
    first ? `invalid argument '${first.path || "args"}': ${first.message}` : "invalid arguments",
    { issues },
  );
}

/** A cheap check on an object that, when it holds, proves what the schema would (see below). */
export type FastGuard = (v: Record<string, unknown>) => boolean;
const fastGuards = new Map<z.ZodType, FastGuard>();

/**
 * Gives a hot-path schema a hand-written guard. An object the guard accepts is used as it is,
 * without a zod parse (which costs far more than the guard, mostly in objects made per call).
 * The zod schema stays the definition: a guard may only accept inputs that the schema accepts,
 * and whose parsed fields are the input's own values (tests/fast_guards_test.ts fuzzes every
 * guard against its schema). Everything else, errors included, goes through zod as before.
 */
export function withFastGuard<S extends z.ZodType>(schema: S, guard: FastGuard): S {
  fastGuards.set(schema, guard);
  return schema;
}

/** Every registered guard with its schema (for the equivalence tests). */
export function registeredFastGuards(): ReadonlyMap<z.ZodType, FastGuard> {
  return fastGuards;
}

/** The guard's verdict for a plain object `v`: true means `v` may be used as the parsed value. */
export function passesFastGuard(schema: z.ZodType, v: Record<string, unknown>): boolean {
  const g = fastGuards.get(schema);
  return g !== undefined && g(v);
}

/** Validates call args against a method's schema; `undefined` args count as `{}`. */
export function parseArgs<S extends z.ZodType>(schema: S, args: unknown): z.infer<S> {
  const a = args === undefined ? {} : args;
  if (!isPlainObject(a)) {
    throw new DispatchError("invalid_arg", "args must be an object", {
      hint: 'call host methods with a named-argument object, e.g. storage.get({key: "k"})',
    });
  }
  if (passesFastGuard(schema, a)) return a as z.infer<S>;
  const r = schema.safeParse(a);
  if (!r.success) throw invalidArg(zodIssues(r.error));
  return r.data;
}
