/**
 * Reading request bodies with a byte limit. An oversized body is counted to its end without being
 * buffered (like the stdio bridge skips an oversized line), so the error can name its size.
 */

export type BodyResult =
  | { ok: true; bytes: Uint8Array }
  | { ok: false; tooLarge: true; bytes: number }
  /** the client stopped sending before the body ended (a hang-up mid-request) */
  | { ok: false; tooLarge: false; error: string };

/**
 * `stopAtLimit`: give up at the first chunk over `max` instead of counting to the end (`bytes` is
 * then what was read so far), for endpoints whose error names no size: an endless body to the
 * unauthenticated CSP report route was otherwise read, and never answered, for as long as the
 * client kept sending.
 */
export async function readLimited(
  req: Request,
  max: number,
  opts: { stopAtLimit?: boolean } = {},
): Promise<BodyResult> {
  const declared = Number(req.headers.get("content-length") ?? NaN);
  if (Number.isFinite(declared) && declared > max) {
    await req.body?.cancel().catch(() => {});
    return { ok: false, tooLarge: true, bytes: declared };
  }
  if (!req.body) return { ok: true, bytes: new Uint8Array(0) };
  const chunks: Uint8Array[] = [];
  let total = 0;
  let over = false;
  const reader = req.body.getReader();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      total += value.byteLength;
      if (total > max) {
        over = true;
        chunks.length = 0; // stop buffering, keep counting
        if (opts.stopAtLimit) {
          await reader.cancel().catch(() => {});
          return { ok: false, tooLarge: true, bytes: total };
        }
      } else chunks.push(value);
    }
  } catch (e) {
    // the client's mistake, not a server fault: a 400 rather than a 500 with a stack in the log
    return { ok: false, tooLarge: false, error: String((e as Error)?.message ?? e).split("\n")[0] };
  } finally {
    reader.releaseLock();
  }
  if (over) return { ok: false, tooLarge: true, bytes: total };
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
