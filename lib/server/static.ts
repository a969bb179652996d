/**
 * Static bundle serving (CONTRACT §11.7). The request path is percent-decoded exactly once, checked
 * segment by segment, and the real path must stay inside the root's real path, so neither encoded
 * dot-segments nor symlinks can reach a file outside the bundle.
 */
import { extname, join, sep as SEPARATOR } from "node:path";

const TYPES: Record<string, string> = {
  html: "text/html",
  js: "text/javascript",
  mjs: "text/javascript",
  cjs: "text/javascript",
  css: "text/css",
  json: "application/json",
  map: "application/json",
  svg: "image/svg+xml",
  png: "image/png",
  jpg: "image/jpeg",
  jpeg: "image/jpeg",
  gif: "image/gif",
  webp: "image/webp",
  avif: "image/avif",
  ico: "image/x-icon",
  woff: "font/woff",
  woff2: "font/woff2",
  ttf: "font/ttf",
  otf: "font/otf",
  wasm: "application/wasm",
  txt: "text/plain",
  md: "text/plain",
  mp3: "audio/mpeg",
  wav: "audio/wav",
  mp4: "video/mp4",
  webm: "video/webm",
};

/** Content type for a file name; text types carry `; charset=utf-8`. */
export function contentTypeFor(name: string): string {
  const t = TYPES[extname(name).slice(1).toLowerCase()] ?? "application/octet-stream";
  return t.startsWith("text/") || t === "application/json" ? `${t}; charset=utf-8` : t;
}

/**
 * Decodes and checks the raw (still percent-encoded) path below the bundle prefix. Returns the
 * relative segments (the last one `index.html` for a directory path), or null → 404.
 */
export function safeSegments(rawRel: string): string[] | null {
  let decoded: string;
  try {
    decoded = decodeURIComponent(rawRel);
  } catch {
    return null;
  }
  if (decoded.includes("\0") || decoded.includes("\\")) return null;
  const parts = decoded.split("/");
  const out: string[] = [];
  for (const seg of parts) {
    // `a//b` is `a/b` (§11.7 does not refuse empty segments); a trailing one means index.html
    if (seg === "") continue;
    if (seg.startsWith(".")) return null; // `.`, `..` and dot-files
    out.push(seg);
  }
  if (parts[parts.length - 1] === "") out.push("index.html");
  return out;
}

/**
 * The path under `dir` whose names equal `segments` up to Unicode normalisation, or null (none,
 * or more than one).
 */
async function normalisedPath(dir: string, segments: string[]): Promise<string | null> {
  for (const seg of segments) {
    const want = seg.normalize("NFC");
    let hit: string | null = null;
    try {
      await Deno.lstat(join(dir, seg));
      hit = seg;
    } catch {
      try {
        for await (const e of Deno.readDir(dir)) {
          if (e.name.normalize("NFC") !== want) continue;
          if (hit !== null) return null; // ambiguous: both spellings exist
          hit = e.name;
        }
      } catch {
        return null;
      }
    }
    if (hit === null) return null;
    dir = join(dir, hit);
  }
  return dir;
}

/** Resolves segments under root to a regular file inside root's real path, or null. */
export async function resolveFile(root: string, segments: string[]): Promise<string | null> {
  try {
    const realRoot = await Deno.realPath(root);
    return await fileInside(realRoot, join(realRoot, ...segments));
  } catch {
    return null;
  }
}

/** `path`'s real path when it is a regular file inside `realRoot` and no dot-file; else null. */
async function fileInside(realRoot: string, path: string): Promise<string | null> {
  let real: string;
  try {
    real = await Deno.realPath(path);
  } catch {
    return null;
  }
  const prefix = realRoot.endsWith(SEPARATOR) ? realRoot : realRoot + SEPARATOR;
  if (!real.startsWith(prefix)) return null;
  // dot-files stay private under any other name too: a symlink, or a Windows 8.3 name (ENV~1)
  if (real.slice(prefix.length).split(/[\\/]/).some((seg) => seg.startsWith("."))) return null;
  try {
    const st = await Deno.stat(real);
    return st.isFile ? real : null;
  } catch {
    return null;
  }
}

