/**
 * The host API shapes of the Anna App SDK types (CONTRACT §5, §3.10, §5.12): arguments and results
 * of every method the dispatcher implements. lib/sdk/src/index.d.ts re-exports them, and
 * scripts/gen_assets.ts joins both files into the one served `index.d.ts`.
 */

/** A JSON object as the host sends it (payloads, the storage bucket, `host_api`). */
export type JsonObject = { [key: string]: unknown };

// ---- error codes (§5.12, §12.6) ----

export type ClientErrorCode =
  | "no_host"
  | "connect_timeout"
  | "client_timeout"
  | "aborted"
  | "disconnected"
  | "host_unavailable";
export type DispatcherErrorCode =
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
/** Known codes autocomplete; any other string is still allowed (mock tables answer their own). */
export type HostErrorCode = ClientErrorCode | DispatcherErrorCode | (string & Record<never, never>);

export interface HostErrorInfo {
  code: HostErrorCode;
  message: string;
  details?: unknown;
}

// ---- shapes shared by results and events (§3.10, §5.4, §6.2) ----

export interface Size {
  w: number;
  h: number;
}
export interface Geometry {
  x: number;
  y: number;
  w: number;
  h: number;
}
export interface ViewMeta {
  name: string;
  title: string;
  entry: string;
  min_size: Size;
  default_size: Size;
  max_size: Size;
  resizable: boolean;
  movable: boolean;
  single_instance: boolean;
  icon: string | null;
  summary_template: string | null;
  chrome: "solid";
  transparent: false;
}
export interface Capabilities {
  host_api_version: string;
  /** e.g. `storage.get`, `tools.required:*`, `agent.session.auto`, `window.*`. */
  scopes: string[];
  /** The manifest's `ui.host_api` as given. */
  host_api: JsonObject;
  /** Granted tool ids, resolved. */
  tools: string[];
}
export type WindowStatus = "active" | "minimized" | "closed" | "crashed";
export type ChatRole = "user" | "assistant" | "system";
export type JobState = "queued" | "running" | "succeeded" | "failed" | "cancelled" | "expired";
export type OkResult = { ok: true };

// ---- call options and method signatures (§12.4) ----

export interface CallOptions {
  /** Client-side limit in ms (defaults: tools.invoke (args.timeoutMs ?? 65000) + 5000, llm.* 180000, else 30000). */
  timeoutMs?: number;
  /** Aborting rejects the call with code `aborted`; nothing is cancelled on the host. */
  signal?: AbortSignal;
}

// ---- window (§5.4) ----

export interface HelloResult {
  window_uuid: string;
  app_id: string;
  app_slug: string;
  version_id: string;
  user_id: number;
  view: string;
  view_meta: ViewMeta;
  capabilities: Capabilities;
  entry_payload: JsonObject;
  runtime_state: JsonObject;
  geometry: Geometry;
  is_resume: boolean;
  token_expires_at: number | null;
}
export interface WindowMethods {
  hello(args?: { client_info?: JsonObject }, opts?: CallOptions): Promise<HelloResult>;
  ready(args?: JsonObject, opts?: CallOptions): Promise<OkResult>;
  heartbeat(args?: JsonObject, opts?: CallOptions): Promise<OkResult>;
  /** 1..120 characters after trim. */
  set_title(args: { title: string }, opts?: CallOptions): Promise<OkResult>;
  /** Rounded and clamped to `view_meta` min/max; the result holds the applied size. */
  resize(
    args: { w: number; h: number },
    opts?: CallOptions,
  ): Promise<{ ok: true; w: number; h: number }>;
  focus(args?: JsonObject, opts?: CallOptions): Promise<OkResult>;
  close(args?: { reason?: string }, opts?: CallOptions): Promise<OkResult>;
  open_view(
    args: { view: string; payload?: JsonObject },
    opts?: CallOptions,
  ): Promise<{ ok: true; window_uuid: string }>;
  report_error(
    args: { message: unknown; stack?: string; context?: unknown; fatal?: boolean },
    opts?: CallOptions,
  ): Promise<OkResult>;
}

// ---- storage (§5.5) ----

/** Accepted by every storage method; `scope` other than "app" and a non-null `owner` answer not_implemented. */
export interface StorageCommonArgs {
  scope?: "app";
  owner?: null;
  if_match?: unknown;
  metadata?: unknown;
  tags?: unknown;
  ttl_seconds?: unknown;
}
export type StorageGetResult<T = unknown> =
  | { value: T; exists: true; etag: string }
  | { value: null; exists: false; etag: null };
export interface StorageListItem {
  key: string;
  etag: string;
  size_bytes: number;
  metadata: null;
  tags: null;
  updated_at: null;
}
export interface StorageMethods {
  get<T = unknown>(
    args: StorageCommonArgs & { key: string },
    opts?: CallOptions,
  ): Promise<StorageGetResult<T>>;
  /** `value`: any JSON, `null` included; the bucket is capped at 256 KiB (`state_too_large`). */
  set(
    args: StorageCommonArgs & { key: string; value: unknown },
    opts?: CallOptions,
  ): Promise<OkResult>;
  delete(
    args: StorageCommonArgs & { key: string },
    opts?: CallOptions,
  ): Promise<{ ok: true; deleted: boolean }>;
  list(
    args?: StorageCommonArgs & {
      prefix?: string | null;
      cursor?: string | null;
      limit?: number | null;
    },
    opts?: CallOptions,
  ): Promise<{ items: StorageListItem[]; next_cursor: string | null }>;
}

// ---- tools (§5.6, §5.11, §12.9) ----

