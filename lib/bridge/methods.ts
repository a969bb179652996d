/** The bridge method table (CONTRACT §4.4): every method the core answers over any transport. */
import type { Runtime } from "../core/runtime.ts";
import { sessionMethods } from "./session_methods.ts";
import { executaMethods } from "./executa_methods.ts";

export type MethodFn = (
  rt: Runtime,
  p: Record<string, unknown>,
  transport: string,
) => unknown | Promise<unknown>;

export const METHODS: Record<string, MethodFn> = { ...sessionMethods, ...executaMethods };
export const BRIDGE_METHODS = Object.keys(METHODS);
