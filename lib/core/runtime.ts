/**
 * The core runtime: sessions, dispatcher, executas, LLM provider, dev tokens and the log bus behind
 * one API. Every transport (stdio `bridge`, `/rpc`, `/ws`, `/api/*`, `smoke`, tests) drives this
 * same object through `call`/`handleText`; nothing here knows about a transport.
 */
import { join } from "node:path";
import { invalidParams, RPC, RpcError } from "./rpc_error.ts";
import { LogBus, rpcEntry } from "./log_bus.ts";
import { RefusedHeartbeats } from "./refused_heartbeats.ts";
import { appInUse, AppRegistry, releaseApp, slugTakeover } from "./apps.ts";
import { RefreshTimers } from "./refresh_timers.ts";
import { ArrivalOrder } from "./arrival_order.ts";
import { type TokenCheck, verifyAppToken } from "./token_check.ts";
import type { Transport } from "./transport.ts";
import { type CallWatch, Dispatcher } from "../dispatcher/mod.ts";
import { MAX_STATE_BYTES } from "../dispatcher/storage.ts";
import { toolEntries, toolEntriesOf } from "../dispatcher/tools.ts";
import { MAX_SESSIONS, SessionManager } from "../session/manager.ts";
import { isOpen, Session, type WindowState } from "../session/session.ts";
import { aclAllows, resolveToolRef, scopesFor } from "../manifest/acl.ts";
import {
  analyzeManifest,
  diagnosticFields,
  selectView,
  UnknownViewError,
} from "../manifest/mod.ts";
import type { Diagnostic, EffectiveManifest } from "../manifest/types.ts";
import { type DevKey, mintToken, refreshIntervalMs } from "../token/mod.ts";
import { TOKEN_LEEWAY_S } from "../token/token.ts";
import { mocksFromManifest } from "../llm/mod.ts";
import type { LlmProvider } from "../llm/types.ts";
import type { AppContext, ExecutaHost } from "../executa/types.ts";
import { registerAppExecutas } from "./app_executas.ts";
import { handleEnvelope, handleText, type MaybePromise, type Response } from "../bridge/jsonrpc.ts";
import type { CreateParams } from "../bridge/session_methods.ts";
import { METHODS } from "../bridge/methods.ts";
import { describeSession, runtimeInfo } from "./describe.ts";
import { type DefaultApp, resolveSessionApp } from "./session_app.ts";
import { newSessionId, newUuid } from "../util/ids.ts";
import { byteSize } from "../util/json.ts";
import type { Logger } from "../util/log.ts";

export type { Transport } from "./transport.ts";
export type RuntimeMode = "bridge" | "dev" | "serve" | "smoke";

export interface RuntimeOptions {
  mode: RuntimeMode;
  key: DevKey;
  tokenTtl: number;
  llm: LlmProvider;
  executas: ExecutaHost;
  logger: Logger;
  cwd?: string;
  /** dev/serve: refresh every open window's token every floor(ttl·2/3) s (§8.4). */
  autoRefresh?: boolean;
  /** A shared log bus (the executa pool may push to it too); disabled in `bridge`. */
  log?: LogBus;
}

export { BRIDGE_METHODS } from "../bridge/methods.ts";
export type { TokenCheck } from "./token_check.ts";

export class Runtime {
  readonly mode: RuntimeMode;
  readonly sessions = new SessionManager();
  readonly dispatcher: Dispatcher;
  readonly log: LogBus;
  readonly apps = new AppRegistry();
  readonly executas: ExecutaHost;
  readonly llm: LlmProvider;
  readonly logger: Logger;
  readonly cwd: string;
  readonly key: DevKey;
  readonly tokenTtl: number;
  /** `dev`: the app a `session.create` naming none opens (see resolveSessionApp). */
  defaultApp: (() => DefaultApp) | null = null;
  private readonly autoRefresh: boolean;
  /** Token-refresh intervals, one per open window in dev/serve (tests read `timers.size`). */
  readonly timers = new RefreshTimers();
  /** Requests start in arrival order, though `app.call`s check tokens first (arrival_order.ts). */
  readonly callOrder = new ArrivalOrder();
  /** Repeated heartbeat refusals are logged at 1, 2, 4, 8… (refused_heartbeats.ts). */
  readonly refusedHeartbeats = new RefusedHeartbeats();
  /** One method caller per transport, made once (the per-frame path allocates none). */
  private readonly callers = new Map<
    Transport,
    (m: string, p: Record<string, unknown>) => unknown
  >();

