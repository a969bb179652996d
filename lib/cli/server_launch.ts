/**
 * What `dev` and `serve` share around the server: the server flag group (CONTRACT §2.3), the
 * startup output (§2.13) and fatal-error reporting.
 */
import { bool, type FlagValues, int, list, str, UsageError } from "./flags.ts";
import { EXIT, printFatal, writeStdout } from "./output.ts";
import { ConfigError, loadKey, makeLlm, tokenTtl } from "./common.ts";
import { LogBus } from "../core/log_bus.ts";
import { Runtime } from "../core/runtime.ts";
import { ExecutaPool } from "../executa/mod.ts";
import type { Logger } from "../util/log.ts";
import { ControlTokenError, resolveControlToken } from "../server/control_token.ts";
import { DEFAULT_PORT, ListenError, resolveBindHost } from "../server/listen.ts";
import { parseHostPort } from "../server/hosts.ts";
import type { StartOptions } from "../server/mod.ts";

/** The server flag group, validated: the part of `startServer`'s options the command line sets. */
export type ServerSettings = Pick<
  StartOptions,
  "bindHost" | "port" | "appPort" | "allowRemote" | "allowedHosts" | "controlToken"
>;

/**
 * For a non-ASCII host name: the punycode form to give instead, which is what a browser sends in
 * its Host header (so the Unicode spelling could never match), or "" when there is none.
 */
function punycodeHint(h: string): string {
  if (!/[\u0080-\uffff]/.test(h)) return "";
  try {
    const ascii = new URL(`http://${h}`).host;
    return parseHostPort(ascii)
      ? `; browsers send a non-ASCII host name in its punycode form: --allowed-host ${ascii}`
      : "";
  } catch {
    return "";
  }
}

/** Validates the server flag group; throws ListenError / ControlTokenError (exit 2). */
export function serverSettings(v: FlagValues, env: string | undefined): ServerSettings {
  const allowRemote = bool(v, "allow-remote");
  const noToken = bool(v, "no-control-token");
  const bindHost = resolveBindHost(str(v, "host") ?? "127.0.0.1", allowRemote, noToken);
  const allowedHosts = list(v, "allowed-host");
  for (const h of allowedHosts) {
    // the same parser the Host check uses, so a value is never accepted here and then ignored
    if (!parseHostPort(h)) {
      throw new UsageError(
        `--allowed-host '${h}' must be HOST or HOST:PORT (a DNS name or IP literal, port 1-65535)` +
          punycodeHint(h),
      );
    }
  }
  const port = int(v, "port", [0, 65535]);
  const appPort = int(v, "app-port", [0, 65535]);
  // two origins need two ports; binding the same one twice would read as "port in use" (exit 3),
  // a port nothing else holds once the command has exited
  if (port !== undefined && port !== 0 && appPort === port) {
    throw new UsageError(
      `--app-port ${appPort} is the same as --port: the app has its own origin, so give it ` +
        `another port (or leave --app-port out for port + 1)`,
    );
  }
  if (port === undefined && appPort === DEFAULT_PORT) {
    throw new UsageError(
      `--app-port ${appPort} is the main origin's default port: give the app origin another ` +
        `port, or move the main origin with --port N`,
    );
  }
  return {
    bindHost,
    port,
    appPort,
    allowRemote,
    allowedHosts,
    controlToken: resolveControlToken(env, noToken),
  };
}

/** Known configuration/runtime failures → message on stderr and the exit code; else rethrow. */
export function reportFatal(format: string | undefined, e: unknown): number {
  if (e instanceof ListenError) {
    printFatal(format, e.exitCode === 3 ? "port_in_use" : "config", e.message);
    return e.exitCode;
  }
  if (e instanceof ControlTokenError || e instanceof ConfigError) {
    printFatal(format, "config", e.message);
    return EXIT.USAGE;
  }
  throw e;
}

export interface StartupInfo {
  mode: "dev" | "serve";
  version: string;
  mainOrigin: string;
  appOrigin: string;
  controlToken: string | null;
  app?: { slug: string; view: string; user_id: number; session_id: string; window_uuid: string };
  executas: { tool_id: string; type: string | null }[];
  warnings: string[];
  /**
   * Main origins at the machine's non-loopback addresses (a `0.0.0.0`/`::` bind). Pretty output
   * only: §2.13 fixes the json line's fields.
   */
  remoteOrigins?: string[];
}

/** The startup output on stdout: aligned pretty lines, or one JSON line `{"event":"listening",…}`. */
export function printStartup(format: string | undefined, s: StartupInfo) {
  const dashboard = `${s.mainOrigin}/`;
  const windowUrl = s.app ? `${s.mainOrigin}/dev/${s.app.window_uuid}` : undefined;
  if (format === "json") {
    const line: Record<string, unknown> = {
      event: "listening",
      mode: s.mode,
      version: s.version,
      main_origin: s.mainOrigin,
      app_origin: s.appOrigin,
      dashboard_url: dashboard,
      control_token: s.controlToken,
    };
    if (s.app) {
      line.session_id = s.app.session_id;
      line.window_uuid = s.app.window_uuid;
      line.window_url = windowUrl;
    }
    line.executas = s.executas.map((e) => e.tool_id);
    line.warnings = s.warnings;
    writeStdout(JSON.stringify(line));
    return;
  }
  const rows: [string, string][] = [
    [
      "app",
      s.app
        ? `${s.app.slug} (view ${s.app.view}, user ${s.app.user_id})`
        : "none (create sessions over /rpc, /ws or /api/session/create)",
    ],
    ["dashboard", dashboard],
    // under the dashboard, unlabelled: the URLs to open from another machine
    ...(s.remoteOrigins ?? []).map((o): [string, string] => ["", reachableAt(o)]),
  ];
  if (windowUrl) rows.push(["window", windowUrl]);
  rows.push(
    ["app origin", s.appOrigin],
    ["control", s.controlToken ?? "disabled (--no-control-token)"],
    [
      "executas",
      s.executas.length
        ? s.executas.map((e) => `${e.tool_id} (${e.type ?? "command"})`).join(", ")
        : "none",
    ],
  );
  const width = Math.max(...rows.map(([k]) => k.length)) + 2;
  writeStdout(
    [
      `anna-app-runtime ${s.version} — ${s.mode}`,
      ...rows.map(([k, v]) => `  ${k.padEnd(width)}${v}`),
    ].join("\n"),
  );
}

/**
 * One "also reachable at" line. A CSP source cannot name an IPv6 literal (§11.8 lists origins), so
 * a dashboard opened at one cannot frame the app: say so instead of handing out a broken URL.
 */
function reachableAt(origin: string): string {
  const note = origin.includes("[")
    ? " (API only: browsers cannot frame the app at an IPv6 address)"
    : "";
  return `also reachable at ${origin}/${note}`;
}

/** The core for a server mode: key, LLM provider, executa pool feeding the shared log bus. */
export async function buildRuntime(
  v: FlagValues,
  mode: "dev" | "serve",
  logger: Logger,
  version: string,
) {
  const ttl = tokenTtl(v);
  const key = await loadKey(v, logger);
  const llm = await makeLlm(v, logger);
  const log = new LogBus(true);
  const executas = new ExecutaPool({
    logger: logger.child("executa"),
    llm,
    version,
    onEvent: (e) => log.push(e),
  });
  return new Runtime({
    mode,
    key,
    tokenTtl: ttl,
    llm,
    executas,
    logger: logger.child(mode),
    autoRefresh: true,
    log,
  });
}
