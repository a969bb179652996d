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
/**
 * All apps together. Reports are filed under served apps only, but `app_dir` apps come and go
 * (each fresh copy a new slug), so per-app caps alone let a runtime up for days hold 200 reports
 * for every app it ever served; past either ceiling the oldest report of any app goes first.
 */
export const CSP_REPORTS_TOTAL = 10_000;
export const CSP_REPORTS_TOTAL_BYTES = 64 * 1024 * 1024;

/**
 * Where a report's app came from. Every app shares the one app origin (§11.1), so any page there
 * can post a report naming any app, and even a report the browser made carries the URL its page
 * gave itself (`history.pushState`): the slug is what the report claims, never proven. `sender`
 * tells a report the browser generated (`Sec-Fetch-Dest: report`, which no script can set) from
 * one a page or tool posted itself.
 */
export interface CspAttribution {
  /** the report field (or the `Referer` header) that named the app; null when none did */
  claimed_in: string | null;
  sender: "browser" | "page";
}

export interface CspReport extends CspAttribution {
  slug: string;
  at: number;
  report: unknown;
}

const UNATTRIBUTED: CspAttribution = { claimed_in: null, sender: "page" };

interface Held {
  r: CspReport;
  bytes: number;
}

/** Newest 200 reports per app, in arrival order, within the total caps above. */
export class CspReportStore {
  /** Arrival order: the first entry is the oldest report of any app. */
  private held = new Map<number, Held>();
  private bySlug = new Map<string, number[]>();
  private order = 0;
  private bytes = 0;

  constructor(
    private readonly limits = { total: CSP_REPORTS_TOTAL, totalBytes: CSP_REPORTS_TOTAL_BYTES },
  ) {}

  /** `bytes`: the report's size as received (defaults to its JSON length). */
  add(
    slug: string,
    report: unknown,
    at = Date.now(),
    bytes?: number,
    attribution = UNATTRIBUTED,
  ): CspReport {
    const r: CspReport = { slug, at, report, ...attribution };
    const size = bytes ?? (JSON.stringify(report) ?? "").length;
    const id = ++this.order;
    this.held.set(id, { r, bytes: size });
    this.bytes += size;
    const ids = this.bySlug.get(slug) ?? [];
    ids.push(id);
    this.bySlug.set(slug, ids);
    if (ids.length > CSP_REPORTS_PER_APP) this.drop(ids[0]);
    while (this.held.size > this.limits.total || this.bytes > this.limits.totalBytes) {
      this.drop(this.held.keys().next().value!);
    }
    return r;
  }

  private drop(id: number) {
    const h = this.held.get(id);
    if (!h) return;
    this.held.delete(id);
    this.bytes -= h.bytes;
    // the dropped report is always its app's oldest, whichever cap dropped it
    const ids = this.bySlug.get(h.r.slug)!;
    ids.shift();
    if (ids.length === 0) this.bySlug.delete(h.r.slug);
  }

  /** Apps with reports held (tests). */
  get apps(): number {
    return this.bySlug.size;
  }

  list(): CspReport[] {
    return [...this.held.values()].map((h) => h.r);
  }
}

const SLUG_IN_URL = /\/anna-apps\/([^/?#]+)\/dev(?:[/?#]|$)/;

/**
 * The app slug a report names and where: the reported document URL (classic `csp-report` body or
 * Reporting API array), else the Referer header; `null` when neither names an app.
 */
export function reportClaim(
  report: unknown,
  referer: string | undefined,
): { slug: string; claimed_in: string } | null {
  const urls: [unknown, string][] = [];
  const pick = (o: unknown) => {
    if (typeof o !== "object" || o === null) return;
    const r = o as Record<string, unknown>;
    const key = r["csp-report"] != null ? "csp-report" : "body";
    const inner = r[key] as Record<string, unknown> | undefined;
    if (inner && typeof inner === "object") {
      urls.push([inner["document-uri"], `${key}.document-uri`]);
      urls.push([inner.documentURL, `${key}.documentURL`]);
    }
    urls.push([r.url, "url"]);
  };
  if (Array.isArray(report)) report.forEach(pick);
  else pick(report);
  urls.push([referer, "Referer"]);
  for (const [u, where] of urls) {
    if (typeof u !== "string") continue;
    const m = SLUG_IN_URL.exec(u);
    if (!m) continue;
    try {
      return { slug: decodeURIComponent(m[1]), claimed_in: where };
    } catch {
      return { slug: m[1], claimed_in: where };
    }
  }
  return null;
}

/** The slug alone (see reportClaim). */
export function reportSlug(report: unknown, referer: string | undefined): string | null {
  return reportClaim(report, referer)?.slug ?? null;
}