/**
 * For a request that found no file: the bundle-relative path of a file whose name differs only
 * in Unicode normal form (NFC vs NFD), or null. A bundle unpacked from a macOS archive keeps NFD
 * names while its HTML asks for NFC. macOS finds the file either way; Linux and a host serving
 * names exactly do not. So the file stays a 404 (the app would break there too), with the reason.
 */
export async function otherNormalForm(root: string, segments: string[]): Promise<string | null> {
  // ASCII is the same in every normal form: a plain miss (favicon.ico) costs no directory scan
  if (!segments.some((seg) => /[\u0080-\uffff]/.test(seg))) return null;
  try {
    const realRoot = await Deno.realPath(root);
    const alt = await normalisedPath(realRoot, segments);
    if (alt === null || (await fileInside(realRoot, alt)) === null) return null;
    return alt.slice(realRoot.length).replace(/^[\\/]+/, "");
  } catch {
    return null;
  }
}

const BASE_HEADERS = { "X-Content-Type-Options": "nosniff", "Cache-Control": "no-store" };

function plain(status: number, text: string, extra: Record<string, string> = {}): Response {
  return new Response(text, {
    status,
    headers: { ...BASE_HEADERS, "Content-Type": "text/plain; charset=utf-8", ...extra },
  });
}

/**
 * One `Range: bytes=…` of a file of `size` bytes → `[first, last]` (inclusive), "unsatisfiable",
 * or null to serve the whole file (no header, another unit, a malformed or multi-range header, as
 * RFC 9110 §14.2 lets a server ignore).
 */
export function byteRange(
  header: string | null | undefined,
  size: number,
): [number, number] | "unsatisfiable" | null {
  const m = /^\s*bytes\s*=\s*(\d*)\s*-\s*(\d*)\s*$/i.exec(header ?? "");
  if (!m || (m[1] === "" && m[2] === "")) return null;
  if (m[1] === "") {
    // suffix form: the last N bytes
    const n = Number(m[2]);
    if (n === 0 || size === 0) return "unsatisfiable";
    return [Math.max(0, size - n), size - 1];
  }
  const first = Number(m[1]);
  const last = m[2] === "" ? size - 1 : Math.min(Number(m[2]), size - 1);
  if (m[2] !== "" && Number(m[2]) < first) return null; // invalid: ignored, whole file
  if (first >= size) return "unsatisfiable";
  return [first, last];
}

/** The bytes `first..last` of an open file, as a stream that closes the file when done or cancelled. */
function slice(f: Deno.FsFile, first: number, last: number): ReadableStream<Uint8Array> {
  let left = last - first + 1;
  let seeked = false;
  return new ReadableStream({
    async pull(ctl) {
      try {
        if (!seeked) {
          await f.seek(first, Deno.SeekMode.Start);
          seeked = true;
        }
        const buf = new Uint8Array(Math.min(left, 65536));
        const n = await f.read(buf);
        if (n === null || n === 0) {
          f.close();
          ctl.close();
          return;
        }
        left -= n;
        ctl.enqueue(buf.subarray(0, n));
        if (left <= 0) {
          f.close();
          ctl.close();
        }
      } catch (e) {
        try {
          f.close();
        } catch { /* already closed */ }
        ctl.error(e);
      }
    },
    cancel() {
      try {
        f.close();
      } catch { /* already closed */ }
    },
  });
}

export interface BundleRequest {
  /** The `Range` header. */
  range?: string | null;
  /** A page load (Sec-Fetch-Dest iframe/document): its 404 explains the missing SPA fallback. */
  navigation?: boolean;
}

