/** The bridge method table (CONTRACT §4.4): every method the core answers over any transport. */
import type { Runtime } from "../core/runtime.ts";
import { sessionMethods } from "./session_methods.ts";
import { executaMethods } from "./executa_methods.ts";

export type MethodFn = (
  rt: Runtime,
  p: Record<string, unknown>,
  transport: string,
) => unknown | Promise<unknown>;

/**
 * Without a prototype, so one indexed read answers (a name like "constructor" finds nothing): the
 * method name of every frame is a fresh string, and each lookup by it costs.
 */
export const METHODS: Readonly<Record<string, MethodFn | undefined>> = Object.assign(
  Object.create(null),
  sessionMethods,
  executaMethods,
);
export const BRIDGE_METHODS = Object.keys(METHODS);
