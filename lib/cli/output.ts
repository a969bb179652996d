/** Output helpers: results to stdout, errors to stderr in the command's format (CONTRACT §2.1). */

const enc = new TextEncoder();

export function writeStdout(text: string) {
  Deno.stdout.writeSync(enc.encode(text.endsWith("\n") ? text : text + "\n"));
}
export function writeStderr(text: string) {
  try {
    Deno.stderr.writeSync(enc.encode(text.endsWith("\n") ? text : text + "\n"));
  } catch { /* ignore */ }
}

/** A fatal error: pretty text, or one JSON line `{"error":{code,message,details}}` on stderr. */
export function printFatal(
  format: string | undefined,
  code: string,
  message: string,
  details?: Record<string, unknown>,
) {
  if (format === "json") {
    writeStderr(JSON.stringify({ error: { code, message, details: details ?? {} } }));
  } else writeStderr(`error: ${message}`);
}

/** Exit codes (§2.1). */
export const EXIT = { OK: 0, FAILED: 1, USAGE: 2, FAULT: 3, INTERRUPTED: 130 } as const;
