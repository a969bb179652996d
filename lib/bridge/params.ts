/** Param validation for bridge methods: zod failures → -32602 with `issues` (CONTRACT §4.3). */
import type { z } from "zod";
import { invalidParams } from "../core/rpc_error.ts";
import { passesFastGuard, zodIssues } from "../dispatcher/validate.ts";
import { isPlainObject } from "../util/json.ts";

export function parseParams<S extends z.ZodType>(schema: S, params: unknown): z.infer<S> {
  if (isPlainObject(params) && passesFastGuard(schema, params)) return params as z.infer<S>;
  const r = schema.safeParse(params ?? {});
  if (!r.success) throw invalidParams({ issues: zodIssues(r.error) });
  return r.data;
}
