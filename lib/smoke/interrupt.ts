/** Stopping a smoke run on SIGINT/SIGTERM (a cancelled CI job): exit codes and waiting helpers. */

/** Exit code of a run stopped by a signal: 128 + the signal number, as shells report it. */
export const INTERRUPT_EXIT: Record<string, number> = { SIGINT: 130, SIGTERM: 143 };

/** Resolves with the abort reason (the signal's name) once `signal` is aborted. */
export function whenAborted(signal: AbortSignal): Promise<string> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve(String(signal.reason));
    signal.addEventListener("abort", () => resolve(String(signal.reason)), { once: true });
  });
}

/** Waits for `p` to settle, at most `ms`. */
export async function settleWithin(p: Promise<unknown>, ms: number): Promise<void> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  await Promise.race([
    p.catch(() => {}),
    new Promise((r) => (timer = setTimeout(r, ms))),
  ]);
  clearTimeout(timer);
}
