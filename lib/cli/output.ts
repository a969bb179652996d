/** Output helpers: results to stdout, errors to stderr in the command's format (CONTRACT §2.1). */

import { terminalText } from "../util/text.ts";
import { stderrLine } from "../util/stderr_queue.ts";

const enc = new TextEncoder();

// reports and diagnostics quote app and plugin text (manifest keys, fixture values, tool output):
// raw ESC, C1 or bidi characters would reach the developer's terminal as commands (titles,
// OSC 52 clipboard writes) or reordered text, so both writers escape them as the logger does
export function writeStdout(text: string) {
  text = terminalText(text);
  let bytes = enc.encode(text.endsWith("\n") ? text : text + "\n");
  try {
    // writeSync may take only part of a large report
    while (bytes.length) bytes = bytes.subarray(Deno.stdout.writeSync(bytes));
  } catch (e) {
    // the reader went away (`smoke … | head`): like any CLI, stop writing; the exit code stands
    if (!(e instanceof Deno.errors.BrokenPipe)) throw e;
  }
}
export function writeStderr(text: string) {
  stderrLine(terminalText(text));
}

let jsonStderr = false;

/** Set from `--log-format json`: stderr then goes to a collector that parses every line. */
export function setJsonStderr(on: boolean) {
  jsonStderr = on;
}

/** "json" when errors on stderr must be JSON: `--format json` (§2.1) or `--log-format json`. */
export function fatalFormat(format: string | undefined): string | undefined {
  return jsonStderr ? "json" : format;
}

/** A fatal error: pretty text, or one JSON line `{"error":{code,message,details}}` on stderr. */
export function printFatal(
  format: string | undefined,
  code: string,
  message: string,
  details?: Record<string, unknown>,
) {
  if (fatalFormat(format) === "json") {
    writeStderr(JSON.stringify({ error: { code, message, details: details ?? {} } }));
  } else writeStderr(`error: ${message}`);
}

/** Exit codes (§2.1). */
export const EXIT = { OK: 0, FAILED: 1, USAGE: 2, FAULT: 3, INTERRUPTED: 130 } as const;
