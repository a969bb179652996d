/** What a host-API handler sees (CONTRACT §5): the session, the target window and core services. */
import type { Logger } from "../util/log.ts";
import type { LlmProvider } from "../llm/types.ts";
import type { AppContext, ExecutaHost } from "../executa/types.ts";
import type { Session, WindowState } from "../session/session.ts";

export interface DispatchServices {
  llm: LlmProvider;
  executas: ExecutaHost;
  logger: Logger;
  /** Mints a token for a window (and records its expiry); used by `open_view`. */
  mintWindowToken(
    session: Session,
    window: WindowState,
  ): Promise<{ token: string; expires_at: number }>;
  /** Indexes a newly created window (token verification looks windows up by uuid). */
  windowCreated(session: Session, window: WindowState): void;
  appContext(session: Session): AppContext;
}

export interface CallContext {
  session: Session;
  window: WindowState;
  ns: string;
  method: string;
  services: DispatchServices;
}

export type Handler = (ctx: CallContext, args: unknown) => unknown | Promise<unknown>;
export type NamespaceHandlers = Record<string, Handler>;
