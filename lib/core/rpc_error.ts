/** Bridge-level JSON-RPC errors (CONTRACT §4.3). Dispatcher decisions are never RpcErrors. */

export const RPC = {
  PARSE_ERROR: -32700,
  INVALID_REQUEST: -32600,
  METHOD_NOT_FOUND: -32601,
  INVALID_PARAMS: -32602,
  INTERNAL_ERROR: -32603,
  UNKNOWN_SESSION: -32001,
  SESSION_LIMIT: -32003,
} as const;

const MESSAGES: Record<number, string> = {
  [-32700]: "parse_error",
  [-32600]: "invalid_request",
  [-32601]: "method_not_found",
  [-32602]: "invalid_params",
  [-32603]: "internal_error",
  [-32001]: "unknown_session",
  [-32003]: "session_limit",
};

export class RpcError extends Error {
  constructor(readonly code: number, message?: string, readonly data?: Record<string, unknown>) {
    super(message ?? MESSAGES[code] ?? "error");
  }
  toJSON(): { code: number; message: string; data?: Record<string, unknown> } {
    return this.data === undefined
      ? { code: this.code, message: this.message }
      : { code: this.code, message: this.message, data: this.data };
  }
}

export const invalidParams = (data: Record<string, unknown>) =>
  new RpcError(RPC.INVALID_PARAMS, "invalid_params", data);
export const unknownSession = (session_id: unknown) =>
  new RpcError(RPC.UNKNOWN_SESSION, "unknown_session", { session_id });
