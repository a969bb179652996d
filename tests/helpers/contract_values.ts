/**
 * Values the contract fixes, restated here rather than imported from lib/, so the tests check the
 * code against the contract instead of against itself. One copy, shared by every test that needs one.
 */

/** §5.10: namespaces answered `not_implemented` after the ACL, in the contract's order. */
export const STUB_NAMESPACES = [
  "artifact",
  "fs",
  "prefs",
  "files",
  "image",
  "upload",
  "web",
  "apps",
  "agent",
  "credentials",
  "mobile",
  "video",
  "audio",
];

/** §3.10: the `view_meta` members a view gets when it sets none of them (name/title/entry aside). */
export const VIEW_META_DEFAULTS = {
  min_size: { w: 120, h: 120 },
  default_size: { w: 480, h: 640 },
  max_size: { w: 4096, h: 4096 },
  resizable: true,
  movable: true,
  single_instance: false,
  icon: null,
  summary_template: null,
  chrome: "solid",
  transparent: false,
};

/** §7.1: the members of every event envelope, sorted. */
export const EVENT_ENVELOPE_KEYS = [
  "app_id",
  "by_client_id",
  "conversation_session_uuid",
  "kind",
  "payload",
  "seq",
  "ts",
  "type",
  "version_id",
  "window_uuid",
];

/** §5.10: the outcome of a method this runtime does not implement. */
export const notImplemented = (ns: string, method: string) => ({
  ok: false,
  error: {
    code: "not_implemented",
    message: `${ns}.${method} is not implemented in this runtime`,
    details: { ns, method },
  },
});

/** §5.2: the outcome of a call the manifest does not grant. */
export const permissionDenied = (ns: string, method: string) => ({
  ok: false,
  error: {
    code: "permission_denied",
    message: `manifest does not grant '${ns}.${method}'`,
    details: { ns, method },
  },
});

/** §5.4–§5.8 and §5.11: the methods each implemented namespace answers, in the contract's order. */
export const HOST_METHODS: Record<string, string[]> = {
  window: [
    "hello",
    "ready",
    "heartbeat",
    "set_title",
    "resize",
    "focus",
    "close",
    "open_view",
    "report_error",
  ],
  storage: ["get", "set", "delete", "list"],
  tools: ["list", "invoke", "invokeAsync", "getJob", "cancelJob", "listJobs"],
  chat: ["write_message", "append_artifact", "read_history"],
  llm: ["complete", "embed"],
};

/** §12.4: the namespaces `runtime.<ns>` exposes as proxies. */
export const PROXY_NAMESPACES = [
  "tools",
  "chat",
  "storage",
  "artifact",
  "llm",
  "fs",
  "prefs",
  "window",
  "agent",
  "image",
  "upload",
  "files",
  "web",
  "apps",
  "credentials",
  "mobile",
];

/** §4.4.9: every member of an `executas.list` row, sorted. */
export const EXECUTA_LIST_ROW_KEYS = [
  "command",
  "describe",
  "handle",
  "in_flight",
  "last_exit",
  "pid",
  "project_dir",
  "protocol",
  "restarts",
  "status",
  "stderr_tail",
  "tool_id",
  "type",
];
