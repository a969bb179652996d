/**
 * `storage.*` (CONTRACT §5.5): the session's `runtime_state` bucket with the key rules, the
 * 256 KiB cap measured on the whole object, and `runtime_state_synced` events.
 */
import { z } from "zod";
import { DispatchError } from "../core/outcome.ts";
import { checkStorageKey } from "../executa/storage_keys.ts";
import { sha256Hex } from "../util/hash.ts";
import { byteSize, toJson, utf8Length } from "../util/json.ts";
import type { NamespaceHandlers } from "./context.ts";
import { type FastGuard, parseArgs, withFastGuard } from "./validate.ts";

export const MAX_STATE_BYTES = 262_144;

const Common = {
  scope: z.unknown().optional(),
  owner: z.unknown().optional(),
  if_match: z.unknown().optional(),
  metadata: z.unknown().optional(),
  tags: z.unknown().optional(),
  ttl_seconds: z.unknown().optional(),
};
// `key` is checked by the key rules (→ invalid_path); only its absence is an invalid_arg here.
const Key = z.unknown().refine(
  (v) => v !== undefined,
  'key is required (a string, e.g. "notes/today")',
);
// every member but `key` accepts anything, so an object with a defined key passes as it is
const keyDefined: FastGuard = (a) => a.key !== undefined;
const KeyArgs = withFastGuard(z.object({ key: Key, ...Common }), keyDefined);
// `value` is optional in the schema so the handler can answer its own clear message (null is allowed)
const SetArgs = withFastGuard(
  z.object({ key: Key, value: z.unknown().optional(), ...Common }),
  keyDefined,
);
// null reads as absent: a paging loop passes the previous page's `next_cursor: null` straight back
const ListArgs = z.object({
  prefix: z.string().nullish(),
  cursor: z.string().nullish(),
  limit: z.number().int().min(1).max(1000).nullish(),
  ...Common,
});

/** A caller's value in a message: strings as they are, anything else as JSON (never throws). */
const shown = (v: unknown) => (typeof v === "string" ? v : JSON.stringify(v));

function checkCommon(a: { scope?: unknown; owner?: unknown }) {
  // only an absent scope or "app" passes (§5.5); unlike `owner`, null is not "absent" here
  if (a.scope !== undefined && a.scope !== "app") {
    throw new DispatchError(
      "not_implemented",
      `storage scope '${shown(a.scope)}' is not available in this runtime`,
      { scope: a.scope },
    );
  }
  if (a.owner !== undefined && a.owner !== null) {
    throw new DispatchError("not_implemented", "storage owner is not available in this runtime", {
      owner: a.owner,
    });
  }
}

function checkKey(key: unknown): string {
  const reason = checkStorageKey(key);
  if (reason) {
    throw new DispatchError("invalid_path", `invalid storage key: ${reason}`, { reason });
  }
  return key as string;
}

/** The etag of a value from its JSON text (§5.5). */
export const etagOfJson = (json: string) => sha256Hex(json, 16, 'W/"1-', '"');

export const storageHandlers: NamespaceHandlers = {
  get(ctx, args) {
    const a = parseArgs(KeyArgs, args);
    checkCommon(a);
    const key = checkKey(a.key);
    const st = ctx.session.state;
    // a stored value is JSON, never undefined: one lookup answers a hit
    const value = st.get(key);
    if (value === undefined && !st.has(key)) return { value: null, exists: false, etag: null };
    return { value, exists: true, etag: st.etag(key, etagOfJson) };
  },
  set(ctx, args) {
    const a = parseArgs(SetArgs, args);
    checkCommon(a);
    const key = checkKey(a.key);
    if (!Object.hasOwn(args as object, "value") || a.value === undefined) {
      throw new DispatchError("invalid_arg", "invalid argument 'value': value is required", {
        issues: [{ path: "value", message: "value is required (any JSON value; null is allowed)" }],
      });
    }
    const s = ctx.session;
    const st = s.state;
    // incremental size of the bucket's JSON, exact because JSON.stringify output is deterministic
    // per member: `"key":value`, plus a comma for a new key in a non-empty bucket
    // the text is kept for the etag of the next read
    const json = toJson(a.value);
    const valueBytes = json === undefined ? 0 : utf8Length(json);
    let size = st.bytes + valueBytes;
    if (st.has(key)) size -= st.valueBytes(key);
    else size += byteSize(key) + 1 + (st.size > 0 ? 1 : 0);
    if (size > MAX_STATE_BYTES) {
      throw new DispatchError(
        "state_too_large",
        `storage bucket would be ${size} bytes (max ${MAX_STATE_BYTES})`,
        { size, max: MAX_STATE_BYTES },
      );
    }
    st.set(key, a.value, size, json, valueBytes);
    s.stateChanged(ctx.window.window_uuid, ctx.window.window_uuid);
    return { ok: true };
  },
  delete(ctx, args) {
    const a = parseArgs(KeyArgs, args);
    checkCommon(a);
    const key = checkKey(a.key);
    const s = ctx.session;
    const st = s.state;
    if (!st.has(key)) return { ok: true, deleted: false };
    let size = st.bytes - (byteSize(key) + 1 + st.valueBytes(key));
    if (st.size > 1) size -= 1; // the comma
    st.delete(key, size);
    s.stateChanged(ctx.window.window_uuid, ctx.window.window_uuid);
    return { ok: true, deleted: true };
  },
  list(ctx, args) {
    const a = parseArgs(ListArgs, args);
    checkCommon(a);
    const limit = a.limit ?? 100;
    const prefix = a.prefix ?? "";
    const st = ctx.session.state;
    const keys = [...st.keys()]
      .filter((k) => k.startsWith(prefix) && (a.cursor == null || k > a.cursor))
      .sort((x, y) => (x < y ? -1 : x > y ? 1 : 0));
    const page = keys.slice(0, limit);
    return {
      items: page.map((key) => ({
        key,
        etag: st.etag(key, etagOfJson),
        size_bytes: st.valueBytes(key),
        metadata: null,
        tags: null,
        updated_at: null,
      })),
      next_cursor: keys.length > limit ? page[page.length - 1] : null,
    };
  },
};
