/** The dev key file (CONTRACT §8.1): location, creation, permission checks, kid. */
import { dirname, join } from "node:path";
import { sha256Hex } from "../util/hash.ts";
import { randomHex } from "../util/ids.ts";
import type { Logger } from "../util/log.ts";

export interface DevKey {
  bytes: Uint8Array<ArrayBuffer>;
  /** first 16 hex chars of SHA-256 of the key bytes */
  kid: string;
  cryptoKey: CryptoKey;
  path: string;
}

/** A key file that cannot be used; commands print the message and exit 2. */
export class KeyFileError extends Error {
  constructor(message: string, readonly path: string) {
    super(message);
    this.name = "KeyFileError";
  }
}

const IS_WINDOWS = Deno.build.os === "windows";
const KEY_RE = /^[0-9a-fA-F]{64}\n?$/;

/** `ANNA_APP_DEV_KEY_FILE`, else `<home>/.anna-app/dev.key` (`--key-file` is the caller's job). */
export function defaultKeyPath(): string {
  const fromEnv = Deno.env.get("ANNA_APP_DEV_KEY_FILE");
  if (fromEnv) return fromEnv;
  const home = IS_WINDOWS
    ? Deno.env.get("USERPROFILE") || Deno.env.get("HOME")
    : Deno.env.get("HOME") || Deno.env.get("USERPROFILE");
  if (!home) {
    throw new KeyFileError(
      "cannot locate the dev key file: HOME is not set; use --key-file or ANNA_APP_DEV_KEY_FILE",
      "",
    );
  }
  return join(home, ".anna-app", "dev.key");
}

export function kidOf(bytes: Uint8Array): string {
  return sha256Hex(bytes, 16);
}

/** Loads the key at `path`, creating it (and its directory) when missing. */
export async function loadOrCreateKey(path: string, logger?: Logger): Promise<DevKey> {
  let text = await readKeyText(path);
  let created = false;
  if (text === undefined) [text, created] = await createKeyFile(path);
  if (!KEY_RE.test(text)) throw new KeyFileError(`dev key file ${path} is malformed`, path);
  const hex = text.slice(0, 64).toLowerCase();
  const bytes = new Uint8Array(32);
  for (let i = 0; i < 32; i++) bytes[i] = parseInt(hex.slice(i * 2, i * 2 + 2), 16);
  await checkMode(path, logger);
  // a new key silently replacing the one a user meant to share (another HOME in CI, a typo in the
  // path) shows up later only as unknown_key: name the file at the moment it appears
  if (created) logger?.info("created a new dev key file", { path, kid: kidOf(bytes) });
  const cryptoKey = await crypto.subtle.importKey(
    "raw",
    bytes,
    { name: "HMAC", hash: "SHA-256" },
    false,
    ["sign", "verify"],
  );
  return { bytes, kid: kidOf(bytes), cryptoKey, path };
}

/** File text, or `undefined` when the file does not exist. */
async function readKeyText(path: string): Promise<string | undefined> {
  try {
    // read as bytes: a key file is tiny, and a binary file must be "malformed", not a decode crash
    const data = await readAtMost(path, KEY_READ_LIMIT + 1);
    if (data.length > KEY_READ_LIMIT) return "";
    return new TextDecoder("utf-8", { fatal: false }).decode(data);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return undefined;
    if (e instanceof Deno.errors.IsADirectory) {
      throw new KeyFileError(`dev key file ${path} is malformed`, path);
    }
    throw new KeyFileError(`cannot read dev key file ${path}: ${(e as Error).message}`, path);
  }
}

const KEY_READ_LIMIT = 1024;

/** The first `max` bytes: `--key-file /dev/zero` or a large file by mistake is not read whole. */
async function readAtMost(path: string, max: number): Promise<Uint8Array> {
  using f = await Deno.open(path, { read: true });
  const buf = new Uint8Array(max);
  let n = 0;
  while (n < max) {
    const got = await f.read(buf.subarray(n));
    if (got === null) break;
    n += got;
  }
  return buf.subarray(0, n);
}

async function checkMode(path: string, logger?: Logger) {
  if (IS_WINDOWS) return;
  const st = await Deno.stat(path);
  const mode = (st.mode ?? 0) & 0o777;
  if (mode & 0o044) {
    const m = mode.toString(8).padStart(4, "0");
    throw new KeyFileError(
      `dev key file ${path} is readable by group/others (mode ${m}); run: chmod 600 ${path}`,
      path,
    );
  }
  if (mode & 0o033) {
    logger?.warn("dev key file has group/other permission bits set", {
      path,
      mode: mode.toString(8).padStart(4, "0"),
      fix: `chmod 600 ${path}`,
    });
  }
}

/**
 * Writes a fresh key to a private temp file and hard-links it into place: the link either appears
 * complete or fails with AlreadyExists, so a concurrent loser never reads a half-written file.
 */
/** The key file's text, and whether this call created it (false: a concurrent creator won). */
async function createKeyFile(path: string): Promise<[string, boolean]> {
  const text = randomHex(32) + "\n";
  const tmp = `${path}.${randomHex(6)}.tmp`;
  try {
    // inside the try: a directory that cannot be made (read-only HOME in CI) is a bad key file
    await ensureDir(dirname(path));
    await writeExclusive(tmp, text);
    try {
      await Deno.link(tmp, path);
      return [text, true];
    } catch (e) {
      if (e instanceof Deno.errors.AlreadyExists) return [await readAfterRace(path), false];
      // filesystems without hard links: fall back to an exclusive create in place
      try {
        await writeExclusive(path, text);
        return [text, true];
      } catch (e2) {
        if (e2 instanceof Deno.errors.AlreadyExists) return [await readAfterRace(path), false];
        throw e2;
      }
    }
  } catch (e) {
    if (e instanceof KeyFileError) throw e;
    throw new KeyFileError(
      `cannot create dev key file ${path}: ${(e as Error).message}; ` +
        `point --key-file or ANNA_APP_DEV_KEY_FILE at a writable path`,
      path,
    );
  } finally {
    await Deno.remove(tmp).catch(() => {});
  }
}

async function writeExclusive(path: string, text: string) {
  const f = await Deno.open(path, { createNew: true, write: true, mode: 0o600 });
  try {
    await f.write(new TextEncoder().encode(text));
  } finally {
    f.close();
  }
  // umask can only clear bits, but be explicit about the final mode
  if (!IS_WINDOWS) await Deno.chmod(path, 0o600);
}

async function readAfterRace(path: string): Promise<string> {
  const text = await readKeyText(path);
  if (text === undefined) {
    // "exists" yet "not found": a symlink to a missing file, which an exclusive create won't follow
    const target = await Deno.readLink(path).catch(() => undefined);
    if (target !== undefined) {
      throw new KeyFileError(
        `dev key file ${path} is a symlink to ${target}, which does not exist; ` +
          `put the key there, or remove the link to have a new key created`,
        path,
      );
    }
    throw new KeyFileError(`dev key file ${path} vanished while being created`, path);
  }
  return text;
}

async function ensureDir(dir: string) {
  try {
    await Deno.stat(dir);
    return; // existing directory: its mode is left alone
  } catch (e) {
    if (!(e instanceof Deno.errors.NotFound)) throw e;
  }
  await Deno.mkdir(dir, { recursive: true, mode: 0o700 });
  if (!IS_WINDOWS) await Deno.chmod(dir, 0o700);
}
