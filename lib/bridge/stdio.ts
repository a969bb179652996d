/**
 * stdio framing for `bridge` (CONTRACT §4.1): one envelope per LF-terminated line, CR stripped,
 * a leading BOM ignored, blank lines ignored, invalid UTF-8 → parse error, lines over 16 MiB
 * skipped and answered with `frame_too_large`. Requests run concurrently; output lines are written
 * whole and in one stream.
 */
import { LineSplitter } from "../executa/framing.ts";
import { errorResponse, frameTooLarge } from "./jsonrpc.ts";
import { RPC, RpcError } from "../core/rpc_error.ts";
import type { Logger } from "../util/log.ts";
import { withoutBom } from "../util/json.ts";

export const MAX_FRAME_BYTES = 16_777_216;

/** Answers one frame: synchronously when it can, else with a promise. */
export interface FrameHandler {
  (text: string): string | null | Promise<string | null>;
}

/** Serialises output lines; batches whatever queued up while the previous write was in flight. */
export class LineWriter {
  private queue: string[] = [];
  private writing: Promise<void> | null = null;
  private enc = new TextEncoder();
  private broken = false;
  /** Open (null) unless answers are being written; see `idle`. */
  private gate: Promise<void> | null = null;
  private openGate: (() => void) | null = null;
  private inWrite = false;
  /** writes finished so far, and that count at the last `watch` */
  private finished = 0;
  private seen = -1;

  constructor(
    private readonly out: WritableStreamDefaultWriter<Uint8Array> | {
      write(b: Uint8Array): Promise<unknown>;
    },
  ) {}

  send(line: string) {
    if (this.broken) return;
    this.queue.push(line);
    if (!this.writing) {
      this.gate = new Promise<void>((r) => (this.openGate = r));
      // start after the answers already queued as microtasks, so a pipelined chunk leaves whole
      this.writing = new Promise<void>((r) => queueMicrotask(r)).then(() => this.pump());
    }
  }

  private async pump() {
    while (this.queue.length) {
      const chunk = this.queue.join("\n") + "\n";
      this.queue = [];
      this.inWrite = true;
      try {
        await this.out.write(this.enc.encode(chunk));
      } catch {
        this.broken = true; // stdout closed: nobody is listening any more
        this.queue = [];
      }
      this.inWrite = false;
      this.finished++;
    }
    this.writing = null;
    this.open();
  }

  private open() {
    const o = this.openGate;
    this.gate = this.openGate = null;
    o?.();
  }

  async flush() {
    while (this.writing) await this.writing;
  }

  /**
   * What the reader waits for before its next read: the answers being written (null when there
   * are none). Reading on meanwhile splits a client's pipelined requests into more, smaller reads
   * and writes: measured, about 0.3 µs more CPU per call (scripts/bench_bridge.ts).
   */
  idle(): Promise<void> | null {
    return this.gate;
  }

  /**
   * Called every WATCH_MS: a write that has not finished for a whole period may be waiting on a
   * client that reads only after it has written everything, and so waits on our reading. Reads
   * then stop waiting until the writing is done, so that client is never deadlocked.
   */
  watch() {
    if (this.inWrite && this.finished === this.seen) this.open();
    this.seen = this.finished;
  }
}

/** How often a stalled write is looked for (see LineWriter.watch): one timer per bridge. */
export const WATCH_MS = 20;

/**
 * Serves frames from `input` until EOF (or `stop` aborts: a shutdown signal), then waits for
 * in-flight requests and flushes output.
 * Fast path: every complete line of a chunk is decoded with one TextDecoder call; the byte-exact
 * splitter (which skips oversized lines without buffering them) handles everything else, and
 * every block that holds invalid UTF-8.
 */
