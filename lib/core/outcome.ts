/**
 * Dispatcher outcomes and errors (CONTRACT §5.1, §5.12). Every host-API call answers an Outcome;
 * handlers throw `DispatchError` and the pipeline turns it into `{ok:false, error}` in one place.
 */

export type ErrorCode =
  | "invalid_token"
  | "permission_denied"
  | "invalid_arg"
  | "invalid_path"
  | "not_found"
  | "not_implemented"
  | "state_too_large"
  | "rate_limited"
  | "quota_exceeded"
  | "tool_failed"
  | "tool_timeout"
  | "executa_error"
  | "executa_unavailable"
  | "result_too_large"
  | "frame_too_large"
  | "llm_disabled"
  | "provider_error"
  | "job_not_found"
  | "job_quota_exceeded"
  | "internal_error";

export interface OutcomeError {
  code: string;
  message: string;
  details?: Record<string, unknown>;
}
export type Outcome = { ok: true; result: unknown } | { ok: false; error: OutcomeError };

export class DispatchError extends Error {
  constructor(
    readonly code: ErrorCode | string,
    message: string,
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
  }
  toOutcome(): Outcome {
    const error: OutcomeError = { code: this.code, message: this.message };
    if (this.details !== undefined) error.details = this.details;
    return { ok: false, error };
  }
}

export const ok = (result: unknown): Outcome => ({ ok: true, result });
export const fail = (
  code: ErrorCode | string,
  message: string,
  details?: Record<string, unknown>,
): Outcome => new DispatchError(code, message, details).toOutcome();

export function notImplemented(ns: string, method: string): DispatchError {
  return new DispatchError(
    "not_implemented",
    `${ns}.${method} is not implemented in this runtime`,
    {
      ns,
      method,
    },
  );
}
