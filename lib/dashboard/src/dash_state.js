/**
 * Dashboard panels over runtime state (CONTRACT §13): executas (executas.list / restart / invoke,
 * live stderr) and the manifest view (diagnostics, host_api, scopes, tool ids, sidecar map, CSP
 * reports). The storage panel is dash_storage.js.
 */
(function (win) {
  "use strict";
  const dash = win.__annaDash;
  if (!dash) return;
  const { $, h, host, json, act, parseJson } = dash;
  const STDERR_KEEP = 50;

  // ---- executas --------------------------------------------------------------------------------
  let executas = [];
  const stderr = new Map(); // tool_id → lines
  let refreshTimer = null;
  async function refreshExecutas() {
    const res = await host.rpc("executas.list", {});
    executas = res.executas || [];
    for (const x of executas) stderr.set(x.tool_id, (x.stderr_tail || []).slice(-STDERR_KEEP));
    renderExecutas();
    renderSidecar();
  }
  function scheduleExecutas() {
    win.clearTimeout(refreshTimer);
    refreshTimer = win.setTimeout(() => refreshExecutas().catch(dash.showError), 300);
  }
  function toolNames(x) {
    const tools = x.describe && Array.isArray(x.describe.tools) ? x.describe.tools : [];
    return tools.map((t) => (t && (t.name || t.tool_name)) || "?");
  }
  function renderExecutas() {
    const box = $("executas");
    // the cards are rebuilt: keep open what the developer opened
    const open = new Set(
      [...box.querySelectorAll("details[open][data-tool-id]")].map((d) => d.dataset.toolId),
    );
    if (!executas.length) {
      box.replaceChildren(h("div", { class: "muted", text: "No executas registered." }));
    } else box.replaceChildren(...executas.map((x) => executaCard(x, open.has(x.tool_id))));
    const select = $("invoke-tool");
    const keep = select.value;
    select.replaceChildren(
      ...executas.map((x) => h("option", { value: x.tool_id, text: x.tool_id })),
    );
    if (keep) select.value = keep;
  }
  function executaCard(x, stderrOpen) {
    const exit = !x.last_exit
      ? ""
      : x.last_exit.code == null && x.last_exit.signal
      ? `killed by ${x.last_exit.signal}`
      : `exit ${x.last_exit.code ?? "?"}${x.last_exit.signal ? ` (${x.last_exit.signal})` : ""}`;
    return h(
      "div",
      { class: "executa", testid: "executa-row", data: { toolId: x.tool_id, status: x.status } },
      h(
        "div",
        { class: "row" },
        h("b", { text: x.tool_id }),
        x.handle ? h("span", { class: "muted", text: `handle ${x.handle}` }) : null,
        h("span", { class: `badge status-${x.status}`, testid: "executa-status", text: x.status }),
        h("span", { class: "spacer" }),
        h("button", {
          type: "button",
          class: "small",
          testid: "executa-restart",
          text: "Restart",
          "aria-label": `Restart ${x.tool_id}`,
          on: {
            click: act(async () => {
              await host.rpc("executas.restart", { tool_id: x.tool_id });
              await refreshExecutas();
            }),
          },
        }),
      ),
      h("div", {
        class: "muted",
        text: [
          `pid ${x.pid ?? "—"}`,
          `protocol ${x.protocol ?? "—"}`,
          `restarts ${x.restarts ?? 0}`,
          `in flight ${x.in_flight ?? 0}`,
          exit,
          x.type || "",
        ].filter(Boolean).join(" · "),
      }),
      h(
        "div",
        { class: "chips", testid: "executa-tools" },
        toolNames(x).map((n) => h("span", { class: "chip", text: n })),
      ),
      h(
        "details",
        { testid: "executa-stderr-details", data: { toolId: x.tool_id }, open: stderrOpen },
        h("summary", { text: "stderr", "aria-label": `stderr of ${x.tool_id}` }),
        h("pre", {
          class: "stderr",
          testid: "executa-stderr",
          data: { toolId: x.tool_id },
          text: (stderr.get(x.tool_id) || []).join("\n"),
        }),
      ),
    );
  }
  function addStderr(toolId, line) {
    const lines = stderr.get(toolId) || [];
    lines.push(line);
    if (lines.length > STDERR_KEEP) lines.splice(0, lines.length - STDERR_KEEP);
    stderr.set(toolId, lines);
    for (const pre of $("executas").querySelectorAll('[data-testid="executa-stderr"]')) {
      if (pre.dataset.toolId === toolId) pre.textContent = lines.join("\n");
    }
  }

  // ---- manifest --------------------------------------------------------------------------------
  let diagnostics = [];
  // the newest `manifest` log entry (live or from history): it wins over session.get's, since an
  // invalid manifest on disk leaves the session with the previous one (§11.10)
  let manifestLog = null;
  function renderDiagnostics() {
    const list = $("manifest-diagnostics");
    if (!diagnostics.length) {
      return void list.replaceChildren(h("li", { class: "muted", text: "No diagnostics." }));
    }
    list.replaceChildren(...diagnostics.map((d) =>
      h(
        "li",
        {
          class: `diag ${d.severity}`,
          testid: "diagnostic",
          data: { severity: d.severity, code: d.code },
        },
        h("b", { text: `${d.severity} ${d.code}` }),
        d.path ? h("code", { text: ` ${d.path}` }) : null,
        h("span", { text: ` — ${d.message}` }),
        d.hint ? h("div", { class: "muted", text: `hint: ${d.hint}` }) : null,
      )
    ));
  }
  function chips(testid, items) {
    $(testid).replaceChildren(
      ...(items || []).map((s) => h("span", { class: "chip", text: String(s) })),
    );
  }
  /** Manifest log entries are about the `dev` app: the app of the oldest session. */
  function logDiagnostics(info) {
    if (!manifestLog || !info || info.app_slug !== dash.devSlug) return null;
    return Array.isArray(manifestLog.diagnostics) ? manifestLog.diagnostics : [];
  }
  function renderManifest(info) {
    diagnostics = logDiagnostics(info) ||
      (Array.isArray(info.diagnostics) ? info.diagnostics : []);
    renderDiagnostics();
    $("manifest-host-api").textContent = json(info.host_api ?? {});
    chips("manifest-scopes", info.scopes);
    chips("manifest-tools", info.granted_tools);
  }
  function renderSidecar() {
    // What /anna-apps/<slug>/dev/anna-tool-ids.js serves (§11.9). The page cannot read the app
    // origin, so it uses the map session.get reports (`tool_ids`) when the core provides it, else
    // handle → tool id of the registered executas (which ignores their app_slug and resolves
    // `bundled:` refs by handle only).
    const given = dash.info && dash.info.tool_ids;
    const map = {};
    if (given && typeof given === "object") Object.assign(map, given);
    else for (const x of executas) if (x.handle) map[x.handle] = x.tool_id;
    const sorted = Object.fromEntries(Object.keys(map).sort().map((k) => [k, map[k]]));
    $("manifest-sidecar").textContent = `window.__ANNA_TOOL_IDS__ = ${
      JSON.stringify(sorted, null, 2)
    };`;
  }
  async function refreshCsp() {
    const slug = dash.info && dash.info.app_slug;
    const res = await host.fetchJson("/api/csp-reports");
    const reports = (res.reports || []).filter((r) => !slug || r.slug === slug);
    const list = $("csp-reports");
    if (!reports.length) {
      return void list.replaceChildren(h("li", { class: "muted", text: "No CSP violations." }));
    }
    list.replaceChildren(
      ...reports.slice(-50).reverse().map((r) => {
        const body = (r.report && (r.report["csp-report"] || r.report.body || r.report)) || {};
        const what = `${body["violated-directive"] || body.effectiveDirective || "?"} blocked ${
          body["blocked-uri"] || body.blockedURL || "?"
        }`;
        // every app shares the app origin: the app is what the report claims (§11.1)
        const claim = `filed under '${r.slug}' as its ${r.claimed_in || "(nothing)"} claims`;
        return h(
          "li",
          { testid: "csp-report", title: claim },
          h("span", { class: "muted", text: `${dash.fmtTime(r.at)} ` }),
          what,
          r.sender === "page"
            ? h("span", {
              class: "badge",
              testid: "csp-report-page",
              title: "posted by a page or tool, not generated by the browser",
              text: " posted by a page",
            })
            : null,
        );
      }),
    );
  }

  dash.register({
    init() {
      $("executas-refresh").addEventListener("click", act(refreshExecutas));
      $("executa-invoke-form").addEventListener(
        "submit",
        act(async () => {
          const f = $("executa-invoke-form").elements;
          const out = $("invoke-result");
          out.hidden = true; // a refused try must not leave the last one's answer standing
          if (!f.tool_id.value) throw new Error("no executa selected");
          if (!f.method.value.trim()) throw new Error("method is required");
          const params = {
            tool_id: f.tool_id.value,
            method: f.method.value.trim(),
            args: parseJson(f.args.value, "args", {}),
          };
          if (host.sessionId()) params.session_id = host.sessionId();
          out.hidden = false;
          out.textContent = "…";
          const res = await host.rpc("executas.invoke", params);
          out.dataset.ok = String(!!(res && res.ok));
          out.textContent = json(res);
        }),
      );
      refreshExecutas().catch(dash.showError);
    },
    reset() {
      diagnostics = [];
      renderDiagnostics();
      $("manifest-host-api").textContent = "";
      chips("manifest-scopes", []);
      chips("manifest-tools", []);
      $("manifest-sidecar").textContent = "";
      $("csp-reports").replaceChildren();
    },
    logReset() {
      manifestLog = null; // the runtime restarted: its log starts afresh
    },
    session(info) {
      renderManifest(info);
      renderSidecar();
      refreshCsp().catch(dash.showError);
    },
    log({ entry, history }) {
      if (entry.type === "stderr") addStderr(entry.tool_id, entry.line);
      if (entry.type === "manifest") {
        manifestLog = entry;
        const diags = logDiagnostics(dash.info);
        if (diags) {
          diagnostics = diags;
          renderDiagnostics();
        }
      }
      if (history) return;
      if (entry.type === "executa") scheduleExecutas();
      if (entry.type === "csp") refreshCsp().catch(dash.showError);
      if (entry.type === "manifest") {
        host.refreshSession().catch(dash.showError); // host_api and scopes may have changed
      }
    },
  });
})(globalThis);
