/** `health` classification for `executa health` and smoke (CONTRACT §2.9). */
import type { OutcomeError } from "../core/outcome.ts";
import { isPlainObject } from "../util/json.ts";
import type { Reply } from "./process.ts";
import { faultOutcome } from "./mapping.ts";
import { TIMEOUT } from "./async.ts";

export type HealthReport =
  | {
    ok: true;
    status: "healthy" | "not_implemented" | "unhealthy";
    /** The raw `health` result (`null` on error). */
    result: unknown;
    error?: unknown;
  }
  /** The executa could not be started (spawn fault). */
  | { ok: false; error: OutcomeError };

const HEALTHY = ["ok", "ready", "healthy"];

/**
 * After "no health reply within 3 s": what stdout showed (`stdoutHint`, stdout_noise.ts), else the
 * usual cause — an executa that skips requests it does not know instead of answering them.
 */
export function healthTimeoutHint(stdoutHint: string): string {
  return stdoutHint ||
    "; an executa without health answers it with a JSON-RPC error -32601 (method not found), " +
      "which counts as not implemented";
}

/** After an unhealthy result that is no health answer at all (no `status`, no `ok`): the shapes. */
export function healthShapeHint(result: unknown): string {
  if (isPlainObject(result) && ("status" in result || "ok" in result)) return "";
  return ` (a healthy answer is {"status":"ok"}, "ready" or "healthy", or {"ok":true}; ` +
    "-32601 when health is not implemented)";
}

/** healthy: result status ok/ready/healthy or `{ok:true}`; -32601 → not_implemented. */
export function healthReport(r: Reply | typeof TIMEOUT, stderr: string[]): HealthReport {
  if (r === TIMEOUT) {
    const error = { code: "timeout", message: "no health reply within 3 s" };
    return { ok: true, status: "unhealthy", result: null, error };
  }
  if (r.kind !== "response") {
    const fault = faultOutcome(r, () => stderr) as { error: OutcomeError };
    return { ok: true, status: "unhealthy", result: null, error: fault.error };
  }
  const { result, error } = r.msg;
  if (error !== undefined && error !== null) {
    const code = isPlainObject(error) ? error.code : undefined;
    return {
      ok: true,
      status: code === -32601 ? "not_implemented" : "unhealthy",
      result: null,
      error,
    };
  }
  const healthy = isPlainObject(result) &&
    (HEALTHY.includes(result.status as string) || result.ok === true);
  return { ok: true, status: healthy ? "healthy" : "unhealthy", result: result ?? null };
}
