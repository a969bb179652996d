/**
 * A tiny TOML reader for pyproject files (CONTRACT §9.2 rule 2, §9.3 fallback): tables, dotted and
 * quoted keys, the four string forms, arrays and inline tables. Other scalars are kept as raw text.
 */
import { isPlainObject, withoutBom } from "../util/json.ts";

class Toml {
  i = 0;
  constructor(readonly s: string) {}
  fail(msg: string): never {
    throw new Error(`${msg} at offset ${this.i}`);
  }
  ws() {
    while (this.s[this.i] === " " || this.s[this.i] === "\t") this.i++;
  }
  /** Skips whitespace, newlines and comments. */
  gap() {
    for (;;) {
      this.ws();
      const c = this.s[this.i];
      if (c === "#") { while (this.i < this.s.length && this.s[this.i] !== "\n") this.i++; }
      else if (c === "\n" || c === "\r") this.i++;
      else return;
    }
  }
  key(): string[] {
    const parts: string[] = [];
    for (;;) {
      this.ws();
      const c = this.s[this.i];
      if (c === '"' || c === "'") parts.push(this.str());
      else {
        const m = /^[A-Za-z0-9_-]+/.exec(this.s.slice(this.i, this.i + 256));
        if (!m) this.fail("expected a key");
        parts.push(m[0]);
        this.i += m[0].length;
      }
      this.ws();
      if (this.s[this.i] !== ".") return parts;
      this.i++;
    }
  }
  str(): string {
    const s = this.s;
    const q = s[this.i];
    const triple = s.startsWith(q.repeat(3), this.i);
    this.i += triple ? 3 : 1;
    if (triple && s[this.i] === "\n") this.i++;
    let out = "";
    while (this.i < s.length) {
      if (triple ? s.startsWith(q.repeat(3), this.i) : s[this.i] === q) {
        this.i += triple ? 3 : 1;
        return out;
      }
      const c = s[this.i++];
      if (c === "\n" && !triple) this.fail("newline in string");
      if (c === "\\" && q === '"') {
        const e = s[this.i++];
        const simple: Record<string, string> = { n: "\n", t: "\t", r: "\r", '"': '"', "\\": "\\" };
        if (e in simple) out += simple[e];
        else if (e === "u" || e === "U") {
          const n = e === "u" ? 4 : 8;
          out += String.fromCodePoint(parseInt(s.slice(this.i, this.i + n), 16));
          this.i += n;
        } else if (triple && (e === "\n" || e === " " || e === "\r")) {
          while (/\s/.test(s[this.i] ?? "")) this.i++;
        } else out += e;
      } else out += c;
    }
    this.fail("unterminated string");
  }
  value(): unknown {
    this.ws();
    const c = this.s[this.i];
    if (c === '"' || c === "'") return this.str();
    if (c === "[") {
      this.i++;
      const arr: unknown[] = [];
      for (;;) {
        this.gap();
        if (this.s[this.i] === "]") break;
        arr.push(this.value());
        this.gap();
        if (this.s[this.i] === ",") this.i++;
        else if (this.s[this.i] !== "]") this.fail("expected , or ]");
      }
      this.i++;
      return arr;
    }
    if (c === "{") {
      this.i++;
      const obj: Record<string, unknown> = {};
      for (;;) {
        this.ws();
        if (this.s[this.i] === "}") break;
        this.keyval(obj);
        this.ws();
        if (this.s[this.i] === ",") this.i++;
        else if (this.s[this.i] !== "}") this.fail("expected , or }");
      }
      this.i++;
      return obj;
    }
    const m = /^[^,\]}\n#]+/.exec(this.s.slice(this.i, this.i + 1024));
    if (!m) this.fail("expected a value");
    this.i += m[0].length;
    return m[0].trim();
  }
  keyval(table: Record<string, unknown>) {
    const k = this.key();
    this.ws();
    if (this.s[this.i] !== "=") this.fail("expected =");
    this.i++;
    const v = this.value();
    setPath(table, k, v);
  }
}

function tableAt(root: Record<string, unknown>, path: string[]): Record<string, unknown> {
  let t = root;
  for (const p of path) {
    if (!isPlainObject(t[p])) t[p] = {};
    t = t[p] as Record<string, unknown>;
  }
  return t;
}

function setPath(root: Record<string, unknown>, path: string[], v: unknown) {
  tableAt(root, path.slice(0, -1))[path[path.length - 1]] = v;
}

/** Parses the subset of TOML found in pyproject files (tables, strings, arrays, inline tables). */
export function parseToml(text: string): Record<string, unknown> {
  const p = new Toml(withoutBom(text));
  const root: Record<string, unknown> = {};
  let table = root;
  for (;;) {
    p.gap();
    if (p.i >= p.s.length) return root;
    if (p.s[p.i] === "[") {
      const arrayTable = p.s[p.i + 1] === "[";
      p.i += arrayTable ? 2 : 1;
      const k = p.key();
      if (p.s[p.i] !== "]") p.fail("expected ]");
      p.i += arrayTable ? 2 : 1;
      // array-of-tables content is irrelevant here: collect it into a throwaway table
      table = arrayTable ? {} : tableAt(root, k);
    } else p.keyval(table);
    p.ws();
    if (p.s[p.i] === "#") p.gap();
    else if (p.i < p.s.length && p.s[p.i] !== "\n" && p.s[p.i] !== "\r") p.fail("expected newline");
  }
}
