/**
 * Reading request bodies with a byte limit. A body over the limit is not read further: the first
 * chunk past it cancels the stream and the caller answers at once, so an endless or huge chunked
 * body costs at most one chunk past the cap (an earlier version counted such a body to its end to
 * name its size, and an endless one was never answered).
 */

export type BodyResult =
  | { ok: true; bytes: Uint8Array }
  /**
   * `bytes`: the declared Content-Length when there is one (`declared`), else what had arrived
   * when reading stopped — the body is at least that large.
   */
  | { ok: false; tooLarge: true; bytes: number; declared: boolean }
  /** the client stopped sending before the body ended (a hang-up mid-request) */
  | { ok: false; tooLarge: false; error: string };

export async function readLimited(
  req: Request,
  max: number,
): Promise<BodyResult> {
  const declared = Number(req.headers.get("content-length") ?? NaN);
  if (Number.isFinite(declared) && declared > max) {
    await req.body?.cancel().catch(() => {});
    return { ok: false, tooLarge: true, bytes: declared, declared: true };
  }
  if (!req.body) return { ok: true, bytes: new Uint8Array(0) };
  const chunks: Uint8Array[] = [];
  let total = 0;
  const reader = req.body.getReader();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      total += value.byteLength;
      if (total > max) {
        await reader.cancel().catch(() => {});
        return { ok: false, tooLarge: true, bytes: total, declared: false };
      }
      chunks.push(value);
    }
  } catch (e) {
    // the client's mistake, not a server fault: a 400 rather than a 500 with a stack in the log
    return { ok: false, tooLarge: false, error: String((e as Error)?.message ?? e).split("\n")[0] };
  } finally {
    reader.releaseLock();
  }
  const out = new Uint8Array(total);
  let off = 0;
  for (const c of chunks) {
    out.set(c, off);
    off += c.byteLength;
  }
  return { ok: true, bytes: out };
}

const decoder = new TextDecoder("utf-8", { fatal: true });

/** Strict UTF-8 decode; null on invalid input. */
export function decodeUtf8(bytes: Uint8Array): string | null {
  try {
    return decoder.decode(bytes);
  } catch {
    return null;
  }
}

/** The message of a 400 for a body that ended early. */
export const bodyCutShort = (error: string) => `the request body ended early (${error})`;
