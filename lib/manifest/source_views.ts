/**
 * Source views for the `validate --strict` scan (CONTRACT §3.12): copies of a bundle file with
 * everything that cannot be a call site blanked, so that a commented-out call, a call quoted in a
 * string or prose in an HTML page does not fail strict CI. Blanking keeps length and line breaks,
 * so match offsets and line numbers stay those of the file.
 *
 * The lexer is deliberately forgiving: a quote, regex or template that does not close where it
 * should is read as code, so a misread costs at most a false positive, never a hidden call.
 */

export interface SourceViews {
  /** Comments, string/regex literals and template text blanked (`${…}` code kept). */
  code: string;
  /** Comments blanked; string literals kept (for the `call("ns", "method")` form). */
  withStrings: string;
}

// after these words a `/` starts a regular expression, not a division
const BEFORE_REGEX = new Set([
  "return",
  "typeof",
  "instanceof",
  "in",
  "of",
  "new",
  "delete",
  "void",
  "throw",
  "case",
  "do",
  "else",
  "yield",
  "await",
]);
const IDENT_CHAR = /[\w$]/;

type Range = [number, number];

function blank(text: string, ranges: Range[]): string {
  if (ranges.length === 0) return text;
  ranges.sort((a, b) => a[0] - b[0]);
  let out = "", pos = 0;
  for (const [s, e] of ranges) {
    if (e <= pos) continue;
    const from = Math.max(s, pos);
    out += text.slice(pos, from) + text.slice(from, e).replace(/[^\n\r]/g, " ");
    pos = e;
  }
  return out + text.slice(pos);
}

/** End (exclusive) of a '…' / "…" literal opened at `i`, or -1 when the line ends first. */
function quotedEnd(text: string, i: number, q: string): number {
  for (let j = i + 1; j < text.length; j++) {
    const c = text[j];
    if (c === "\\") j++;
    else if (c === q) return j + 1;
    else if (c === "\n" || c === "\r") return -1;
  }
  return -1;
}

/** End (exclusive) of a regex literal opened at `i`, or -1 when the line ends first. */
function regexEnd(text: string, i: number): number {
  let inClass = false;
  for (let j = i + 1; j < text.length; j++) {
    const c = text[j];
    if (c === "\\") j++;
    else if (c === "\n" || c === "\r") return -1;
    else if (c === "[") inClass = true;
    else if (c === "]") inClass = false;
    else if (c === "/" && !inClass) return j + 1;
  }
  return -1;
}

/**
 * Template text from `i` (just after a backtick or a closing `}`): returns where it stops and
 * why (`` ` `` closed, `${` opened an expression), or null when the file ends first.
 */
function templateText(text: string, i: number): { end: number; opens: boolean } | null {
  for (let j = i; j < text.length; j++) {
    const c = text[j];
    if (c === "\\") j++;
    else if (c === "`") return { end: j + 1, opens: false };
    else if (c === "$" && text[j + 1] === "{") return { end: j + 2, opens: true };
  }
  return null;
}

/** Views of JavaScript/TypeScript source. */
export function jsViews(text: string): SourceViews {
  const comments: Range[] = [];
  const literals: Range[] = [];
  const templates: number[] = []; // brace depth to return to when a `${…}` closes
  let depth = 0;
  let prev = ""; // last significant code character
  let word = ""; // the identifier ending at `prev`, if any
  let prevAt = -1; // the index of `prev` when it was code (not a literal)
  const n = text.length;
  let i = 0;
  const resumeTemplate = (from: number, start: number): boolean => {
    const t = templateText(text, from);
    if (!t) return false;
    literals.push([start, t.end]);
    if (t.opens) {
      templates.push(depth);
      depth = 0;
      prev = "{";
    } else prev = "`";
    word = "";
    i = t.end;
    return true;
  };
  while (i < n) {
    const c = text[i];
    if (c === "/" && text[i + 1] === "/") {
      const nl = text.indexOf("\n", i);
      const end = nl === -1 ? n : nl;
      comments.push([i, end]);
      i = end;
      continue;
    }
    if (c === "/" && text[i + 1] === "*") {
      const close = text.indexOf("*/", i + 2);
      const end = close === -1 ? n : close + 2;
      comments.push([i, end]);
      i = end;
      continue;
    }
    if (c === '"' || c === "'") {
      const end = quotedEnd(text, i, c);
      if (end !== -1) {
        literals.push([i, end]);
        i = end;
      } else i++;
      prev = c;
      word = "";
      continue;
    }
    if (c === "`") {
      if (!resumeTemplate(i + 1, i)) {
        i++;
        prev = c;
      }
      continue;
    }
    if (c === "}" && depth === 0 && templates.length > 0) {
      depth = templates.pop()!;
      if (!resumeTemplate(i + 1, i + 1)) {
        i++;
        prev = c;
      }
      continue;
    }
    if (c === "/") {
      const regexAllowed = prev === "" || "(,=:[!&|?{};+-*%<>~^".includes(prev) ||
        BEFORE_REGEX.has(word);
      const end = regexAllowed ? regexEnd(text, i) : -1;
      if (end !== -1) {
        literals.push([i, end]);
        i = end;
        prev = "/";
        word = "";
        continue;
      }
    }
    if (c === "{") depth++;
    else if (c === "}") depth--;
    if (c !== " " && c !== "\n" && c !== "\t" && c !== "\r") {
      const ident = IDENT_CHAR.test(c);
      word = ident ? (prevAt === i - 1 && word !== "" ? word + c : c) : "";
      prev = c;
      prevAt = i;
    }
    i++;
  }
  const withStrings = blank(text, comments);
  return { code: blank(withStrings, literals), withStrings };
}

const SCRIPT = /(<script\b[^>]*>)([\s\S]*?)(<\/script\s*>|$)/gi;

/**
 * Views of an HTML page: only the contents of `<script>` elements can call the host (the app
 * CSP refuses inline event handlers), so markup, prose and `<!-- -->` comments are blanked.
 */
export function htmlViews(text: string): SourceViews {
  let code = "", withStrings = "", pos = 0;
  const blankAll = (s: string) => s.replace(/[^\n\r]/g, " ");
  for (const m of text.matchAll(SCRIPT)) {
    const bodyStart = m.index + m[1].length;
    const outside = blankAll(text.slice(pos, bodyStart));
    const body = jsViews(m[2]);
    code += outside + body.code;
    withStrings += outside + body.withStrings;
    pos = bodyStart + m[2].length;
  }
  const rest = blankAll(text.slice(pos));
  return { code: code + rest, withStrings: withStrings + rest };
}