  constructor(opts: RuntimeOptions) {
    this.mode = opts.mode;
    this.key = opts.key;
    this.tokenTtl = opts.tokenTtl;
    this.llm = opts.llm;
    this.executas = opts.executas;
    this.logger = opts.logger;
    this.cwd = opts.cwd ?? Deno.cwd();
    this.autoRefresh = opts.autoRefresh ?? false;
    this.log = opts.log ?? new LogBus(opts.mode !== "bridge");
    this.dispatcher = new Dispatcher({
      llm: this.llm,
      executas: this.executas,
      logger: this.logger.child("dispatcher"),
      mintWindowToken: (s, w) => this.mintWindowToken(s, w),
      windowCreated: (s, w) => this.windowCreated(s, w),
      appContext: (s) => this.appContext(s),
    });
    if (this.log.enabled) {
      this.dispatcher.watch({
        end: (rec, transport, _start, at) =>
          this.log.push(rpcEntry(rec, transport), undefined, 0, at),
      });
    }
  }

  // ---- transport entry points -------------------------------------------------------------

  /** One bridge method call; rejects with RpcError for bridge-level failures (§4.3). */
  call(method: string, params: Record<string, unknown>, transport: Transport): Promise<unknown> {
    try {
      return Promise.resolve(this.callNow(method, params, transport));
    } catch (e) {
      return Promise.reject(e);
    }
  }

  /**
   * Like `call`, but answers synchronously when the method can, and throws instead of rejecting.
   * The stdio and WebSocket hot path uses it so a synchronous call takes no promise hop.
   */
  callNow(method: string, params: Record<string, unknown>, transport: Transport): unknown {
    const fn = METHODS[method];
    if (!fn) throw new RpcError(RPC.METHOD_NOT_FOUND, "method_not_found", { method });
    // an app.call that arrived earlier may still be checking its token: it starts first (an
    // app.call takes its own place in that queue, see session_methods.ts)
    if (!this.callOrder.idle && method !== "app.call") {
      return this.callOrder.queue(Promise.resolve(), () => fn(this, params, transport));
    }
    return fn(this, params, transport);
  }

  /** One raw frame (object or batch) → response text, or null when only notifications. */
  handleText(text: string, transport: Transport): Promise<string | null> {
    return Promise.resolve(this.handleTextNow(text, transport));
  }

  /** `handleText` answering synchronously when every call in the frame did (never throws). */
  handleTextNow(text: string, transport: Transport): MaybePromise<string | null> {
    return handleText(this.callerFor(transport), text, this.logger);
  }

  private callerFor(transport: Transport) {
    let c = this.callers.get(transport);
    if (!c) {
      c = (m: string, p: Record<string, unknown>) => this.callNow(m, p, transport);
      this.callers.set(transport, c);
    }
    return c;
  }

  handleEnvelope(msg: unknown, transport: Transport): Promise<Response | Response[] | null> {
    return Promise.resolve(
      handleEnvelope(this.callerFor(transport), msg, this.logger),
    );
  }

  // ---- sessions ----------------------------------------------------------------------------

