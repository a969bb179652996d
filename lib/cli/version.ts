/** `version` (CONTRACT §2.12). */
import { DISPATCHER_VERSION, RUNTIME_COMPAT, VERSION } from "../version.ts";
import { parseFlags, str } from "./flags.ts";
import { EXIT, writeStdout } from "./output.ts";

export const help = `Usage: anna-app-runtime version [--format pretty|json]

Prints the runtime version, the dispatcher version it is compatible with and the Deno version.
Like every command it also takes --log-level and --log-format (it logs nothing).`;

export const flags = {};

export function run(argv: string[]): Promise<number> {
  const { values } = parseFlags(argv, flags);
  if (str(values, "format") === "json") {
    writeStdout(JSON.stringify({
      name: "anna-app-runtime",
      version: VERSION,
      dispatcher_version: DISPATCHER_VERSION,
      runtime_compat: RUNTIME_COMPAT,
      deno: Deno.version.deno,
      v8: Deno.version.v8,
      typescript: Deno.version.typescript,
    }));
  } else {
    writeStdout(
      `anna-app-runtime ${VERSION} (dispatcher ${DISPATCHER_VERSION}-compatible, deno ${Deno.version.deno})`,
    );
  }
  return Promise.resolve(EXIT.OK);
}
