/**
 * Browser boot check (CONTRACT §14.6): the HTTP server on port 0 for both origins, a session for
 * the default view (`--view` narrows only the views step), headless Chromium with a fresh profile
 * opening `/dev/<wid>`.
 * Pass iff within 20 s the server sees `window.hello` and `window.ready` for that window through
 * `app.call`, and no uncaught exception or unhandled rejection happens in any frame until 1 s after
 * `ready`. Console errors, CSP reports and failed requests (bundle 404s) are warnings only.
 */
import type { CallRecord } from "../dispatcher/mod.ts";
import { startServer } from "../server/mod.ts";
import { resolveControlToken } from "../server/control_token.ts";
import { dashboardPages } from "../server/pages.ts";
import { redactTokens } from "../util/redact.ts";
import { VERSION } from "../version.ts";
import { closeSession, openSession, type SmokeContext } from "./context.ts";
import type { BrowserResult, StepResult } from "./report.ts";
import { since } from "./report.ts";
import { crashText, launchChromium, launchFailure, noFontsInstalled } from "./chromium_launch.ts";
import {
  BUSY_HINT,
  describeError,
  errorPlace,
  type ExceptionDetails,
  fatalText,
  isModuleScript,
  likelyCause,
  moduleFailedText,
  navigationHint,
  OWN_IPV6_CSP_NOTICE,
  pageErrorText,
  playwrightMissing,
  type PwRequest,
  type PwResponse,
  reloadedWarning,
  reportWithoutToken,
  scriptMissingHint,
  sdkMissingHint,
  type Thrown,
  thrownFrom,
  unresponsive,
  withoutToken,
} from "./browser_cause.ts";

export const BOOT_TIMEOUT_MS = 20_000;
export const SETTLE_MS = 1_000;
/**
 * How long after its frame loaded an app with a failed module may still send hello: another of
 * its scripts may connect (a failed module alone is only a warning, §14.6).
 */
