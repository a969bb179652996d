/** Process checks for tests that prove nothing outlives a stop (CONTRACT §9.10). */

/** Is `pid` still running? (signal 0-like probe: SIGCONT is harmless to a running process) */
export function alive(pid: number): boolean {
  try {
    Deno.kill(pid, "SIGCONT");
    return true;
  } catch {
    return false;
  }
}

/** Waits up to `ms` for `pid` to be gone; true when it is. */
export async function waitGone(pid: number, ms = 3000): Promise<boolean> {
  const until = Date.now() + ms;
  while (alive(pid) && Date.now() < until) await new Promise((r) => setTimeout(r, 50));
  return !alive(pid);
}

/**
 * `await using _ = reaped(child)`: a child still running when the scope ends (a failed assert)
 * is SIGKILLed and awaited, so a `dev` or `serve` with stdin closed never outlives its test.
 */
export function reaped(child: Deno.ChildProcess): AsyncDisposable {
  return {
    async [Symbol.asyncDispose]() {
      try {
        child.kill("SIGKILL");
      } catch { /* already exited */ }
      await child.status;
    },
  };
}
