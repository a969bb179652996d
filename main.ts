/** anna-app-runtime: the one entrypoint for every subcommand (see lib/cli/mod.ts). */
import { main } from "./lib/cli/mod.ts";
import { flushStderr, useStderrQueue } from "./lib/util/stderr_queue.ts";

if (import.meta.main) {
  // a harness that pipes stderr and never reads it must not freeze the bridge (§4.5)
  useStderrQueue();
  const code = await main(Deno.args);
  await flushStderr();
  Deno.exit(code);
}
