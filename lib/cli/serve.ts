/** `serve` (CONTRACT §2.6): the dev server with no app loaded; sessions come over HTTP/WS. */
import { parseFlags, str, UsageError } from "./flags.ts";
import { LLM_FLAGS, makeLogger, SERVER_FLAGS, TOKEN_FLAGS } from "./common.ts";
import type { Runtime } from "../core/runtime.ts";
import { type RunningServer, startServer } from "../server/mod.ts";
import { dashboardPages } from "../server/pages.ts";
import { buildRuntime, printStartup, reportFatal, serverSettings } from "./server_launch.ts";
import { untilSignal } from "./signals.ts";
import { VERSION } from "../version.ts";

export const SERVER_HELP = `Server flags:
  --host ADDR              bind address (default 127.0.0.1; loopback only unless --allow-remote)
  --port N                 main origin port (default 5180; 0 = any free port)
  --app-port N             app origin port (default main port + 1; 0 = any)
  --allow-remote           allow a non-loopback bind and non-loopback peers (needs the control token)
  --allowed-host HOST      extra accepted Host (HOST or HOST:PORT), repeatable
  --no-control-token       do not require the control token (loopback only)`;

export const COMMON_RUNTIME_HELP = `Token flags:
  --key-file PATH          dev key file (default ~/.anna-app/dev.key; env ANNA_APP_DEV_KEY_FILE)
  --token-ttl SECONDS      dev token lifetime, 5..86400 (default 30)
LLM flags:
  --llm mock|off|openai    provider mode (default mock); --no-llm = --llm off
  --mock-llm FILE          mock table (JSONL), repeatable
  --llm-base-url URL, --llm-model NAME, --llm-embed-model NAME, --llm-timeout-ms N
Output:
  --format pretty|json     startup output (json: one line {"event":"listening",…})
  --log-level LEVEL        error|warn|info|debug (default info)
  --log-format pretty|json`;

export const help = `Usage: anna-app-runtime serve [flags]

Runs the HTTP server (dashboard, /rpc, /ws, SSE, app origin) with no app loaded. Create sessions
with session.create over /rpc or /ws, or POST /api/session/create; a session created with app_dir
gets its bundle served and its executas registered. The control token is printed at startup
(env ANNA_APP_CONTROL_TOKEN fixes it). SIGINT/SIGTERM shut down gracefully.

${SERVER_HELP}
${COMMON_RUNTIME_HELP}`;

export async function run(argv: string[]): Promise<number> {
  const { values } = parseFlags(argv, { ...SERVER_FLAGS, ...TOKEN_FLAGS, ...LLM_FLAGS });
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
