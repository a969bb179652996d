/**
 * Types for the Anna App SDK `AnnaAppRuntime` (CONTRACT §12), served beside the builds as
 * `/static/anna-apps/_sdk/<ver>/index.d.ts` (joined with host_api.d.ts by scripts/gen_assets.ts).
 * Hand-written: tests/sdk_types_test.ts type-checks an app against the joined file and fails when
 * the dispatcher implements a method typed nowhere.
 * Results follow the tables of CONTRACT §5; a mock table entry (§5.9) may answer any other shape.
 */

import type {
  CallOptions,
  Capabilities,
  ChatContent,
  ChatMethods,
  ChatRole,
  Geometry,
  HostErrorCode,
  HostErrorInfo,
  HostMethods,
  JobProgress,
  JobState,
  JsonObject,
  LlmMethods,
  StorageMethods,
  ToolsMethods,
  ViewMeta,
  WindowMethods,
  WindowStatus,
} from "./host_api.d.ts";
export type * from "./host_api.d.ts";

// ---- errors (§12.6) ----

/** Every rejected call and a failed `connect()` reject with this class. */
export declare class HostApiError extends Error {
  constructor(code: HostErrorCode, message?: string, details?: unknown);
  constructor(error: { code: HostErrorCode; message?: string; details?: unknown });
  name: "HostApiError";
  code: HostErrorCode;
  details: unknown;
  /** The same `{code, message, details}`, for apps that read `err.error.code`. */
  error: HostErrorInfo;
}
/** The same class as `HostApiError`. */
export declare const HostRpcError: typeof HostApiError;
export type HostRpcError = HostApiError;

// ---- untyped methods and `call()` (§12.4) ----

/** A method the SDK does not type: any args, an `unknown` result; `a.b.c(...)` nests as `"b.c"`. */
export interface HostMethod {
  <R = unknown>(args?: unknown, opts?: CallOptions): Promise<R>;
  readonly [method: string]: HostMethod;
}
/** What every namespace proxy allows besides its typed methods. */
export interface UntypedMethods {
  readonly [method: string]: HostMethod;
}

type Args<F> = F extends (args: infer A, ...rest: never[]) => unknown ? A : unknown;
type Result<F> = F extends (...a: never[]) => Promise<infer R> ? R : unknown;
type Known<N, M> = N extends keyof HostMethods
  ? (M extends keyof HostMethods[N] ? HostMethods[N][M] : never)
  : never;
/** `call()` args / result: typed for the methods of {@link HostMethods}, loose for the rest. */
export type CallArgs<N extends string, M extends string> = [Known<N, M>] extends [never] ? unknown
  : Args<Known<N, M>>;
export type CallResult<N extends string, M extends string> = [Known<N, M>] extends [never] ? unknown
  : Result<Known<N, M>>;

// ---- events (§7, §12.5) ----

export interface AnnaAppEvent<K extends string = string, P = unknown> {
  type: "data_model/AnnaAppEvent";
  kind: K;
  window_uuid: string;
  app_id: string;
  version_id: string;
  conversation_session_uuid: string | null;
  /** The window whose call caused the event; `null` when the host did. */
  by_client_id: string | null;
  ts: number;
  seq: number;
  payload: P;
}
export interface EventPayloads {
  title_changed: { title: string };
  geometry_changed: { geometry: Geometry };
  window_focus_changed: { window_uuid: string; z_index: number };
  close_view: { window_uuid: string; reason: string };
  status_changed: { status: WindowStatus };
  open_view: {
    window_uuid: string;
    app_id: string;
    version_id: string;
    view: string;
    entry_payload: JsonObject;
    geometry: Geometry;
    runtime_state: JsonObject;
    source: "app" | "host";
    reopened: boolean;
  };
  runtime_state_synced: { runtime_state: JsonObject };
  chat_message_from_app: { message_id: string; role: ChatRole; content: ChatContent };
  artifact_appended: {
    artifact_id: string;
    kind: string;
    summary: string | null;
    payload: unknown;
    payload_ref: string | null;
  };
  "auth.refresh": { token: string; expires_at: number };
  events_dropped: { count: number; first_seq: number; last_seq: number };
  tool_job: {
    job_id: string;
    tool_id: string;
    state: JobState;
    seq: number;
    event: JobProgress["event"];
    terminal: boolean;
  };
  /** SDK-made: an `open_view` for this window; the payload is the merged entry payload. */
  entry_payload: JsonObject;
  /** SDK-made: a `close_view` for this window. */
  close: { window_uuid: string; reason: string };
}
export type EventHandler<K extends keyof EventPayloads> = (
  payload: EventPayloads[K],
  envelope: AnnaAppEvent,
) => void;
export type AnyEventHandler = (kind: string, payload: unknown, envelope: AnnaAppEvent) => void;

