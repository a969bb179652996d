/** CSP strings (CONTRACT §11.8, §11.3) and the CSP report store; control token (§11.2, §2.2). */
import assert from "node:assert/strict";
import { bundleCsp, CspReportStore, dashboardCsp, reportSlug } from "../lib/server/csp.ts";
import { ControlTokenError, resolveControlToken } from "../lib/server/control_token.ts";
import { fakeManifest } from "./helpers/server.ts";
import { analyzeManifest } from "../lib/manifest/mod.ts";

const M = ["http://127.0.0.1:5180", "http://localhost:5180", "http://[::1]:5180"];

Deno.test("csp: the exact directive string with no overrides", () => {
  assert.equal(
    bundleCsp(fakeManifest(), M),
    "default-src 'none'; base-uri 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; " +
      "img-src 'self' data: blob:; font-src 'self' data:; media-src 'self' blob:; connect-src 'self'; " +
      "worker-src 'self' blob:; frame-ancestors http://127.0.0.1:5180 http://localhost:5180 " +
      "http://[::1]:5180; form-action 'self'; report-uri /_anna/csp-report",
  );
});

Deno.test("csp: overrides, external origins, de-duplication and frame-src", () => {
  const m = fakeManifest();
  m.ui.bundle.external_origins = ["https://api.example.com"];
  m.ui.csp_overrides = {
    "script-src": ["'self'", "'wasm-unsafe-eval'", "'sha256-abc='"],
    "img-src": ["https://img.example.com", "data:"],
    "connect-src": ["wss://rt.example.com", "https://api.example.com"],
    "frame-src": ["https://embed.example.com"],
    "font-src": ["https://fonts.example.com"],
    "media-src": ["https://media.example.com"],
    "style-src": ["'sha256-def='"],
  };
  const csp = bundleCsp(m, [...M, "http://dev.test:5180"]);
  assert.equal(
    csp,
    "default-src 'none'; base-uri 'self'; script-src 'self' 'wasm-unsafe-eval' 'sha256-abc='; " +
      "style-src 'self' 'unsafe-inline' 'sha256-def='; " +
      "img-src 'self' data: blob: https://api.example.com https://img.example.com; " +
      "font-src 'self' data: https://fonts.example.com; media-src 'self' blob: https://media.example.com; " +
      "connect-src 'self' https://api.example.com wss://rt.example.com; worker-src 'self' blob:; " +
      "frame-src https://embed.example.com; frame-ancestors http://127.0.0.1:5180 " +
      "http://localhost:5180 http://[::1]:5180 http://dev.test:5180; form-action 'self'; " +
      "report-uri /_anna/csp-report",
  );
  assert.ok(!csp.includes("\n"));
});

Deno.test("csp: manifest sources outside printable ASCII are dropped, so the header can be sent", () => {
  // each of these once passed validation and then made every bundle response a 500 (a header
  // value is bytes); an IDN host goes in its punycode form
  const raw = {
    schema: 2,
    ui: {
      bundle: {
        external_origins: ["https://例え.jp", "https://a.com\u0001x", "https://xn--r8jz45g.jp"],
      },
      views: [{ name: "main", title: "M" }],
      csp_overrides: {
        "connect-src": ["https://b.com/路径", "https://c.com/\u0000", "https://d.com/%E8%B7%AF"],
        "img-src": ["wss://e.com/\u007f"],
      },
    },
  };
  const r = analyzeManifest(raw);
  assert.ok(r.manifest);
  assert.deepEqual(r.diagnostics.map((d) => `${d.code}@${d.path}`), [
    "external_origin_invalid@ui.bundle.external_origins[0]",
    "external_origin_invalid@ui.bundle.external_origins[1]",
    "csp_value_rejected@ui.csp_overrides.connect-src[0]",
    "csp_value_rejected@ui.csp_overrides.connect-src[1]",
    "csp_value_rejected@ui.csp_overrides.img-src[0]",
  ]);
  assert.match(r.diagnostics[0].hint ?? "", /punycode/);
  assert.match(r.diagnostics[2].hint ?? "", /punycode .*percent-encode/);
  const csp = bundleCsp(r.manifest, M);
  assert.ok(csp.includes("connect-src 'self' https://xn--r8jz45g.jp https://d.com/%E8%B7%AF;"));
  // what the server does with it: must not throw
  new Response("x", { headers: { "Content-Security-Policy": csp } });
});

