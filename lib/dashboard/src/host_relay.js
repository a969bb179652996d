/**
 * The postMessage side of the host page (CONTRACT §12.7, §12.8): requests from app iframes go to
 * the runtime as `app.call` (with the expired-token refresh and retry), events and token pushes go
 * to the iframes, and the iframe URL that hands an app its wid, token and host origin. Needs
 * host_link.js first; host.js uses it through `window.__annaRelay`.
 * No imports, no build step; runs under the dashboard CSP (§11.3).
 */
(function (win) {
  "use strict";
  const { config, report, rpc } = win.__annaLink;
  const CHANNEL = "anna-app/1";
  let getCurrent = () => null;
  let windowsChanged = () => {};

  /** The iframe URL of §12.8: entry path, then wid/t/host, then the entry's own query and hash. */
  function frameUrl(o) {
    let path = String(o.entry || "index.html");
    let hash = "";
    let query = "";
    const hi = path.indexOf("#");
    if (hi >= 0) [path, hash] = [path.slice(0, hi), path.slice(hi)];
    const qi = path.indexOf("?");
    if (qi >= 0) [path, query] = [path.slice(0, qi), path.slice(qi + 1)];
    const origin = o.appOrigin || config.appOrigin;
    const main = o.mainOrigin || config.mainOrigin;
    let url = `${origin}/anna-apps/${encodeURIComponent(o.slug)}/dev/${path.replace(/^\/+/, "")}` +
      `?wid=${encodeURIComponent(o.wid)}&t=${encodeURIComponent(o.token)}` +
      `&host=${encodeURIComponent(main)}`;
    if (query) url += `&${query}`;
    return url + hash;
  }

  function post(rec, msg) {
    if (!rec.iframe || !rec.iframe.contentWindow) return;
    try {
      rec.iframe.contentWindow.postMessage(msg, config.appOrigin);
    } catch (e) {
      report("postMessage to the app failed", e);
    }
  }
  function forward(rec, env) {
    if (!rec.live) return; // no SDK listening yet: hello will carry the current state anyway
    if (env.kind === "auth.refresh" && !firstPost(rec, (env.payload || {}).token)) return;
    post(rec, {
      channel: CHANNEL,
      kind: "event",
      event: env.kind,
      payload: env.payload,
      seq: env.seq,
      window_uuid: env.window_uuid,
      envelope: env,
    });
  }

  /**
   * True the first time a token is to be posted in `auth.refresh`: a refresh after an expired
   * call posts it itself, and the same token may also arrive from SSE (in either order).
   */
  function firstPost(rec, token) {
    const sent = (rec.sentTokens ??= new Set());
    if (typeof token !== "string" || sent.has(token)) return false;
    sent.add(token);
    if (sent.size > 16) sent.delete(sent.values().next().value);
    return true;
  }

  // ---- requests from iframes -------------------------------------------------------------------
  async function appCall(token, m) {
    try {
      const args = m.args === undefined ? {} : m.args;
      return await rpc("app.call", { token, ns: m.ns, method: m.method, args });
    } catch (e) {
      if (e.code === "not_json") {
        const message = `args of ${m.ns}.${m.method} cannot be sent as JSON: ${e.message}`;
        return { ok: false, error: { code: "invalid_arg", message } };
      }
      // a request the bridge refused as malformed is the caller's mistake, not a runtime fault
      // (a request over the 16 MiB frame limit keeps its own code, §5.12)
      const code = e.code === "host_unavailable" || e.code === "frame_too_large"
        ? e.code
        : e.code === "invalid_params"
        ? "invalid_arg"
        : "internal_error";
      return { ok: false, error: { code, message: e.message, details: e.data } };
    }
  }
  /** One refresh per window at a time, however many calls hit the expired token together. */
  function refreshExpired(s, rec) {
    rec.refreshing ??= rpc("session.refresh_token", {
      session_id: s.sessionId,
      window_uuid: rec.wid,
    })
      .then((tok) => {
        rec.token = tok.token;
        rec.expiresAt = tok.expires_at;
        rec.refreshedAt = win.performance.now();
        // §12.8: tell the app now; the runtime's own event never comes while SSE is down
        if (firstPost(rec, tok.token)) {
          // the runtime's own event (§4.4.6) has the seq; this copy cannot know it
          const payload = { token: tok.token, expires_at: tok.expires_at };
          post(rec, {
            channel: CHANNEL,
            kind: "event",
            event: "auth.refresh",
            payload,
            seq: null,
            window_uuid: rec.wid,
            envelope: {
              type: "data_model/AnnaAppEvent",
              kind: "auth.refresh",
              window_uuid: rec.wid,
              seq: null,
              payload,
              by_client_id: null,
            },
          });
        }
        windowsChanged();
        return tok;
      })
      .finally(() => (rec.refreshing = null));
    return rec.refreshing;
  }
  /** The `wid` claim of a dev token (§8.2), unverified; undefined when it cannot be read. */
  function tokenWindow(t) {
    const part = typeof t === "string" ? t.split(".")[1] : undefined;
    if (!part) return undefined;
    try {
      const claims = JSON.parse(win.atob(part.replace(/-/g, "+").replace(/_/g, "/")));
      return claims && typeof claims.wid === "string" ? claims.wid : undefined;
    } catch {
      return undefined; // malformed: the runtime's own check names the reason
    }
  }
  /**
   * Refusals a fresh token cures: `expired` (§12.8), and `not_yet_valid`, which every token
   * minted before the wall clock was set back (an NTP correction) gets until the next timed
   * refresh (§8.4): the same refresh and single retry.
   */
  const STALE = new Set(["expired", "not_yet_valid"]);
  async function handleRequest(s, rec, m) {
    const reply = (out) => {
      const res = out && out.ok === true ? { ok: true, result: out.result } : {
        ok: false,
        error: (out && out.error) || { code: "internal_error", message: "no answer" },
      };
      post(rec, { channel: CHANNEL, kind: "res", id: m.id, ...res });
    };
    // the token names its own window too: a same-origin sibling frame must not borrow another's
    const tokenWid = tokenWindow(m.t);
    if (m.wid !== rec.wid || (tokenWid !== undefined && tokenWid !== rec.wid)) {
      const message = m.wid !== rec.wid
        ? "request wid does not match this window"
        : "token is for another window";
      return reply({
        ok: false,
        error: { code: "invalid_token", message, details: { reason: "wrong_window" } },
      });
    }
    let out = await appCall(m.t, m);
    const err = out && out.ok === false ? out.error || {} : null;
    if (err && err.code === "invalid_token" && STALE.has((err.details || {}).reason)) {
      try {
        // calls sent before the app took the new token reuse it instead of minting more; timed
        // on the monotonic clock, as a wall clock set back would keep a refresh "recent" for hours
        const recent = rec.refreshedAt !== undefined &&
          win.performance.now() - rec.refreshedAt < 5000 && rec.token !== m.t;
        const tok = recent ? { token: rec.token } : await refreshExpired(s, rec);
        out = await appCall(tok.token, m);
      } catch (e) {
        report("token refresh failed", e); // answer with the original invalid_token outcome
      }
    }
    reply(out);
  }
  win.addEventListener("message", (ev) => {
    const s = getCurrent();
    const m = ev.data;
    if (!s || !m || typeof m !== "object" || m.kind !== "req") return;
    if (ev.origin !== config.appOrigin) return;
    for (const rec of s.windows.values()) {
      if (!rec.iframe || rec.iframe.contentWindow !== ev.source) continue;
      if (m.channel !== CHANNEL) return void unchanneled(rec, m);
      rec.live = true; // the app's SDK is up: events may be forwarded from now on
      return void handleRequest(s, rec, m);
    }
  });
  /**
   * A request without the §12.7 channel (an app's own postMessage shim) is ignored, as the
   * contract says, but said once per window: the app would otherwise wait for its timeout unaware.
   */
  function unchanneled(rec, m) {
    if (rec.toldUnchanneled) return;
    rec.toldUnchanneled = true;
    report(
      `window ${rec.wid} posted a request (${m.ns}.${m.method}) without channel "${CHANNEL}"; ` +
        `it is ignored: load the SDK from /_sdk/latest/index.js instead of a hand-made postMessage shim`,
    );
  }

  win.__annaRelay = {
    CHANNEL,
    frameUrl,
    post,
    forward,
    /** Starts relaying; `current()` is the attached session, `changed()` re-announces windows. */
    listen(current, changed) {
      getCurrent = current;
      windowsChanged = changed;
    },
  };
})(globalThis);