export const MODULE_GRACE_MS = 1_000;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function checkBrowser(
  ctx: SmokeContext,
  chromium: string,
): Promise<{ step: StepResult; browser: BrowserResult; warnings: string[] }> {
  const t0 = performance.now();
  const browser: BrowserResult = {
    status: "pass",
    console_errors: [],
    csp_violations: [],
    failed_requests: [],
  };
  const step: StepResult = { suite: "browser", name: "browser", status: "pass", duration_ms: 0 };
  /** for the report's warnings; the browser result's members are pinned (§14.8) */
  const warnings: string[] = [];
  const done = (status: BrowserResult["status"], message?: string) => {
    browser.status = step.status = status;
    // an uncaught error's message may quote the frame's URL, token and all
    if (message) browser.message = step.message = redactTokens(message);
    step.duration_ms = since(t0);
    step.details = {
      console_errors: browser.console_errors.length,
      csp_violations: browser.csp_violations.length,
      failed_requests: browser.failed_requests.length,
    };
    return { step, browser, warnings };
  };

  const log = ctx.rt.logger.child("browser");
  let server: ReturnType<typeof startServer>;
  try {
    server = startServer({
      runtime: ctx.rt,
      logger: log.child("server"),
      version: VERSION,
      pages: dashboardPages,
      bindHost: "127.0.0.1",
      port: 0,
      appPort: 0,
      allowRemote: false,
      allowedHosts: [],
      controlToken: resolveControlToken(undefined, false),
    });
  } catch (e) {
    return done("error", `cannot start the HTTP server: ${(e as Error).message}`);
  }

  let sessionId: string | null = null;
  let viewName = "";
  let viewEntry: string | null = null;
  let hello = false;
  let readyAt: number | null = null;
  const pageErrors: (string | (() => string))[] = [];
  let wid = "";
  let wake: () => void = () => {};
  /** the failed answer to the app frame's document request, when it failed */
  let entryFailed: string | null = null;
  /** what the app said when it reported a fatal error: its window is crashed, ready never comes */
  let fatalReport: string | null = null;
  /** a module of the app frame that failed to load, once the frame loaded and no hello came */
  let moduleFailed: string | null = null;
  /** the browser or the app's tab went away (a crash, a kill): a runtime fault, not the app's */
  let crashed: string | null = null;
  /** documents the app frame asked for: more than one before boot means it reloads or navigates */
  const appDocs: string[] = [];
  /** how many of them had been asked for when the first hello came */
  let docsAtHello: number | null = null;
  const observer = (rec: CallRecord, transport: string) => {
    if (rec.window_uuid !== wid || rec.ns !== "window" || transport !== "app") return;
    if (rec.method === "hello") {
      hello = true;
      docsAtHello ??= appDocs.length;
    }
    if (rec.method === "ready" && readyAt === null) readyAt = performance.now();
    if (rec.method === "report_error" && rec.outcome === "ok") fatalReport ??= fatalText(rec.args);
    wake();
  };
  let unwatch = () => {};
  // deno-lint-ignore no-explicit-any
  let pw: any = null;
  try {
    const s = await openSession(ctx);
    sessionId = s.session_id;
    viewName = s.view;
    viewEntry = ctx.manifest.ui.views.find((v) => v.name === s.view)?.entry ?? null;
    wid = s.window_uuid;
    unwatch = ctx.rt.watchCalls({ end: observer });
    let launcher;
    try {
      launcher = (await import("playwright-core")).chromium;
    } catch (e) {
      return done("error", playwrightMissing(e));
    }
    try {
      pw = await launchChromium(launcher, chromium, log);
    } catch (e) {
      return done("error", launchFailure(chromium, e));
    }
    pw.on("disconnected", () => {
      crashed ??= "Chromium exited";
      wake();
    });
    const context = await pw.newContext();
    const page = await context.newPage();
    page.on("crash", () => {
      crashed ??= "the app's Chromium tab crashed";
      wake();
    });
    // a script that does not parse has no stack frame: Chromium's own exception report has
    // its place (devtools protocol, for every frame of this page)
    const thrownAt: Thrown[] = [];
    const cdp = await context.newCDPSession(page).catch(() => null);
    cdp?.on("Runtime.exceptionThrown", (p: { exceptionDetails?: ExceptionDetails }) => {
      const d = p.exceptionDetails;
      if (d?.url) thrownAt.push(thrownFrom(d));
    });
    await cdp?.send("Runtime.enable").catch(() => {});
    page.on("pageerror", (e: Error) => {
      const text = pageErrorText(e);
      const place = errorPlace(e.stack);
      // the protocol's report (place, rejection or throw) may come after this event: look for
      // it when the message is built
      pageErrors.push(() => describeError(text, place, thrownAt));
      wake();
    });
    page.on("console", (m: { type(): string; text(): string }) => {
      // our own CSP lists the contract's http://[::1]:<port> forms, which Chromium reports as
      // invalid sources on every page; that is the runtime's noise, not the app's
      if (m.type() === "error" && !OWN_IPV6_CSP_NOTICE.test(m.text())) {
        browser.console_errors.push(redactTokens(m.text()));
      }
    });
    /** URLs already listed with their HTTP error: Chromium then also aborts some of them */
    const answeredBadly = new Set<string>();
    page.on("response", (r: PwResponse) => {
      if (r.status() < 400) return;
      const shown = `${r.status()} ${withoutToken(r.url())}`;
      browser.failed_requests.push(shown);
      answeredBadly.add(r.url());
      // the app frame's own document failed before any hello: nothing can connect, so stop
      // waiting now (a frame the app itself nests may fail without stopping the app)
      const req = r.request();
      if (!hello && req.isNavigationRequest() && req.frame().parentFrame() === page.mainFrame()) {
        entryFailed ??= shown;
        wake();
      }
      // a failed module stops its module graph with no exception: unless another script connects
      // once the frame has loaded, nothing will
      if (!hello && isModuleScript(req) && req.frame().parentFrame() === page.mainFrame()) {
        const text = moduleFailedText(r.status(), r.url(), req.headers().referer);
        req.frame().waitForLoadState("load").catch(() => {}).then(() => sleep(MODULE_GRACE_MS))
          .then(() => {
            if (hello) return;
            moduleFailed ??= text;
            wake();
          });
      }
    });
    page.on(
      "request",
      (r: PwRequest) => {
        if (r.isNavigationRequest() && r.frame().parentFrame() === page.mainFrame()) {
          appDocs.push(withoutToken(r.url()));
        }
      },
    );
    page.on("requestfailed", (r: { url(): string; failure(): { errorText: string } | null }) => {
      // a script that answered 404 is also "net::ERR_ABORTED": one entry per failure is enough
      if (answeredBadly.has(r.url())) return;
      browser.failed_requests.push(
        `${r.failure()?.errorText ?? "failed"} ${withoutToken(r.url())}`,
      );
    });
    const url = `${server.mainOrigin}/dev/${wid}`;
    const started = performance.now();
    await page.goto(url, { waitUntil: "commit", timeout: BOOT_TIMEOUT_MS }).catch((e: Error) => {
      pageErrors.push(`navigation failed: ${e.message.split("\n")[0]}`);
    });
    // wait for hello + ready (or an error, or the deadline, or an interruption)
    ctx.signal?.addEventListener("abort", () => wake(), { once: true });
    while (
      !(hello && readyAt !== null) && pageErrors.length === 0 && entryFailed === null &&
      fatalReport === null && moduleFailed === null && crashed === null && !ctx.signal?.aborted
    ) {
      const left = BOOT_TIMEOUT_MS - (performance.now() - started);
      if (left <= 0) break;
      let timer: ReturnType<typeof setTimeout> | undefined;
      await new Promise<void>((r) => {
        wake = r;
        timer = setTimeout(r, Math.min(left, 250));
      });
      clearTimeout(timer);
    }
    if (
      readyAt !== null && pageErrors.length === 0 && fatalReport === null && crashed === null &&
      !ctx.signal?.aborted
    ) {
      // a crash while settling ends the wait too
      const until = readyAt + SETTLE_MS;
      while (crashed === null && performance.now() < until) {
        let timer: ReturnType<typeof setTimeout> | undefined;
        await new Promise<void>((r) => {
          wake = r;
          timer = setTimeout(r, until - performance.now());
        });
        clearTimeout(timer);
      }
    }
    // a browser gone mid-check also fails navigation and probes: the crash is the one cause
    if (crashed !== null) return done("error", crashText(crashed, await noFontsInstalled()));
    browser.csp_violations = server.ctx.cspReports.list().filter((r) => r.slug === ctx.slug).map((
      r,
    ) => reportWithoutToken(r.report));
    if (pageErrors.length) {
      // Chromium's own reports come a moment after Playwright's
      const unplaced = pageErrors.filter((p) => typeof p !== "string").length;
      for (let i = 0; i < 10 && thrownAt.length < unplaced; i++) await sleep(50);
      const texts = pageErrors.map((p) => (typeof p === "string" ? p : p()));
      const hint = sdkMissingHint(texts, browser.failed_requests) ||
        scriptMissingHint(texts, browser.failed_requests);
      return done("fail", `uncaught error in the page: ${texts.join("; ")}${hint}`);
    }
    // a crashed window is not a booted app, whether it crashed before ready or while settling
    if (fatalReport !== null) return done("fail", fatalReport);
    if (!hello || readyAt === null) {
      const missing = [!hello && "window.hello", readyAt === null && "window.ready"].filter(
        Boolean,
      );
      // the view and its entry say where to look; the URL is a random port of this run
      const where = viewEntry ? `view '${viewName}' (${viewEntry})` : url;
      if (entryFailed !== null && !hello) {
        return done("fail", `the app frame of ${where} did not load: it answered ${entryFailed}`);
      }
      if (moduleFailed !== null && !hello) return done("fail", moduleFailed);
      const busy = !ctx.signal?.aborted && await unresponsive(page);
      return done(
        "fail",
        `no ${missing.join(" and ")} from ${where} within ${BOOT_TIMEOUT_MS / 1000} s` +
          (busy ? BUSY_HINT : navigationHint(appDocs) || likelyCause(browser, hello)),
      );
    }
    const reloaded = reloadedWarning(appDocs.slice(docsAtHello ?? appDocs.length));
    if (reloaded) warnings.push(reloaded);
    return done("pass");
  } catch (e) {
    return done("error", `browser check failed: ${(e as Error)?.message ?? e}`);
  } finally {
    unwatch();
    await pw?.close().catch(() => {});
    if (sessionId) await closeSession(ctx, sessionId);
    await server.close();
  }
}
