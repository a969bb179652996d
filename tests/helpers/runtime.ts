/** An in-process core for tests: the same Runtime the transports drive, with a temp key and mock LLM. */
import assert from "node:assert/strict";
import { join } from "node:path";
import { Runtime, type RuntimeMode } from "../../lib/core/runtime.ts";
import { loadOrCreateKey } from "../../lib/token/mod.ts";
import { createProvider } from "../../lib/llm/mod.ts";
import type { LlmMode, LlmProvider, MockEntry } from "../../lib/llm/types.ts";
import { ExecutaPool } from "../../lib/executa/mod.ts";
import type { ExecutaHost } from "../../lib/executa/types.ts";
import { Logger, type LogSink, silentLogger } from "../../lib/util/log.ts";
import { RpcError } from "../../lib/core/rpc_error.ts";
import { tmpPrefix } from "./tmp.ts";

export interface TestRuntime extends AsyncDisposable {
  rt: Runtime;
  dir: string;
  /** A bridge method through the same path as every transport; throws RpcError. */
  call(method: string, params?: Record<string, unknown>): Promise<Record<string, unknown>>;
  /** Like call, but returns the RpcError instead of throwing. */
  callError(method: string, params?: Record<string, unknown>): Promise<RpcError>;
}

export async function makeRuntime(opts: {
  mode?: RuntimeMode;
  llm?: LlmMode;
  mocks?: MockEntry[];
  tokenTtl?: number;
  cwd?: string;
  /** Wraps the provider built from `llm`/`mocks` (e.g. to block calls in a test). */
  wrapLlm?: (inner: LlmProvider) => LlmProvider;
  /** Replaces the real executa pool (e.g. an in-process fake that records invokes). */
  executas?: ExecutaHost;
  /** Receives the runtime's log lines (json, info and up) instead of dropping them. */
  logSink?: LogSink;
  /** dev/serve token-refresh timers per open window (§8.4). */
  autoRefresh?: boolean;
} = {}): Promise<TestRuntime> {
  const dir = await Deno.makeTempDir({ prefix: tmpPrefix("rt") });
  const logger = silentLogger();
  const key = await loadOrCreateKey(join(dir, "dev.key"), logger);
  const base = createProvider({ mode: opts.llm ?? "mock", mocks: opts.mocks ?? [], logger });
  const llm = opts.wrapLlm ? opts.wrapLlm(base) : base;
  const executas = opts.executas ?? new ExecutaPool({ logger, llm, version: "test" });
  const rt = new Runtime({
    mode: opts.mode ?? "bridge",
    key,
    tokenTtl: opts.tokenTtl ?? 30,
    llm,
    executas,
    logger: opts.logSink
      ? new Logger({ level: "info", format: "json", sink: opts.logSink })
      : logger,
    cwd: opts.cwd,
    autoRefresh: opts.autoRefresh,
  });
  return {
    rt,
    dir,
    async call(method, params = {}) {
      return await rt.call(method, params, "internal") as Record<string, unknown>;
    },
    async callError(method, params = {}) {
      try {
        await rt.call(method, params, "internal");
      } catch (e) {
        if (e instanceof RpcError) return e;
        throw e;
      }
      throw new Error(`${method} unexpectedly succeeded`);
    },
    async [Symbol.asyncDispose]() {
      await rt.shutdown();
      await Deno.remove(dir, { recursive: true }).catch(() => {});
    },
  };
}

/** A schema-2 manifest with one view and the given grants. */
export function manifest(
  hostApi: Record<string, unknown> = {},
  extra: Record<string, unknown> = {},
) {
  return {
    schema: 2,
    ui: {
      bundle: { entry: "index.html" },
      views: [{ name: "main", title: "Main" }],
      host_api: hostApi,
    },
    ...extra,
  };
}

export interface TestEvent {
  type: string;
  kind: string;
  window_uuid: string | null;
  app_id: string;
  version_id: string;
  conversation_session_uuid: string;
  by_client_id: string | null;
  ts: number;
  seq: number;
  // deno-lint-ignore no-explicit-any
  payload: Record<string, any>;
}

/** Creates a session and returns a helper that runs `session.call` and returns the outcome. */
export async function openSession(
  t: TestRuntime,
  m: Record<string, unknown>,
  extra: Record<string, unknown> = {},
) {
  const created = await t.call("session.create", { app_slug: "test-app", manifest: m, ...extra });
  const session_id = created.session_id as string;
  return {
    created,
    session_id,
    window_uuid: created.window_uuid as string,
    // deno-lint-ignore no-explicit-any
    async call(ns: string, method: string, args?: unknown, window_uuid?: string): Promise<any> {
      return await t.call("session.call", { session_id, ns, method, args, window_uuid });
    },
    /** `call` that must succeed: asserts `ok` (the outcome in the message) and returns `result`. */
    // deno-lint-ignore no-explicit-any
    async ok(ns: string, method: string, args?: unknown, window_uuid?: string): Promise<any> {
      const r = await t.call("session.call", { session_id, ns, method, args, window_uuid });
      assert.equal(r.ok, true, `${ns}.${method}: ${JSON.stringify(r)}`);
      return r.result;
    },
    async drain(limit?: number) {
      const params: Record<string, unknown> = { session_id };
      if (limit !== undefined) params.limit = limit;
      return (await t.call("session.drain_events", params)) as {
        events: TestEvent[];
        dropped: number;
        more: boolean;
      };
    },
    /** Drains and returns only the events (all of them, oldest first). */
    async events(): Promise<TestEvent[]> {
      return (await t.call("session.drain_events", { session_id })).events as TestEvent[];
    },
  };
}

/** JSON of unknown shape read back in assertions (outcomes, session.get rows). */
// deno-lint-ignore no-explicit-any
export type Loose = any;

/** The JSON-RPC error of a bridge method that must fail, as plain `{code, message, data}`. */
export async function rpcError(t: TestRuntime, method: string, params: Record<string, unknown>) {
  const e = await t.callError(method, params);
  return { code: e.code, message: e.message, data: e.data as Record<string, unknown> };
}

/** Three views (`panel` is single_instance) with storage get/set and chat.write_message granted. */
export const THREE_VIEWS = {
  schema: 2,
  ui: {
    views: [{ name: "main", title: "Main" }, { name: "panel", single_instance: true }, {
      name: "other",
    }],
    host_api: { storage: ["get", "set"], chat: ["write_message"] },
  },
};

/** The session's storage bucket and its byte size, as `session.get` reports them. */
export async function bucketOf(t: TestRuntime, session_id: string) {
  const g = await t.call("session.get", { session_id });
  return {
    state: g.runtime_state as Record<string, unknown>,
    bytes: g.runtime_state_bytes as number,
  };
}

/** Four views (sized, single_instance `editor`, `other` with its own entry) and the given grants. */
export function multiViewManifest(extraHostApi: Record<string, unknown> = {}) {
  return {
    schema: 2,
    ui: {
      bundle: { entry: "index.html" },
      views: [
        { name: "main", title: "Main" },
        {
          name: "sized",
          title: "Sized",
          min_size: { w: 200, h: 150 },
          default_size: { w: 300, h: 200 },
          max_size: { w: 800, h: 600 },
        },
        { name: "editor", title: "Editor", single_instance: true },
        { name: "other", title: "Other", entry: "other.html?x=1#h" },
      ],
      host_api: extraHostApi,
    },
  };
}
