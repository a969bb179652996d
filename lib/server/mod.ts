/**
 * The HTTP server of `dev` and `serve` (CONTRACT §11): two Hono apps on two Deno.serve listeners.
 *
 * - `startServer(opts)` binds the main origin then the app origin (§11.1) and returns a handle
 *   with the origins, the listener config and `close()`.
 * - `createMainApp` / `createAppOriginApp` (app.ts) build the apps for in-process tests.
 * - guard.ts (§11.2), static.ts (§11.7), csp.ts (§11.8), sidecar.ts (§11.9), sse.ts (§11.5),
 *   ws.ts (§11.6), rpc.ts (`/rpc`, `/api/session/*`), listen.ts (binding), control_token.ts.
 */
import type { Logger } from "../util/log.ts";
import { createAppOriginApp, createMainApp } from "./app.ts";
import type { Pages, ServerContext, ServerRuntime } from "./context.ts";
import { CspReportStore } from "./csp.ts";
import { hostLiteral, type ServerConfig } from "./hosts.ts";
import { bindListener, DEFAULT_PORT, localAddresses, wildcardAddresses } from "./listen.ts";

export { createAppOriginApp, createMainApp } from "./app.ts";
export type { Pages, ServerContext, ServerRuntime } from "./context.ts";
export { ListenError, resolveBindHost } from "./listen.ts";
export { ControlTokenError, resolveControlToken } from "./control_token.ts";

export interface StartOptions {
  runtime: ServerRuntime;
  logger: Logger;
  version: string;
  pages: Pages;
  /** Already validated by `resolveBindHost`. */
  bindHost: string;
  /** undefined = the default (5180, falling back to any free port when busy). */
  port?: number;
  /** undefined = main port + 1 (falling back when busy). */
  appPort?: number;
  allowRemote: boolean;
  allowedHosts: string[];
  controlToken: string | null;
  /** `dev` watching files for live reload (§11.10); default false (`serve`, `--no-watch`). */
  liveReload?: boolean;
}

export interface RunningServer {
  config: ServerConfig;
  ctx: ServerContext;
  mainOrigin: string;
  appOrigin: string;
  /** Main origins at the machine's other addresses when bound to `0.0.0.0` or `::`. */
  remoteOrigins: string[];
  /** Warnings worth repeating in the startup output (busy default ports). */
  warnings: string[];
  close(): Promise<void>;
}

/**
 * The origin printed for a listener and used to open it; a wildcard bind is reached through
 * loopback. An IPv6 loopback listener is announced as `localhost`: Chromium drops IPv6 literals
 * from CSP source lists, so a page opened at `http://[::1]:…` cannot frame its app (frame-src,
 * frame-ancestors) nor reach `/ws`, while browsers and curl reach `::1` by the name `localhost`,
 * whose forms the CSP lists and Chromium accepts.
 */
export function originOf(bindHost: string, port: number): string {
  const host = bindHost === "0.0.0.0"
    ? "127.0.0.1"
    : bindHost === "::" || bindHost === "::1"
    ? "localhost"
    : bindHost;
  return `http://${hostLiteral(host)}:${port}`;
}

export function startServer(opts: StartOptions): RunningServer {
  const config: ServerConfig = {
    bindHost: opts.bindHost,
    mainPort: 0,
    appPort: 0,
    allowedHosts: opts.allowedHosts,
    allowRemote: opts.allowRemote,
    localAddresses: opts.allowRemote ? localAddresses() : [],
    controlToken: opts.controlToken,
  };
  const ctx: ServerContext = {
    runtime: opts.runtime,
    config,
    version: opts.version,
    pages: opts.pages,
    cspReports: new CspReportStore(),
    logger: opts.logger,
    liveReload: opts.liveReload ?? false,
    closers: new Set(),
  };
  const mainApp = createMainApp(ctx);
  const appApp = createAppOriginApp(ctx);
  const warnings: string[] = [];
  const log = opts.logger;

  const main = bindListener({
    hostname: opts.bindHost,
    port: opts.port ?? DEFAULT_PORT,
    fromDefault: opts.port === undefined,
    handler: (req, info) => mainApp.fetch(req, info),
    logger: log,
    flag: "--port",
  });
  config.mainPort = main.port;
  if (main.busyPort !== undefined) warnings.push(`port ${main.busyPort} busy, using ${main.port}`);

  let app;
  try {
    const wanted = opts.appPort ?? (main.port + 1 <= 65535 ? main.port + 1 : 0);
    app = bindListener({
      hostname: opts.bindHost,
      port: wanted,
      fromDefault: opts.appPort === undefined,
      handler: (req, info) => appApp.fetch(req, info),
      logger: log,
      flag: "--app-port",
    });
  } catch (e) {
    main.server.shutdown().catch(() => {});
    throw e;
  }
  config.appPort = app.port;
  if (app.busyPort !== undefined) warnings.push(`port ${app.busyPort} busy, using ${app.port}`);
  if (opts.allowRemote) {
    const w =
      `--allow-remote: listening on ${opts.bindHost}; anyone who can reach it and has the control token controls this runtime`;
    log.warn(w);
    warnings.push(w);
  }

  let closing: Promise<void> | null = null;
  return {
    config,
    ctx,
    mainOrigin: originOf(opts.bindHost, main.port),
    appOrigin: originOf(opts.bindHost, app.port),
    remoteOrigins: wildcardAddresses(opts.bindHost, config.localAddresses).map((a) =>
      `http://${hostLiteral(a)}:${main.port}`
    ),
    warnings,
    close() {
      closing ??= (async () => {
        // end SSE streams and sockets first: a graceful shutdown waits for open responses
        for (const f of [...ctx.closers]) {
          try {
            f();
          } catch { /* already gone */ }
        }
        const both = Promise.all([main.server.shutdown(), app.server.shutdown()]);
        let timer: ReturnType<typeof setTimeout> | undefined;
        const limit = new Promise<void>((r) => (timer = setTimeout(r, 3000)));
        await Promise.race([both, limit]);
        clearTimeout(timer);
      })();
      return closing;
    },
  };
}