export interface ToolInfo {
  tool_id: string;
  status: "available" | "unavailable";
  plugin_name: string | null;
  display_name: string | null;
  description: string | null;
  methods: string[] | null;
}
export interface ToolInvokeArgs {
  /** A tool id or `bundled:<handle>`; `"<id>__<method>"` / `"<id>.<method>"` when `method` is absent. */
  tool_id: string;
  method?: string;
  args?: JsonObject;
  /** Alias of `args`. */
  arguments?: JsonObject;
  /** Host-side limit, clamped to 1 000..90 000 ms (default 65 000). */
  timeoutMs?: number | null;
}
/** §12.9: read-only extras an object result gets unless it owns such a key. */
export interface ToolResultCompat<T> {
  readonly success: true;
  readonly ok: true;
  readonly data: T;
  readonly result: T;
}
export type ToolResult<T> = T extends object ? T & Omit<ToolResultCompat<T>, keyof T> : T;
export interface JobProgress {
  seq: number;
  event: "created" | "started" | "succeeded" | "failed" | "cancelled" | "expired";
  state: JobState;
  at: number;
  reason?: string;
  code?: string;
}
export interface JobSummary {
  jobId: string;
  tool_id: string;
  state: JobState;
  clientTag: string | null;
  error?: HostErrorInfo;
  lastSeq: number;
  created_at: number;
  updated_at: number;
}
export interface ToolsMethods {
  list(args?: JsonObject, opts?: CallOptions): Promise<{ tools: ToolInfo[] }>;
  /** Resolves with the executa's unwrapped `data`; type it with `invoke<{...}>(...)`. */
  invoke<T = unknown>(args: ToolInvokeArgs, opts?: CallOptions): Promise<ToolResult<T>>;
  invokeAsync(
    args: ToolInvokeArgs & { clientTag?: string },
    opts?: CallOptions,
  ): Promise<{ jobId: string; state: "queued"; deadlineMs: number }>;
  getJob<T = unknown>(
    args: { jobId: string; sinceSeq?: number; limit?: number },
    opts?: CallOptions,
  ): Promise<JobSummary & { result?: T; progress: JobProgress[] }>;
  cancelJob(
    args: { jobId: string; reason?: string },
    opts?: CallOptions,
  ): Promise<{ jobId: string; state: JobState; cancelled: boolean }>;
  listJobs(
    args?: {
      tool_id?: string;
      state?: JobState;
      clientTag?: string;
      since?: number;
      limit?: number;
    },
    opts?: CallOptions,
  ): Promise<{ jobs: JobSummary[]; truncated: boolean }>;
}

// ---- chat (§5.7) ----

export type ChatContent = string | JsonObject | unknown[];
export interface ChatMessage {
  message_id: string;
  role: ChatRole;
  content: ChatContent;
  created_at: number;
}
/** `kind` defaults to `type`, then "app_event"; `summary` to `title`; `payload` to `data`. */
export interface Artifact {
  kind?: string;
  type?: string;
  summary?: string | null;
  title?: string;
  payload?: unknown;
  data?: unknown;
  payload_ref?: string | null;
  [field: string]: unknown;
}
export interface ChatMethods {
  /** `content` (string, object or array); when absent, a string `text` is used. */
  write_message(
    args: { role: ChatRole; content: ChatContent; text?: string } | {
      role: ChatRole;
      text: string;
    },
    opts?: CallOptions,
  ): Promise<{ ok: true; message_id: string }>;
  append_artifact(
    args: Artifact | { artifact: Artifact },
    opts?: CallOptions,
  ): Promise<{ ok: true; artifact_id: string }>;
  read_history(
    args?: { limit?: number; before?: string },
    opts?: CallOptions,
  ): Promise<{ messages: ChatMessage[]; has_more: boolean }>;
}

// ---- llm (§5.8) ----

export type LlmContentBlock = { type: "text"; text: string } | {
  type: "image";
  [field: string]: unknown;
};
export interface LlmMessage {
  role: ChatRole;
  content: string | LlmContentBlock | LlmContentBlock[];
}
export interface LlmCompleteArgs {
  /** 1..64 messages. */
  messages: LlmMessage[];
  systemPrompt?: string;
  system?: string;
  /** Default 4096; above 32768 is clamped. */
  maxTokens?: number;
  max_tokens?: number;
  temperature?: number;
  stopSequences?: string[];
  stop?: string[];
  modelPreferences?: unknown;
  metadata?: unknown;
  includeContext?: unknown;
}
export interface LlmCompleteResult {
  role: "assistant";
  content: { type: "text"; text: string };
  model: string;
  stopReason: "endTurn" | "stopSequence" | "maxTokens";
  usage: { inputTokens: number; outputTokens: number; totalTokens: number };
  _meta: { provider: string; latencyMs: number };
}
export interface LlmEmbedResult {
  object: "list";
  model: string;
  data: { object: "embedding"; index: number; embedding: number[] }[];
  usage: { prompt_tokens: number; total_tokens: number };
  _meta: { provider: string; dimensions: number; latencyMs: number };
}
export interface LlmMethods {
  complete(args: LlmCompleteArgs, opts?: CallOptions): Promise<LlmCompleteResult>;
  /** `input`: a string or 1..256 strings (≤ 1 MiB in all). */
  embed(
    args: { input: string | string[]; model?: string },
    opts?: CallOptions,
  ): Promise<LlmEmbedResult>;
}

/** The typed methods per namespace: exactly what the dispatcher implements (§5.4–§5.11). */
export interface HostMethods {
  window: WindowMethods;
  storage: StorageMethods;
  tools: ToolsMethods;
  chat: ChatMethods;
  llm: LlmMethods;
}
