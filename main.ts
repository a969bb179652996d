/** anna-app-runtime: the one entrypoint for every subcommand (see lib/cli/mod.ts). */
import { main } from "./lib/cli/mod.ts";

if (import.meta.main) {
  const code = await main(Deno.args);
  Deno.exit(code);
}