const otherFormText = (alt: string) =>
  `not found: the bundle has this file as '${alt}', the same name in another Unicode normal ` +
  "form (NFD, as macOS archives write names). Names are matched exactly, as a host serving the " +
  "bundle from storage matches them: rename the file, or its reference, to one form (NFC)\n";

/** The 404 text a page load gets: a client-side route reloaded by path finds no file. */
const NO_SPA_FALLBACK = "not found: no such file in the bundle. Bundles are served file by " +
  "file, without an SPA fallback (CONTRACT §11.7), so a client-side route reloaded by its path " +
  "404s; route with the URL hash (#/settings) instead\n";

/**
 * Serves one bundle file. `rawRel` is the undecoded path after `/anna-apps/:slug/dev/`;
 * `headers` (e.g. the CSP) are added to every response, errors included. A single byte `range`
 * is answered 206: without it Chromium cannot seek `<audio>`/`<video>` (and Safari will not
 * play video at all).
 */
export async function serveBundleFile(
  root: string,
  rawRel: string,
  method: string,
  headers: Record<string, string> = {},
  req: BundleRequest = {},
): Promise<Response> {
  if (method !== "GET" && method !== "HEAD") {
    return plain(405, "method not allowed", { ...headers, Allow: "GET, HEAD" });
  }
  const segments = safeSegments(rawRel);
  const file = segments ? await resolveFile(root, segments) : null;
  if (file === null) {
    const alt = segments ? await otherNormalForm(root, segments) : null;
    if (alt !== null) return plain(404, otherFormText(alt), headers);
    return plain(404, req.navigation ? NO_SPA_FALLBACK : "not found", headers);
  }
  let f: Deno.FsFile;
  try {
    f = await Deno.open(file, { read: true });
  } catch {
    return plain(404, "not found", headers);
  }
  const size = (await f.stat()).size;
  const h: Record<string, string> = {
    ...BASE_HEADERS,
    ...headers,
    "Content-Type": contentTypeFor(file),
    "Content-Length": String(size),
    "Accept-Ranges": "bytes",
  };
  const r = method === "GET" ? byteRange(req.range, size) : null;
  if (r === "unsatisfiable") {
    f.close();
    return plain(416, "range not satisfiable", { ...headers, "Content-Range": `bytes */${size}` });
  }
  if (method === "HEAD") {
    f.close();
    return new Response(null, { status: 200, headers: h });
  }
  if (r === null) return new Response(f.readable, { status: 200, headers: h });
  const [first, last] = r;
  h["Content-Length"] = String(last - first + 1);
  h["Content-Range"] = `bytes ${first}-${last}/${size}`;
  if (last < size - 1) return new Response(slice(f, first, last), { status: 206, headers: h });
  // to the end (what <video> asks): the file's own stream after a seek, which Deno.serve sends
  // from the file itself, as it does a whole file (slice's reads in JS ran at half that speed)
  try {
    await f.seek(first, Deno.SeekMode.Start);
  } catch (e) {
    f.close();
    throw e;
  }
  return new Response(f.readable, { status: 206, headers: h });
}

/** The raw (undecoded) path of a request URL string, without query or fragment. Never throws. */
export function rawPathOf(url: string): string {
  const start = url.indexOf("/", url.indexOf(":") + 3);
  if (start < 0) return "/";
  let end = url.length;
  for (let i = start; i < url.length; i++) {
    const ch = url.charCodeAt(i);
    if (ch === 63 || ch === 35) {
      end = i;
      break;
    }
  }
  return url.slice(start, end);
}

/** Raw remainder after the first `n` path segments (`/a/b/c/rest` with n=3 → `rest`), or null. */
export function rawAfterSegments(rawPath: string, n: number): string | null {
  let idx = 0;
  for (let i = 0; i < n; i++) {
    idx = rawPath.indexOf("/", idx + 1);
    if (idx < 0) return null;
  }
  return rawPath.slice(idx + 1);
}
