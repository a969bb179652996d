/** The LLM provider layer's interface (CONTRACT §10). Dispatcher and executa reverse RPC use it. */

export type LlmMode = "mock" | "off" | "openai";

/** A mock-table entry (§10.2). */
export interface MockEntry {
  ns: string;
  method: string;
  match?: Record<string, unknown>;
  result?: unknown;
  error?: { code: string; message: string; details?: Record<string, unknown> };
  events?: unknown[];
  /** where it came from, e.g. `mocks.jsonl:3` or `manifest.dev.mocks` */
  source?: string;
}

/** Result of a provider call: a value, or an error shaped like a dispatcher error. */
export type LlmResult =
  | { ok: true; result: unknown }
  | { ok: false; error: { code: string; message: string; details?: Record<string, unknown> } };

export interface LlmCallOptions {
  /** Extra mock entries consulted first-to-last after the provider's own table (e.g. manifest.dev.mocks of the session). */
  extraMocks?: MockEntry[];
  /** Lookup keys in order, e.g. ["sampling/createMessage", "llm/complete"]; default from the call kind. */
  lookupKeys?: string[];
  signal?: AbortSignal;
  /** Called when a mock-table entry answers the call (sampling maps mock errors to -32003, §10.2). */
  onMockHit?: (entry: MockEntry) => void;
  /**
   * What mock `match` keys compare with when the call's args were rebuilt from another shape
   * (sampling/embeddings params, §9.8): the params as the caller sent them. Default: `args`.
   */
  matchArgs?: unknown;
}

export interface LlmProvider {
  readonly mode: LlmMode;
  /** `llm.complete` (§5.8) with already-validated args. */
  complete(args: Record<string, unknown>, opts?: LlmCallOptions): Promise<LlmResult>;
  /** `llm.embed` (§5.8) with already-validated args. */
  embed(args: Record<string, unknown>, opts?: LlmCallOptions): Promise<LlmResult>;
  /** Mock lookup for any other `ns.method` (§5.9); `undefined` when nothing matches. */
  lookupMock(ns: string, method: string, args: unknown, extra?: MockEntry[]): MockEntry | undefined;
}
