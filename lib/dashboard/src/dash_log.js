/**
 * Dashboard panels fed by streams (CONTRACT §13): the RPC log (from /api/log/stream, §11.11) with
 * filters and clear (its export is dash_export.js), the event list (session SSE) and the chat
 * (session.get + chat events).
 */
(function (win) {
  "use strict";
  const dash = win.__annaDash;
  if (!dash) return;
  const { $, h, host, json, redact, fmtTime, head } = dash;
  const MAX_ROWS = 2000;
  const MAX_EVENTS = 500;

  // ---- RPC log ---------------------------------------------------------------------------------
  const rpc = { clearedSeq: 0, namespaces: new Set() };
  const belongs = (e) => e.session_id === host.sessionId();

  function outcomeText(e) {
    if (e.outcome === "ok") return "ok";
    // a refused heartbeat going on (refused_heartbeats.ts): only its 1st, 2nd, 4th… are rows
    const repeat = e.repeat > 1 ? ` · ${e.repeat} times so far` : "";
    return `${e.outcome}${e.error_code ? ` · ${e.error_code}` : ""}${repeat}`;
  }
  function matchesFilter(row) {
    const ns = $("rpc-filter-ns").value;
    const outcome = $("rpc-filter-outcome").value;
    return (!ns || row.dataset.ns === ns) && (!outcome || row.dataset.outcome === outcome);
  }
  function windowLabel(wid) {
    const info = dash.info;
    if (info && wid === info.primary_window_uuid) return "primary";
    return wid ? wid.slice(0, 8) : "—";
  }
  /**
   * `window.report_error` is "shown in the dashboard" (§5.4): its message (and whether it was
   * fatal) stays visible under the call, not only inside the collapsed args.
   */
  function appErrorLine(e) {
    if (e.ns !== "window" || e.method !== "report_error" || e.outcome !== "ok") return null;
    const a = e.args && typeof e.args === "object" ? e.args : {};
    if (a._truncated === true || !("message" in a)) return null;
    const m = a.message;
    let text = typeof m === "string"
      ? m
      : m !== null && typeof m === "object"
      ? JSON.stringify(m)
      : String(m);
    if (text.length > 500) text = `${head(text, 500)}…`;
    return h("div", {
      class: "app-error",
      testid: "rpc-app-error",
      data: { fatal: a.fatal === true },
      text: `${a.fatal === true ? "fatal app error" : "app error"}: ${text}`,
    });
  }
  function rpcRow(e) {
    // args and result (up to 64 KiB each) are laid out when the row is first opened: 2 000 rows
    // printed up front held far more than the entries themselves
    const ok = e.outcome === "ok";
    const args = h("pre", { testid: "rpc-args" });
    const out = h("pre", { testid: ok ? "rpc-result" : "rpc-error" });
    const details = h(
      "details",
      {
        on: {
          toggle: () => {
            if (!details.open || args.textContent) return;
            args.textContent = `args ${json(e.args)}`;
            out.textContent = ok
              ? `result ${json(e.result)}`
              : `error ${json(e.error ?? { code: e.error_code })}`;
          },
        },
      },
      h("summary", { text: `${e.ns}.${e.method}` }),
      h("div", { class: "muted", text: `transport ${e.transport || "?"} · seq ${e.seq}` }),
      args,
      out,
    );
    const row = h(
      "tr",
      { testid: "rpc-row", data: { outcome: e.outcome, ns: e.ns, method: e.method, seq: e.seq } },
      h("td", { class: "nowrap", text: fmtTime(e.ts) }),
      h("td", { class: "nowrap", title: e.window_uuid || "", text: windowLabel(e.window_uuid) }),
      h("td", {}, details, appErrorLine(e)),
      h("td", { class: `outcome ${e.outcome}`, testid: "rpc-outcome", text: outcomeText(e) }),
      h("td", { class: "num", text: e.ms != null ? String(e.ms) : "" }),
    );
    row.hidden = !matchesFilter(row);
    return row;
  }
  function addNamespace(ns) {
    if (!ns || rpc.namespaces.has(ns)) return;
    rpc.namespaces.add(ns);
    const select = $("rpc-filter-ns");
    const names = [...rpc.namespaces].sort();
    const before = names.indexOf(ns) + 1; // +1: the "all" option comes first
    select.insertBefore(h("option", { value: ns, text: ns }), select.options[before] || null);
  }
  function addRpc(e) {
    if (e.seq <= rpc.clearedSeq) return;
    addNamespace(e.ns);
    const body = $("rpc-log");
    body.prepend(rpcRow(e)); // newest first
    while (body.rows.length > MAX_ROWS) body.deleteRow(body.rows.length - 1);
  }
  function applyFilters() {
    for (const row of $("rpc-log").rows) row.hidden = !matchesFilter(row);
  }

  function rebuildRpc() {
    $("rpc-log").replaceChildren();
    for (const e of host.logEntries()) if (e.type === "rpc" && belongs(e)) addRpc(e);
  }
  /** The session's events from before it was attached (the SSE only sends newer ones). */
  function rebuildEvents() {
    $("events").replaceChildren();
    eventsSeen.clear();
    const past = host.logEntries().filter((e) => e.type === "event" && e.event && belongs(e));
    for (const e of past.sort((a, b) => a.event.seq - b.event.seq)) addEvent(e.event);
  }

  // ---- events ----------------------------------------------------------------------------------
  const eventsSeen = new Set(); // `kind:seq` of the rows shown for the current session
  function addEvent(env) {
    const key = `${env.kind}:${env.seq}`;
    if (eventsSeen.has(key)) return;
    eventsSeen.add(key);
    const box = $("events");
    // the payload (a whole storage bucket, for storage events) is laid out when first opened;
    // an `auth.refresh` token from the SSE is shown redacted, as in the log (the host keeps it)
    const pre = h("pre", { testid: "event-payload" });
    const details = h(
      "details",
      {
        on: {
          toggle: () => {
            if (details.open && !pre.textContent) pre.textContent = redact(json(env.payload));
          },
        },
      },
      h(
        "summary",
        {},
        h("span", { class: "num", text: `#${env.seq}` }),
        h("b", { text: ` ${env.kind} ` }),
        h("span", { class: "muted", text: windowLabel(env.window_uuid) }),
        env.by_client_id === null ? h("span", { class: "badge", text: "host" }) : null,
      ),
      pre,
    );
    box.prepend(
      h(
        "div",
        { class: "event", testid: "event-row", data: { kind: env.kind, seq: env.seq } },
        details,
      ),
    );
    while (box.children.length > MAX_EVENTS) {
      const old = box.lastElementChild;
      eventsSeen.delete(`${old.dataset.kind}:${old.dataset.seq}`);
      old.remove();
    }
  }

  // ---- chat ------------------------------------------------------------------------------------
  const chatSeen = new Set();
  const MAX_CHAT = 10000; // §5.7: the session keeps this many messages + artifacts
  // what the panel shows, to tell a session re-read (every live reload does one) that finds
  // the same chat, so its rows stay
  const shown = { session: null, msgs: 0, arts: 0, lastMsg: "", lastArt: "" };
  function addChatRow(id, row, artifact) {
    if (id) chatSeen.add(id);
    if (artifact) {
      shown.arts++;
      shown.lastArt = id || "";
    } else {
      shown.msgs++;
      shown.lastMsg = id || "";
    }
    const box = $("chat");
    box.append(row);
    while (box.children.length > MAX_CHAT) {
      const old = box.firstElementChild;
      chatSeen.delete(old.dataset.id);
      if (old.classList.contains("chat-artifact")) shown.arts--;
      else shown.msgs--;
      old.remove();
    }
  }
  function clearChat() {
    chatSeen.clear();
    Object.assign(shown, { session: null, msgs: 0, arts: 0, lastMsg: "", lastArt: "" });
    $("chat").replaceChildren();
  }
  function contentText(c) {
    if (typeof c === "string") return c;
    if (c && typeof c === "object" && typeof c.text === "string") return c.text;
    if (Array.isArray(c)) return c.map(contentText).join("\n");
    return json(c);
  }
  function addMessage(m) {
    if (m.message_id && chatSeen.has(m.message_id)) return;
    addChatRow(
      m.message_id,
      h(
        "div",
        {
          class: `chat-msg ${m.role || ""}`,
          testid: "chat-message",
          data: { role: m.role || "", id: m.message_id || "" },
        },
        h("span", { class: "role", text: m.role || "?" }),
        h("span", { class: "text", text: contentText(m.content) }),
      ),
      false,
    );
  }
  // §5.7 keeps a summary of any type: an object would read "[object Object]", a 0 nothing
  const summaryText = (v) => v == null ? "" : typeof v === "string" ? v : JSON.stringify(v);
  function addArtifact(a) {
    if (a.artifact_id && chatSeen.has(a.artifact_id)) return;
    addChatRow(
      a.artifact_id,
      h(
        "div",
        {
          class: "chat-artifact",
          testid: "chat-artifact",
          data: { kind: a.kind || "", id: a.artifact_id || "" },
        },
        h(
          "details",
          {},
          h("summary", { text: `artifact ${a.kind || ""}: ${summaryText(a.summary)}` }),
          h("pre", {
            text: json(a.payload ?? a.data ?? a.payload_ref ?? null),
          }),
        ),
      ),
      true,
    );
  }
  function renderChat(info) {
    const chat = info.chat || {};
    const ms = chat.messages || [], as = chat.artifacts || [];
    const same = info.session_id === shown.session && ms.length === shown.msgs &&
      as.length === shown.arts &&
      (ms.length ? ms[ms.length - 1].message_id || "" : "") === shown.lastMsg &&
      (as.length ? as[as.length - 1].artifact_id || "" : "") === shown.lastArt;
    if (same) return;
    clearChat();
    shown.session = info.session_id;
    const items = [
      ...(chat.messages || []).map((m) => ({ at: m.created_at || 0, add: () => addMessage(m) })),
      ...(chat.artifacts || []).map((a) => ({ at: a.created_at || 0, add: () => addArtifact(a) })),
    ];
    for (const item of items.sort((a, b) => a.at - b.at)) item.add();
  }

  let lastSessionId = null;
  dash.register({
    init() {
      $("rpc-filter-ns").addEventListener("change", applyFilters);
      $("rpc-filter-outcome").addEventListener("change", applyFilters);
      $("rpc-clear").addEventListener("click", () => {
        rpc.clearedSeq = host.logEntries().reduce((m, e) => Math.max(m, e.seq || 0), 0);
        $("rpc-log").replaceChildren();
      });
    },
    reset() {
      $("rpc-log").replaceChildren();
      $("events").replaceChildren();
      eventsSeen.clear();
      clearChat();
      lastSessionId = null;
    },
    logReset() {
      // the runtime restarted and numbers its log from 1 again
      rpc.clearedSeq = 0;
      $("rpc-log").replaceChildren();
      lastSessionId = null;
    },
    session(info) {
      renderChat(info);
      if (info.session_id !== lastSessionId) {
        lastSessionId = info.session_id;
        rebuildRpc(); // entries that arrived before the session was known
        rebuildEvents();
      }
    },
    log({ entry }) {
      if (entry.type === "rpc" && belongs(entry)) addRpc(entry);
    },
    event(env) {
      addEvent(env);
      const p = env.payload || {};
      if (env.kind === "chat_message_from_app") addMessage(p);
      if (env.kind === "artifact_appended") addArtifact(p);
    },
  });
})(globalThis);
