/**
 * stdio framing for `bridge` (CONTRACT §4.1): one envelope per LF-terminated line, CR stripped,
 * blank lines ignored, invalid UTF-8 → parse error, lines over 16 MiB skipped and answered with
 * `frame_too_large`. Requests run concurrently; output lines are written whole and in one stream.
 */
import { LineSplitter } from "../executa/framing.ts";
import { errorResponse, frameTooLarge } from "./jsonrpc.ts";
import { RPC, RpcError } from "../core/rpc_error.ts";
import type { Logger } from "../util/log.ts";

export const MAX_FRAME_BYTES = 16_777_216;

export interface FrameHandler {
  (text: string): Promise<string | null>;
}

/** Serialises output lines; batches whatever queued up while the previous write was in flight. */
export class LineWriter {
  private queue: string[] = [];
  private writing: Promise<void> | null = null;
  private enc = new TextEncoder();
  private broken = false;

  constructor(private readonly out: WritableStreamDefaultWriter<Uint8Array> | { write(b: Uint8Array): Promise<unknown> }) {}

  send(line: string) {
    if (this.broken) return;
    this.queue.push(line);
    if (!this.writing) this.writing = this.pump();
  }

  private async pump() {
    while (this.queue.length) {
      const chunk = this.queue.join("\n") + "\n";
      this.queue = [];
      try {
        await this.out.write(this.enc.encode(chunk));
      } catch {
        this.broken = true; // stdout closed: nobody is listening any more
        this.queue = [];
      }
    }
    this.writing = null;
  }

  async flush() {
    while (this.writing) await this.writing;
  }
}

/**
 * Serves frames from `input` until EOF, then waits for in-flight requests and flushes output.
 */
export async function serveLines(
  input: ReadableStream<Uint8Array>,
  writer: LineWriter,
  handle: FrameHandler,
  log: Logger,
  maxFrame = MAX_FRAME_BYTES,
): Promise<void> {
  const decoder = new TextDecoder("utf-8", { fatal: true });
  const inflight = new Set<Promise<void>>();
  const dispatch = (bytes: Uint8Array) => {
    let text: string;
    try {
      text = decoder.decode(bytes);
    } catch {
      log.warn("parse error: invalid UTF-8");
      writer.send(JSON.stringify(errorResponse(null, new RpcError(RPC.PARSE_ERROR, "parse_error", {
        detail: "invalid UTF-8 in input line",
      }))));
      return;
    }
    if (text.endsWith("\r")) text = text.slice(0, -1);
    if (text.trim() === "") return;
    const p = handle(text).then(
      (res) => {
        if (res !== null) writer.send(res);
      },
      (e) => log.error("frame handler crashed", { error: String(e) }),
    ).finally(() => inflight.delete(p));
    inflight.add(p);
  };
  const splitter = new LineSplitter(maxFrame, {
    line: dispatch,
    oversize: (_head, total) => {
      log.warn("frame too large", { frame_bytes: total, max_frame_bytes: maxFrame });
      writer.send(JSON.stringify(frameTooLarge(total, maxFrame)));
    },
  });
  const reader = input.getReader();
  try {
    while (true) {
      const { value, done } = await reader.read();
      if (done) break;
      if (value) splitter.push(value);
    }
  } catch (e) {
    log.warn("stdin read failed", { error: String(e) });
  }
  splitter.end();
  while (inflight.size) await Promise.all([...inflight]);
  await writer.flush();
}
