/**
 * Line framing for executa stdio (CONTRACT §9.11–§9.12). Lines may be up to `max` bytes; a longer
 * line is skipped without buffering it, keeping only its first bytes so the reply id can be found.
 */
import { FRAME_HEAD_BYTES } from "./limits.ts";

export interface LineHandlers {
  line(bytes: Uint8Array): void;
  /** A line longer than `max`: its first `headBytes` and its full length. */
  oversize?(head: Uint8Array, totalBytes: number): void;
}

function concat(parts: Uint8Array[], size: number): Uint8Array {
  if (parts.length === 1) return parts[0];
  const out = new Uint8Array(size);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

function endsWithCr(parts: Uint8Array[]): boolean {
  const last = parts[parts.length - 1];
  return last !== undefined && last[last.length - 1] === 13;
}

export class LineSplitter {
  private parts: Uint8Array[] = [];
  private size = 0;
  private head: Uint8Array | null = null;

  constructor(
    private readonly max: number,
    private readonly on: LineHandlers,
    private readonly headBytes = FRAME_HEAD_BYTES,
  ) {}

  push(chunk: Uint8Array): void {
    let start = 0;
    while (start <= chunk.length) {
      const nl = chunk.indexOf(10, start);
      const end = nl === -1 ? chunk.length : nl;
      if (end > start) this.append(chunk.subarray(start, end));
      if (nl === -1) return;
      this.finish();
      start = nl + 1;
    }
  }

  /** The line not ended yet: its size so far and its first `n` bytes. */
  pending(n: number): { bytes: number; head: Uint8Array } {
    if (this.head) return { bytes: this.size, head: this.head.subarray(0, n) };
    const first: Uint8Array[] = [];
    let got = 0;
    for (const p of this.parts) {
      if (got >= n) break;
      first.push(p);
      got += p.length;
    }
    return { bytes: this.size, head: concat(first, got).subarray(0, n) };
  }

  /** Flushes a final line that had no trailing newline (EOF). */
  end(): void {
    if (this.size > 0) this.finish();
  }

  private append(seg: Uint8Array) {
    this.size += seg.length;
    if (this.head) return; // already skipping: count bytes only
    // one byte past the limit is still held: it may be the CR of a CRLF ending, which readers
    // strip, so it does not count against the line (§4.1)
    if (this.size <= this.max + 1) {
      this.parts.push(seg);
      return;
    }
    const kept = concat([...this.parts, seg], this.size);
    this.head = kept.slice(0, this.headBytes);
    this.parts = [];
  }

  private finish() {
    const { head, size, parts } = this;
    this.parts = [];
    this.size = 0;
    this.head = null;
    if (head) this.on.oversize?.(head, size);
    else if (size > this.max && !endsWithCr(parts)) {
      this.on.oversize?.(concat(parts, size).slice(0, this.headBytes), size);
    } else if (size > 0) this.on.line(concat(parts, size));
  }
}

/**
 * `bytes` without a trailing UTF-8 sequence that a byte cut left incomplete, so a line cut at a
 * byte limit decodes to whole characters within that limit instead of ending in U+FFFD.
 */
export function trimPartialUtf8(bytes: Uint8Array): Uint8Array {
  const n = bytes.length;
  // a sequence is at most 4 bytes: its lead byte is within the last 4
  for (let i = n - 1; i >= 0 && i >= n - 4; i--) {
    const b = bytes[i];
    if ((b & 0xc0) === 0x80) continue; // continuation byte: keep looking for the lead
    const need = b >= 0xf0 ? 4 : b >= 0xe0 ? 3 : b >= 0xc0 ? 2 : 1;
    return i + need > n ? bytes.subarray(0, i) : bytes;
  }
  return bytes;
}

/**
 * The reply id of a (possibly truncated) JSON object text: the value of its top-level `"id"`
 * member. Only depth-1 keys count, so an `id` nested inside `result` is never mistaken for it;
 * a top-level `"method"` makes the line a request of the plugin's own (§9.8), so no reply id.
 */
export function findTopLevelId(text: string): number | string | undefined {
  let id: number | string | undefined;
  let depth = 0;
  let expectKey = false;
  let i = 0;
  const skipWs = (j: number) => {
    while (j < text.length && " \t\r\n".includes(text[j])) j++;
    return j;
  };
  while (i < text.length) {
    const c = text[i];
    if (c === '"') {
      let j = i + 1;
      while (j < text.length && text[j] !== '"') j += text[j] === "\\" ? 2 : 1;
      if (j >= text.length) return id;
      if (depth === 1 && expectKey) {
        expectKey = false;
        const k = skipWs(j + 1);
        if (text[k] !== ":") return id;
        const key = text.slice(i, j + 1);
        if (key === '"method"') return undefined;
        if (key === '"id"') id = readScalar(text, skipWs(k + 1));
        i = k + 1;
        continue;
      }
      i = j + 1;
      continue;
    }
    if (c === "{" || c === "[") {
      depth++;
      if (depth === 1) expectKey = c === "{";
      if (depth === 1 && c === "[") return undefined; // a batch is not a reply
    } else if (c === "}" || c === "]") depth--;
    else if (c === "," && depth === 1) expectKey = true;
    i++;
  }
  return id;
}

function readScalar(text: string, at: number): number | string | undefined {
  const num = /^-?\d+(\.\d+)?([eE][+-]?\d+)?/.exec(text.slice(at, at + 40));
  if (num) return Number(num[0]);
  if (text[at] !== '"') return undefined;
  let j = at + 1;
  while (j < text.length && text[j] !== '"') j += text[j] === "\\" ? 2 : 1;
  if (j >= text.length) return undefined;
  try {
    return JSON.parse(text.slice(at, j + 1));
  } catch {
    return undefined;
  }
}
