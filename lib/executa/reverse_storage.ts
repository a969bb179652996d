/**
 * Reverse `storage/*` for executas (CONTRACT §9.8): an in-memory store per (app slug or `_none`,
 * user id or 0, scope, and tool_id for scope `tool`), separate from the session's window bucket,
 * living as long as the pool.
 */
import { sha256Hex } from "../util/hash.ts";
import { isPlainObject, utf8Length } from "../util/json.ts";
import { checkStorageKey } from "./storage_keys.ts";
import {
  REVERSE_STORAGE_MAX_KEYS,
  REVERSE_STORAGE_MAX_TOTAL_BYTES,
  REVERSE_STORAGE_MAX_VALUE_BYTES,
  STORAGE_LIST_DEFAULT,
  STORAGE_LIST_MAX,
} from "./limits.ts";

/** A JSON-RPC error answered to the plugin. */
export class ReverseError extends Error {
  constructor(readonly code: number, message: string, readonly data?: Record<string, unknown>) {
    super(message);
  }
  toJSON() {
    return this.data === undefined
      ? { code: this.code, message: this.message }
      : { code: this.code, message: this.message, data: this.data };
  }
}

export const STORAGE_ERR = {
  NOT_FOUND: -32022,
  PRECONDITION: -32023,
  TOO_LARGE: -32025,
  INVALID_PATH: -32027,
  INVALID_REQUEST: -32028,
} as const;

export const STORAGE_SCOPES = ["user", "app", "tool"] as const;

interface Item {
  value: unknown;
  generation: number;
  etag: string;
  size_bytes: number;
  updated_at: number;
}

export interface StorageOwner {
  app_slug: string | null;
  user_id: number | null;
  tool_id: string;
}

const invalid = (message: string, data?: Record<string, unknown>) =>
  new ReverseError(STORAGE_ERR.INVALID_REQUEST, message, data);

export interface ReverseStorageLimits {
  /** Keys plus values, UTF-8 bytes, over all buckets. */
  maxTotalBytes: number;
  maxKeys: number;
}

export class ReverseStorage {
  private readonly buckets = new Map<string, Map<string, Item>>();
  private keys = 0;
  private bytes = 0;

  constructor(
    private readonly limits: ReverseStorageLimits = {
      maxTotalBytes: REVERSE_STORAGE_MAX_TOTAL_BYTES,
      maxKeys: REVERSE_STORAGE_MAX_KEYS,
    },
  ) {}

  /** What the store holds (tests, diagnostics). */
  stats(): { buckets: number; keys: number; bytes: number } {
    return { buckets: this.buckets.size, keys: this.keys, bytes: this.bytes };
  }

  /** Forgets every key of every bucket (smoke: each fixture file starts as a fresh `dev` run). */
  clear(): void {
    this.buckets.clear();
    this.keys = 0;
    this.bytes = 0;
  }

  /** Runs `storage/<op>`; throws `ReverseError`. */
  handle(op: string, params: unknown, owner: StorageOwner): unknown {
    const p = params === undefined || params === null ? {} : params;
    if (!isPlainObject(p)) throw invalid("params must be an object");
    const scope = p.scope ?? "app";
    if (typeof scope !== "string" || !(STORAGE_SCOPES as readonly string[]).includes(scope)) {
      throw invalid(`scope must be one of user, app, tool`, { scope });
    }
    const id = JSON.stringify([
      owner.app_slug ?? "_none",
      owner.user_id ?? 0,
      scope,
      scope === "tool" ? owner.tool_id : null,
    ]);
    // buckets exist only while they hold keys: reads from thousands of (app, user) pairs that
    // never write leave nothing behind
    const bucket = this.buckets.get(id) ?? new Map<string, Item>();
    switch (op) {
      case "get":
        return this.get(bucket, key(p));
      case "set": {
        const r = this.set(bucket, key(p), p);
        this.buckets.set(id, bucket);
        return r;
      }
      case "delete": {
        const r = this.delete(bucket, key(p), p.if_match);
        if (bucket.size === 0) this.buckets.delete(id);
        return r;
      }
      case "list":
        return this.list(bucket, p);
      default:
        throw new ReverseError(-32601, `method not available in this runtime: storage/${op}`);
    }
  }

  private get(bucket: Map<string, Item>, k: string) {
    const it = bucket.get(k);
    return it
      ? { value: it.value, exists: true, etag: it.etag }
      : { value: null, exists: false, etag: null };
  }

