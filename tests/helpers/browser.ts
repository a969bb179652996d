/**
 * Headless Chromium for the browser acceptance tests (CONTRACT §12, §13): one browser per test
 * file through `playwright-core`, a fresh context per test, page errors collected so tests can
 * assert there were none, and small helpers around the dashboard's `data-testid` hooks.
 */
import assert from "node:assert/strict";
import { chromium } from "playwright-core";
import type { Browser, BrowserContext, Frame, Locator, Page } from "playwright-core";
import { fileURLToPath } from "node:url";

export type { Browser, BrowserContext, Frame, Locator, Page };

/** The example app the browser tests load (examples/notes-app). */
export const NOTES_APP = fileURLToPath(new URL("../../examples/notes-app", import.meta.url));

export const CHROMIUM = Deno.env.get("ANNA_APP_CHROMIUM") ?? "/usr/bin/chromium";
export const CHROMIUM_ARGS = [
  "--no-sandbox",
  "--disable-background-networking",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-component-update",
  "--disable-sync",
];
/** Generous: two shared cores, Python and Node executas starting next to Chromium. */
export const WAIT_MS = 30_000;
export const SCREENSHOT_DIR = fileURLToPath(
  new URL("../../.artifacts/screenshots/", import.meta.url),
);

export async function launchBrowser(): Promise<Browser & AsyncDisposable> {
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: CHROMIUM_ARGS,
  });
  return Object.assign(browser, {
    async [Symbol.asyncDispose]() {
      await browser.close().catch(() => {});
    },
  });
}

export interface TestPage extends AsyncDisposable {
  context: BrowserContext;
  page: Page;
  /** Uncaught exceptions and console errors in any frame. */
  errors: string[];
  /** Throws listing page errors, if any (the app and the dashboard must run clean). */
  assertNoErrors(ignore?: RegExp[]): void;
}

/** A new context (no shared storage or cache) and page; disposing closes the context. */
export async function newPage(
  browser: Browser,
  viewport = { width: 1400, height: 1000 },
): Promise<TestPage> {
  const context = await browser.newContext({ viewport });
  context.setDefaultTimeout(WAIT_MS);
  const page = await context.newPage();
  const errors: string[] = [];
  page.on("pageerror", (e: Error) => errors.push(`pageerror: ${e.message}`));
  page.on("console", (m) => {
    if (m.type() === "error") errors.push(`console: ${m.text()}`);
  });
  return {
    context,
    page,
    errors,
    assertNoErrors(ignore: RegExp[] = []) {
      const left = errors.filter((e) => ![CSP_IPV6_NOISE, ...ignore].some((re) => re.test(e)));
      assert.deepEqual(left, [], "errors in the page");
    },
    async [Symbol.asyncDispose]() {
      await context.close().catch(() => {});
    },
  };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export const byTestId = (root: Page | Frame | Locator, id: string) =>
  root.locator(`[data-testid="${id}"]`);

/** The frame of window `wid`'s iframe in a host page (dashboard or `/dev/:wid`), once attached. */
export async function appFrame(page: Page, wid: string): Promise<Frame> {
  const el = page.locator(`iframe[data-testid="app-frame"][data-wid="${wid}"]`);
  await el.waitFor({ state: "attached" });
  const handle = await el.elementHandle();
  const frame = await handle!.contentFrame();
  assert.ok(frame, `iframe of window ${wid} has a frame`);
  return frame;
}

/** Waits until `locator`'s text satisfies `pred`; returns the text. */
export async function textMatching(
  locator: Locator,
  pred: RegExp | ((t: string) => boolean),
  timeoutMs = WAIT_MS,
) {
  const test = typeof pred === "function" ? pred : (t: string) => pred.test(t);
  const deadline = Date.now() + timeoutMs;
  let last = "";
  while (Date.now() < deadline) {
    const left = Math.max(1, deadline - Date.now());
    last = (await locator.textContent({ timeout: left }).catch(() => null)) ?? "";
    if (test(last)) return last;
    await sleep(100);
  }
  throw new Error(`timed out waiting for text matching ${pred} (last: ${JSON.stringify(last)})`);
}

/** An RPC log row of the dashboard (§13): `data-outcome`, `data-ns`, `data-method` filter. */
/**
 * Runs `runtime.call(ns, method, args)` inside an app frame whose page keeps its connected runtime
 * at `globalThis.__rt` (the test apps do); the result, or `{error: code}` when the call fails.
 */
export function appCall(frame: Frame, ns: string, method: string, args: unknown = {}) {
  return frame.evaluate(
    ([ns, method, args]) =>
      // deno-lint-ignore no-explicit-any
      (globalThis as any).__rt.call(ns, method, args).then(
        (r: unknown) => r,
        (e: { code: string }) => ({ error: e.code }),
      ),
    [ns, method, args] as const,
  );
}

export function rpcRows(page: Page, f: { ns?: string; method?: string; outcome?: string } = {}) {
  let sel = `[data-testid="rpc-log"] [data-testid="rpc-row"]`;
  if (f.ns) sel += `[data-ns="${f.ns}"]`;
  if (f.method) sel += `[data-method="${f.method}"]`;
  if (f.outcome) sel += `[data-outcome="${f.outcome}"]`;
  return page.locator(sel);
}

/** Waits until at least `n` elements match. */
export async function atLeast(locator: Locator, n = 1, timeoutMs = WAIT_MS): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  let count = 0;
  while (Date.now() < deadline) {
    count = await locator.count();
    if (count >= n) return count;
    await sleep(100);
  }
  throw new Error(`timed out waiting for ${n} match(es) of ${locator} (have ${count})`);
}

/**
 * Console noise that is not an app or dashboard error: Chromium does not accept IPv6 literals in
 * CSP source expressions, and the contract lists `http://[::1]:<port>` among the origin forms of
 * `frame-src` (§11.3) and `frame-ancestors` (§11.8). Chromium ignores those entries and says so.
 */
export const CSP_IPV6_NOISE =
  /directive 'frame-src' contains an invalid source: 'http:\/\/\[::1\]|'frame-ancestors' does not support the source expression 'http:\/\/\[::1\]/;
