/**
 * Anna App SDK helpers that need no connection (CONTRACT §12): the error class, reading wid/t/host
 * from the page URL, client-side timeouts (§12.4), timers and the §12.9 compatibility fields.
 * lib/sdk/src/sdk.js calls `annaSdkBase(env)` once per SDK instance; scripts/gen_assets.ts embeds
 * this file and sdk.js, in that order, as the one core both builds wrap.
 */
// deno-lint-ignore no-unused-vars
function annaSdkBase(env) {
  "use strict";
  const DEFAULT_TIMEOUT_MS = 30000;
  const LLM_TIMEOUT_MS = 180000;
  const TOOL_TIMEOUT_MS = 65000;
  const TOOL_GRACE_MS = 5000;
  const g = globalThis;
  const timers = {
    set: (fn, ms) => (env.setTimeout ? env.setTimeout(fn, ms) : g.setTimeout(fn, ms)),
    clear: (id) => (env.clearTimeout ? env.clearTimeout(id) : g.clearTimeout(id)),
    every: (fn, ms) => (env.setInterval ? env.setInterval(fn, ms) : g.setInterval(fn, ms)),
    stop: (id) => (env.clearInterval ? env.clearInterval(id) : g.clearInterval(id)),
  };
  const log = env.console || g.console;

  class HostApiError extends Error {
    constructor(code, message, details) {
      // Also accepts one `{code, message, details}` object (apps and mocks build errors both ways).
      if (code && typeof code === "object") {
        details = code.details;
        message = code.message;
        code = code.code;
      }
      const c = code == null ? "internal_error" : String(code);
      const m = message == null ? c : String(message);
      super(m);
      this.name = "HostApiError";
      this.code = c;
      this.details = details;
      this.error = { code: c, message: m, details };
    }
  }
  const isObject = (v) => v !== null && typeof v === "object" && !Array.isArray(v);
  const pagePrefix = Math.random().toString(36).slice(2, 10);
  let idCounter = 0;
  const nextId = () => `${pagePrefix}-${(++idCounter).toString(36)}`;

  function originOf(value) {
    if (typeof value !== "string" || value === "") return undefined;
    try {
      const o = new URL(value).origin;
      return o && o !== "null" ? o : undefined;
    } catch {
      return undefined;
    }
  }

  // wid / t / host from the URL: query first, then hash parameters (`#wid=…` or `#/route?wid=…`).
  function readLocation() {
    const out = {};
    try {
      const loc = env.location;
      if (!loc) return out;
      const query = new URLSearchParams(loc.search || "");
      let hash = String(loc.hash || "").replace(/^#/, "");
      if (hash.includes("?")) hash = hash.slice(hash.indexOf("?") + 1);
      const hashParams = new URLSearchParams(hash);
      const pick = (k) => query.get(k) || hashParams.get(k) || undefined;
      out.wid = pick("wid");
      out.t = pick("t");
      out.host = originOf(query.get("host") || hashParams.get("host") || "");
      const ancestors = loc.ancestorOrigins;
      if (!out.host && ancestors && ancestors.length > 0) out.host = originOf(ancestors[0]);
      if (!out.host && env.document) out.host = originOf(env.document.referrer);
    } catch {
      // an exotic location object must not break the SDK; connect() reports no_host instead
    }
    return out;
  }
  function clientTimeout(ns, method, args, opts) {
    if (typeof opts.timeoutMs === "number" && opts.timeoutMs > 0) return opts.timeoutMs;
    if (ns === "tools" && method === "invoke") {
      // §12.4: (args.timeoutMs ?? 65000) + 5000; a negative number counts as 0, since the host
      // still waits its minimum before answering tool_timeout
      const t = isObject(args) && typeof args.timeoutMs === "number" &&
          Number.isFinite(args.timeoutMs)
        ? Math.max(0, args.timeoutMs)
        : TOOL_TIMEOUT_MS;
      return t + TOOL_GRACE_MS;
    }
    return ns === "llm" ? LLM_TIMEOUT_MS : DEFAULT_TIMEOUT_MS;
  }

  // §12.9: older apps read `.success/.data/.ok/.result` on tools.invoke results.
  function addCompat(value) {
    if (value === null || typeof value !== "object" || !Object.isExtensible(value)) return value;
    const extras = [["success", true], ["ok", true], ["data", value], ["result", value]];
    for (const [key, v] of extras) {
      if (Object.prototype.hasOwnProperty.call(value, key)) continue;
      Object.defineProperty(value, key, {
        value: v,
        enumerable: false,
        writable: false,
        configurable: true,
      });
    }
    return value;
  }

  return {
    HostApiError,
    isObject,
    nextId,
    originOf,
    readLocation,
    clientTimeout,
    addCompat,
    timers,
    log,
  };
}