  private set(bucket: Map<string, Item>, k: string, p: Record<string, unknown>) {
    if (!("value" in p) || p.value === undefined) throw invalid("value is required", { key: k });
    const json = JSON.stringify(p.value);
    const size = utf8Length(json);
    if (size > REVERSE_STORAGE_MAX_VALUE_BYTES) {
      throw new ReverseError(
        STORAGE_ERR.TOO_LARGE,
        `value of ${size} bytes exceeds ${REVERSE_STORAGE_MAX_VALUE_BYTES} bytes`,
        { key: k, size, max: REVERSE_STORAGE_MAX_VALUE_BYTES },
      );
    }
    const cur = bucket.get(k);
    checkIfMatch(k, cur, p.if_match);
    const keyBytes = utf8Length(k);
    const bytes = this.bytes + size - (cur ? cur.size_bytes : -keyBytes);
    const keys = this.keys + (cur ? 0 : 1);
    // a write that grows the store past its ceiling is refused, never made room for by evicting:
    // silently losing another key would corrupt the plugin's state
    if ((keys > this.limits.maxKeys || bytes > this.limits.maxTotalBytes) && bytes >= this.bytes) {
      throw new ReverseError(
        STORAGE_ERR.TOO_LARGE,
        `reverse storage is full (${this.keys} keys, ${this.bytes} bytes held by all executas; ` +
          `at most ${this.limits.maxKeys} keys and ${this.limits.maxTotalBytes} bytes): ` +
          "delete keys with storage/delete, or restart the runtime",
        {
          key: k,
          reason: "store_full",
          keys: this.keys,
          bytes: this.bytes,
          max_keys: this.limits.maxKeys,
          max_bytes: this.limits.maxTotalBytes,
        },
      );
    }
    this.keys = keys;
    this.bytes = bytes;
    const generation = (cur?.generation ?? 0) + 1;
    const etag = sha256Hex(json, 16, `W/"${generation}-`, '"');
    // store a copy so the plugin's later mutations of its own object cannot leak in
    bucket.set(k, {
      value: JSON.parse(json),
      generation,
      etag,
      size_bytes: size,
      updated_at: Date.now(),
    });
    return { etag, generation, size_bytes: size };
  }

  private delete(bucket: Map<string, Item>, k: string, ifMatch: unknown) {
    const cur = bucket.get(k);
    if (!cur) throw new ReverseError(STORAGE_ERR.NOT_FOUND, `key not found: ${k}`, { key: k });
    checkIfMatch(k, cur, ifMatch);
    bucket.delete(k);
    this.keys--;
    this.bytes -= cur.size_bytes + utf8Length(k);
    return { deleted: true };
  }

  private list(bucket: Map<string, Item>, p: Record<string, unknown>) {
    const prefix = p.prefix ?? "";
    const cursor = p.cursor ?? null;
    const limit = p.limit ?? STORAGE_LIST_DEFAULT;
    if (typeof prefix !== "string") throw invalid("prefix must be a string");
    if (cursor !== null && typeof cursor !== "string") throw invalid("cursor must be a string");
    if (!Number.isInteger(limit) || (limit as number) < 1 || (limit as number) > STORAGE_LIST_MAX) {
      throw invalid(`limit must be an integer 1..${STORAGE_LIST_MAX}`, { limit });
    }
    const keys = [...bucket.keys()]
      .filter((k) => k.startsWith(prefix) && (cursor === null || k > cursor))
      .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    const page = keys.slice(0, limit as number);
    const items = page.map((k) => {
      const it = bucket.get(k)!;
      return { key: k, etag: it.etag, size_bytes: it.size_bytes, updated_at: it.updated_at };
    });
    return { items, next_cursor: keys.length > page.length ? page[page.length - 1] : null };
  }
}

function key(p: Record<string, unknown>): string {
  const reason = checkStorageKey(p.key);
  if (reason !== null) {
    throw new ReverseError(STORAGE_ERR.INVALID_PATH, `invalid storage key: ${reason}`, {
      reason,
      key: p.key ?? null,
    });
  }
  return p.key as string;
}

function checkIfMatch(k: string, cur: Item | undefined, ifMatch: unknown) {
  if (ifMatch === undefined || ifMatch === null) return;
  if (cur?.etag === ifMatch) return;
  throw new ReverseError(
    STORAGE_ERR.PRECONDITION,
    `if_match does not match the current etag of ${k}`,
    { key: k, if_match: ifMatch, etag: cur?.etag ?? null },
  );
}
