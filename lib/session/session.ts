/**
 * A session (CONTRACT §6.1) and its windows (§6.2–§6.4). Pure state: no transport, no tokens
 * (the runtime mints those), no ACL (the dispatcher). All mutations are synchronous, so each one
 * is atomic with respect to concurrent calls.
 */
import type { Diagnostic, EffectiveManifest, ViewMeta } from "../manifest/types.ts";
import { initialGeometry, selectView, viewMeta } from "../manifest/mod.ts";
import type { MockEntry } from "../llm/types.ts";
import { newUuid } from "../util/ids.ts";
import { type DeferredPayload, EventQueue } from "./events.ts";
import { ChatStore } from "./chat_store.ts";
import { StateStore } from "./state_store.ts";
import { byteSize } from "../util/json.ts";

export const MAX_OPEN_WINDOWS = 32;
/** Bytes of `,"runtime_state":` (or `{"runtime_state":`) around the bucket in an event payload. */
const RUNTIME_STATE_MEMBER_BYTES = 17;
export type WindowStatus = "active" | "minimized" | "closed" | "crashed";

export interface Geometry {
  x: number;
  y: number;
  w: number;
  h: number;
}

export interface WindowState {
  window_uuid: string;
  view: string;
  view_meta: ViewMeta;
  status: WindowStatus;
  title: string;
  geometry: Geometry;
  entry_payload: Record<string, unknown>;
  z_index: number;
  hello_count: number;
  ready_at: number | null;
  last_seen_at: number | null;
  last_focus_at: number | null;
  created_at: number;
  token_expires_at: number | null;
  /** unfinished calls (§5.1 step 2) */
  inflight: number;
}

export class WindowLimitError extends Error {
  constructor() {
    super(`more than ${MAX_OPEN_WINDOWS} open windows in this session`);
  }
}

export interface SessionInit {
  id: string;
  app_slug: string;
  user_id: number;
  conversation_session_uuid: string;
  manifest: EffectiveManifest;
  diagnostics: Diagnostic[];
  app_dir: string | null;
  runtime_state: Record<string, unknown>;
  runtime_state_bytes: number;
  mocks: MockEntry[];
}

export const isOpen = (w: WindowState) => w.status === "active" || w.status === "minimized";

export class Session {
  readonly id: string;
  readonly app_slug: string;
  readonly app_id: string;
  readonly version_id = "dev";
  readonly user_id: number;
  readonly conversation_session_uuid: string;
  manifest: EffectiveManifest;
  diagnostics: Diagnostic[];
  readonly app_dir: string | null;
  readonly created_at = Date.now();
  last_activity_at = this.created_at;
  readonly windows = new Map<string, WindowState>();
  primary_window_uuid = "";
  /** The storage bucket (§5.5); event payloads read it through lazy snapshots. */
  readonly state: StateStore;
  readonly chat = new ChatStore();
  readonly events: EventQueue;
  mocks: MockEntry[];
  private zCounter = 0;
  closed = false;
  private closeListeners = new Set<() => void>();
  private windowEndListeners = new Set<(w: WindowState) => void>();

  constructor(init: SessionInit) {
    this.id = init.id;
    this.app_slug = init.app_slug;
    this.app_id = init.app_slug;
    this.user_id = init.user_id;
    this.conversation_session_uuid = init.conversation_session_uuid;
    this.manifest = init.manifest;
    this.diagnostics = init.diagnostics;
    this.app_dir = init.app_dir;
    this.state = new StateStore(init.runtime_state, init.runtime_state_bytes);
    this.mocks = init.mocks;
    this.events = new EventQueue({
      type: "data_model/AnnaAppEvent",
      app_id: this.app_id,
      version_id: this.version_id,
      conversation_session_uuid: this.conversation_session_uuid,
    });
  }

  /** Emits an event unless the session is closed (§6.5: events after close are discarded). */
  emit(
    kind: string,
    window_uuid: string | null,
    by_client_id: string | null,
    payload: Record<string, unknown>,
    payloadBytes?: number,
    deferred?: DeferredPayload,
  ) {
    if (this.closed) return;
    this.events.push(kind, window_uuid, by_client_id, payload, payloadBytes, deferred);
  }

  openWindowCount(): number {
    let n = 0;
    for (const w of this.windows.values()) if (isOpen(w)) n++;
    return n;
  }

  /** Creates a window for a view name (throws UnknownViewError / WindowLimitError). No event. */
  createWindow(viewName: string | undefined, payload: Record<string, unknown>): WindowState {
    const view = selectView(this.manifest, viewName);
    if (this.openWindowCount() >= MAX_OPEN_WINDOWS) throw new WindowLimitError();
    const meta = viewMeta(view, this.manifest);
    const now = Date.now();
    const w: WindowState = {
      window_uuid: newUuid(),
      view: view.name,
      view_meta: meta,
      status: "active",
      title: meta.title,
      geometry: initialGeometry(meta),
      entry_payload: payload,
      z_index: ++this.zCounter,
      hello_count: 0,
      ready_at: null,
      last_seen_at: null,
      last_focus_at: null,
      created_at: now,
      token_expires_at: null,
      inflight: 0,
    };
    this.windows.set(w.window_uuid, w);
    if (!this.primary_window_uuid) this.primary_window_uuid = w.window_uuid;
    return w;
  }

