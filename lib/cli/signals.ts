/**
 * Graceful SIGINT/SIGTERM handling shared by `bridge`, `dev` and `serve` (CONTRACT §2.1): the
 * first signal starts a graceful stop; a second SIGINT during it exits at once with 130.
 */
import { EXIT } from "./output.ts";

/**
 * Resolves with the exit code once SIGINT/SIGTERM arrive and `stop(signal)` finished; a second
 * SIGINT during shutdown runs `force` (synchronous, best effort) and exits at once with 130.
 */
export function untilSignal(
  stop: (signal: Deno.Signal) => Promise<void>,
  force?: () => void,
): Promise<number> {
  return new Promise((resolveExit) => {
    let stopping = false;
    const onSignal = (sig: Deno.Signal) => () => {
      if (stopping) {
        if (sig === "SIGINT") {
          try {
            force?.();
          } catch { /* exiting anyway */ }
          Deno.exit(EXIT.INTERRUPTED);
        }
        return;
      }
      stopping = true;
      stop(sig).catch(() => {}).finally(() => resolveExit(EXIT.OK));
    };
    Deno.addSignalListener("SIGINT", onSignal("SIGINT"));
    try {
      Deno.addSignalListener("SIGTERM", onSignal("SIGTERM"));
    } catch { /* SIGTERM is not available on Windows */ }
  });
}
