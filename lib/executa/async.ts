/** Timer helpers that always clear their timers (no dangling timers after a call settles). */

export const TIMEOUT = Symbol("timeout");

export const ABORTED = Symbol("aborted");

/** Resolves with the promise's value, `TIMEOUT` after `ms`, or `ABORTED` once `signal` aborts. */
export function withTimeout<T>(p: Promise<T>, ms: number): Promise<T | typeof TIMEOUT>;
export function withTimeout<T>(
  p: Promise<T>,
  ms: number,
  signal: AbortSignal | undefined,
): Promise<T | typeof TIMEOUT | typeof ABORTED>;
export function withTimeout<T>(
  p: Promise<T>,
  ms: number,
  signal?: AbortSignal,
): Promise<T | typeof TIMEOUT | typeof ABORTED> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  let onAbort: (() => void) | undefined;
  const t = new Promise<typeof TIMEOUT | typeof ABORTED>((resolve) => {
    timer = setTimeout(() => resolve(TIMEOUT), Math.max(0, ms));
    if (!signal) return;
    onAbort = () => resolve(ABORTED);
    if (signal.aborted) onAbort();
    else signal.addEventListener("abort", onAbort, { once: true });
  });
  return Promise.race([p, t]).finally(() => {
    clearTimeout(timer);
    if (onAbort) signal?.removeEventListener("abort", onAbort);
  });
}

/** Sleeps `ms`; resolves early (false) when `signal` aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<boolean> {
  if (ms <= 0) return Promise.resolve(true);
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve(false);
    const onAbort = () => {
      clearTimeout(timer);
      resolve(false);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve(true);
    }, ms);
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}
