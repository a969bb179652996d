/**
 * What to say when an executa's reply never came (handshake, describe or health timeout) and its
 * stdout carried lines the host ignored (CONTRACT §9.11, logged at debug only). Replies written in
 * another form than one JSON object per line (a Python dict printed as is, a log line in front)
 * never arrive, and the timeout alone points at slowness instead.
 */

/** How much of an ignored stdout line the hint quotes. */
const QUOTE_CHARS = 120;

/** `"; its stdout had …"` for the ignored lines counted on a process, or "" when there were none. */
export function stdoutNoiseHint(n: { count: number; first: string } | undefined): string {
  if (!n || n.count === 0) return "";
  const first = n.first.length > QUOTE_CHARS ? n.first.slice(0, QUOTE_CHARS) + "…" : n.first;
  const lines = n.count === 1 ? "1 line that is" : `${n.count} lines that are`;
  return `; its stdout had ${lines} not JSON-RPC and ignored (first: ${JSON.stringify(first)}): ` +
    "stdout must carry only JSON-RPC messages, one JSON object per line (json.dumps, " +
    "JSON.stringify), and logs go to stderr";
}
