/**
 * Content-Security-Policy strings (CONTRACT §11.8 for bundles, §11.3 for the dashboard) and the
 * store of CSP violation reports (`POST /_anna/csp-report`, `GET /api/csp-reports`).
 */
import type { EffectiveManifest } from "../manifest/types.ts";

/** Joins a directive with its sources, de-duplicated in first-seen order. */
function directive(name: string, sources: string[]): string {
  const seen = [...new Set(sources.filter((s) => s !== ""))];
  return seen.length ? `${name} ${seen.join(" ")}` : name;
}

type CspInput = Pick<EffectiveManifest, "ui">;

/** The bundle CSP; `mainForms` = the main-origin forms (loopback forms plus allowed hosts). */
export function bundleCsp(manifest: CspInput | null, mainForms: string[]): string {
  const o = manifest?.ui.csp_overrides ?? {};
  const S = (d: string): string[] => (Array.isArray(o[d]) ? o[d] : []);
  const E = manifest?.ui.bundle.external_origins ?? [];
  const parts = [
    "default-src 'none'",
    "base-uri 'self'",
    directive("script-src", ["'self'", ...S("script-src")]),
    directive("style-src", ["'self'", "'unsafe-inline'", ...S("style-src")]),
    directive("img-src", ["'self'", "data:", "blob:", ...E, ...S("img-src")]),
    directive("font-src", ["'self'", "data:", ...S("font-src")]),
    directive("media-src", ["'self'", "blob:", ...S("media-src")]),
    directive("connect-src", ["'self'", ...E, ...S("connect-src")]),
    "worker-src 'self' blob:",
  ];
  // frame-src only when the overrides supply it (otherwise default-src 'none' forbids frames)
  if (S("frame-src").length) parts.push(directive("frame-src", S("frame-src")));
  parts.push(
    directive("frame-ancestors", mainForms),
    "form-action 'self'",
    "report-uri /_anna/csp-report",
  );
  return parts.join("; ");
}

/** The dashboard and `/dev/:wid` CSP (§11.3); `wsHost` is the validated Host the page was served on. */
export function dashboardCsp(appForms: string[], wsHost: string): string {
  return [
    "default-src 'self'",
    directive("frame-src", appForms),
    directive("connect-src", ["'self'", `ws://${wsHost}`]),
    "img-src 'self' data:",
    "style-src 'self' 'unsafe-inline'",
  ].join("; ");
}

export const CSP_REPORT_MAX_BYTES = 64 * 1024;
export const CSP_REPORTS_PER_APP = 200;

export interface CspReport {
  slug: string;
  at: number;
  report: unknown;
}

/** Newest 200 reports per app, in arrival order. */
export class CspReportStore {
  private bySlug = new Map<string, CspReport[]>();
  private order = 0;
  private seq = new WeakMap<CspReport, number>();

  add(slug: string, report: unknown, at = Date.now()): CspReport {
    const r: CspReport = { slug, at, report };
    this.seq.set(r, ++this.order);
    const list = this.bySlug.get(slug) ?? [];
    list.push(r);
    if (list.length > CSP_REPORTS_PER_APP) list.splice(0, list.length - CSP_REPORTS_PER_APP);
    this.bySlug.set(slug, list);
    return r;
  }

  list(): CspReport[] {
    const all = [...this.bySlug.values()].flat();
    return all.sort((a, b) => this.seq.get(a)! - this.seq.get(b)!);
  }
}

const SLUG_IN_URL = /\/anna-apps\/([^/?#]+)\/dev(?:[/?#]|$)/;

/**
 * The app slug a report belongs to: from the reported document URL (classic `csp-report` body or
 * Reporting API array), else from the Referer header; `null` when neither names an app.
 */
export function reportSlug(report: unknown, referer: string | undefined): string | null {
  const urls: unknown[] = [];
  const pick = (o: unknown) => {
    if (typeof o !== "object" || o === null) return;
    const r = o as Record<string, unknown>;
    const inner = (r["csp-report"] ?? r.body) as Record<string, unknown> | undefined;
    if (inner && typeof inner === "object") urls.push(inner["document-uri"], inner.documentURL);
    urls.push(r.url);
  };
  if (Array.isArray(report)) report.forEach(pick);
  else pick(report);
  urls.push(referer);
  for (const u of urls) {
    if (typeof u !== "string") continue;
    const m = SLUG_IN_URL.exec(u);
    if (m) {
      try {
        return decodeURIComponent(m[1]);
      } catch {
        return m[1];
      }
    }
  }
  return null;
}
