/**
 * What a failed `smoke --browser` boot (CONTRACT §14.6) says about why: the place of an uncaught
 * error, the likely cause of a missing hello/ready, and URLs and CSP reports with the dev token out.
 */
import type { BrowserResult } from "./report.ts";

/** Chromium's notice about the IPv6 loopback sources in the CSP the runtime itself sends. */
export const OWN_IPV6_CSP_NOTICE = /Content.Security.Policy.*'http:\/\/\[::1\]:\d+'/;

const SDK_SCRIPT = '<script src="/static/anna-apps/_sdk/latest/index.js">';

/**
 * What the page reported that most likely kept the SDK from connecting, for the timeout message:
 * a CSP block (an inline `<script>` or a foreign script origin), else a failed request, else a
 * console error. Empty when the page reported nothing.
 */
export function likelyCause(b: BrowserResult, helloSeen = true): string {
  if (b.csp_violations.length) return `; the CSP blocked ${cspSummary(b.csp_violations[0])}`;
  if (b.failed_requests.length) return `; a request failed: ${b.failed_requests[0]}`;
  if (b.console_errors.length) return `; the console said: ${b.console_errors[0]}`;
  if (!helloSeen) {
    return "; the page reported no error: does it load the SDK " +
      `(${SDK_SCRIPT} or an import of it) and call AnnaAppRuntime.connect()?`;
  }
  return "";
}

/**
 * For a boot that timed out after the app frame asked for more than one document: the app
 * reloads itself or sets `location` (each load starts over, so connect() never finishes).
 */
export function navigationHint(docs: string[]): string {
  if (docs.length < 2) return "";
  return `; the app frame loaded ${docs.length} documents (last: ${docs[docs.length - 1]}): ` +
    "it reloads itself or sets location, and each load starts the app over";
}

/**
 * The warning for an app frame that loaded more documents after its first hello, within the boot
 * check (up to 1 s after ready): it reloads itself or navigates. §14.6 passes such a boot (only
 * exceptions fail the settle second), but in a host each load starts the app over. "" for none.
 */
export function reloadedWarning(after: string[]): string {
  if (!after.length) return "";
  const n = after.length;
  return `browser: the app frame loaded ${n} more document${n === 1 ? "" : "s"} after it ` +
    `connected (last: ${after[n - 1]}): it reloads itself or sets location, and each load ` +
    "starts the app over";
}

/** The cause named when the app frame did not answer a probe: its main thread never yields. */
export const BUSY_HINT = "; the app's page did not respond for 1 s: a script keeps its main " +
  "thread busy (an endless loop or a long synchronous task?), so the SDK cannot send its messages";

/**
 * For an uncaught "AnnaAppRuntime is not defined": the SDK script did not load (a wrong path is a
 * 404) or runs after the code using it. The error alone names neither the path nor the fix.
 */
export function sdkMissingHint(errors: string[], failedRequests: string[]): string {
  if (!errors.some((t) => /\bAnnaAppRuntime is not defined\b/.test(t))) return "";
  const failed = failedRequests.find((r) => /\.m?js\b/.test(r));
  return `; the SDK did not load${failed ? ` (${failed})` : ""}: put ${SDK_SCRIPT}</script> ` +
    "before the script that uses it";
}

/**
 * For an uncaught "X is not defined" (other than the SDK's) after a script failed to load: the
 * name is most likely what that script defines, and the error alone does not say it was blocked.
 */
export function scriptMissingHint(errors: string[], failedRequests: string[]): string {
  if (!errors.some((t) => /\bis not defined\b/.test(t))) return "";
  const failed = failedRequests.find((r) => /\.m?js\b/.test(r));
  if (!failed) return "";
  const blocked = /^csp (\S+)/.exec(failed);
  if (!blocked) return `; a script did not load (${failed})`;
  // §3.5: csp_overrides cannot add an origin to script-src, so the bundle is the only way
  return `; the CSP blocked the script ${blocked[1]}: scripts load only from the app's own ` +
    "origin, so copy it into the bundle";
}

/** The start of an app's bundle URL: a bundle path is shown relative to it. */
const DEV_URL_PREFIX = /^https?:\/\/[^/]+\/anna-apps\/[^/]+\/dev\//;

