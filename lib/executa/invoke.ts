/**
 * One `invoke` on a started executa process (CONTRACT §9.7): the request with its context, the
 * deadline plus grace, `_cancel_invoke` on timeout or cancel, and the reply mapped to an outcome.
 */
import { ok, type Outcome } from "../core/outcome.ts";
import { newInvokeId } from "../util/ids.ts";
import type { Logger } from "../util/log.ts";
import { ABORTED, TIMEOUT, withTimeout } from "./async.ts";
import { INVOKE_GRACE_MS } from "./limits.ts";
import {
  cancelledOutcome,
  checkResultSize,
  faultOutcome,
  type InvokeTimeout,
  mapInvokeResponse,
  rpcErrorOutcome,
  timeoutOutcome,
} from "./mapping.ts";
import type { ExecutaProcess, InvokeContext } from "./process.ts";
import type { InvokeOptions } from "./types.ts";
import { stdoutNoiseHint } from "./stdout_noise.ts";

export interface InvokeRequest {
  tool_id: string;
  method: string;
  args: unknown;
  opts: InvokeOptions;
  /** Answer the plugin's raw `invoke` result instead of the §9.7 mapping (CLI `--raw`). */
  raw: boolean;
  timeout: InvokeTimeout;
  stderr: () => string[];
  log: Logger;
}

export async function invokeOn(proc: ExecutaProcess, r: InvokeRequest): Promise<Outcome> {
  const { tool_id, method, opts, timeout: t } = r;
  const invoke_id = opts.invokeId ?? newInvokeId();
  if (opts.signal?.aborted) return cancelledOutcome(invoke_id, false);
  const deadline_ms = opts.deadlineAt ?? Date.now() + t.effective;
  const ctx: InvokeContext = {
    invoke_id,
    app: opts.app ?? null,
    deadline_ms,
    sampling_calls: 0,
    sampling_tokens: 0,
    abort: new AbortController(),
  };
  proc.invokes.set(invoke_id, ctx);
  // once its reply is read the invoke is over: a reverse request on a later line (even in the
  // same chunk) no longer gets its context (§9.8 "not in flight")
  const req = proc.request("invoke", {
    tool: method,
    arguments: r.args ?? {},
    invoke_id,
    context: { invoke_id, deadline_ms, plugin_name: tool_id, credentials: {} },
  }, () => proc.invokes.delete(invoke_id));
  opts.onSent?.(invoke_id);
  try {
    const wait = deadline_ms - Date.now() + INVOKE_GRACE_MS;
    const reply = await withTimeout(req.reply, wait, opts.signal);
    if (reply === TIMEOUT || reply === ABORTED) {
      proc.abandon(req.id);
      proc.notify("_cancel_invoke", { invoke_id });
      const late = reply === TIMEOUT;
      r.log.warn(`invoke ${late ? "timed out" : "was cancelled"}; sent _cancel_invoke`, {
        tool_id,
        method,
        invoke_id,
      });
      if (!late) return cancelledOutcome(invoke_id, true);
      return timeoutOutcome(tool_id, method, t, stdoutNoiseHint(proc.stdoutDiagnosis()));
    }
    const fault = faultOutcome(reply, r.stderr);
    if (fault || reply.kind !== "response") return fault!;
    if (!r.raw) {
      const mapped = mapInvokeResponse(reply.msg);
      return opts.ownResultCap ? mapped : checkResultSize(mapped, `${tool_id}.${method}`);
    }
    const e = reply.msg.error;
    return e !== undefined && e !== null ? rpcErrorOutcome(e) : ok(reply.msg.result ?? null);
  } finally {
    proc.invokes.delete(invoke_id);
    ctx.abort.abort();
  }
}
