/**
 * Where hand-written JSON stops being valid, and what to change there: for manifest.json and for
 * each line of the JSONL files a developer writes (mock tables, fixtures).
 */

/** 1-based line:column of a character offset. */
export function lineColumn(text: string, pos: number): { line: number; column: number } {
  let line = 1, start = 0;
  for (let i = 0; i < pos && i < text.length; i++) {
    if (text.charCodeAt(i) === 10) {
      line++;
      start = i + 1;
    }
  }
  return { line, column: pos - start + 1 };
}

/**
 * Finds where JSON text stops being valid (V8's JSON.parse messages do not always carry a
 * position). Returns the offset and a short reason, or null when the text is valid.
 */
export function jsonErrorAt(text: string): { pos: number; reason: string } | null {
  let i = 0;
  const fail = (reason: string): never => {
    throw { pos: i, reason };
  };
  const ws = () => {
    while (i < text.length && " \t\n\r".includes(text[i])) i++;
  };
  const show = () => {
    if (i >= text.length) return "end of input";
    // an invisible character (a zero-width space, a no-break space pasted from a page) by name
    const cp = text.codePointAt(i)!;
    return /[\p{Cc}\p{Cf}\p{Z}]/u.test(text[i])
      ? `U+${cp.toString(16).toUpperCase().padStart(4, "0")} (an invisible character)`
      : `'${String.fromCodePoint(cp)}'`;
  };
  const value = (): void => {
    ws();
    const c = text[i];
    if (c === "{") {
      i++;
      ws();
      if (text[i] === "}") return void i++;
      for (;;) {
        ws();
        if (text[i] !== '"') fail(`expected a property name in double quotes, found ${show()}`);
        str();
        ws();
        if (text[i] !== ":") fail(`expected ':' after a property name, found ${show()}`);
        i++;
        value();
        ws();
        if (text[i] === ",") i++;
        else if (text[i] === "}") return void i++;
        else fail(`expected ',' or '}' in an object, found ${show()}`);
      }
    }
    if (c === "[") {
      i++;
      ws();
      if (text[i] === "]") return void i++;
      for (;;) {
        value();
        ws();
        if (text[i] === ",") i++;
        else if (text[i] === "]") return void i++;
        else fail(`expected ',' or ']' in an array, found ${show()}`);
      }
    }
    if (c === '"') return str();
    const lit = /^(true|false|null|-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?)/.exec(
      text.slice(i, i + 400),
    );
    if (!lit) fail(`unexpected ${show()}`);
    i += lit![0].length;
  };
  const str = () => {
    i++;
    while (i < text.length && text[i] !== '"') {
      const code = text.charCodeAt(i);
      if (code < 0x20) fail("control character in a string (use \\n, \\t, …)");
      if (text[i] === "\\") {
        if (!/^(["\\/bfnrt]|u[0-9a-fA-F]{4})/.test(text.slice(i + 1, i + 6))) {
          fail("invalid escape in a string");
        }
      }
      i += text[i] === "\\" ? 2 : 1;
    }
    if (i >= text.length) fail("unterminated string");
    i++;
  };
  try {
    value();
    ws();
    if (i < text.length) fail(`unexpected ${show()} after the JSON value`);
    return null;
  } catch (e) {
    // a RangeError from absurd nesting is not a located syntax error
    return e instanceof Error ? null : e as { pos: number; reason: string };
  }
}

/** What to change at a syntax error a hand-edited file often has (comments, trailing commas). */
export function syntaxHint(text: string, pos: number): string {
  const c = text[pos];
  if (c === "/" && (text[pos + 1] === "/" || text[pos + 1] === "*")) {
    return "JSON has no comments: remove the comment";
  }
  if (c === "}" || c === "]") {
    let j = pos - 1;
    while (j >= 0 && " \t\n\r".includes(text[j])) j--;
    if (text[j] === ",") return `remove the comma before '${c}' (JSON allows no trailing commas)`;
  }
  if (c === "'") return "JSON strings and property names use double quotes";
  return "";
}

/**
 * Why one line of a JSONL file is not JSON: the column, the reason and, for the usual slips of a
 * hand-written line, what to change. `column0` is where the trimmed line starts in the file's line.
 */
export function jsonLineProblem(line: string, column0: number, parserMessage: string): string {
  const found = jsonErrorAt(line);
  if (!found) return `invalid JSON (${parserMessage})`;
  const hint = jsonlHint(line, found.pos) || syntaxHint(line, found.pos);
  return `invalid JSON at column ${column0 + found.pos + 1}: ${found.reason}${
    hint ? `; ${hint}` : ""
  }`;
}

/** Slips that only a line-per-value file has: values spread over lines, comments after values. */
function jsonlHint(line: string, pos: number): string {
  if (pos >= line.length) {
    return "each line holds one whole JSON value, and this one ends first (pretty-printed JSON?): " +
      "put each object on a single line";
  }
  if (jsonErrorAt(line.slice(0, pos)) === null) {
    const rest = line.slice(pos).trimStart();
    if (rest.startsWith("#") || rest.startsWith("//")) {
      return "a comment needs a line of its own, starting with # or //";
    }
    if (rest.startsWith("{")) return "one JSON value per line: start the next one on a new line";
  }
  return "";
}
