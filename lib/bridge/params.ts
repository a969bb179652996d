/** Param validation for bridge methods: zod failures → -32602 with `issues` (CONTRACT §4.3). */
import type { z } from "zod";
import { invalidParams } from "../core/rpc_error.ts";
import { zodIssues } from "../dispatcher/validate.ts";

export function parseParams<S extends z.ZodType>(schema: S, params: unknown): z.infer<S> {
  const r = schema.safeParse(params ?? {});
  if (!r.success) throw invalidParams({ issues: zodIssues(r.error) });
  return r.data;
}
