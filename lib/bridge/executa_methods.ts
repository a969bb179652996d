/** Bridge methods on executas (CONTRACT §4.4.8–§4.4.9) and `runtime.info` (§4.4.10). */
import type { MethodFn } from "./methods.ts";
import { z } from "zod";
import { invalidParams } from "../core/rpc_error.ts";
import { validateRegisterParams } from "../executa/spec.ts";
import type { Runtime } from "../core/runtime.ts";
import { parseParams } from "./params.ts";
import { parseArgs } from "../dispatcher/validate.ts";
import { DispatchError } from "../core/outcome.ts";
import { requireSession } from "./session_methods.ts";

/**
 * The plugin's `arguments` and the deadline, checked as tools.invoke's step 1 checks `args` and
 * `timeoutMs` (§5.6), but under this method's own names: a bad `timeout_ms` must be reported as
 * `timeout_ms`, not as the `timeoutMs` the caller never sent.
 */
const PluginArgs = z.object({
  args: z.record(z.string(), z.unknown()).optional(),
  timeout_ms: z.number().nullable().optional(),
});

const ToolRef = z.object({ tool_id: z.string().min(1) });
const InvokeParams = z.object({
  tool_id: z.string().min(1),
  method: z.string().min(1),
  // both checked below: a bad one is an `invalid_arg` outcome, as for tools.invoke (§4.4.9, §5.6)
  args: z.unknown().optional(),
  timeout_ms: z.unknown().optional(),
  session_id: z.string().optional(),
});

type Method = MethodFn;

function requireExecuta(rt: Runtime, tool_id: string) {
  if (!rt.executas.get(tool_id)) {
    throw invalidParams({
      reason: "unknown_tool",
      tool_id,
      registered: rt.executas.list().map((e) => e.tool_id),
    });
  }
}

export const executaMethods: Record<string, Method> = {
  "executas.register": async (rt, p) => {
    const specs = await validateRegisterParams(p, rt.cwd);
    await rt.executas.register(specs);
    rt.logger.info("executas registered", { tool_ids: specs.map((s) => s.tool_id) });
    return { registered: specs.map((s) => s.tool_id), warnings: [] };
  },
  "executas.list": (rt) => Promise.resolve({ executas: rt.executas.list() }),
  "executas.restart": async (rt, p) => {
    const a = parseParams(ToolRef, p);
    requireExecuta(rt, a.tool_id);
    await rt.executas.restart(a.tool_id);
    return { restarted: true };
  },
  "executas.invoke": async (rt, p) => {
    const a = parseParams(InvokeParams, p);
    requireExecuta(rt, a.tool_id);
    const session = a.session_id !== undefined ? requireSession(rt, a.session_id) : null;
    try {
      parseArgs(PluginArgs, { args: a.args, timeout_ms: a.timeout_ms });
    } catch (e) {
      if (e instanceof DispatchError) return e.toOutcome();
      throw e;
    }
    // the args as sent: zod's record parse drops an own "__proto__" key
    const args = a.args === undefined ? {} : { ...(p.args as Record<string, unknown>) };
    return await rt.executas.invoke(a.tool_id, a.method, args, {
      timeoutMs: a.timeout_ms,
      app: session ? rt.appContext(session) : null,
    });
  },
  "runtime.info": (rt) => Promise.resolve(rt.info()),
};
