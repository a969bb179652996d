/** `chat.*` (CONTRACT §5.7): an in-memory chat log per session. */
import { z } from "zod";
import { DispatchError } from "../core/outcome.ts";
import { newArtifactId, newMessageId } from "../util/ids.ts";
import { byteSize, isPlainObject } from "../util/json.ts";
import type { NamespaceHandlers } from "./context.ts";
import { parseArgs } from "./validate.ts";

const MAX_ITEM_BYTES = 262_144;

const WriteArgs = z.object({
  role: z.enum(["user", "assistant", "system"]),
  // zod's own union message is a bare "Invalid input"
  content: z.union([z.string(), z.record(z.string(), z.unknown()), z.array(z.unknown())], {
    error: "must be a string, an object or an array (or give a string 'text' instead)",
  }).optional(),
  text: z.string().optional(),
});
const HistoryArgs = z.object({
  limit: z.number().int().min(1).max(200).optional(),
  before: z.string().optional(),
});

/** The item's byte size, or `invalid_arg` when it is over 256 KiB. */
function checkSize(v: unknown, what: string): number {
  const size = byteSize(v);
  if (size > MAX_ITEM_BYTES) {
    throw new DispatchError("invalid_arg", `${what} is ${size} bytes (max ${MAX_ITEM_BYTES})`, {
      size,
      max: MAX_ITEM_BYTES,
    });
  }
  return size;
}

/** A validated object-valued arg exactly as sent: zod's parse drops an own "__proto__" key. */
const asSent = (args: unknown, key: string) => (args as Record<string, unknown>)[key];

export const chatHandlers: NamespaceHandlers = {
  write_message(ctx, args) {
    const a = parseArgs(WriteArgs, args);
    const content = a.content !== undefined ? asSent(args, "content") : a.text;
    if (content === undefined) {
      throw new DispatchError("invalid_arg", "invalid argument 'content': content is required", {
        issues: [{ path: "content", message: "required (string, object or array; or use text)" }],
      });
    }
    const size = checkSize(content, "content");
    const message_id = newMessageId();
    const wid = ctx.window.window_uuid;
    ctx.session.chat.addMessage({
      message_id,
      role: a.role,
      content,
      created_at: Date.now(),
      window_uuid: wid,
    });
    // sized from the content's measured size: `{"message_id":"msg_…","role":"…","content":` + `}`
    const bytes = byteSize({ message_id, role: a.role, content: 0 }) - 1 + size;
    ctx.session.emit(
      "chat_message_from_app",
      wid,
      wid,
      { message_id, role: a.role, content },
      bytes,
    );
    return { ok: true, message_id };
  },
  append_artifact(ctx, args) {
    // absent args count as {} (§5.1); a non-object raises the standard invalid_arg
    parseArgs(z.object({}).loose(), args);
    const a = (args ?? {}) as Record<string, unknown>; // as sent (own "__proto__" kept)
    const body = isPlainObject(a.artifact) ? a.artifact : a;
    checkSize(body, "artifact");
    const kindRaw = body.kind ?? body.type ?? "app_event";
    const kind = typeof kindRaw === "string" ? kindRaw : JSON.stringify(kindRaw);
    const summary = body.summary ?? body.title ?? null;
    const payload = body.payload ?? body.data ?? null;
    const payload_ref = body.payload_ref ?? null;
    const artifact_id = newArtifactId();
    const wid = ctx.window.window_uuid;
    ctx.session.chat.addArtifact({
      artifact_id,
      kind,
      summary,
      payload,
      payload_ref,
      body,
      created_at: Date.now(),
      window_uuid: wid,
    });
    ctx.session.emit("artifact_appended", wid, wid, {
      artifact_id,
      kind,
      summary,
      payload,
      payload_ref,
    });
    return { ok: true, artifact_id };
  },
  read_history(ctx, args) {
    const a = parseArgs(HistoryArgs, args);
    const limit = a.limit ?? 50;
    const msgs = ctx.session.chat.messages;
    let end = msgs.length;
    if (a.before !== undefined) {
      end = msgs.findIndex((m) => m.message_id === a.before);
      if (end < 0) {
        throw new DispatchError("invalid_arg", `unknown message_id '${a.before}' in 'before'`, {
          before: a.before,
        });
      }
    }
    const start = Math.max(0, end - limit);
    return {
      messages: msgs.slice(start, end).map((m) => ({
        message_id: m.message_id,
        role: m.role,
        content: m.content,
        created_at: m.created_at,
      })),
      has_more: start > 0,
    };
  },
};
