/**
 * The likely cause a failed `smoke --browser` boot names (§14.6 lists CSP reports, failed requests
 * and console errors as warnings; the timeout message points at the first of them).
 */
import assert from "node:assert/strict";
import {
  cspSummary,
  describeError,
  errorPlace,
  fatalText,
  likelyCause,
  moduleFailedText,
  navigationHint,
  pageErrorText,
  reloadedWarning,
  reportWithoutToken,
  scriptMissingHint,
  sdkMissingHint,
  thrownFrom,
  unresponsive,
  withoutToken,
} from "../lib/smoke/browser_cause.ts";
import type { BrowserResult } from "../lib/smoke/report.ts";

const result = (over: Partial<BrowserResult>): BrowserResult => ({
  status: "fail",
  console_errors: [],
  csp_violations: [],
  failed_requests: [],
  ...over,
});

Deno.test("browser cause: legacy csp-report and Reporting API reports both name what was blocked", () => {
  assert.equal(
    cspSummary({
      "csp-report": { "blocked-uri": "inline", "effective-directive": "script-src-elem" },
    }),
    "an inline script or handler (move it to a .js file) (script-src-elem)",
  );
  assert.equal(
    cspSummary([{
      type: "csp-violation",
      body: { blockedURL: "https://cdn.example/x.js", effectiveDirective: "script-src-elem" },
    }]),
    "https://cdn.example/x.js (script-src-elem)",
  );
  assert.equal(cspSummary("garbage"), "something");
});

Deno.test("browser cause: CSP first, then a failed request, then a console error, else nothing", () => {
  const csp = { "csp-report": { "blocked-uri": "inline", "violated-directive": "script-src" } };
  const all = result({
    csp_violations: [csp],
    failed_requests: ["404 http://127.0.0.1/app.js"],
    console_errors: ["boom"],
  });
  assert.match(likelyCause(all), /^; the CSP blocked an inline script/);
  assert.equal(
    likelyCause(
      result({ failed_requests: ["404 http://127.0.0.1/app.js"], console_errors: ["x"] }),
    ),
    "; a request failed: 404 http://127.0.0.1/app.js",
  );
  assert.equal(
    likelyCause(result({ console_errors: ["x is not defined"] })),
    "; the console said: x is not defined",
  );
  assert.equal(likelyCause(result({})), "");
  // no hello and nothing reported: the usual cause is a page that never connects
  assert.match(
    likelyCause(result({}), false),
    /does it load the SDK .* call AnnaAppRuntime\.connect\(\)\?$/,
  );
});

Deno.test("browser cause: an uncaught error names the bundle file, line and column it came from", () => {
  const stack = "TypeError: Cannot read properties of null (reading 'foo')\n" +
    "    at render (http://127.0.0.1:5181/anna-apps/my-app/dev/app.js:12:5)\n" +
    "    at http://127.0.0.1:5181/anna-apps/my-app/dev/app.js:30:1";
  assert.equal(errorPlace(stack), " (at app.js:12:5)");
  assert.equal(
    errorPlace("Error: x\n    at http://127.0.0.1:5181/anna-apps/a/dev/js/main.js:3:9"),
    " (at js/main.js:3:9)",
  );
  assert.equal(errorPlace("Error: no frames"), "");
  assert.equal(errorPlace(undefined), "");
});

Deno.test("browser cause: a thrown non-Error is named by its message alone, not ': text'", () => {
  assert.equal(
    pageErrorText({ name: "TypeError", message: "x is undefined" }),
    "TypeError: x is undefined",
  );
  assert.equal(pageErrorText({ name: "", message: "plain string" }), "plain string");
  assert.equal(pageErrorText({ name: "Error", message: "" }), "Error: (no message)");
});

Deno.test("browser cause: a URL shown in the report leaves out the app frame's dev token", () => {
  assert.equal(
    withoutToken("http://127.0.0.1:9/anna-apps/a/dev/index.html?wid=w1&t=dev1.abc.def&host=h"),
    "http://127.0.0.1:9/anna-apps/a/dev/index.html?wid=w1&t=…&host=h",
  );
  assert.equal(withoutToken("http://h/x.html#wid=w&t=dev1.x"), "http://h/x.html#wid=w&t=…");
  // a parameter merely ending in t is kept
  assert.equal(withoutToken("http://h/a.js?at=1&t2=3"), "http://h/a.js?at=1&t2=3");
});

Deno.test("browser cause: a CSP report keeps every member, with the token left out of its URLs", () => {
  const url = "http://127.0.0.1:4/anna-apps/a/dev/index.html?wid=w1&t=dev1.abc.def&v=main";
  assert.deepEqual(
    reportWithoutToken([{
      type: "csp-violation",
      url,
      body: { documentURL: url, blockedURL: "inline", lineNumber: 3, sample: null },
    }]),
    [{
      type: "csp-violation",
      url: "http://127.0.0.1:4/anna-apps/a/dev/index.html?wid=w1&t=…&v=main",
      body: {
        documentURL: "http://127.0.0.1:4/anna-apps/a/dev/index.html?wid=w1&t=…&v=main",
        blockedURL: "inline",
        lineNumber: 3,
        sample: null,
      },
    }],
  );
});