/** A Playwright request, as far as the boot check reads it. */
export interface PwRequest {
  url(): string;
  isNavigationRequest(): boolean;
  resourceType(): string;
  headers(): Record<string, string>;
  frame(): { parentFrame(): unknown; waitForLoadState(state: "load"): Promise<void> };
}

/** A Playwright response, as far as the boot check reads it. */
export interface PwResponse {
  status(): number;
  url(): string;
  request(): PwRequest;
}

/**
 * Whether a request is for a module script: those are fetched in CORS mode, so Chromium sends
 * `Origin` even to the page's own origin, which a classic `<script src>` does not.
 */
export function isModuleScript(r: PwRequest): boolean {
  return r.resourceType() === "script" && r.headers().origin !== undefined;
}

/**
 * For a module script of the app frame that answered an HTTP error: a module runs only once every
 * module it imports statically has loaded, so one missing import stops it with no exception at
 * all, only a failed request. `importer` is the request's referrer: the importing module, or the
 * page for a `<script type="module">`.
 */
export function moduleFailedText(status: number, url: string, importer?: string): string {
  const shown = withoutToken(url);
  const from = importer && /\.m?js$/.test(importer.replace(/[?#].*$/, ""))
    ? importer.replace(/[?#].*$/, "").replace(DEV_URL_PREFIX, "")
    : null;
  const what = from
    ? `the app's module ${from} did not run: its import ${shown} answered ${status}`
    : `the app's module script ${shown} did not load: it answered ${status}`;
  return `${what}; a module runs only once all its imports load, so the app never sent ` +
    "window.hello (check the path, and that the file is in the bundle)";
}

/** A URL as shown in a report: the dev token (`t=`) of the app frame's query left out. */
export function withoutToken(url: string): string {
  return url.replace(/([?&#]t=)[^&#]*/g, "$1…");
}

/**
 * A CSP report with the dev token left out of every URL in it (`documentURL`, `referrer`…): the
 * report may be kept as a CI artifact, and Chromium copies the app frame's URL, token and all.
 */
export function reportWithoutToken(report: unknown): unknown {
  if (typeof report === "string") return withoutToken(report);
  if (Array.isArray(report)) return report.map(reportWithoutToken);
  if (typeof report !== "object" || report === null) return report;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(report)) out[k] = reportWithoutToken(v);
  return out;
}

/**
 * Where an uncaught page error was thrown, from its first stack frame with a source position:
 * " (at app.js:12:5)", the bundle path relative to the app's dev URL; "" when the stack has none.
 */
export function errorPlace(stack: string | undefined): string {
  const frame = stack?.split("\n").find((l) => /^\s+at /.test(l) && /:\d+:\d+\)?$/.test(l));
  const m = frame && /(\S+?):(\d+):(\d+)\)?$/.exec(frame.trim());
  if (!m) return "";
  const file = m[1].replace(/^\(/, "").replace(DEV_URL_PREFIX, "");
  return ` (at ${file}:${m[2]}:${m[3]})`;
}

/**
 * An uncaught page error as "TypeError: x is undefined". A thrown non-Error (a string, an object)
 * reaches Playwright as an error with no name: then the message alone.
 */
export function pageErrorText(e: { name?: string; message?: string }): string {
  const message = e.message || "(no message)";
  return e.name ? `${e.name}: ${message}` : message;
}

/** What Chromium reports of an uncaught exception (devtools protocol `Runtime.exceptionThrown`). */
export interface ExceptionDetails {
  url?: string;
  lineNumber?: number;
  columnNumber?: number;
  /** "Uncaught" or "Uncaught (in promise)" */
  text?: string;
  exception?: { description?: string; value?: unknown };
}

/** " (at app.js:3:9)" from an exception report (0-based line and column there). */
export function exceptionPlace(d: ExceptionDetails): string {
  if (!d.url || d.lineNumber === undefined) return "";
  const file = d.url.replace(DEV_URL_PREFIX, "");
  return ` (at ${file}:${d.lineNumber + 1}:${(d.columnNumber ?? 0) + 1})`;
}

/** An exception as Chromium reported it. */
export interface Thrown {
  text: string;
  place: string;
  /** a promise rejected with no handler, rather than a throw */
  rejection: boolean;
}

export function thrownFrom(d: ExceptionDetails): Thrown {
  const e = d.exception;
  // a thrown or rejected non-Error (a string) has a value and no description
  const text = e?.description ?? (typeof e?.value === "string" ? e.value : "");
  return { text, place: exceptionPlace(d), rejection: /in promise/.test(d.text ?? "") };
}

/**
 * An uncaught page error for the report: Playwright's text, the place from its stack (else from
 * Chromium's report of it) and, for a rejection, says so: the fix is a missing catch, not a throw.
 */
export function describeError(text: string, place: string, thrown: Thrown[]): string {
  const t = thrown.find((t) => t.text.startsWith(text));
  return `${t?.rejection ? "unhandled promise rejection: " : ""}${text}${place || t?.place || ""}`;
}

/** A CSP report (legacy `csp-report` or Reporting API) as "inline (script-src-elem)". */
export function cspSummary(report: unknown): string {
  const first = Array.isArray(report) ? report[0] : report;
  const o = (typeof first === "object" && first !== null ? first : {}) as Record<string, unknown>;
  const r = (o["csp-report"] ?? o.body ?? {}) as Record<string, unknown>;
  const blocked = r["blocked-uri"] ?? r.blockedURL ?? "something";
  const directive = r["effective-directive"] ?? r.effectiveDirective ?? r["violated-directive"];
  const what = blocked === "inline"
    ? "an inline script or handler (move it to a .js file)"
    : blocked;
  return typeof directive === "string" ? `${what} (${directive})` : String(what);
}

/**
 * Why the browser driver did not load: the single-file bundle fetches `playwright-core` from the
 * npm registry on first use (the compiled binary carries it).
 */
export function playwrightMissing(e: unknown): string {
  const why = String((e as Error)?.message ?? e).split("\n")[0].replace(/\.+$/, "");
  // Deno applies the deno.json / package.json it finds beside or above the bundle (a frozen lock,
  // nodeModulesDir "manual", a node_modules folder); those errors are not about the network
  if (/node_modules|lockfile|deno\.json|package\.json/i.test(why)) {
    return `cannot load the browser driver playwright-core: ${why}. Deno took this from a ` +
      "deno.json or package.json beside or above the bundle file: run the bundle with " +
      "'deno run -A --no-config anna-app-runtime.js …' (or use the compiled binary, which includes it)";
  }
  return `cannot load the browser driver playwright-core: ${why}. The single-file bundle ` +
    "fetches it from the npm registry on first use and caches it (DENO_DIR): run it once where " +
    "registry.npmjs.org is reachable, or use the compiled binary, which includes it";
}

/**
 * The failure for a `window.report_error` call with `fatal:true` (§5: the window turns `crashed`
 * and takes no more calls), with the app's message and the place its `stack` names; null when the
 * report was not fatal.
 */
export function fatalText(args: unknown): string | null {
  const a = (typeof args === "object" && args !== null ? args : {}) as Record<string, unknown>;
  if (a.fatal !== true) return null;
  const message = typeof a.message === "string" ? a.message : JSON.stringify(a.message);
  const place = typeof a.stack === "string" ? errorPlace(a.stack) : "";
  return `the app reported a fatal error (window.report_error with fatal:true): ${message}${place}; ` +
    "its window is crashed and takes no more calls, so it cannot finish booting";
}

/** How long the app frame may take to run a no-op script before it counts as hung. */
export const PROBE_MS = 1_000;

/**
 * Whether the app frame (else the page) fails to run a no-op script within PROBE_MS: a script
 * that never yields its main thread reports no error, and its SDK messages never go out.
 */
// deno-lint-ignore no-explicit-any
export async function unresponsive(page: any): Promise<boolean> {
  const main = page.mainFrame();
  // deno-lint-ignore no-explicit-any
  const frame = page.frames().find((f: any) => f.parentFrame() === main) ?? main;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const answered = await Promise.race([
    // a frame gone or navigating answers with an error: that is not a busy thread
    frame.evaluate(() => true).then(() => true, () => true),
    new Promise<boolean>((r) => (timer = setTimeout(() => r(false), PROBE_MS))),
  ]);
  clearTimeout(timer);
  return !answered;
}
