/**
 * What `bridge` does with the requests still in flight when stdin ends (CONTRACT §2.4: EOF is a
 * graceful shutdown). A client that pipes its requests and closes stdin expects their answers, so
 * they are waited for — but no longer than the longest call the contract allows to be legitimate:
 * a `tools.invoke` at its 90 s ceiling plus the 2 s reply grace (§9.7, §15). Past that the
 * executas are stopped (§9.10), which answers their invokes `tool_failed` "executa process exited"
 * as SIGTERM does; what is still unanswered a grace later is dropped, with a log line.
 */
import { INVOKE_GRACE_MS, INVOKE_MAX_TIMEOUT_MS } from "../executa/limits.ts";
import { TIMEOUT, withTimeout } from "../executa/async.ts";
import type { Logger } from "../util/log.ts";

export const EOF_DRAIN_MS = INVOKE_MAX_TIMEOUT_MS + INVOKE_GRACE_MS;
/** A wait this long after EOF is said on stderr (warn): the exit is not simply slow. */
export const EOF_WAIT_NOTICE_MS = 5_000;

export interface EofDrain {
  /** Resolves once every request read has been answered and the answers written (flushed). */
  answered: Promise<void>;
  /** Requests read and not yet answered. */
  pending: () => number;
  /** Stops the runtime's work (executas): ends the calls that wait on it. */
  stop: () => Promise<void>;
  log: Logger;
  waitMs?: number;
  noticeMs?: number;
  /** After `stop`, how long the answers it caused may take to be written. */
  graceMs: number;
}

/** Resolves when every request is answered, or once the bounded wait is over (see above). */
export async function drainAfterEof(d: EofDrain): Promise<"answered" | "stopped" | "dropped"> {
  const waitMs = d.waitMs ?? EOF_DRAIN_MS;
  const noticeMs = Math.min(d.noticeMs ?? EOF_WAIT_NOTICE_MS, waitMs);
  if (await withTimeout(d.answered, noticeMs) !== TIMEOUT) return "answered";
  d.log.warn(`stdin closed: waiting up to ${waitMs / 1000} s for the answers still in flight`, {
    in_flight: d.pending(),
  });
  if (await withTimeout(d.answered, waitMs - noticeMs) !== TIMEOUT) return "answered";
  d.log.warn(`stdin closed ${waitMs / 1000} s ago: stopping the executas to end the calls left`, {
    in_flight: d.pending(),
  });
  await d.stop();
  if (await withTimeout(d.answered, d.graceMs) !== TIMEOUT) return "stopped";
  // 0 when every call ended but stdout is not being read: the answers are what is dropped
  d.log.warn("exiting with requests unanswered", { dropped: d.pending() });
  return "dropped";
}