Deno.test("browser cause: 'AnnaAppRuntime is not defined' names the failed script and the SDK path", () => {
  const err = ["ReferenceError: AnnaAppRuntime is not defined (at app.js:2:1)"];
  assert.equal(
    sdkMissingHint(err, ["404 http://127.0.0.1:5181/sdk/index.js", "net::ERR_ABORTED x.js"]),
    '; the SDK did not load (404 http://127.0.0.1:5181/sdk/index.js): put <script src="/static/' +
      'anna-apps/_sdk/latest/index.js"></script> before the script that uses it',
  );
  // no script request failed (the tag is missing or comes after app.js): the fix alone
  assert.match(
    sdkMissingHint(err, ["404 http://127.0.0.1/logo.png"]),
    /^; the SDK did not load: put/,
  );
  assert.equal(sdkMissingHint(["ReferenceError: foo is not defined"], []), "");
});

Deno.test("browser cause: only a fatal report_error fails the boot; a non-string message shows as JSON", () => {
  assert.equal(fatalText({ message: "minor" }), null);
  assert.equal(fatalText({ message: "minor", fatal: false }), null);
  assert.match(
    fatalText({ message: { code: 7 }, fatal: true })!,
    /fatal:true\): \{"code":7\}; its window/,
  );
});

Deno.test("browser cause: a frame that never runs a probe script is unresponsive; one that answers or is gone is not", async () => {
  const pageWith = (evaluate: () => Promise<unknown>) => {
    const main = { parentFrame: () => null, evaluate: () => Promise.resolve(true) };
    const app = { parentFrame: () => main, evaluate };
    return { mainFrame: () => main, frames: () => [main, app] };
  };
  // an endless loop in the app frame: the evaluate never settles
  assert.equal(await unresponsive(pageWith(() => new Promise(() => {}))), true);
  assert.equal(await unresponsive(pageWith(() => Promise.resolve(true))), false);
  assert.equal(await unresponsive(pageWith(() => Promise.reject(new Error("detached")))), false);
});

Deno.test("browser cause: 'X is not defined' after a script 404 names the script; other errors get no hint", () => {
  const failed = ["404 http://127.0.0.1:1/anna-apps/a/dev/vendor/lib.js"];
  assert.equal(
    scriptMissingHint(["ReferenceError: lib is not defined (at app.js:1:1)"], failed),
    "; a script did not load (404 http://127.0.0.1:1/anna-apps/a/dev/vendor/lib.js)",
  );
  assert.equal(scriptMissingHint(["Error: boom"], failed), "");
  assert.equal(scriptMissingHint(["ReferenceError: lib is not defined"], []), "");
});

Deno.test("browser cause: an unhandled rejection is named as one, placed from Chromium's report when its stack has none", () => {
  const url = "http://127.0.0.1:1/anna-apps/a/dev/app.js";
  const thrown = [
    thrownFrom({
      text: "Uncaught",
      url,
      lineNumber: 0,
      exception: { description: "Error: x\n  at" },
    }),
    thrownFrom({
      text: "Uncaught (in promise)",
      url,
      lineNumber: 1,
      columnNumber: 8,
      exception: { value: "plain" },
    }),
  ];
  assert.equal(
    describeError("plain", "", thrown),
    "unhandled promise rejection: plain (at app.js:2:9)",
  );
  // a throw keeps its own wording, and the place from its stack wins
  assert.equal(describeError("Error: x", " (at app.js:1:5)", thrown), "Error: x (at app.js:1:5)");
  assert.equal(describeError("other", "", thrown), "other");
});

Deno.test("browser cause: an app frame that loaded more than one document is named as reloading", () => {
  assert.equal(navigationHint(["http://h/anna-apps/a/dev/index.html"]), "");
  assert.equal(
    navigationHint([
      "http://h/a/dev/index.html",
      "http://h/a/dev/index.html",
      "http://h/a/dev/x.html",
    ]),
    "; the app frame loaded 3 documents (last: http://h/a/dev/x.html): it reloads itself or sets " +
      "location, and each load starts the app over",
  );
});

Deno.test("browser cause: a failed module names its importer, or says the page's own module script did not load", () => {
  const base = "http://127.0.0.1:4100/anna-apps/demo/dev/";
  assert.match(
    moduleFailedText(404, `${base}lib/x.js`, `${base}main.mjs?v=2`),
    /^the app's module main\.mjs did not run: its import http:\/\/127\.0\.0\.1:4100\/anna-apps\/demo\/dev\/lib\/x\.js answered 404; /,
  );
  // a <script type="module" src> of the page: the referrer is the page, token and all
  const text = moduleFailedText(404, `${base}gone.js`, `${base}index.html?wid=w1&t=dev1.secret`);
  assert.match(
    text,
    /^the app's module script http:\/\/\S+\/gone\.js did not load: it answered 404; /,
  );
  assert.ok(!text.includes("dev1."), text);
  assert.match(moduleFailedText(500, `${base}a.js`), /module script \S+a\.js did not load/);
});

Deno.test("browser cause: documents loaded after the app connected are a warning naming the last one", () => {
  assert.equal(reloadedWarning([]), "");
  assert.equal(
    reloadedWarning(["http://h/a/dev/index.html?t=…"]),
    "browser: the app frame loaded 1 more document after it connected (last: " +
      "http://h/a/dev/index.html?t=…): it reloads itself or sets location, and each load starts " +
      "the app over",
  );
  assert.match(
    reloadedWarning(["a", "b"]),
    /loaded 2 more documents after it connected \(last: b\)/,
  );
});
