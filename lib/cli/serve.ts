/** `serve` (CONTRACT §2.6): the dev server with no app loaded; sessions come over HTTP/WS. */
import { type FlagSpec, parseFlags, str, UsageError } from "./flags.ts";
import { llmHelp, logHelp, SERVER_HELP, TOKEN_HELP } from "./flag_help.ts";
import { LLM_FLAGS, makeLogger, SERVER_FLAGS, TOKEN_FLAGS } from "./common.ts";
import type { Runtime } from "../core/runtime.ts";
import { type RunningServer, startServer } from "../server/mod.ts";
import { dashboardPages } from "../server/pages.ts";
import { buildRuntime, printStartup, reportFatal, serverSettings } from "./server_launch.ts";
import { untilSignal } from "./signals.ts";
import { VERSION } from "../version.ts";

/** The token and LLM groups and the output flags, as `dev` and `serve` show them. */
export const COMMON_RUNTIME_HELP = `Token flags:
${TOKEN_HELP}
LLM flags:
${llmHelp()}
Output:
  --format pretty|json     startup output (json: one line {"event":"listening",…})
${logHelp("info", "json")}`;

export const help = `Usage: anna-app-runtime serve [flags]

Runs the HTTP server (dashboard, /rpc, /ws, SSE, app origin) with no app loaded. Create sessions
with session.create over /rpc or /ws, or POST /api/session/create; a session created with app_dir
gets its bundle served and its executas registered. The control token is printed at startup.
SIGINT/SIGTERM shut down gracefully.

Server flags:
${SERVER_HELP}
${COMMON_RUNTIME_HELP}`;

export const flags: FlagSpec = { ...SERVER_FLAGS, ...TOKEN_FLAGS, ...LLM_FLAGS };

export async function run(argv: string[]): Promise<number> {
  const { values } = parseFlags(argv, flags);
  const format = str(values, "format");
  if (format === "junit") throw new UsageError("--format must be pretty or json (got 'junit')");
  const logger = makeLogger(values, { level: "info" });
  let rt: Runtime | undefined;
  let server: RunningServer;
  try {
    const settings = serverSettings(values, Deno.env.get("ANNA_APP_CONTROL_TOKEN"));
    rt = await buildRuntime(values, "serve", logger, VERSION);
    server = startServer({
      runtime: rt,
      logger: logger.child("server"),
      version: VERSION,
      pages: dashboardPages,
      ...settings,
    });
  } catch (e) {
    await rt?.shutdown();
    return reportFatal(format, e);
  }
  // signal handlers go in before the startup line: a supervisor may signal as soon as it reads it
  const runtime = rt;
  const stopped = untilSignal(async () => {
    await runtime.shutdown();
    await server.close();
  }, () => runtime.executas.killAll());
  printStartup(format, {
    mode: "serve",
    version: VERSION,
    mainOrigin: server.mainOrigin,
    appOrigin: server.appOrigin,
    remoteOrigins: server.remoteOrigins,
    controlToken: server.config.controlToken,
    executas: [],
    warnings: server.warnings,
  });
  return await stopped;
}
