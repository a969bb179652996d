/** Maps a plugin's `invoke` reply to a dispatcher outcome (CONTRACT §9.7, §5.6 steps 7–10). */
import { fail, ok, type Outcome } from "../core/outcome.ts";
import { byteSize, isPlainObject } from "../util/json.ts";
import type { ExitInfo, Reply } from "./process.ts";
import {
  INVOKE_DEFAULT_TIMEOUT_MS,
  INVOKE_MAX_TIMEOUT_MS,
  INVOKE_MIN_TIMEOUT_MS,
  MAX_RESULT_BYTES,
  STDERR_TAIL_ERROR,
} from "./limits.ts";

export interface InvokeTimeout {
  requested: number;
  effective: number;
}

/** §5.6 step 7: `requested = timeoutMs ?? 65000`, non-finite → invalid_arg, clamp(round). */
export function parseTimeout(timeoutMs: unknown): InvokeTimeout | Outcome {
  const requested = timeoutMs ?? INVOKE_DEFAULT_TIMEOUT_MS;
  if (typeof requested !== "number" || !Number.isFinite(requested)) {
    return fail("invalid_arg", "timeoutMs must be a finite number of milliseconds", {
      issues: [{ path: "timeoutMs", message: "expected a finite number" }],
    });
  }
  const effective = Math.min(
    INVOKE_MAX_TIMEOUT_MS,
    Math.max(INVOKE_MIN_TIMEOUT_MS, Math.round(requested)),
  );
  return { requested, effective };
}

/** A stage-2 job deadline (`InvokeOptions.deadlineAt`): no clamp, what is left of it. */
export function deadlineTimeout(deadlineAt: number, now = Date.now()): InvokeTimeout {
  const left = Math.max(0, Math.round(deadlineAt - now));
  return { requested: left, effective: left };
}

/** The invoke was cancelled through `InvokeOptions.signal` (internal: jobs settle on their own). */
export function cancelledOutcome(invoke_id: string, sent: boolean): Outcome {
  return fail("cancelled", `invoke ${invoke_id} was cancelled`, { invoke_id, sent });
}

export function exitedOutcome(exit: ExitInfo, stderr: string[]): Outcome {
  return fail("tool_failed", "executa process exited", {
    exit_code: exit.code,
    signal: exit.signal,
    stderr_tail: stderr.slice(-STDERR_TAIL_ERROR),
  });
}

/** Faults that are not a plugin reply; `null` for `kind: "response"`. */
export function faultOutcome(reply: Reply, stderr: () => string[]): Outcome | null {
  switch (reply.kind) {
    case "exit":
      return exitedOutcome(reply.exit, stderr());
    case "frame_too_large": {
      const details: Record<string, unknown> = {
        frame_bytes: reply.frame_bytes,
        max_frame_bytes: reply.max_frame_bytes,
      };
      if (reply.path !== undefined) details.path = reply.path;
      return fail(
        "frame_too_large",
        `executa reply of ${reply.frame_bytes} bytes exceeds the limit of ${reply.max_frame_bytes} bytes`,
        details,
      );
    }
    case "file_error":
      return fail("executa_error", `unusable file-transport reply: ${reply.why}`, {
        reason: "file_transport",
        path: reply.path,
      });
    default:
      return null;
  }
}

/**
 * JSON-RPC error → `tool_failed "[<code>] <message>"` with `{jsonrpc_code, data}`. A plugin that
 * sends a bare value as `error` (a string, a number, an array) keeps it as the message and data:
 * it is its only diagnostic.
 */
export function rpcErrorOutcome(error: unknown): Outcome {
  if (!isPlainObject(error)) {
    const text = typeof error === "string" ? error : JSON.stringify(error) ?? String(error);
    return fail("tool_failed", `[null] ${text}`, { jsonrpc_code: null, data: error ?? null });
  }
  const e = error;
  const code = e.code ?? null;
  const message = typeof e.message === "string" ? e.message : JSON.stringify(e.message ?? null);
  return fail("tool_failed", `[${code}] ${message}`, {
    jsonrpc_code: code,
    data: e.data ?? null,
  });
}

/** §9.7: message = `error` when it is a string (even empty), else a generic one with details. */
function reportedFailure(error: unknown): Outcome {
  if (typeof error === "string") return fail("tool_failed", error);
  return fail("tool_failed", "tool reported failure", { error: error ?? null });
}

/** The §9.7 table for a JSON-RPC response object. */
export function mapInvokeResponse(msg: Record<string, unknown>): Outcome {
  if (msg.error !== undefined && msg.error !== null) {
    return rpcErrorOutcome(msg.error);
  }
  const result = msg.result;
  if (isPlainObject(result)) {
    if (result.success === true) return ok(result.data ?? null);
    if (result.success === false) return reportedFailure(result.error);
    if (!("success" in result)) {
      const e = result.error;
      if ((typeof e === "string" && e !== "") || isPlainObject(e)) return reportedFailure(e);
    }
  }
  return ok(result === undefined ? null : result);
}

/**
 * A mock-table answer to `tools.invoke`/`invokeAsync` (§5.9) stands in for the plugin's reply, so
 * it is unwrapped like one: the app never sees the `{success, data}` envelope (§5.6), and a mocked
 * `{success:false, error}` is `tool_failed`, not a success. A plain payload passes unchanged.
 */
export function mapMockedInvoke(outcome: Outcome): Outcome {
  return outcome.ok ? mapInvokeResponse({ result: outcome.result }) : outcome;
}

/** §5.6 step 10: the unwrapped result must fit in 4 MiB; `call` is `<tool_id>.<method>`. */
export function checkResultSize(outcome: Outcome, call: string): Outcome {
  if (!outcome.ok) return outcome;
  const size = byteSize(outcome.result);
  if (size <= MAX_RESULT_BYTES) return outcome;
  return fail(
    "result_too_large",
    `${call} returned ${size} bytes of data, over the ${MAX_RESULT_BYTES}-byte (4 MiB) limit ` +
      "of a tool result: return less per call, e.g. a page or a summary",
    { size, max: MAX_RESULT_BYTES, retriable: false },
  );
}

/** `hint`: what the plugin's stdout shows about the missing reply (stdout_noise.ts), or "". */
export function timeoutOutcome(
  tool_id: string,
  method: string,
  t: InvokeTimeout,
  hint = "",
): Outcome {
  const message = `${tool_id}.${method} did not answer within ${t.effective} ms${hint}`;
  return fail("tool_timeout", message, {
    timeout_ms: t.effective,
    requested_timeout_ms: t.requested,
    max_timeout_ms: INVOKE_MAX_TIMEOUT_MS,
  });
}
