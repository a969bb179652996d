/**
 * Host page duties (CONTRACT §12.8), shared by the dashboard `/` and the single-window page
 * `/dev/:wid`: embeds app iframes on the app origin, relays their postMessage requests (§12.7) to
 * the runtime as `app.call` (host_relay.js), forwards session events from SSE (§7.3) and reloads
 * iframes on live-reload entries. Needs host_link.js, host_log.js, host_relay.js and host_frames.js
 * (the iframe elements) first. API for the dashboard: `window.__annaHost`.
 * No imports, no build step; runs under the dashboard CSP (§11.3).
 */
(function (win) {
  "use strict";
  const doc = win.document;
  const link = win.__annaLink;
  const { on, emit, report, rpc, withCt } = link;
  const relay = win.__annaRelay;
  const { forward, frameUrl } = relay;
  const { frameSrc, learnViews, applyGeometry, createFrame, replaceFrame } = win.__annaFrames;
  const CLOSE_GRACE_MS = 200; // lets the app's `close` handler run before its iframe goes away

  // ---- windows ---------------------------------------------------------------------------------

  let current = null; // the attached session: {sessionId, info, windows, lastSeq, es, …}

  function snapshot(s, rec) {
    return {
      wid: rec.wid,
      view: rec.view,
      title: rec.title,
      status: rec.status,
      geometry: rec.geometry,
      zIndex: rec.zIndex,
      tokenExpiresAt: rec.expiresAt,
      active: s.active === rec.wid,
      primary: s.info && s.info.primary_window_uuid === rec.wid,
      iframe: rec.iframe,
      url: rec.iframe ? rec.iframe.src : null,
      connected: rec.live,
      loadedAt: rec.loadedAt || null,
    };
  }
  function windows() {
    const s = current;
    return s ? [...s.windows.values()].map((r) => snapshot(s, r)) : [];
  }
  function emitWindows() {
    emit("windows", windows());
  }
  relay.listen(() => current, emitWindows);
  function setActive(wid) {
    const s = current;
    if (!s || !s.windows.has(wid)) return;
    s.active = wid;
    for (const r of s.windows.values()) {
      if (r.iframe) r.iframe.toggleAttribute("data-active", r.wid === wid);
    }
    emitWindows();
  }

  function addWindow(s, w) {
    const wid = w.window_uuid;
    if (s.windows.has(wid)) return s.windows.get(wid).ready;
    const rec = {
      wid,
      view: w.view,
      viewMeta: w.view_meta || null,
      title: w.title || (s.views[w.view] || {}).title || w.view,
      geometry: w.geometry || null,
      status: w.status || "active",
      zIndex: w.z_index || 0,
      expiresAt: w.token_expires_at || null,
      token: null,
      iframe: null,
      live: false,
      refreshing: null,
    };
    s.windows.set(wid, rec);
    rec.ready = (async () => {
      const tok = await rpc("session.refresh_token", {
        session_id: s.sessionId,
        window_uuid: wid,
      });
      if (current !== s || s.windows.get(wid) !== rec) return rec;
      rec.token = tok.token;
      rec.expiresAt = tok.expires_at;
      rec.iframe = createFrame(s, rec);
      if (!s.active || s.active === wid) setActive(wid);
      else emitWindows();
      return rec;
    })();
    rec.ready.catch((e) => {
      // forget the half-made window, so the next open_view (or a reload) can make it again
      if (s.windows.get(wid) === rec) {
        s.windows.delete(wid);
        emitWindows();
      }
      report(`cannot open window ${wid}`, e);
    });
    return rec.ready;
  }
  function removeWindow(s, wid) {
    const rec = s.windows.get(wid);
    if (!rec) return;
    s.windows.delete(wid);
    if (rec.iframe) rec.iframe.remove();
    if (s.active === wid) {
      const next = [...s.windows.values()].sort((a, b) => b.zIndex - a.zIndex)[0];
      s.active = null;
      if (next) return setActive(next.wid);
    }
    emitWindows();
  }

  // ---- session events (SSE, §11.5) -------------------------------------------------------------
  function openEvents(s) {
    if (link.isHidden()) return void (s.paused = true); // host_link.js: hidden pages hold no stream
    const es = new win.EventSource(
      withCt(`/sessions/${encodeURIComponent(s.sessionId)}/events`, { after: String(s.lastSeq) }),
    );
    s.es = es;
    es.addEventListener("data_model.AnnaAppEvent", (ev) => {
      const env = link.parseOrNull(ev.data);
      if (env !== null && current === s) onEvent(s, env);
    });
    es.addEventListener("session_closed", () => {
      es.close();
      if (current === s) emit("session_closed", { session_id: s.sessionId });
    });
    es.addEventListener("error", () => {
      // refused: a 404 when the session closed while this page was hidden
      if (es.readyState !== 2 || current !== s || s.es !== es) return;
      rpc("session.get", { session_id: s.sessionId }).catch((e) => {
        if (current === s && e.code === "unknown_session") {
          emit("session_closed", { session_id: s.sessionId });
        }
      });
    });
  }
  on("visibility", ({ hidden }) => {
    const s = current;
    if (!s) return;
    if (hidden && s.es && s.es.readyState !== 2) {
      s.es.close();
      s.es = null;
      s.paused = true;
    } else if (!hidden && s.paused) {
      s.paused = false;
      openEvents(s); // after s.lastSeq: what came meanwhile is replayed in order
    }
  });
  /** Notes a z_index the runtime gave out; a window it opens next gets one above all (§6.4). */
  function seenZ(s, z) {
    if (typeof z === "number" && z > s.zTop) s.zTop = z;
  }
  async function openUnknown(s, env) {
    const p = env.payload || {};
    // taken now, in event order: a focus that comes while the iframe is made ends up above it
    const z = ++s.zTop;
    if (!s.views[p.view]) {
      try {
        learnViews(s, await rpc("session.get", { session_id: s.sessionId }));
      } catch (e) {
        report("session.get failed", e);
      }
    }
    await addWindow(s, {
      window_uuid: env.window_uuid,
      view: p.view,
      geometry: p.geometry,
      view_meta: s.views[p.view],
      z_index: z,
    });
    if (z === s.zTop) setActive(env.window_uuid); // nothing opened or focused since
  }
  function onEvent(s, env) {
    if (typeof env.seq === "number" && env.kind !== "events_dropped") {
      if (env.seq <= s.lastSeq) return; // replayed after an SSE reconnect
      s.lastSeq = env.seq;
    }
    emit("event", env);
    const rec = s.windows.get(env.window_uuid);
    const p = env.payload || {};
    switch (env.kind) {
      case "runtime_state_synced":
      case "events_dropped":
        // every open window (§7.3): not a crashed one, nor one closing during its grace period
        for (const r of s.windows.values()) {
          if (r.status === "active" || r.status === "minimized") forward(r, env);
        }
        return;
      case "open_view":
        if (!rec) return void openUnknown(s, env).catch((e) => report("open_view failed", e));
        forward(rec, env);
        return setActive(rec.wid);
      case "close_view":
        if (!rec) return;
        forward(rec, env);
        rec.status = "closed";
        win.setTimeout(() => removeWindow(s, rec.wid), CLOSE_GRACE_MS);
        return;
      case "status_changed":
        if (!rec) return;
        rec.status = p.status;
        forward(rec, env);
        if (p.status === "closed") win.setTimeout(() => removeWindow(s, rec.wid), CLOSE_GRACE_MS);
        return emitWindows();
      case "title_changed":
        if (!rec) return;
        rec.title = p.title;
        if (rec.iframe) rec.iframe.title = p.title;
        forward(rec, env);
        return emitWindows();
      case "geometry_changed":
        if (!rec) return;
        rec.geometry = p.geometry;
        applyGeometry(rec.iframe, p.geometry);
        forward(rec, env);
        return emitWindows();
      case "window_focus_changed":
        if (!rec) return void seenZ(s, p.z_index); // a window this page does not show
        rec.zIndex = p.z_index || rec.zIndex;
        seenZ(s, p.z_index);
        forward(rec, env);
        return setActive(rec.wid);
      case "auth.refresh":
        if (!rec) return;
        rec.token = p.token || rec.token;
        rec.expiresAt = p.expires_at || rec.expiresAt;
        forward(rec, env);
        return emitWindows();
      default:
        if (rec) forward(rec, env);
    }
  }

  // ---- attach / detach -------------------------------------------------------------------------
  function detach() {
    const s = current;
    if (!s) return;
    current = null;
    if (s.es) s.es.close();
    for (const r of s.windows.values()) if (r.iframe) r.iframe.remove();
    emitWindows();
  }
  /** Shows a session: its open windows (or only `opts.only`), events and live reload. */
  async function attach(sessionId, opts) {
    const o = opts || {};
    detach();
    const s = {
      sessionId,
      info: null,
      windows: new Map(),
      views: {},
      lastSeq: 0,
      zTop: 0, // the highest z_index known (§6.2)
      es: null,
      active: null,
      container: o.container || doc.querySelector("[data-anna-frames]") || doc.body,
    };
    current = s;
    // `/dev/:wid` reads the log only to reload: unwatched, the stream just took one of the 6
    // connections a browser allows per host (a 4th page in one context never loaded)
    if (!link.config.windowUuid || link.config.liveReload !== "off") link.startLogStream();
    const info = await rpc("session.get", { session_id: sessionId });
    if (current !== s) return info;
    s.info = info;
    s.lastSeq = (info.events && info.events.last_seq) || 0;
    for (const w of info.windows || []) seenZ(s, w.z_index);
    learnViews(s, info);
    emit("session", info);
    openEvents(s);
    const open = (info.windows || []).filter((w) =>
      (w.status === "active" || w.status === "minimized") && (!o.only || w.window_uuid === o.only)
    );
    const primary = o.only || info.primary_window_uuid;
    const first = open.find((w) => w.window_uuid === primary) || open[0];
    if (first) s.active = first.window_uuid;
    await Promise.all(open.map((w) => addWindow(s, w).catch(() => null)));
    return info;
  }
  async function refreshSession() {
    const s = current;
    if (!s) return null;
    const info = await rpc("session.get", { session_id: s.sessionId });
    if (current !== s) return info;
    s.info = info;
    learnViews(s, info);
    emit("session", info);
    return info;
  }

  // ---- reload ----------------------------------------------------------------------------------
  /**
   * Fresh token, then the same iframe URL again (§12.8). No wid: every open window. A crashed
   * window is final (§6.3): no token can be minted for it, so live reload passes it by and its own
   * Reload says so, instead of one failed refresh hiding that the other windows reloaded.
   */
  async function reload(wid) {
    const s = current;
    if (!s) return;
    const isOpen = (r) => r.status === "active" || r.status === "minimized";
    const asked = wid ? s.windows.get(wid) : null;
    if (asked && !isOpen(asked)) {
      throw new Error(
        `window ${wid} is ${asked.status} and cannot be reloaded; open its view again`,
      );
    }
    // a wid the page does not know (already removed) reloads nothing, as before
    const recs = wid ? (asked ? [asked] : []) : [...s.windows.values()].filter(isOpen);
    const done = await Promise.allSettled(recs.map(async (rec) => {
      const tok = await rpc("session.refresh_token", {
        session_id: s.sessionId,
        window_uuid: rec.wid,
      });
      if (current !== s || !rec.iframe) return;
      rec.token = tok.token;
      rec.expiresAt = tok.expires_at;
      rec.live = false;
      rec.loadedAt = null;
      const url = frameSrc(s, rec);
      // same URL (a token of the same second) with a #fragment would only scroll: a new iframe
      if (rec.iframe.src === url && url.includes("#")) replaceFrame(s, rec);
      else rec.iframe.src = url;
      emit("reloaded", { wid: rec.wid });
    }));
    emitWindows();
    const failed = done.find((d) => d.status === "rejected");
    if (failed) throw failed.reason;
  }
  function closeWindow(wid) {
    const s = current;
    if (!s) return Promise.reject(new Error("no session"));
    return rpc("session.call", {
      session_id: s.sessionId,
      window_uuid: wid,
      ns: "window",
      method: "close",
      args: { reason: "host" },
    });
  }
  function openView(view, payload) {
    const s = current;
    if (!s) return Promise.reject(new Error("no session"));
    const params = { session_id: s.sessionId, payload: payload || {} };
    if (view) params.view = view;
    return rpc("session.open_view", params); // the iframe appears with the open_view event
  }

  // Live reload: re-read the session first (a manifest change may move view entries).
  on("live_reload", () => {
    refreshSession().catch(() => null).then(() => reload())
      .catch((e) => report("live reload failed", e));
  });
  // Reload button hook: any element with `data-anna-reload` ("" = the active window, or a wid).
  doc.addEventListener("click", (ev) => {
    const el = ev.target && ev.target.closest ? ev.target.closest("[data-anna-reload]") : null;
    if (!el || !current) return;
    const wid = el.getAttribute("data-anna-reload") || current.active;
    reload(wid || undefined).catch((e) => report("reload failed", e));
  });

  win.__annaHost = {
    ...link,
    attach,
    detach,
    refreshSession,
    session: () => (current ? current.info : null),
    sessionId: () => (current ? current.sessionId : null),
    windows,
    activeWindow: () => (current ? current.active : null),
    setActive,
    reload,
    closeWindow,
    openView,
    frameUrl,
  };
})(globalThis);
