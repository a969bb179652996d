/** Executa registry/pool interface used by the dispatcher and the bridge (CONTRACT §4.4.8, §5.6, §9). */
import type { Outcome } from "../core/outcome.ts";
import type { MockEntry } from "../llm/types.ts";

export type ExecutaType = "python" | "node" | "go" | "binary";
export const EXECUTA_TYPES: ExecutaType[] = ["python", "node", "go", "binary"];
export type ExecutaStatus = "registered" | "starting" | "ready" | "crashed" | "failed" | "stopped";

/** A validated registration (§4.4.8). `project_dir` is absolute. */
export interface ExecutaSpec {
  tool_id: string;
  project_dir: string;
  /** argv; `null` = the default command of §9.3 for `type`. */
  command: string[] | null;
  type: ExecutaType | null;
  env: Record<string, string>;
  handle: string;
  /** Limits the executa to that app (§4.4.8); `null` = all apps. */
  app_slug: string | null;
}

/** Row of `executas.list` (§4.4.9). */
export interface ExecutaInfo {
  tool_id: string;
  handle: string;
  project_dir: string;
  type: ExecutaType | null;
  command: string[] | null;
  status: ExecutaStatus;
  pid: number | null;
  protocol: "v1" | "v2" | null;
  describe: Record<string, unknown> | null;
  restarts: number;
  last_exit: { code: number | null; signal: string | null; at: number } | null;
  in_flight: number;
  stderr_tail: string[];
}

/** The app a call runs for, used to authorise reverse RPC (§9.8). */
export interface AppContext {
  session_id: string;
  app_slug: string;
  user_id: number;
  /** The app's ACL (§5.2) for a host-API method, e.g. allows("llm", "complete"). */
  allows(ns: string, method: string): boolean;
  /** Session-specific mock entries (manifest.dev.mocks), consulted after the global table. */
  mocks: MockEntry[];
}

export interface InvokeOptions {
  /** `timeoutMs` as requested by the caller (§5.6 step 7); validated/clamped by the pool. */
  timeoutMs?: unknown;
  app?: AppContext | null;
  /** Stage-2 jobs (§5.11): the `invoke_id` to send (default: a fresh `inv_…`). */
  invokeId?: string;
  /**
   * Stage-2 jobs: the absolute `context.deadline_ms` (epoch ms) the plugin gets, bypassing the
   * 1–90 s clamp and `timeoutMs`; the pool waits until then + the 2 s grace.
   */
  deadlineAt?: number;
  /**
   * Stage-2 jobs: the caller caps the result itself (256 KiB, §5.11, with its own message), so
   * `tools.invoke`'s 4 MiB cap (§5.6 step 10) is not applied here.
   */
  ownResultCap?: boolean;
  /**
   * Stage-2 jobs: aborting settles the invoke at once with `{code:"cancelled"}`. Already sent →
   * `_cancel_invoke` is sent and a late reply dropped; not sent yet → the plugin never sees it.
   */
  signal?: AbortSignal;
  /** Called once, right after the `invoke` request was written to the plugin. */
  onSent?: (invoke_id: string) => void;
}

/** Lightweight view used for `bundled:` resolution, `tools.list` and the sidecar. */
export interface ExecutaEntry {
  spec: ExecutaSpec;
  status: ExecutaStatus;
  describe: Record<string, unknown> | null;
}

export interface ExecutaHost {
  /** Registers validated specs (replacing same tool_id: graceful stop, crash history cleared). */
  register(specs: ExecutaSpec[]): Promise<void>;
  get(tool_id: string): ExecutaEntry | undefined;
  /** Executas applicable to an app slug (registered for it or for no app), registration order. */
  entriesFor(app_slug: string | null): ExecutaEntry[];
  list(): ExecutaInfo[];
  /** §5.6 steps 6–10 and §9.7 for a registered tool_id. */
  invoke(tool_id: string, method: string, args: unknown, opts: InvokeOptions): Promise<Outcome>;
  restart(tool_id: string): Promise<void>;
  /** Stops every process in parallel (§9.10). */
  shutdown(): Promise<void>;
  /** SIGKILLs every live process at once, for an immediate exit (second SIGINT, §2.1). */
  killAll(): void;
}