Deno.test("csp: the dashboard policy", () => {
  assert.equal(
    dashboardCsp(["http://127.0.0.1:5181", "http://localhost:5181"], "127.0.0.1:5180"),
    "default-src 'self'; frame-src http://127.0.0.1:5181 http://localhost:5181; " +
      "connect-src 'self' ws://127.0.0.1:5180; img-src 'self' data:; style-src 'self' 'unsafe-inline'",
  );
});

Deno.test("csp reports: slug from the document URL, newest 200 per app", () => {
  const classic = {
    "csp-report": { "document-uri": "http://127.0.0.1:5181/anna-apps/notes/dev/index.html" },
  };
  assert.equal(reportSlug(classic, undefined), "notes");
  const api = [{
    type: "csp-violation",
    body: { documentURL: "http://localhost:5181/anna-apps/todo/dev/?wid=1" },
  }];
  assert.equal(reportSlug(api, undefined), "todo");
  assert.equal(reportSlug({}, "http://127.0.0.1:5181/anna-apps/ref/dev/x.html"), "ref");
  assert.equal(reportSlug("garbage", undefined), null);

  const store = new CspReportStore();
  for (let i = 0; i < 205; i++) store.add("a", { i });
  store.add("b", { i: "b" });
  const all = store.list();
  assert.equal(all.length, 201);
  assert.deepEqual(all[0].report, { i: 5 });
  assert.deepEqual(all[all.length - 1], {
    slug: "b",
    at: all[all.length - 1].at,
    report: { i: "b" },
    claimed_in: null, // nothing said where the app came from
    sender: "page",
  });
});

Deno.test("CSP reports are capped over all apps: the oldest report of any app goes first", () => {
  // the default caps hold reports of at most 10 000 / 200 = 50 apps' worth
  const churn = new CspReportStore();
  for (let app = 0; app < 2000; app++) {
    for (let i = 0; i < 10; i++) churn.add(`copy-${app}`, { i });
  }
  assert.equal(churn.list().length, 10_000);
  assert.equal(churn.apps, 1000, "the 1000 oldest apps' reports are gone");
  assert.equal(churn.list()[0].slug, "copy-1000");

  const store = new CspReportStore({ total: 5, totalBytes: 100 });
  for (let i = 0; i < 4; i++) store.add(`app-${i}`, { i }, 0, 10);
  store.add("big", { i: "big" }, 0, 70); // 110 bytes → app-0 goes
  assert.deepEqual(store.list().map((r) => r.slug), ["app-1", "app-2", "app-3", "big"]);
  for (let i = 0; i < 3; i++) store.add("small", { i }, 0, 1); // 101 bytes, then 6 reports
  assert.deepEqual(store.list().map((r) => r.slug), ["app-3", "big", "small", "small", "small"]);
  assert.equal(store.apps, 3);
});

Deno.test("control token: random base64url per run, env override, --no-control-token", () => {
  const a = resolveControlToken(undefined, false)!;
  const b = resolveControlToken(undefined, false)!;
  assert.match(a, /^[A-Za-z0-9_-]{43}$/);
  assert.notEqual(a, b);
  const fixed = "f".repeat(32);
  assert.equal(resolveControlToken(fixed, false), fixed);
  assert.throws(() => resolveControlToken("short", false), ControlTokenError);
  // headers carry it: anything but printable ASCII is refused at start, naming the variable
  for (const bad of ["é".repeat(32), "a".repeat(32) + "\u0000", "a".repeat(31) + "€"]) {
    assert.throws(
      () => resolveControlToken(bad, false),
      /ANNA_APP_CONTROL_TOKEN must be printable ASCII/,
    );
  }
  const punct = "a".repeat(24) + "+/=~!*()";
  assert.equal(resolveControlToken(punct, false), punct);
  assert.equal(resolveControlToken("short", true), null);
});
