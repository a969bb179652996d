/**
 * SDK builds and serving rules (CONTRACT §12.1): both builds evaluate, export the right names, share
 * one instance per page, pick the build per path / Sec-Fetch-Mode, and the embedded assets match
 * their sources (scripts/gen_assets.ts).
 */
import assert from "node:assert/strict";
import { sdkClassic, sdkEsm, sdkResponse } from "../lib/sdk/mod.ts";
import { SDK_VERSION } from "../lib/version.ts";
import { OUTPUTS } from "../scripts/gen_assets.ts";

// deno-lint-ignore no-explicit-any
type Any = any;
const G = globalThis as Any;

let importCounter = 0;
/** Imports the ESM build as a fresh module (a unique suffix defeats the module cache). */
async function importEsm(): Promise<Any> {
  const src = `${sdkEsm()}\n// copy ${++importCounter}\n`;
  const bytes = new TextEncoder().encode(src);
  let bin = "";
  for (const b of bytes) bin += String.fromCharCode(b);
  return await import(`data:text/javascript;base64,${btoa(bin)}`);
}

/** Runs `fn` with `globalThis.window` and `globalThis.AnnaAppRuntime` restored afterwards. */
async function withGlobals(fn: () => Promise<void>): Promise<void> {
  const had = { window: G.window, sdk: G.AnnaAppRuntime };
  try {
    await fn();
  } finally {
    if (had.window === undefined) delete G.window;
    else G.window = had.window;
    if (had.sdk === undefined) delete G.AnnaAppRuntime;
    else G.AnnaAppRuntime = had.sdk;
  }
}

