/** Bridge methods on executas (CONTRACT §4.4.8–§4.4.9) and `runtime.info` (§4.4.10). */
import type { MethodFn } from "./methods.ts";
import { z } from "zod";
import { resolve } from "node:path";
import { invalidParams } from "../core/rpc_error.ts";
import { commandArgv, deriveExecuta, handleFor } from "../executa/discovery.ts";
import type { ExecutaSpec, ExecutaType } from "../executa/types.ts";
import { isDir } from "../util/fs.ts";
import { isPlainObject } from "../util/json.ts";
import type { Runtime } from "../core/runtime.ts";
import { parseParams } from "./params.ts";
import { parseArgs } from "../dispatcher/validate.ts";
import { DispatchError } from "../core/outcome.ts";
import { requireSession } from "./session_methods.ts";

const SpecSchema = z.object({
  tool_id: z.string().min(1).max(200),
  project_dir: z.string().min(1),
  // without its own wording a union failure reads "Invalid input", naming neither form
  command: z.union([z.array(z.string()), z.string()], {
    error: 'must be an argv array of strings (e.g. ["python3", "main.py"]) or one string',
  }).nullish(),
  type: z.enum(["python", "node", "go", "binary"]).nullish(),
  env: z.record(z.string(), z.string()).nullish(),
  handle: z.string().min(1).nullish(),
  app_slug: z.string().min(1).nullish(),
});
const ListSchema = z.object({ executas: z.array(SpecSchema) });
type RawSpec = z.infer<typeof SpecSchema>;

async function toSpec(raw: RawSpec, path: string, cwd: string): Promise<ExecutaSpec> {
  const at = (k: string) => (path ? `${path}.${k}` : k);
  let command: string[] | null = null;
  if (raw.command !== undefined && raw.command !== null) {
    command = commandArgv(raw.command);
    if (!command) {
      throw invalidParams({
        issues: [{ path: at("command"), message: "command must be a non-empty argv" }],
      });
    }
  }
  const dir = resolve(cwd, raw.project_dir);
  if (!(await isDir(dir))) {
    throw invalidParams({
      reason: "project_dir_not_found",
      tool_id: raw.tool_id,
      project_dir: dir,
      issues: [{ path: at("project_dir"), message: `${dir} is not an existing directory` }],
    });
  }
  let type: ExecutaType | null = raw.type ?? null;
  const d = await deriveExecuta(dir);
  if (!command && !type) {
    type = d.type;
    command = d.command;
    if (!type && !command) {
      throw invalidParams({
        reason: "no_command",
        tool_id: raw.tool_id,
        project_dir: dir,
        issues: [{
          path: at("command"),
          message: `no command or type given and none can be derived from ${dir}; ` +
            `pass "type" (python|node|go|binary) or "command"`,
        }],
      });
    }
  }
  return {
    tool_id: raw.tool_id,
    project_dir: dir,
    command,
    type,
    env: { ...(raw.env ?? {}) },
    handle: raw.handle ?? handleFor(dir, [], d.slug),
    app_slug: raw.app_slug ?? null,
  };
}

/** Validates `executas.register` params: `{executas:[Spec…]}` or one Spec. Throws -32602. */
export async function validateRegisterParams(
  params: unknown,
  cwd: string,
): Promise<ExecutaSpec[]> {
  const isList = isPlainObject(params) && "executas" in params;
  const raws: RawSpec[] = isList
    ? parseParams(ListSchema, params).executas
    : [parseParams(SpecSchema, params)];
  const out: ExecutaSpec[] = [];
  for (let i = 0; i < raws.length; i++) {
    out.push(await toSpec(raws[i], isList ? `executas[${i}]` : "", cwd));
  }
  return out;
}

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
