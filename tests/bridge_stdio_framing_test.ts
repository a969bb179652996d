/**
 * stdio framing in process (CONTRACT §4.1): the same bytes give the same answers however the reads
 * split them — CR stripped, blank lines ignored, a leading BOM ignored, invalid UTF-8 → parse error,
 * oversized lines skipped and answered `frame_too_large` — and a failing handler loses only its line.
 */
import assert from "node:assert/strict";
import { LineWriter, serveLines } from "../lib/bridge/stdio.ts";
import { silentLogger } from "../lib/util/log.ts";

const enc = new TextEncoder();

/** Serves `chunks` with a handler that answers `ok:<id>` for JSON lines; returns the sorted answers. */
async function serve(
  chunks: Uint8Array[],
  maxFrame?: number,
  handle?: (text: string) => Promise<string | null>,
): Promise<string[]> {
  const input = new ReadableStream<Uint8Array>({
    start(c) {
      for (const ch of chunks) c.enqueue(ch);
      c.close();
    },
  });
  const out: string[] = [];
  const dec = new TextDecoder();
  const writer = new LineWriter({
    write(b: Uint8Array) {
      out.push(...dec.decode(b).split("\n").filter((l) => l !== ""));
      return Promise.resolve();
    },
  });
  const answer = handle ?? ((text: string) => {
    let m: { id?: unknown };
    try {
      m = JSON.parse(text);
    } catch {
      return Promise.resolve(`parse:${JSON.stringify(text)}`);
    }
    return Promise.resolve(`ok:${m.id}`);
  });
  await serveLines(input, writer, answer, silentLogger(), maxFrame);
  return out.map(label).sort();
}

/** Bridge-level error lines → a short label; handler answers as they are. */
function label(line: string): string {
  if (!line.startsWith("{")) return line;
  const e = JSON.parse(line).error;
  if (e.message === "frame_too_large") return `big:${e.data.frame_bytes}`;
  if (e.code === -32700) return "utf8";
  return line;
}

/** Splits `data` into chunks of the given sizes (cycled). */
function chunked(data: Uint8Array, sizes: number[]): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let at = 0, i = 0; at < data.length; i++) {
    const n = sizes[i % sizes.length];
    out.push(data.slice(at, at + n));
    at += n;
  }
  return out;
}

const join = (lines: Uint8Array[]) => {
  const parts: number[] = [];
  for (const l of lines) parts.push(...l, 10);
  return new Uint8Array(parts);
};

Deno.test("stdio: a leading BOM is ignored on every line, however the reads split the input", async () => {
  const lines = [
    enc.encode('\uFEFF{"id":1}'),
    enc.encode('{"id":2}'),
    enc.encode('\uFEFF{"id":3}\r'),
    enc.encode("\uFEFF"), // a BOM alone is a blank line
    enc.encode('\uFEFF{"id":4}'),
  ];
  const data = join(lines);
  const want = ["ok:1", "ok:2", "ok:3", "ok:4"];
  for (const sizes of [[data.length], [1], [3], [7, 2], [16]]) {
    assert.deepEqual(await serve(chunked(data, sizes)), want, `chunks of ${sizes}`);
  }
});

Deno.test("stdio: the line limit counts the line without its CR: max bytes + CRLF is served, max + 1 is not", async () => {
  const max = 16;
  const over = '{"id":3,"p":"ab"}'; // 17 bytes: one too many
  const exact = (id: number) => `{"id":${id},"p":"a"}`; // 16 bytes: exactly the limit
  assert.equal(enc.encode(exact(1)).length, max);
  const data = join([
    enc.encode(exact(1) + "\r"), // 17 bytes before the LF, the last one a CR → served
    enc.encode(exact(2)), // 16 bytes → served
    enc.encode(over), // 17 bytes, no CR → too large
    enc.encode(over + "\r"), // 18 bytes → too large
  ]);
  for (const sizes of [[data.length], [1], [5], [17, 1]]) {
    assert.deepEqual(
      await serve(chunked(data, sizes), max),
      ["big:17", "big:18", "ok:1", "ok:2"],
      `chunks of ${sizes}`,
    );
  }
});

Deno.test("stdio: a handler that throws synchronously loses only its line; serving goes on", async () => {
  const data = join(["a", "boom", "b", "c"].map((s) => enc.encode(s)));
  for (const sizes of [[data.length], [1]]) {
    const got = await serve(chunked(data, sizes), undefined, (text) => {
      if (text === "boom") throw new Error("handler bug");
      return Promise.resolve(`seen:${text}`);
    });
    assert.deepEqual(got, ["seen:a", "seen:b", "seen:c"], `chunks of ${sizes}`);
  }
});

/** A small deterministic PRNG (mulberry32) so the mixed-input case is the same on every run. */
function prng(seed: number) {
  return (n: number) => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return Math.floor((((t ^ (t >>> 14)) >>> 0) / 4294967296) * n);
  };
}

Deno.test("stdio: mixed lines under 500 random chunkings give one answer per line, the same each time", async () => {
  const max = 40; // a small frame limit so oversized lines are cheap to make
  const rnd = prng(20240601);
  for (let round = 0; round < 500; round++) {
    const lines: Uint8Array[] = [];
    const want: string[] = [];
    const n = 1 + rnd(12);
    for (let i = 0; i < n; i++) {
      const k = rnd(7);
      if (k === 0) {
        lines.push(enc.encode(`{"id":${i}}`));
        want.push(`ok:${i}`);
      } else if (k === 1) {
        lines.push(enc.encode(`{"id":${i}}\r`));
        want.push(`ok:${i}`);
      } else if (k === 2) {
        lines.push(enc.encode(rnd(2) ? "" : " \t\r"));
      } else if (k === 3) {
        const b = enc.encode(`{"id":${i},"x":"é"}`);
        lines.push(new Uint8Array([...b.slice(0, 5), 0xff, ...b.slice(5)]));
        want.push("utf8");
      } else if (k === 4) {
        const len = max + 1 + rnd(100);
        lines.push(enc.encode("x".repeat(len)));
        want.push(`big:${len}`);
      } else if (k === 5) {
        const b = enc.encode(`{"id":${i},"p":"${"y".repeat(rnd(30))}"}`);
        lines.push(b);
        want.push(b.length > max ? `big:${b.length}` : `ok:${i}`);
      } else {
        lines.push(enc.encode(`\uFEFF{"id":${i}}`));
        want.push(`ok:${i}`);
      }
    }
    const data = join(lines);
    const sizes = Array.from({ length: 8 }, () => 1 + rnd(60));
    assert.deepEqual(await serve(chunked(data, sizes), max), want.sort(), `round ${round}`);
  }
});

Deno.test("stdio: a real U+FFFD in a line is served, next to a line of invalid UTF-8, however the reads split the input", async () => {
  const bad = enc.encode('{"id":2,"x":"é"}');
  const data = join([
    enc.encode('{"id":1,"x":"\uFFFD"}'), // the replacement character itself is valid UTF-8
    new Uint8Array([...bad.slice(0, 5), 0xc3, ...bad.slice(5)]), // a lone lead byte: invalid
    enc.encode('{"id":3,"x":"a\uFFFDb"}'),
    enc.encode('{"id":4}'),
  ]);
  for (const sizes of [[data.length], [1], [4], [9, 3], [30]]) {
    assert.deepEqual(
      await serve(chunked(data, sizes)),
      ["ok:1", "ok:3", "ok:4", "utf8"],
      `chunks of ${sizes}`,
    );
  }
});
