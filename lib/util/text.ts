/** Text measures shared by every module. */

/** Length in Unicode code points: what the contract's "N chars" counts (an emoji is one). */
export function codePointLength(s: string): number {
  let n = 0;
  for (const _ of s) n++;
  return n;
}

/**
 * Levenshtein distance, capped: returns `max + 1` as soon as the distance exceeds `max`. With
 * `transpositions`, swapping two neighbours costs one edit (optimal string alignment).
 */
export function editDistance(a: string, b: string, max = 2, transpositions = false): number {
  if (Math.abs(a.length - b.length) > max) return max + 1;
  let before: number[] = []; // the row two above, for transpositions
  let prev = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    let rowMin = i;
    for (let j = 1; j <= b.length; j++) {
      let v = Math.min(
        prev[j] + 1,
        cur[j - 1] + 1,
        prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1),
      );
      if (
        transpositions && i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]
      ) v = Math.min(v, before[j - 2] + 1);
      cur.push(v);
      if (v < rowMin) rowMin = v;
    }
    if (rowMin > max) return max + 1;
    before = prev;
    prev = cur;
  }
  return prev[b.length];
}

/**
 * The one candidate a mistyped word most likely meant, for "did you mean" hints: the closest within
 * 1 edit (2 for words of 5+ characters, a swap of neighbours counting as one), else the only
 * candidate the word starts; a word that differs only in case first. Undefined when nothing is close or
 * the choice is ambiguous.
 */
export function closest(word: string, candidates: Iterable<string>): string | undefined {
  // caps lock or a capitalised word (HELP, Validate): the same word whatever its length
  const lower = word.toLowerCase();
  for (const c of candidates) if (c !== word && c.toLowerCase() === lower) return c;
  const max = word.length >= 5 ? 2 : 1;
  let best: string | undefined;
  let bestD = max + 1;
  let tie = false;
  const prefixed: string[] = [];
  for (const c of candidates) {
    if (c === word) continue;
    const d = editDistance(word, c, max, true);
    if (d < bestD) [best, bestD, tie] = [c, d, false];
    else if (d === bestD && d <= max) tie = true;
    if (word.length >= 3 && c.startsWith(word)) prefixed.push(c);
  }
  if (best !== undefined && !tie) return best;
  return best === undefined && prefixed.length === 1 ? prefixed[0] : undefined;
}

/** ` (did you mean 'x'?)` when `word` is close to one of `candidates`, else "". */
export function didYouMean(word: string, candidates: Iterable<string>): string {
  const near = closest(word, candidates);
  return near === undefined ? "" : ` (did you mean '${near}'?)`;
}

/**
 * A stderr line as a terminal leaves it: a CRLF ending dropped, and of a line that redraws itself
 * with bare CRs (tqdm-style progress bars, which write them even to a pipe) only its last
 * non-blank state, not every state run together.
 */
export function shownLine(line: string): string {
  const text = line.endsWith("\r") ? line.slice(0, -1) : line;
  if (!text.includes("\r")) return text;
  const parts = text.split("\r");
  for (let i = parts.length - 1; i >= 0; i--) if (parts[i].trim() !== "") return parts[i];
  return "";
}

/** Terminal escapes (colours, cursor moves, OSC titles and links): CSI, OSC, and two-byte ESC. */
// deno-lint-ignore no-control-regex
const ANSI = /\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b[@-Z\\-_]/g;

/** `s` without terminal escapes (an executa run with FORCE_COLOR writes them even to a pipe). */
export function stripAnsi(s: string): string {
  return s.includes("\x1b") ? s.replace(ANSI, "") : s;
}

/**
 * `s.slice(0, n)`, one shorter when that would end in the first half of a surrogate pair: a cut
 * emoji printed U+FFFD, and JSON.stringify wrote the lone half as `\ud83d`, which strict JSON
 * readers refuse.
 */
export function headChars(s: string, n: number): string {
  const end = n > 0 && n < s.length && /[\ud800-\udbff]/.test(s[n - 1]) ? n - 1 : n;
  return s.slice(0, end);
}

/**
 * What would break a line-oriented log or a terminal showing it: C0 controls but tab (NUL makes
 * grep call the file binary, ESC moves the cursor or sets the title, LF forges a line), DEL, C1
 * controls (8-bit CSI), line/paragraph separators and bidi controls (text that reads reordered).
 */
export const UNSAFE =
  // deno-lint-ignore no-control-regex
  /[\u0000-\u0008\u000a-\u001f\u007f-\u009f\u200e\u200f\u2028-\u202e\u2066-\u2069]/;
const UNSAFE_G = new RegExp(UNSAFE.source, "g");
const hex = (c: string) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`;

/** Text for one output line: `\n`, `\r` and the other unsafe characters as JSON-style escapes. */
export function escapeUnsafe(s: string): string {
  if (!UNSAFE.test(s)) return s;
  return s.replace(UNSAFE_G, (c) => (c === "\n" ? "\\n" : c === "\r" ? "\\r" : hex(c)));
}

/**
 * Whole text for a terminal, lines kept: every other unsafe character as a JSON-style escape. JSON
 * documents come out as the same value (those characters only occur inside their strings).
 */
export function terminalText(s: string): string {
  if (!UNSAFE.test(s)) return s;
  return s.replace(UNSAFE_G, (c) => (c === "\n" ? c : c === "\r" ? "\\r" : hex(c)));
}

/** JSON text with what JSON.stringify leaves raw (DEL, C1, separators, bidi) escaped: same value. */
export function escapeInvisible(json: string): string {
  return UNSAFE.test(json) ? json.replace(UNSAFE_G, hex) : json;
}

/** `HH:MM:SS.mmm` local time, as pretty log lines start. */
export function clockTime(d: Date): string {
  return d.toTimeString().slice(0, 8) + "." + String(d.getMilliseconds()).padStart(3, "0");
}