// ---- the runtime object (§12.2, §12.3) ----

export interface ConnectOptions {
  /** Default: URL query (then hash) parameter `wid`. */
  windowUuid?: string;
  /** Default: URL parameter `t`. */
  token?: string;
  /** Default: query `host`, else `location.ancestorOrigins[0]`, else the referrer's origin. */
  hostOrigin?: string;
  /** Limit for the `window.hello` answer; default 10 000 → `connect_timeout`. */
  timeoutMs?: number;
}

export interface AnnaRuntime {
  windowUuid: string;
  appId: string;
  appSlug: string;
  versionId: string;
  userId: number;
  view: string;
  viewMeta: ViewMeta;
  capabilities: Capabilities;
  /** Kept current by `open_view` events for this window. */
  entryPayload: JsonObject;
  /** Kept current by `runtime_state_synced`. */
  runtimeState: JsonObject;
  /** Kept current by `geometry_changed`. */
  geometry: Geometry;
  isResume: boolean;

  call<N extends string, M extends string>(
    ns: N,
    method: M,
    args?: CallArgs<N, M>,
    opts?: CallOptions,
  ): Promise<CallResult<N, M>>;
  /** Returns the unsubscribe function. Unknown kinds are accepted and never throw. */
  on<K extends keyof EventPayloads>(name: K, handler: EventHandler<K>): () => void;
  on(name: "*", handler: AnyEventHandler): () => void;
  on(name: string, handler: (payload: unknown, envelope: AnnaAppEvent) => void): () => void;
  // deno-lint-ignore no-explicit-any
  off(name: string, handler: (...args: any[]) => void): void;
  /** Stops the heartbeat, rejects pending calls with `disconnected`, drops listeners. */
  disconnect(): void;

  readonly window: WindowMethods & UntypedMethods;
  readonly storage: StorageMethods & UntypedMethods;
  readonly tools: ToolsMethods & UntypedMethods;
  readonly chat: ChatMethods & UntypedMethods;
  readonly llm: LlmMethods & UntypedMethods;
  // §5.10: these answer not_implemented locally unless a mock table entry answers them
  readonly artifact: UntypedMethods;
  readonly fs: UntypedMethods;
  readonly prefs: UntypedMethods;
  readonly agent: UntypedMethods;
  readonly image: UntypedMethods;
  readonly upload: UntypedMethods;
  readonly files: UntypedMethods;
  readonly web: UntypedMethods;
  readonly apps: UntypedMethods;
  readonly credentials: UntypedMethods;
  readonly mobile: UntypedMethods;
}

/** Resolves once `window.hello` answered; repeated calls return the same promise. */
export declare function connect(opts?: ConnectOptions): Promise<AnnaRuntime>;

export interface AnnaAppRuntimeApi {
  readonly version: string;
  connect: typeof connect;
  HostApiError: typeof HostApiError;
  HostRpcError: typeof HostApiError;
}
export declare const AnnaAppRuntime: AnnaAppRuntimeApi;
export default AnnaAppRuntime;

declare global {
  /** Set by the classic build (`<script src=…/index.js>` or `global.js`), and by the ESM one when unset. */
  var AnnaAppRuntime: AnnaAppRuntimeApi;
  interface Window {
    AnnaAppRuntime: AnnaAppRuntimeApi;
  }
}
