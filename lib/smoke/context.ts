/**
 * What the smoke steps share, and how they talk to the core: exactly like every other transport,
 * through `runtime.call(method, params, "smoke")` (session.create, session.call, session.close).
 */
import type { Runtime } from "../core/runtime.ts";
import { RpcError } from "../core/rpc_error.ts";
import type { EffectiveManifest } from "../manifest/types.ts";
import type { ActualOutcome } from "./check.ts";
import type { ToolAliaser } from "./alias.ts";

/** `--call-timeout-ms` default (§15 "smoke"): the outer limit on one replayed call. */
export const CALL_TIMEOUT_MS = 120_000;

export interface SmokeContext {
  rt: Runtime;
  appDir: string;
  slug: string;
  manifest: EffectiveManifest;
  /** `--ignore-key` values (added to the volatile keys) */
  ignore: ReadonlySet<string>;
  checkEvents: boolean;
  callTimeoutMs: number;
  aliaser: ToolAliaser;
  warnings: string[];
  /** `--view`: the only view the views step checks (fixtures and the browser use their own) */
  view?: string;
  /** aborted when the run is interrupted (SIGINT/SIGTERM): long steps stop early */
  signal?: AbortSignal;
  /** the replayed call waiting for its answer, named when a cancelled CI job stops the run */
  inFlight?: { title: string; since: number } | null;
}

export interface OpenedSession {
  session_id: string;
  window_uuid: string;
  view: string;
}

/**
 * `session.create` for the app directory (its executas are already registered by smoke), in
 * `view`, else the app's default view: `--view` narrows only the views step (§14.1 step 5, §14.6).
 */
export async function openSession(ctx: SmokeContext, view?: string): Promise<OpenedSession> {
  const params: Record<string, unknown> = {
    app_dir: ctx.appDir,
    app_slug: ctx.slug,
    register_executas: false,
  };
  if (view !== undefined) params.view = view;
  const r = await ctx.rt.call("session.create", params, "smoke") as Record<string, unknown>;
  return {
    session_id: r.session_id as string,
    window_uuid: r.window_uuid as string,
    view: r.view as string,
  };
}

export async function closeSession(ctx: SmokeContext, session_id: string) {
  await ctx.rt.call("session.close", { session_id }, "smoke").catch(() => {});
}

export type CallResult =
  | { kind: "outcome"; outcome: ActualOutcome }
  | { kind: "rpc_error"; error: { code: number; message: string; data?: unknown } }
  | { kind: "timeout"; ms: number }
  | { kind: "crash"; message: string };

/** One `session.call` bounded by `--call-timeout-ms` (the call itself cannot be cancelled). */
export async function callWithTimeout(
  ctx: SmokeContext,
  params: { session_id: string; ns: string; method: string; args: unknown; window_uuid?: string },
): Promise<CallResult> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<CallResult>((resolve) => {
    timer = setTimeout(
      () => resolve({ kind: "timeout", ms: ctx.callTimeoutMs }),
      ctx.callTimeoutMs,
    );
  });
  const call = ctx.rt.call("session.call", { ...params }, "smoke").then(
    (v): CallResult => ({ kind: "outcome", outcome: v as ActualOutcome }),
    (e): CallResult =>
      e instanceof RpcError
        ? { kind: "rpc_error", error: e.toJSON() }
        : { kind: "crash", message: String((e as Error)?.stack ?? e) },
  );
  try {
    return await Promise.race([call, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