  /** `discovery`: warnings of an executa discovery the caller already ran for this app (`dev`). */
  async createSession(a: CreateParams, discovery: Diagnostic[] = []) {
    const app = await resolveSessionApp(a, this.cwd, this.logger, this.defaultApp?.());
    const { slug, appDir } = app;
    let { manifest, diagnostics } = app;

    const seed = a.seed_storage ?? manifest.dev.seed_storage ?? {};
    const seedBytes = byteSize(seed);
    if (seedBytes > MAX_STATE_BYTES) {
      throw invalidParams({ reason: "state_too_large", size: seedBytes, max: MAX_STATE_BYTES });
    }
    let viewName: string;
    try {
      viewName = selectView(manifest, a.view).name;
    } catch (e) {
      if (e instanceof UnknownViewError) {
        throw invalidParams({ reason: "unknown_view", view: e.view, available: e.available });
      }
      throw e;
    }
    if (appDir !== null && a.register_executas !== false) {
      discovery = [
        ...discovery,
        ...await this.registerAppExecutas(appDir, slug, { effective: manifest, raw: app.raw }),
      ];
    }
    // re-checked after the last await, so synchronously with `add`: concurrent creates (app_dir
    // reads, executa registration) may have filled the registry since the bridge method's early
    // check. Before `apps.set`: a refused create must not change which directory a slug serves
    if (this.sessions.isFull()) {
      throw new RpcError(RPC.SESSION_LIMIT, "session_limit", { max: MAX_SESSIONS });
    }
    // analysed again now that the app's executas are known, so the warnings do not report refs
    // the ACL will in fact resolve
    const r = this.analyzeForApp(app.raw, slug);
    if (r?.manifest) [manifest, diagnostics] = [r.manifest, r.diagnostics];
    // §9.2: discovery warnings are diagnostics of the app too
    if (discovery.length) diagnostics = [...diagnostics, ...discovery];
    const taken = appDir === null ? null : slugTakeover(this.apps, slug, appDir);
    if (taken) diagnostics = [...diagnostics, taken];
    const warnings = diagnostics.filter((d) => d.severity === "warning");
    // smoke opens a session per view and fixture; its report lists these warnings once
    const level = this.mode === "smoke" ? "debug" : "warn";
    for (const w of warnings) {
      this.logger[level]("manifest warning", diagnosticFields(w));
    }
    if (appDir !== null) {
      // a takeover was logged with the warnings above
      this.apps.set({ slug, appDir, bundleDir: join(appDir, "bundle"), manifest, diagnostics });
    }
    const s = new Session({
      id: newSessionId(),
      app_slug: slug,
      user_id: a.user_id ?? manifest.dev.user_id ?? 1,
      conversation_session_uuid: a.conversation_session_uuid ?? newUuid(),
      manifest,
      diagnostics,
      app_dir: appDir,
      runtime_state: seed,
      runtime_state_bytes: seedBytes,
      mocks: mocksFromManifest(manifest.dev.mocks),
    });
    // a closed or crashed window's refresh timer stops now, not at its next tick (§8.4)
    s.onWindowEnd((ended) => this.timers.stop(ended.window_uuid));
    const w = s.createWindow(viewName, a.entry_payload ?? {});
    this.sessions.add(s);
    this.windowCreated(s, w);
    const t = await this.mintWindowToken(s, w);
    if (this.log.enabled) {
      this.log.followEvents(s.id, s.events);
      this.log.push({ type: "session", session_id: s.id, action: "created" });
    }
    return {
      session_id: s.id,
      window_uuid: w.window_uuid,
      token: t.token,
      expires_at: t.expires_at,
      view: w.view,
      view_meta: w.view_meta,
      app_slug: slug,
      user_id: s.user_id,
      warnings,
    };
  }

  /**
   * An app's manifest analysed with `bundled:` refs resolved against the registry (§3.8); null
   * when no executa applies to the slug (the first analysis already said all there is).
   */
  analyzeForApp(raw: unknown, slug: string) {
    const entries = toolEntriesOf(this.executas, slug);
    if (entries.length === 0) return null;
    return analyzeManifest(raw, { resolve: (x) => resolveToolRef(x, entries) });
  }

  /** See registerAppExecutas in app_executas.ts (§9.2). */
  registerAppExecutas(
    appDir: string,
    slug: string,
    manifest: { effective: EffectiveManifest; raw: unknown } | null = null,
  ): Promise<Diagnostic[]> {
    return registerAppExecutas(this.executas, this.logger, appDir, slug, manifest, appInUse(this));
  }

