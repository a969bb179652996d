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
    message: i.message,
  }));
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

/** Validates call args against a method's schema; `undefined` args count as `{}`. */
export function parseArgs<S extends z.ZodType>(schema: S, args: unknown): z.infer<S> {
  const a = args === undefined ? {} : args;
  if (!isPlainObject(a)) {
    throw new DispatchError("invalid_arg", "args must be an object", {
      hint: 'call host methods with a named-argument object, e.g. storage.get({key: "k"})',
    });
  }
  const r = schema.safeParse(a);
  if (!r.success) throw invalidArg(zodIssues(r.error));
  return r.data;
}