Deno.test("ESM build: named exports, default export, no imports, globalThis set when unset", async () => {
  await withGlobals(async () => {
    delete G.AnnaAppRuntime;
    assert.doesNotMatch(sdkEsm(), /^\s*import[\s{*]/m);
    const m = await importEsm();
    assert.deepEqual(
      Object.keys(m).sort(),
      ["AnnaAppRuntime", "HostApiError", "HostRpcError", "connect", "default"],
    );
    assert.equal(m.default, m.AnnaAppRuntime);
    assert.equal(m.HostRpcError, m.HostApiError);
    assert.equal(m.AnnaAppRuntime.version, SDK_VERSION);
    assert.equal(m.AnnaAppRuntime.connect, m.connect);
    assert.equal(m.AnnaAppRuntime.HostApiError, m.HostApiError);
    assert.equal(G.AnnaAppRuntime, m.AnnaAppRuntime);
    // Outside an iframe (no window, no parent) connect() reports standalone mode.
    const err = await m.connect().catch((e: Any) => e);
    assert.ok(err instanceof m.HostApiError);
    assert.equal(err.name, "HostApiError");
    assert.equal(err.code, "no_host");
    assert.equal(err.message, "not running inside an Anna host (missing wid/t)");
    assert.deepEqual(err.error, { code: "no_host", message: err.message, details: undefined });
    assert.equal(m.connect(), m.connect(), "repeated calls return the same promise");
  });
});

Deno.test("ESM build: where a classic <script crossorigin> fails, a comment says why", () => {
  // that tag is fetched in cors mode, so index.js answers it with this build (§12.1); the
  // browser's "Unexpected token 'export'" points at the first export
  const lines = sdkEsm().split("\n");
  const first = lines.findIndex((l) => /^export\b/.test(l));
  const above = lines.slice(first - 2, first).join("\n");
  assert.match(above, /Unexpected token 'export'/);
  assert.match(above, /crossorigin/);
  assert.match(above, /global\.js/);
});

Deno.test("ESM build keeps an existing globalThis.AnnaAppRuntime", async () => {
  await withGlobals(async () => {
    const mine = { mine: true };
    G.AnnaAppRuntime = mine;
    const m = await importEsm();
    assert.equal(G.AnnaAppRuntime, mine);
    assert.notEqual(m.AnnaAppRuntime, mine);
  });
});

Deno.test("classic build: plain script setting window.AnnaAppRuntime", async () => {
  await withGlobals(async () => {
    const src = sdkClassic();
    assert.doesNotMatch(src, /^\s*(import|export)\b/m);
    const win: Any = {};
    new Function("window", src)(win);
    const rt = win.AnnaAppRuntime;
    assert.deepEqual(Object.keys(rt).sort(), [
      "HostApiError",
      "HostRpcError",
      "connect",
      "version",
    ]);
    assert.equal(rt.version, SDK_VERSION);
    const err = await rt.connect().catch((e: Any) => e);
    assert.equal(err.code, "no_host"); // no parent window
    // The classic build also works where no `window` exists at all.
    delete G.AnnaAppRuntime;
    new Function(src)();
    assert.equal(typeof G.AnnaAppRuntime.connect, "function");
  });
});

Deno.test("classic then ESM in one page share one SDK instance", async () => {
  await withGlobals(async () => {
    const win: Any = {};
    new Function("window", sdkClassic())(win);
    G.window = win;
    const m = await importEsm();
    assert.equal(m.AnnaAppRuntime, win.AnnaAppRuntime);
    assert.equal(m.connect, win.AnnaAppRuntime.connect);
  });
});

Deno.test("sdkResponse: index.js is classic only for Sec-Fetch-Mode no-cors", () => {
  const esm = sdkEsm();
  const classic = sdkClassic();
  const cases: Array<[string, string | null, string]> = [
    ["/static/anna-apps/_sdk/latest/index.js", "no-cors", classic],
    ["/static/anna-apps/_sdk/latest/index.js", "NO-CORS", classic],
    ["/static/anna-apps/_sdk/latest/index.js", "cors", esm],
    ["/static/anna-apps/_sdk/latest/index.js", "same-origin", esm],
    ["/static/anna-apps/_sdk/latest/index.js", null, esm],
    ["/static/anna-apps/_sdk/latest/index.mjs", "no-cors", esm],
    ["/static/anna-apps/_sdk/latest/index.mjs", null, esm],
    ["/static/anna-apps/_sdk/latest/global.js", "cors", classic],
    ["/static/anna-apps/_sdk/latest/global.js", null, classic],
    ["latest/index.js", "no-cors", classic],
  ];
  for (const [path, mode, want] of cases) {
    const res = sdkResponse(path, mode);
    assert.ok(res, path);
    assert.equal(res.body, want, `${path} with ${mode}`);
    assert.equal(res.contentType, "text/javascript; charset=utf-8");
    assert.equal(res.headers["Cache-Control"], "no-store");
  }
  assert.equal(
    sdkResponse("/static/anna-apps/_sdk/latest/index.js", null)?.headers.Vary,
    "Sec-Fetch-Mode",
  );
  assert.equal(
    sdkResponse("/static/anna-apps/_sdk/latest/index.mjs", null)?.headers.Vary,
    undefined,
  );
});

Deno.test("sdkResponse: version aliases", () => {
  const ok = [
    "latest",
    "0.1.0",
    "0.5.0",
    "1.2.3",
    "0.2.0a6",
    "1.0.0-rc.1",
    "1.0.0+build.5",
    "10.20.30",
  ];
  for (const ver of ok) {
    assert.ok(sdkResponse(`/static/anna-apps/_sdk/${ver}/index.js`, null), ver);
  }
  const bad = ["", "v1.2.3", "1.2", "1", "Latest", "..", "1.2.3/..", "1.2.3-", "1.2.3%2f", "a.b.c"];
  for (const ver of bad) {
    assert.equal(sdkResponse(`/static/anna-apps/_sdk/${ver}/index.js`, null), null, ver);
  }
  for (
    const path of [
      "/static/anna-apps/_sdk/latest/other.js",
      "/static/anna-apps/_sdk/latest/index.js/x",
      "/static/anna-apps/_sdk/latest/",
      "/static/anna-apps/_sdk/index.js",
      "/anna-apps/_sdk/latest/index.js",
    ]
  ) {
    assert.equal(sdkResponse(path, null), null, path);
  }
});

Deno.test("generated asset files are up to date with their sources", async () => {
  for (const { path, render } of OUTPUTS) {
    const have = await Deno.readTextFile(new URL(`../${path}`, import.meta.url));
    assert.ok(have === await render(), `${path} is stale: run deno run -A scripts/gen_assets.ts`);
  }
});