export async function serveLines(
  input: ReadableStream<Uint8Array>,
  writer: LineWriter,
  handle: FrameHandler,
  log: Logger,
  maxFrame = MAX_FRAME_BYTES,
  stop?: AbortSignal,
  /** called once reading has ended (EOF, or `stop`), before the wait for the answers */
  inputEnded?: () => void,
): Promise<void> {
  // ignoreBOM: a decode call would otherwise drop a BOM only when it starts the decoded block, so
  // the same line would parse or not depending on where a read chunk began; onText strips it
  const decoder = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });
  // A fatal decoder validates in a slow path (about 7× a plain decode of a pipelined chunk), so a
  // whole block is decoded leniently first: with no U+FFFD in the result every byte was valid.
  // Only a block holding U+FFFD, invalid bytes or a real one, is decoded again strictly.
  const lenient = new TextDecoder("utf-8", { ignoreBOM: true });
  let inflight = 0;
  let drained: (() => void) | null = null;
  const onText = (raw: string) => {
    // a leading byte order mark is ignored on every line (RFC 8259 §8.1 allows it)
    const text = withoutBom(raw.endsWith("\r") ? raw.slice(0, -1) : raw);
    if (text.length === 0 || (text.charCodeAt(0) <= 32 && text.trim() === "")) return;
    inflight++;
    let out: string | null | Promise<string | null>;
    try {
      out = handle(text);
    } catch (e) {
      // the handler is not supposed to throw; if it does, this line is lost but serving goes on
      return crashed(e);
    }
    if (out instanceof Promise) out.then(answered, crashed);
    else answered(out);
  };
  const settle = () => {
    if (--inflight === 0 && drained) drained();
  };
  const answered = (res: string | null) => {
    if (res !== null) writer.send(res);
    settle();
  };
  const crashed = (e: unknown) => {
    log.error("frame handler crashed", { error: String(e) });
    settle();
  };
  const onBytes = (bytes: Uint8Array) => {
    let text: string;
    try {
      text = decoder.decode(bytes);
    } catch {
      log.warn("parse error: invalid UTF-8");
      writer.send(JSON.stringify(errorResponse(
        null,
        new RpcError(RPC.PARSE_ERROR, "parse_error", {
          detail: "invalid UTF-8 in input line",
        }),
      )));
      return;
    }
    onText(text);
  };
  const splitter = new LineSplitter(maxFrame, {
    line: onBytes,
    oversize: (_head, total) => {
      log.warn("frame too large", { frame_bytes: total, max_frame_bytes: maxFrame });
      writer.send(JSON.stringify(frameTooLarge(total, maxFrame)));
    },
  });
  let splitterBusy = false; // the splitter holds a partial line: feed it until that line ends
  const reader = input.getReader();
  // ends a pending read as EOF would: no new requests, the ones read are still answered
  const onStop = () => reader.cancel().catch(() => {});
  if (stop?.aborted) onStop();
  else stop?.addEventListener("abort", onStop, { once: true });
  const watchdog = setInterval(() => writer.watch(), WATCH_MS);
  Deno.unrefTimer(watchdog);
  try {
    while (true) {
      const idle = writer.idle();
      if (idle) await idle;
      const { value, done } = await reader.read();
      if (done) break;
      if (!value || value.length === 0) continue;
      if (splitterBusy) {
        const nl = value.indexOf(10);
        if (nl < 0) {
          splitter.push(value);
          continue;
        }
        splitter.push(value.subarray(0, nl + 1));
        splitterBusy = false;
        fastChunk(value.subarray(nl + 1));
        continue;
      }
      fastChunk(value);
    }
  } catch (e) {
    log.warn("stdin read failed", { error: String(e) });
  } finally {
    clearInterval(watchdog);
    stop?.removeEventListener("abort", onStop);
  }
  if (stop?.aborted) {
    // a line the shutdown cut short was never a whole request: no parse error for it on stdout
    const cut = splitter.pending(0).bytes;
    if (cut > 0) log.warn("shutdown: dropped an unfinished input line", { bytes: cut });
  } else splitter.end();
  inputEnded?.();
  if (inflight > 0) await new Promise<void>((r) => (drained = r));
  await writer.flush();

  function fastChunk(chunk: Uint8Array) {
    const last = chunk.lastIndexOf(10);
    if (last < 0 || last >= maxFrame) {
      // no complete line, or one that may be oversized: let the splitter count bytes
      splitter.push(chunk);
      splitterBusy = chunk.length > 0 && chunk[chunk.length - 1] !== 10;
      return;
    }
    const block = chunk.subarray(0, last);
    let text: string | null = lenient.decode(block);
    if (text.indexOf("\uFFFD") >= 0) {
      try {
        text = decoder.decode(block);
      } catch {
        text = null; // a bad line inside: isolate it line by line
      }
    }
    if (text === null) splitter.push(chunk.subarray(0, last + 1));
    else {
      let from = 0;
      while (true) {
        const nl = text.indexOf("\n", from);
        if (nl < 0) {
          onText(text.slice(from));
          break;
        }
        onText(text.slice(from, nl));
        from = nl + 1;
      }
    }
    const rest = chunk.subarray(last + 1);
    if (rest.length) {
      splitter.push(rest);
      splitterBusy = true;
    }
  }
}