  /**
   * `open_view` with single-instance reuse (§6.4). Emits `open_view` (and `window_focus_changed`
   * on reuse). The caller mints a token for a created window.
   */
  openView(
    viewName: string,
    payload: Record<string, unknown> | undefined,
    source: "app" | "host",
    by_client_id: string | null,
  ): { window: WindowState; created: boolean } {
    const view = selectView(this.manifest, viewName);
    if (view.single_instance) {
      for (const w of this.windows.values()) {
        if (w.view === view.name && isOpen(w)) {
          w.entry_payload = { ...w.entry_payload, ...(payload ?? {}) };
          w.z_index = ++this.zCounter;
          w.last_focus_at = Date.now();
          this.emitOpenView(w, source, true, by_client_id);
          this.emit("window_focus_changed", w.window_uuid, by_client_id, {
            window_uuid: w.window_uuid,
            z_index: w.z_index,
          });
          return { window: w, created: false };
        }
      }
    }
    const w = this.createWindow(view.name, payload ?? {});
    this.emitOpenView(w, source, false, by_client_id);
    return { window: w, created: true };
  }

  private emitOpenView(
    w: WindowState,
    source: "app" | "host",
    reopened: boolean,
    by: string | null,
  ) {
    const before = {
      window_uuid: w.window_uuid,
      app_id: this.app_id,
      version_id: this.version_id,
      view: w.view,
      entry_payload: w.entry_payload,
      geometry: w.geometry,
    };
    const after = { source, reopened };
    // sized without building the snapshot: the other members, then `,"runtime_state":<bucket>`
    const bytes = byteSize({ ...before, ...after }) + RUNTIME_STATE_MEMBER_BYTES + this.state.bytes;
    const payload = { ...before, runtime_state: null, ...after };
    this.emit("open_view", w.window_uuid, by, payload, bytes, this.state.later());
  }

  focus(w: WindowState, by: string | null) {
    w.z_index = ++this.zCounter;
    w.last_focus_at = Date.now();
    this.emit("window_focus_changed", w.window_uuid, by, {
      window_uuid: w.window_uuid,
      z_index: w.z_index,
    });
  }

  /** Ends a window (`closed` or `crashed`, both terminal) and tells the window-end listeners. */
  setStatus(w: WindowState, status: "closed" | "crashed", by: string | null) {
    w.status = status;
    this.emit("status_changed", w.window_uuid, by, { status });
    for (const fn of this.windowEndListeners) fn(w);
  }

  /** Runs `fn` each time a window of this session ends (its refresh timer stops then, §8.4). */
  onWindowEnd(fn: (w: WindowState) => void): () => void {
    this.windowEndListeners.add(fn);
    return () => this.windowEndListeners.delete(fn);
  }

  /**
   * Forgets ended windows once no token of theirs can verify any more (newest expiry + leeway
   * passed: a token then fails `expired` before its window is looked up, §8.3), keeping the
   * primary and any with a call still in flight. An app opening and closing windows all day
   * otherwise grew the map (and every scan of it) by one window each time. Returns their uuids.
   */
  forgetEndedWindows(now: number, leewayMs: number): string[] {
    const gone: string[] = [];
    for (const w of this.windows.values()) {
      if (isOpen(w) || w.inflight > 0 || w.window_uuid === this.primary_window_uuid) continue;
      if (w.token_expires_at !== null && now <= w.token_expires_at + leewayMs) continue;
      this.windows.delete(w.window_uuid);
      gone.push(w.window_uuid);
    }
    return gone;
  }

  /** The storage bucket as a plain object (a snapshot of now). */
  get runtime_state(): Record<string, unknown> {
    return this.state.snapshot();
  }
  get runtime_state_bytes(): number {
    return this.state.bytes;
  }

  /** Emits `runtime_state_synced` with the bucket as it is now (§7.2). */
  stateChanged(by: string | null, wid: string | null) {
    if (this.closed) return;
    // `{"runtime_state":<bucket>}`
    const bytes = RUNTIME_STATE_MEMBER_BYTES + 1 + this.state.bytes;
    const later = this.state.later();
    this.events.push("runtime_state_synced", wid, by, { runtime_state: null }, bytes, later);
  }

  /** Replaces the whole bucket (`session.set_runtime_state`). */
  setRuntimeState(
    state: Record<string, unknown>,
    bytes: number,
    by: string | null,
    wid: string | null,
  ) {
    this.state.replaceAll(state, bytes);
    this.stateChanged(by, wid);
  }

  touch(now = Date.now()) {
    this.last_activity_at = now;
  }

  onClose(fn: () => void): () => void {
    if (this.closed) {
      fn();
      return () => {};
    }
    this.closeListeners.add(fn);
    return () => this.closeListeners.delete(fn);
  }

  /** Closes every window and notifies listeners (timers, SSE streams). Idempotent. */
  close() {
    if (this.closed) return;
    for (const w of this.windows.values()) if (isOpen(w)) w.status = "closed";
    this.closed = true;
    this.events.clearSubscribers();
    for (const fn of this.closeListeners) {
      try {
        fn();
      } catch { /* listeners never block closing */ }
    }
    this.closeListeners.clear();
    this.windowEndListeners.clear();
  }

  /**
   * A reloaded manifest (§11.10) replaces views too: each window whose view still exists takes
   * that view's new `view_meta` (entry, sizes, flags), so a reloaded iframe loads the new entry.
   * Title and geometry stay as the window has them; a window whose view is gone keeps its meta.
   */
  setManifest(m: EffectiveManifest, diagnostics: Diagnostic[]) {
    this.manifest = m;
    this.diagnostics = diagnostics;
    for (const w of this.windows.values()) {
      const view = m.ui.views.find((v) => v.name === w.view);
      if (view) w.view_meta = viewMeta(view, m);
    }
  }
}
