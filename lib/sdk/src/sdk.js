/**
 * Anna App SDK core (CONTRACT §12). Plain modern JavaScript with no imports: lib/sdk/mod.ts wraps
 * this function, with `annaSdkBase` of sdk_base.js, into the ESM and the classic build. The
 * window-like environment is a parameter so tests can run the real code against a fake parent
 * window.
 *
 * env: { parent, location, document, addEventListener, removeEventListener, setTimeout?, … }
 */
// deno-lint-ignore no-unused-vars
function createAnnaSdk(env, version) {
  "use strict";
  const CHANNEL = "anna-app/1";
  const CONNECT_TIMEOUT_MS = 10000;
  const HEARTBEAT_MS = 10000;
  const PROXY_NAMESPACES = [
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
  // Keys that must read as undefined so a proxy is never mistaken for a promise or a class.
  const BLOCKED_KEYS = new Set(["then", "toJSON", "constructor", "prototype"]);
  const FUNCTION_KEYS = new Set(["call", "apply", "bind"]);
  const MAX_TIMER_MS = 2147483647;
  const {
    HostApiError,
    isObject,
    nextId,
    originOf,
    readLocation,
    clientTimeout,
    addCompat,
    timers,
    log,
  } = annaSdkBase(env);
  const HostRpcError = HostApiError;
  // Captured at load time too, in case the app's router rewrites the URL before connect().
  const bootParams = readLocation();

  let connectPromise = null;

  function connect(opts) {
    if (!connectPromise) {
      connectPromise = openConnection(isObject(opts) ? opts : {});
      connectPromise.catch(() => {}); // the caller's promise still rejects; no unhandled noise here
    }
    return connectPromise;
  }

  function openConnection(opts) {
    const now = readLocation();
    const wid = opts.windowUuid || now.wid || bootParams.wid;
    let token = opts.token || now.t || bootParams.t;
    const host = originOf(opts.hostOrigin) || now.host || bootParams.host;
    const parent = env.parent;
    if (!wid || !token || !host || !parent || parent === env) {
      return Promise.reject(
        new HostApiError("no_host", "not running inside an Anna host (missing wid/t)"),
      );
    }

    const pending = new Map();
    const listeners = new Map();
    let closed = false;
    /** Runtime fields events have set: the `hello` snapshot must not overwrite them (it is older). */
    const fresh = new Set();
    let readyTimer = null;
    let heartbeatTimer = null;

    function send(ns, method, args, opts, timeoutCode) {
      return new Promise((resolve, reject) => {
        if (closed) {
          reject(new HostApiError("disconnected", "the runtime was disconnected"));
          return;
        }
        const signal = opts.signal;
        // an AbortController passed in place of its .signal is the usual slip: say so, before
        // anything is registered or posted
        if (signal != null && typeof signal.addEventListener !== "function") {
          reject(
            new HostApiError(
              "invalid_arg",
              `RPC ${ns}.${method}: opts.signal must be an AbortSignal (pass controller.signal)`,
            ),
          );
          return;
        }
        if (signal && signal.aborted) {
          reject(new HostApiError("aborted", `RPC ${ns}.${method} was aborted`));
          return;
        }
        const id = nextId();
        const ms = clientTimeout(ns, method, args, opts);
        const onAbort = () => {
          cleanup();
          reject(new HostApiError("aborted", `RPC ${ns}.${method} was aborted`));
        };
        // setTimeout keeps its delay in 32 bits (a longer one fires at once): cap it, and set
        // none for an infinite limit
        const timer = Number.isFinite(ms)
          ? timers.set(() => {
            cleanup();
            const code = timeoutCode || "client_timeout";
            reject(new HostApiError(code, `RPC ${ns}.${method} timed out after ${ms}ms`));
          }, Math.min(ms, MAX_TIMER_MS))
          : null;
        const cleanup = () => {
          pending.delete(id);
          if (timer !== null) timers.clear(timer);
          if (signal) signal.removeEventListener("abort", onAbort);
        };
        pending.set(id, { ns, method, resolve, reject, cleanup });
        if (signal) signal.addEventListener("abort", onAbort, { once: true });
        try {
          const msg = { channel: CHANNEL, kind: "req", id, wid, t: token, ns, method, args };
          parent.postMessage(msg, host);
        } catch (e) {
          cleanup();
          const why = e && e.message ? e.message : String(e);
          reject(
            new HostApiError("invalid_arg", `RPC ${ns}.${method}: args cannot be sent (${why})`),
          );
        }
      });
    }

    function call(ns, method, args, opts) {
      if (typeof ns !== "string" || typeof method !== "string" || !ns || !method) {
        return Promise.reject(new HostApiError("invalid_arg", "call(ns, method, args?, opts?)"));
      }
      if (args === undefined) args = {};
      const o = isObject(opts) ? opts : {};
      if (ns === "tools" && method === "invoke" && isObject(args)) {
        if (args.timeoutMs == null && typeof o.timeoutMs === "number") {
          args = { ...args, timeoutMs: o.timeoutMs };
        }
      }
      return send(ns, method, args, o);
    }

    function onMessage(ev) {
      if (!ev || ev.source !== parent || ev.origin !== host) return;
      const m = ev.data;
      if (!isObject(m) || m.channel !== CHANNEL) return;
      if (m.kind === "res") settle(m);
      else if (m.kind === "event") dispatch(m);
    }

    function settle(m) {
      const entry = pending.get(m.id);
      if (!entry) return;
      entry.cleanup();
      if (m.ok === true) {
        const tool = entry.ns === "tools" && entry.method === "invoke";
        entry.resolve(tool ? addCompat(m.result) : m.result);
      } else {
        const e = isObject(m.error) ? m.error : { code: "internal_error", message: "bad response" };
        entry.reject(new HostApiError(e.code || "internal_error", e.message, e.details));
      }
    }

    function emit(name, args) {
      const set = listeners.get(name);
      if (!set) return;
      for (const handler of [...set]) {
        try {
          handler(...args);
        } catch (e) {
          log.error(`[anna-app-runtime] '${name}' handler threw:`, e);
        }
      }
    }

    function dispatch(m) {
      const kind = typeof m.event === "string" ? m.event : "";
      if (!kind) return;
      const payload = m.payload;
      const target = m.window_uuid != null ? m.window_uuid : (m.envelope || {}).window_uuid;
      const envelope = isObject(m.envelope) ? m.envelope : {
        type: "data_model/AnnaAppEvent",
        kind,
        window_uuid: target != null ? target : wid,
        seq: m.seq,
        payload,
      };
      const mine = target == null || target === wid;
      const p = isObject(payload) ? payload : {};
      let synthetic = null;
      // State first, so handlers (and anything they call) see the new values.
      if (kind === "auth.refresh" && mine && typeof p.token === "string") token = p.token;
      if (kind === "runtime_state_synced" && isObject(p.runtime_state)) {
        runtime.runtimeState = p.runtime_state;
        fresh.add("runtimeState");
      }
      if (kind === "geometry_changed" && mine && isObject(p.geometry)) {
        runtime.geometry = p.geometry;
        fresh.add("geometry");
      }
      if (kind === "open_view" && mine && (p.window_uuid == null || p.window_uuid === wid)) {
        runtime.entryPayload = isObject(p.entry_payload) ? p.entry_payload : {};
        fresh.add("entryPayload");
        synthetic = ["entry_payload", runtime.entryPayload];
      }
      if (kind === "close_view" && mine && (p.window_uuid == null || p.window_uuid === wid)) {
        synthetic = ["close", payload];
      }
      emit(kind, [payload, envelope]);
      if (synthetic) emit(synthetic[0], [synthetic[1], envelope]);
      emit("*", [kind, payload, envelope]);
    }

    function on(name, handler) {
      if (typeof name !== "string" || typeof handler !== "function") {
        throw new TypeError("on(name: string, handler: function)");
      }
      if (!listeners.has(name)) listeners.set(name, new Set());
      listeners.get(name).add(handler);
      return () => off(name, handler);
    }

    function off(name, handler) {
      const set = listeners.get(name);
      if (set) set.delete(handler);
    }

    function shutdown() {
      closed = true;
      if (readyTimer !== null) timers.clear(readyTimer);
      if (heartbeatTimer !== null) timers.stop(heartbeatTimer);
      readyTimer = heartbeatTimer = null;
      for (const entry of [...pending.values()]) {
        entry.cleanup();
        entry.reject(new HostApiError("disconnected", "the runtime was disconnected"));
      }
      listeners.clear();
      env.removeEventListener("message", onMessage);
    }

    function disconnect() {
      if (closed) return;
      shutdown();
      if (connectPromise === promise) connectPromise = null; // a later connect() starts afresh
    }

    function nsProxy(ns, path) {
      const label = path ? `${ns}.${path}` : ns;
      const proxy = new Proxy(() => {}, {
        get(_target, prop) {
          if (typeof prop === "symbol" || BLOCKED_KEYS.has(prop)) return undefined;
          if (prop === "toString") return () => `[AnnaAppRuntime ${label}]`;
          // compilers turn `rt.storage.get?.(a)` into `get.call(rt.storage, a)` (and spreads into
          // `.apply`): these must invoke the method, not name one called "get.call"
          if (FUNCTION_KEYS.has(prop)) return Function.prototype[prop].bind(proxy);
          return nsProxy(ns, path ? `${path}.${prop}` : prop);
        },
        apply(_target, _this, argList) {
          if (!path) {
            const hint = `call a method, e.g. runtime.${ns}.get({...})`;
            return Promise.reject(
              new HostApiError("invalid_arg", `runtime.${ns} is a namespace; ${hint}`),
            );
          }
          return call(ns, path, argList[0], argList[1]);
        },
      });
      return proxy;
    }

    const runtime = {
      windowUuid: wid,
      appId: null,
      appSlug: null,
      versionId: null,
      userId: null,
      view: null,
      viewMeta: null,
      capabilities: null,
      entryPayload: {},
      runtimeState: {},
      geometry: null,
      isResume: false,
      call,
      on,
      off,
      disconnect,
    };
    for (const ns of PROXY_NAMESPACES) {
      Object.defineProperty(runtime, ns, { value: nsProxy(ns, ""), enumerable: false });
    }

    env.addEventListener("message", onMessage);
    const helloArgs = { client_info: { sdk: "anna-app-runtime", version } };
    const timeoutMs = typeof opts.timeoutMs === "number" && opts.timeoutMs > 0
      ? opts.timeoutMs
      : CONNECT_TIMEOUT_MS;
    const promise = send("window", "hello", helloArgs, { timeoutMs }, "connect_timeout").then(
      (hello) => {
        const h = isObject(hello) ? hello : {};
        const has = (k) => h[k] !== undefined;
        if (typeof h.window_uuid === "string") runtime.windowUuid = h.window_uuid;
        if (has("app_id")) runtime.appId = h.app_id;
        if (has("app_slug")) runtime.appSlug = h.app_slug;
        if (has("version_id")) runtime.versionId = h.version_id;
        if (has("user_id")) runtime.userId = h.user_id;
        if (has("view")) runtime.view = h.view;
        if (has("view_meta")) runtime.viewMeta = h.view_meta;
        if (has("capabilities")) runtime.capabilities = h.capabilities;
        // an event that arrived before this reply is newer than the snapshot: it stays
        if (isObject(h.entry_payload) && !fresh.has("entryPayload")) {
          runtime.entryPayload = h.entry_payload;
        }
        if (isObject(h.runtime_state) && !fresh.has("runtimeState")) {
          runtime.runtimeState = h.runtime_state;
        }
        if (has("geometry") && !fresh.has("geometry")) runtime.geometry = h.geometry;
        runtime.isResume = h.is_resume === true;
        readyTimer = timers.set(() => {
          readyTimer = null;
          if (closed) return;
          send("window", "ready", {}, {}).catch(() => {});
          heartbeatTimer = timers.every(() => {
            send("window", "heartbeat", {}, {}).catch((e) => {
              log.warn("[anna-app-runtime] heartbeat failed:", e && e.message ? e.message : e);
            });
          }, HEARTBEAT_MS);
        }, 0);
        return runtime;
      },
      (err) => {
        shutdown(); // the failed promise stays cached: repeated connect() calls return it (§12.2)
        throw err;
      },
    );
    return promise;
  }

  const AnnaAppRuntime = { version, connect, HostApiError, HostRpcError };
  const sdk = { AnnaAppRuntime, HostApiError, HostRpcError, connect };
  // Lets a second build loaded into the same page reuse this instance (one connection per page).
  Object.defineProperty(AnnaAppRuntime, "__annaSdk", { value: sdk, enumerable: false });
  return sdk;
}
