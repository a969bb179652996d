/**
 * What to say when an executa's reply never came (handshake, describe, health or invoke timeout)
 * and its stdout shows why. The host ignores lines that are not JSON-RPC and replies with an id it
 * never sent (CONTRACT §9.11, logged at debug only), and reads nothing until a newline: a reply
 * written as a Python dict, behind a log line, with its id turned into a string, or without its
 * line end never arrives, and the timeout alone points at slowness instead.
 */
import { headChars } from "../util/text.ts";

export interface StdoutDiagnosis {
  /** Lines ignored as not JSON-RPC, and the first one. */
  ignored: { count: number; first: string };
  /** Replies whose id matched no request, and the first id. */
  stray: { count: number; first: number | string | null };
  /** A line still waiting for its newline: its size and its start. */
  partial: { bytes: number; head: string };
}

/** How much of an ignored stdout line the hint quotes. */
const QUOTE_CHARS = 120;

const quote = (s: string) =>
  JSON.stringify(s.length > QUOTE_CHARS ? headChars(s, QUOTE_CHARS) + "…" : s);

/** `"; its stdout had …"` for what the process wrote that no waiter got, or "" when nothing. */
export function stdoutNoiseHint(d: StdoutDiagnosis | undefined): string {
  if (!d) return "";
  let hint = "";
  const n = d.ignored;
  if (n.count > 0) {
    const lines = n.count === 1 ? "1 line that is" : `${n.count} lines that are`;
    hint += `; its stdout had ${lines} not JSON-RPC and ignored (first: ${quote(n.first)}): ` +
      "stdout must carry only JSON-RPC messages, one JSON object per line (json.dumps, " +
      "JSON.stringify), and logs go to stderr";
  }
  const s = d.stray;
  if (s.count > 0) {
    const replies = s.count === 1
      ? "1 reply whose id matches"
      : `${s.count} replies whose ids match`;
    // the usual slip: the id read back as a string ("3" for 3), or a counter of the plugin's own
    const numeric = typeof s.first === "string" && /^\d+$/.test(s.first);
    hint += `; its stdout had ${replies} no request (first id: ${JSON.stringify(s.first)}): ` +
      (numeric
        ? `a reply carries its request's id unchanged — the number ${s.first}, not a string`
        : `a reply carries its request's "id" unchanged`);
  }
  if (d.partial.bytes > 0) {
    hint += `; its stdout ends in ${d.partial.bytes} bytes with no newline yet ` +
      `(${quote(d.partial.head)}): every message must end with "\\n" (print and console.log ` +
      "add it; sys.stdout.write and process.stdout.write do not) and be flushed";
  }
  return hint;
}
