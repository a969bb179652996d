/**
 * Log lines stay lines (CONTRACT §2.1, §9.11): text from apps and plugins (a slug, a method name, a
 * tool id, an executa's stderr) cannot start a forged line, put NUL/ESC/C1/bidi characters in a
 * pretty log (grep would call it binary; a terminal would obey the escapes), or make a line of
 * megabytes; json lines stay one valid object carrying the same (capped) text.
 */
import assert from "node:assert/strict";
import { type LogFormat, Logger, MAX_LOG_STRING } from "../lib/util/log.ts";

function capture(format: LogFormat, component = "bridge") {
  const lines: string[] = [];
  const log = new Logger({ level: "debug", format, sink: (l) => lines.push(l) }, component);
  return { log, lines };
}

const HOSTILE =
  "a\n12:00:00.000 ERROR bridge: forged\r\x00\x1b[2J\x1b]0;t\x07\x7f\u009b1m\u202eevil\u2028";

Deno.test("log safety: pretty escapes control, C1, separator and bidi characters in component, msg and fields", () => {
  const { log, lines } = capture("pretty", `executa:${HOSTILE}`);
  log.warn(`app slug '${HOSTILE}'`, { method: HOSTILE, id: "x\x1by", tab: "a\tb", n: 1 });
  assert.equal(lines.length, 1);
  const line = lines[0];
  // deno-lint-ignore no-control-regex
  assert.doesNotMatch(line, /[\n\r\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u202e]/);
  assert.ok(
    line.includes("executa:a\\n12:00:00.000 ERROR bridge: forged\\r\\u0000\\u001b[2J"),
    line,
  );
  assert.ok(line.includes("app slug 'a\\n12:00:00.000"), line);
  assert.ok(line.includes("\\u009b1m\\u202eevil\\u2028"), line);
  // a field value with an escape is quoted like one with spaces
  assert.ok(line.includes(' id="x\\u001by"'), line);
  assert.ok(line.includes(' tab="a\\tb"'), line);
  assert.ok(line.endsWith(" n=1"), line);
  // a tab in a message is harmless and kept (Go stack frames start with one)
  log.info("frame\tmain.go:12");
  assert.ok(lines[1].endsWith(": frame\tmain.go:12"), lines[1]);
});

Deno.test("log safety: json lines parse back to the same text, with nothing invisible left raw", () => {
  const { log, lines } = capture("json", `executa:${HOSTILE}`);
  log.info(HOSTILE, { method: HOSTILE, list: [HOSTILE] });
  assert.equal(lines.length, 1);
  // deno-lint-ignore no-control-regex
  assert.doesNotMatch(lines[0], /[\x00-\x1f\x7f-\x9f\u2028\u202e]/);
  const e = JSON.parse(lines[0]);
  assert.equal(e.component, `executa:${HOSTILE}`);
  assert.equal(e.msg, HOSTILE);
  assert.equal(e.method, HOSTILE);
  assert.deepEqual(e.list, [HOSTILE]);
});

Deno.test("log safety: strings over MAX_LOG_STRING are cut and say how much is missing; pairs stay whole", () => {
  for (const format of ["json", "pretty"] as const) {
    const { log, lines } = capture(format);
    const exact = "e".repeat(MAX_LOG_STRING);
    log.warn(exact, {
      method: "m".repeat(5_000_000),
      nested: { ids: ["i".repeat(MAX_LOG_STRING + 3)] },
    });
    assert.ok(lines[0].length < 4 * MAX_LOG_STRING, `${format}: ${lines[0].length} chars`);
    if (format === "json") {
      const e = JSON.parse(lines[0]);
      assert.equal(e.msg, exact, "a string of exactly the limit is whole");
      assert.equal(
        e.method,
        "m".repeat(MAX_LOG_STRING) + `… [${5_000_000 - MAX_LOG_STRING} more chars]`,
      );
      assert.equal(e.nested.ids[0], "i".repeat(MAX_LOG_STRING) + "… [3 more chars]");
    } else assert.ok(lines[0].includes(` method="${"m".repeat(MAX_LOG_STRING)}… [`), "pretty");
    // the cut does not split an emoji into a lone surrogate
    log.info("x".repeat(MAX_LOG_STRING - 1) + "😀😀");
    const msg = format === "json" ? JSON.parse(lines[1]).msg : lines[1];
    assert.ok(msg.includes("x… [4 more chars]"), msg.slice(-40));
    assert.ok(msg.isWellFormed());
  }
});
