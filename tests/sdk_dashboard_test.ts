/**
 * Dashboard and /dev/:wid pages (CONTRACT §11.2, §11.3, §13): meta tags, CSP-compatible markup (no
 * inline script, nothing external), the /_dash/ assets they load, and the data-testid hooks the
 * browser tests rely on.
 */
import assert from "node:assert/strict";
import { dashAsset, dashAssetNames, dashboardHtml, devPageHtml } from "../lib/dashboard/mod.ts";

const TOKEN = "tok_<\"&'>";
const ESCAPED = "tok_&#60;&#34;&#38;&#39;&#62;";

function metas(html: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const m of html.matchAll(/<meta name="(anna-[^"]+)" content="([^"]*)">/g)) out[m[1]] = m[2];
  return out;
}

function checkCspFriendly(html: string) {
  const scripts = [...html.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/g)];
  assert.ok(scripts.length > 0);
  for (const [, attrs, body] of scripts) {
    assert.equal(body.trim(), "", "no inline script (CSP default-src 'self')");
    const src = /src="([^"]+)"/.exec(attrs)?.[1];
    assert.ok(src?.startsWith("/_dash/"), `script from /_dash/: ${attrs}`);
    assert.ok(dashAsset(src ?? ""), `${src} is served`);
  }
  assert.doesNotMatch(html, /\bon[a-z]+="/i, "no inline event handlers");
  assert.doesNotMatch(html, /(src|href)="(https?:)?\/\//, "nothing loaded from another origin");
  assert.doesNotMatch(html, /\{\{\s*[A-Z_]+\s*\}\}/, "every placeholder filled");
}

Deno.test("dashboardHtml: meta tags, escaped values, scripts from /_dash/", () => {
  const html = dashboardHtml({ controlToken: TOKEN, appPort: 5181, version: "0.1.0" });
  assert.deepEqual(metas(html), {
    "anna-control-token": ESCAPED,
    "anna-app-port": "5181",
    "anna-version": "0.1.0",
    "anna-live-reload": "off",
  });
  checkCspFriendly(html);
  for (const css of html.matchAll(/<link rel="stylesheet" href="([^"]+)">/g)) {
    assert.equal(dashAsset(css[1])?.contentType, "text/css; charset=utf-8");
  }
  const none = dashboardHtml({ controlToken: null, appPort: 1, version: "x" });
  assert.equal(metas(none)["anna-control-token"], "");
  // the header's live-reload state (§13) follows whether the server watches files (§11.10)
  const watching = dashboardHtml({
    controlToken: null,
    appPort: 1,
    version: "x",
    liveReload: true,
  });
  assert.equal(metas(watching)["anna-live-reload"], "on");
});

Deno.test("devPageHtml: session and window metas, host scripts only", () => {
  const html = devPageHtml({
    controlToken: "abc",
    appPort: 6001,
    sessionId: `ses_${"b".repeat(32)}`,
    windowUuid: "11111111-1111-4111-8111-111111111111",
    version: "0.1.0",
  });
  assert.deepEqual(metas(html), {
    "anna-control-token": "abc",
    "anna-app-port": "6001",
    "anna-session-id": `ses_${"b".repeat(32)}`,
    "anna-window-uuid": "11111111-1111-4111-8111-111111111111",
    "anna-version": "0.1.0",
    "anna-live-reload": "off",
  });
  checkCspFriendly(html);
  const scripts = [...html.matchAll(/<script src="([^"]+)"/g)].map((m) => m[1]);
  assert.deepEqual(scripts, [
    "/_dash/host_link.js",
    "/_dash/host_log.js",
    "/_dash/host_relay.js",
    "/_dash/host_frames.js",
    "/_dash/host.js",
    "/_dash/devpage.js",
  ]);
  assert.match(html, /data-anna-frames/);
});

Deno.test("dashAsset: serves scripts and styles by name, nothing else", () => {
  assert.deepEqual(dashAssetNames().sort(), [
    "dash_a11y.js",
    "dash_export.js",
    "dash_log.js",
    "dash_state.js",
    "dash_storage.js",
    "dash_windows.js",
    "dashboard.css",
    "dashboard.js",
    "dashboard_panels.css",
    "devpage.js",
    "host.js",
    "host_frames.js",
    "host_link.js",
    "host_log.js",
    "host_relay.js",
  ]);
  assert.equal(dashAsset("host.js")?.contentType, "text/javascript; charset=utf-8");
  assert.equal(dashAsset("/_dash/host.js")?.body, dashAsset("host.js")?.body);
  for (const bad of ["dashboard.html", "devpage.html", "nope.js", "../host.js", "x/host.js", ""]) {
    assert.equal(dashAsset(bad), null, bad);
  }
  for (const name of dashAssetNames().filter((n) => n.endsWith(".js"))) {
    new Function(dashAsset(name)!.body); // compiles (not run): a syntax error fails here
  }
});

Deno.test("dashboard markup carries the data-testid hooks of the browser tests", () => {
  const html = dashboardHtml({ controlToken: "t", appPort: 5181, version: "0.1.0" });
  const js = [
    "dashboard.js",
    "dash_log.js",
    "dash_export.js",
    "dash_state.js",
    "dash_storage.js",
    "dash_windows.js",
    "host.js",
    "host_frames.js",
    "host_relay.js",
  ].map((n) => dashAsset(n)!.body).join("\n");
  const ids = [
    "header-slug",
    "header-version",
    "llm-mode",
    "live-reload",
    "session-picker",
    "new-session",
    "new-session-form",
    "close-session",
    "window-tabs",
    "token-expiry",
    "reload-window",
    "close-window",
    "app-frames",
    "open-view-form",
    "rpc-log",
    "rpc-filter-ns",
    "rpc-filter-outcome",
    "rpc-clear",
    "export-jsonl",
    "events",
    "chat",
    "storage-json",
    "storage-size",
    "storage-keys",
    "storage-add-form",
    "storage-editor",
    "storage-save",
    "executas",
    "executa-invoke-form",
    "invoke-result",
    "manifest-diagnostics",
    "manifest-host-api",
    "manifest-scopes",
    "manifest-tools",
    "manifest-sidecar",
    "csp-reports",
  ];
  for (const id of ids) assert.match(html, new RegExp(`data-testid="${id}"`), id);
  // Rows and items are created by the scripts.
  for (
    const id of [
      "window-tab",
      "rpc-row",
      "event-row",
      "chat-message",
      "storage-key-row",
      "executa-row",
      "app-frame",
    ]
  ) {
    assert.ok(js.includes(`"${id}"`), id);
  }
});