  closeSession(id: string) {
    const s = this.sessions.get(id);
    if (!s) return;
    for (const wid of s.windows.keys()) this.timers.stop(wid);
    this.sessions.close(id);
    releaseApp(this.apps, s, () => this.sessions.list()); // listed only for app_dir apps
    if (this.log.enabled) this.log.push({ type: "session", session_id: id, action: "closed" });
  }

  /** The session `id` (open, or closed and not yet forgotten), for edges that follow one. */
  session(id: string): Session | undefined {
    return this.sessions.get(id);
  }

  /** The session holding window `wid`, and the window. */
  findWindow(wid: string) {
    return this.sessions.findWindow(wid);
  }

  /**
   * `dev` live reload: session `id` now runs `manifest` (its `dev.mocks` too); open windows keep
   * their tokens. Returns the session, or undefined when there is none.
   */
  replaceManifest(id: string, manifest: EffectiveManifest, diagnostics: Diagnostic[]) {
    const s = this.sessions.get(id);
    if (!s) return undefined;
    s.setManifest(manifest, diagnostics);
    s.mocks = mocksFromManifest(manifest.dev.mocks);
    return s;
  }

  /**
   * Follows every host-API call (record mode, the smoke browser check): `start` as it enters the
   * dispatcher, `end` once it finished. Returns what stops following.
   */
  watchCalls(hooks: CallWatch): () => void {
    return this.dispatcher.watch(hooks);
  }

  defaultViewName(s: Session): string {
    return selectView(s.manifest).name;
  }

  // ---- windows and tokens ------------------------------------------------------------------

  windowCreated(s: Session, w: WindowState) {
    // windows come and go here: ended ones whose tokens all lapsed are let go at the same pace
    for (const wid of s.forgetEndedWindows(Date.now(), TOKEN_LEEWAY_S * 1000)) {
      this.sessions.unindexWindow(wid);
    }
    this.sessions.indexWindow(s, w);
    if (!this.autoRefresh) return;
    this.timers.start(w.window_uuid, refreshIntervalMs(this.tokenTtl), () => {
      if (s.closed || !isOpen(w)) return this.timers.stop(w.window_uuid);
      this.refreshWindowToken(s, w).catch((e) =>
        this.logger.warn("token refresh failed", { error: String(e) })
      );
    });
  }

  async mintWindowToken(s: Session, w: WindowState) {
    const t = await mintToken(this.key, {
      wid: w.window_uuid,
      uid: s.user_id,
      app: s.app_slug,
      view: w.view,
      scopes: scopesFor(s.manifest),
      ttl: this.tokenTtl,
    });
    w.token_expires_at = t.expires_at;
    return t;
  }

  /**
   * New token + `auth.refresh` event for that window (§4.4.6, §8.4); null when the window or its
   * session ended while the token was being signed (no refresh event after its `status_changed`).
   */
  async refreshWindowToken(s: Session, w: WindowState) {
    const t = await this.mintWindowToken(s, w);
    if (s.closed || !isOpen(w)) return null;
    s.emit("auth.refresh", w.window_uuid, null, { token: t.token, expires_at: t.expires_at });
    return t;
  }

  /** §8.3 including the session-level reasons (see token_check.ts). */
  verifyAppToken(token: unknown, expectedWid?: string): Promise<TokenCheck> {
    return verifyAppToken(this.key, this.sessions, token, expectedWid);
  }

  appContext(s: Session): AppContext {
    return {
      session_id: s.id,
      app_slug: s.app_slug,
      user_id: s.user_id,
      allows: (ns, method) =>
        aclAllows(
          s.manifest,
          ns,
          method,
          toolEntries({ session: s, services: this.dispatcher.services }),
        ),
      mocks: s.mocks,
    };
  }

  /** `session.get` (§4.4.7). */
  describeSession(s: Session) {
    return describeSession(s, { session: s, services: this.dispatcher.services });
  }

  /** `runtime.info` (§4.4.10). */
  info() {
    return runtimeInfo(this.mode, this.llm.mode, this.tokenTtl);
  }

  /** Closes sessions, stops timers and all executas (§9.10). */
  async shutdown() {
    this.timers.stopAll();
    this.sessions.closeAll();
    await this.executas.shutdown();
  }
}
