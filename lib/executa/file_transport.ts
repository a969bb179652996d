/**
 * File transport (CONTRACT §9.12): `{"jsonrpc":"2.0","id":n,"__file_transport":"<path>"}` means the
 * full response envelope for id `n` is in that file.
 */
import { isAbsolute, relative } from "node:path";
import { tmpdir } from "node:os";
import { isPlainObject } from "../util/json.ts";
import { MAX_FILE_TRANSPORT_BYTES } from "./limits.ts";

export type FileTransportResult =
  | { kind: "response"; msg: Record<string, unknown> }
  | { kind: "frame_too_large"; frame_bytes: number; max_frame_bytes: number; path: string }
  | { kind: "file_error"; path: string; why: string };

let tmpReal: string | null | undefined;
async function tempDir(): Promise<string | null> {
  if (tmpReal === undefined) {
    try {
      tmpReal = await Deno.realPath(tmpdir());
    } catch {
      tmpReal = null;
    }
  }
  return tmpReal;
}

/** True when `real` (a resolved path) lies strictly inside the OS temporary directory. */
async function insideTemp(real: string): Promise<boolean> {
  const tmp = await tempDir();
  if (!tmp) return false;
  const rel = relative(tmp, real);
  return rel !== "" && !rel.startsWith("..") && !isAbsolute(rel);
}

export async function readFileTransport(path: unknown): Promise<FileTransportResult> {
  const p = typeof path === "string" ? path : String(path);
  const bad = (why: string): FileTransportResult => ({ kind: "file_error", path: p, why });
  if (typeof path !== "string" || !isAbsolute(path)) return bad("path must be absolute");
  let real: string;
  let info: Deno.FileInfo;
  try {
    real = await Deno.realPath(path);
    info = await Deno.stat(real);
  } catch (e) {
    return bad(`cannot stat file: ${(e as Error).message}`);
  }
  if (!info.isFile) return bad("not a regular file");
  if (info.size > MAX_FILE_TRANSPORT_BYTES) {
    return {
      kind: "frame_too_large",
      frame_bytes: info.size,
      max_frame_bytes: MAX_FILE_TRANSPORT_BYTES,
      path: p,
    };
  }
  let text: string;
  try {
    text = await Deno.readTextFile(real);
  } catch (e) {
    return bad(`cannot read file: ${(e as Error).message}`);
  }
  // only files we can be sure are scratch files get removed; anything else is the plugin's
  if (await insideTemp(real)) await Deno.remove(real).catch(() => {});
  let msg: unknown;
  try {
    msg = JSON.parse(text);
  } catch {
    return bad("file is not valid JSON");
  }
  if (!isPlainObject(msg) || !("result" in msg || "error" in msg)) {
    return bad("file does not hold a JSON-RPC response");
  }
  return { kind: "response", msg };
}
