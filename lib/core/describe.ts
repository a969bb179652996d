/** Read-only views of the core for `session.get` (CONTRACT §4.4.7) and `runtime.info` (§4.4.10). */
import type { CallContext } from "../dispatcher/context.ts";
import { IMPLEMENTED, STUB_NAMESPACES } from "../dispatcher/mod.ts";
import { MAX_STATE_BYTES } from "../dispatcher/storage.ts";
import { grantedToolIds } from "../dispatcher/tools.ts";
import { scopesFor } from "../manifest/acl.ts";
import { toolIdMap } from "../manifest/tool_ids.ts";
import { viewMeta } from "../manifest/view.ts";
import type { Session } from "../session/session.ts";
import { DISPATCHER_VERSION, RUNTIME_COMPAT, SDK_VERSION, VERSION } from "../version.ts";
import { BRIDGE_METHODS } from "../bridge/methods.ts";

export function describeSession(s: Session, ctx: Pick<CallContext, "session" | "services">) {
  return {
    session_id: s.id,
    app_slug: s.app_slug,
    app_id: s.app_id,
    version_id: s.version_id,
    user_id: s.user_id,
    conversation_session_uuid: s.conversation_session_uuid,
    created_at: s.created_at,
    last_activity_at: s.last_activity_at,
    primary_window_uuid: s.primary_window_uuid,
    app_dir: s.app_dir,
    windows: [...s.windows.values()].map((w) => ({
      window_uuid: w.window_uuid,
      view: w.view,
      status: w.status,
      title: w.title,
      geometry: w.geometry,
      entry_payload: w.entry_payload,
      z_index: w.z_index,
      hello_count: w.hello_count,
      last_seen_at: w.last_seen_at,
      token_expires_at: w.token_expires_at,
      // beyond §4.4.7: host pages need each view's entry to build the iframe URL
      view_meta: w.view_meta,
    })),
    runtime_state: s.runtime_state,
    runtime_state_bytes: s.runtime_state_bytes,
    chat: { messages: s.chat.messages, artifacts: s.chat.artifacts },
    events: {
      last_seq: s.events.lastSeq,
      retained: s.events.retained,
      drain_cursor: s.events.drainCursor,
    },
    diagnostics: s.diagnostics,
    host_api: s.manifest.ui.host_api,
    scopes: scopesFor(s.manifest),
    granted_tools: grantedToolIds(ctx),
    // beyond §4.4.7: every view of the manifest (view_meta), for host pages opening views that
    // have no window yet
    views: s.manifest.ui.views.map((v) => viewMeta(v, s.manifest)),
    // beyond §4.4.7: the sidecar's handle → tool_id map, for the dashboard's manifest panel
    tool_ids: toolIdMap(s.manifest, ctx.services.executas.entriesFor(s.app_slug)),
  };
}

export function runtimeInfo(mode: string, llm_mode: string, token_ttl_s: number) {
  return {
    name: "anna-app-runtime",
    version: VERSION,
    dispatcher_version: DISPATCHER_VERSION,
    runtime_compat: RUNTIME_COMPAT,
    sdk_version: SDK_VERSION,
    mode,
    llm_mode,
    token_ttl_s,
    capabilities: {
      bridge_methods: BRIDGE_METHODS,
      namespaces: IMPLEMENTED,
      stub_namespaces: STUB_NAMESPACES,
    },
    limits: {
      max_frame_bytes: 16_777_216,
      max_result_bytes: 4_194_304,
      max_runtime_state_bytes: MAX_STATE_BYTES,
      event_queue_capacity: 10_000,
    },
  };
}
