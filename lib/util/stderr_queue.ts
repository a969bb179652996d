/**
 * Best-effort stderr for the CLI (CONTRACT §2.1, §4.5): logs must never stop request handling. A
 * synchronous write to a pipe nobody reads blocks the whole event loop once the pipe is full
 * (~64 KiB), so `bridge` would stop answering on stdout. main.ts switches stderr to a queue: one
 * async write in flight, at most MAX_PENDING_BYTES waiting; past that whole lines are dropped and
 * counted, and one line says how many once there is room again (or at the flush before exit).
 * Without the switch (library use, in-process tests) stderr is written synchronously as before.
 */
import { clockTime } from "./text.ts";

export interface ByteWriter {
  write(b: Uint8Array): Promise<number>;
}

export const MAX_PENDING_BYTES = 1 << 20;

const enc = new TextEncoder();

/** Ordered, bounded line queue over an async writer; lines are whole or absent, never cut. */
export class LineQueue {
  private pending: Uint8Array[] = [];
  /** bytes queued or being written */
  private bytes = 0;
  private dropped = 0;
  private pumping: Promise<void> | null = null;
  private broken = false;

  constructor(
    private readonly out: ByteWriter,
    private readonly note: (dropped: number) => string,
    private readonly max = MAX_PENDING_BYTES,
  ) {}

  push(line: string) {
    if (this.broken) return;
    const b = enc.encode(line.endsWith("\n") ? line : line + "\n");
    if (this.dropped) {
      // the note goes where the gap is, so the reader sees which lines are missing
      const n = enc.encode(this.note(this.dropped) + "\n");
      if (!this.fits(n.length + b.length)) {
        this.dropped++;
        return;
      }
      this.dropped = 0;
      this.add(n);
    } else if (!this.fits(b.length)) {
      this.dropped++;
      return;
    }
    this.add(b);
  }

  /** An empty queue takes any line: a long fatal error is never dropped for its size alone. */
  private fits(len: number): boolean {
    return this.bytes === 0 || this.bytes + len <= this.max;
  }

  private add(b: Uint8Array) {
    this.pending.push(b);
    this.bytes += b.length;
    this.pumping ??= this.pump();
  }

  private async pump() {
    while (this.pending.length) {
      let chunk = concat(this.pending);
      this.pending = [];
      try {
        while (chunk.length) {
          const n = await this.out.write(chunk);
          this.bytes -= n;
          chunk = chunk.subarray(n);
        }
      } catch {
        // stderr closed: logging must never take the runtime down
        this.broken = true;
        this.pending = [];
        this.bytes = 0;
      }
    }
    this.pumping = null;
  }

  /** Lines dropped and not yet reported. */
  get droppedCount(): number {
    return this.dropped;
  }

  /**
   * Waits until everything queued is written, at most `ms` (a reader that never reads must not
   * hold the exit). Reports lines dropped since the last note first. True when all was written.
   */
  async flush(ms: number): Promise<boolean> {
    if (this.dropped && !this.broken) {
      const n = this.dropped;
      this.dropped = 0;
      this.add(enc.encode(this.note(n) + "\n"));
    }
    if (!this.pumping) return true;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const late = new Promise<false>((r) => (timer = setTimeout(() => r(false), ms)));
    const done = (async () => {
      while (this.pumping) await this.pumping;
      return true as const;
    })();
    try {
      return await Promise.race([done, late]);
    } finally {
      clearTimeout(timer);
    }
  }
}

function concat(parts: Uint8Array[]): Uint8Array {
  if (parts.length === 1) return parts[0];
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

let queue: LineQueue | null = null;
let noteJson = false;

function dropNote(n: number): string {
  const msg = `${n} log line${n === 1 ? "" : "s"} dropped: stderr was not being read`;
  const now = new Date();
  if (noteJson) {
    return JSON.stringify({ ts: now.getTime(), level: "warn", component: "log", msg, dropped: n });
  }
  return `${clockTime(now)} WARN log: ${msg}`;
}

/** Called once by main.ts: from here on stderr lines go through the queue. */
export function useStderrQueue() {
  queue ??= new LineQueue({ write: (b) => Deno.stderr.write(b) }, dropNote);
}

/** The note about dropped lines is a JSON line when logs are (`--log-format json`). */
export function setDropNoteJson(on: boolean) {
  noteJson = on;
}

/** One message to stderr (a trailing newline is added when missing); never throws. */
export function stderrLine(text: string) {
  if (queue) return queue.push(text);
  try {
    let b = enc.encode(text.endsWith("\n") ? text : text + "\n");
    // writeSync may take only part of a long message
    while (b.length) b = b.subarray(Deno.stderr.writeSync(b));
  } catch {
    // stderr closed: logging must never take the runtime down
  }
}

/** Before an exit: lets queued lines out, waiting at most `ms`. */
export async function flushStderr(ms = STDERR_FLUSH_MS): Promise<void> {
  await queue?.flush(ms);
}

/** Long enough for any reader that reads; short enough that a stuck one delays exit little. */
export const STDERR_FLUSH_MS = 2000;
