/** What the two Hono apps share: the core runtime, listener config, page renderers, stores. */
import type { Runtime } from "../core/runtime.ts";
import type { Logger } from "../util/log.ts";
import type { CspReportStore } from "./csp.ts";
import type { ServerConfig } from "./hosts.ts";

export const MAX_BODY_BYTES = 16_777_216;
export const SSE_RETRY_MS = 2000;
export const SSE_KEEPALIVE_MS = 15_000;

/** Renderers for the embedded dashboard (lib/dashboard), injected so the server is testable alone. */
export interface Pages {
  dashboard(o: {
    controlToken: string | null;
    appPort: number;
    version: string;
    /** Whether the server watches the app's files (§11.10): `dev` without `--no-watch`. */
    liveReload: boolean;
  }): string;
  devPage(o: {
    controlToken: string | null;
    appPort: number;
    sessionId: string;
    windowUuid: string;
    version: string;
    liveReload: boolean;
  }): string;
  asset(name: string): { body: string; contentType: string } | null;
}

/** The part of the core the server drives (lib/core/runtime.ts `Runtime` satisfies it). */
export type ServerRuntime = Pick<
  Runtime,
  "session" | "findWindow" | "log" | "apps" | "executas" | "handleText" | "handleTextNow" | "call"
>;

export interface ServerContext {
  runtime: ServerRuntime;
  config: ServerConfig;
  version: string;
  pages: Pages;
  cspReports: CspReportStore;
  logger: Logger;
  /** Overridable in tests; defaults are the contract's limits. */
  maxBodyBytes?: number;
  keepAliveMs?: number;
  /** What may wait for an SSE client or a WebSocket that is not reading (tests lower them). */
  sseBacklogMax?: number;
  /** What all SSE streams together may have queued (sse.ts SSE_BACKLOG_TOTAL_MAX). */
  sseBacklogTotalMax?: number;
  wsBacklogMax?: number;
  /** What all `/ws` sockets together may hold unsent (ws.ts WS_BACKLOG_TOTAL_MAX). */
  wsBacklogTotalMax?: number;
  /** `dev` without `--no-watch` (§11.10); shown in the dashboard header (§13). Default false. */
  liveReload?: boolean;
  /** Closers of open streams and sockets, run at shutdown so the listeners can drain. */
  closers: Set<() => void>;
}
