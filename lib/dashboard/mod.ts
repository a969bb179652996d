/**
 * Dashboard (`GET /`, CONTRACT §13), single-window host page (`GET /dev/:wid`) and their static
 * assets (`GET /_dash/*`). Sources live in lib/dashboard/src and are embedded by
 * scripts/gen_assets.ts. Pages carry no inline script (the CSP of §11.3 forbids it): host.js and
 * the dashboard scripts load from /_dash/; the page's settings travel in meta tags (§11.2).
 */
import { DASH_FILES } from "./assets.gen.ts";

interface PageOptions {
  controlToken: string | null;
  appPort: number;
  version: string;
}

export interface DashboardOptions extends PageOptions {
  /** The server watches the app's files (§11.10); absent = not watching. */
  liveReload?: boolean;
}

export interface DevPageOptions extends PageOptions {
  sessionId: string;
  windowUuid: string;
  /** As on the dashboard: the server watches the app's files (§11.10). */
  liveReload?: boolean;
}

export interface DashAsset {
  body: string;
  contentType: string;
}

const TYPES: Record<string, string> = {
  js: "text/javascript; charset=utf-8",
  css: "text/css; charset=utf-8",
};

function escapeAttr(value: string): string {
  return value.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function fill(template: string, values: Record<string, string>): string {
  // `deno fmt` writes placeholders in HTML text as `{{ NAME }}`, in attributes as `{{NAME}}`
  return template.replace(/\{\{\s*([A-Z_]+)\s*\}\}/g, (whole, key: string) => {
    const v = values[key];
    return v === undefined ? whole : escapeAttr(v);
  });
}

function template(name: string): string {
  const t = DASH_FILES[name];
  if (t === undefined) {
    throw new Error(`dashboard template ${name} missing; run scripts/gen_assets.ts`);
  }
  return t;
}

/** The dashboard page. `controlToken: null` (`--no-control-token`) leaves the meta tag empty. */
export function dashboardHtml(opts: DashboardOptions): string {
  return fill(template("dashboard.html"), {
    CONTROL_TOKEN: opts.controlToken ?? "",
    APP_PORT: String(opts.appPort),
    VERSION: opts.version,
    LIVE_RELOAD: opts.liveReload ? "on" : "off",
  });
}

/** The single-window host page for `/dev/:wid`. */
export function devPageHtml(opts: DevPageOptions): string {
  return fill(template("devpage.html"), {
    CONTROL_TOKEN: opts.controlToken ?? "",
    APP_PORT: String(opts.appPort),
    SESSION_ID: opts.sessionId,
    WINDOW_UUID: opts.windowUuid,
    VERSION: opts.version,
    LIVE_RELOAD: opts.liveReload ? "on" : "off",
  });
}

/** A `/_dash/*` asset by name (`host.js`, `/_dash/dashboard.css`, …); null when unknown. */
export function dashAsset(name: string): DashAsset | null {
  const file = name.replace(/^\/?(?:_dash\/)?/, "");
  const ext = file.slice(file.lastIndexOf(".") + 1);
  const type = TYPES[ext];
  const body = DASH_FILES[file];
  if (!type || body === undefined || file.includes("/")) return null;
  return { body, contentType: type };
}

/** Names served under /_dash/ (for the server's route table and tests). */
export function dashAssetNames(): string[] {
  return Object.keys(DASH_FILES).filter((n) => dashAsset(n) !== null);
}
