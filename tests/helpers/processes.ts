/** Process checks for tests that prove nothing outlives a stop (CONTRACT §9.10). */

/**
 * Is `pid` still running? On Linux the state in /proc/<pid>/stat decides: a zombie ('Z', exited
 * but not yet reaped; orphans can stay so a while when pid 1 reaps slowly) or a dead entry ('X')
 * is not running. Elsewhere a SIGCONT probe (harmless to a running process), which counts a
 * zombie as alive.
 */
export function alive(pid: number): boolean {
  if (Deno.build.os === "linux") {
    let stat: string;
    try {
      stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
    } catch {
      return false; // no such process
    }
    // "pid (comm) S ...": comm may hold spaces and parens, so the state follows the last ')'
    const state = stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3);
    return state !== "Z" && state !== "X";
  }
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
