/**
 * The in-iframe SDK `AnnaAppRuntime` (CONTRACT §12): two builds of one core (lib/sdk/src/sdk_base.js
 * and sdk.js, embedded by scripts/gen_assets.ts) and the choice of build per served path (§12.1).
 *
 * - `sdkEsm()`: ES module, named exports AnnaAppRuntime, HostApiError, HostRpcError, connect and a
 *   default export AnnaAppRuntime.
 * - `sdkClassic()`: plain script setting `window.AnnaAppRuntime`.
 * - `index.d.ts` beside them: the hand-written declarations (lib/sdk/src/index.d.ts); ESM responses
 *   name it in `X-TypeScript-Types`, which Deno follows when an app imports the SDK by URL.
 * Both set `globalThis.AnnaAppRuntime` when unset and have no imports. When both builds load into
 * one page, the second reuses the first instance, so a page never holds two connections.
 */
import { SDK_VERSION } from "../version.ts";
import { SDK_CORE, SDK_TYPES } from "./assets.gen.ts";

const JS_TYPE = "text/javascript; charset=utf-8";
/** Deno maps this media type (with the `.d.ts` path) to a declaration file; tsc ignores it. */
const DTS_TYPE = "application/typescript; charset=utf-8";
/** `<ver>` of §12.1: `latest` or `\d+.\d+.\d+` with an optional suffix (e.g. `0.2.0a6`, `1.0.0-rc.1`). */
const VERSION_RE = /^(?:latest|\d+\.\d+\.\d+(?:[-+._]?[0-9A-Za-z][0-9A-Za-z.+_-]{0,63})?)$/;
const SDK_PATH_RE =
  /^(?:\/static\/anna-apps\/_sdk\/)?([^/]+)\/(index\.js|index\.mjs|global\.js|index\.d\.ts)$/;

// Picks the page's window (browser) or the global object; `window` stays overridable by a
// `new Function("window", src)` wrapper in tests.
const ENV_EXPR = `(typeof window !== "undefined" ? window : globalThis)`;

function banner(kind: string): string {
  return `/* anna-app-runtime SDK ${SDK_VERSION} (${kind} build). Generated; see CONTRACT §12. */\n`;
}

/**
 * Right above the first `export`, where a browser points its "Unexpected token 'export'": a
 * `<script src=…/index.js crossorigin>` is fetched in cors mode and so gets this build (§12.1).
 */
const CLASSIC_TAG_HINT =
  "/* \"Unexpected token 'export'\" here? A classic <script src> tag got the " +
  "ESM build: index.js serves the classic one only\n   to a script tag without `crossorigin`. " +
  'Drop the attribute, load …/global.js, or use type="module". */';

let esmCache: string | null = null;
let classicCache: string | null = null;

/** The ESM build. */
export function sdkEsm(): string {
  esmCache ??= banner("ESM") + SDK_CORE + `
const __annaSdk = (() => {
  const env = ${ENV_EXPR};
  const prev = env.AnnaAppRuntime;
  return prev && prev.__annaSdk ? prev.__annaSdk : createAnnaSdk(env, ${
    JSON.stringify(SDK_VERSION)
  });
})();
if (globalThis.AnnaAppRuntime === undefined) globalThis.AnnaAppRuntime = __annaSdk.AnnaAppRuntime;
${CLASSIC_TAG_HINT}
export const AnnaAppRuntime = __annaSdk.AnnaAppRuntime;
export const HostApiError = __annaSdk.HostApiError;
export const HostRpcError = __annaSdk.HostRpcError;
export const connect = __annaSdk.connect;
export default AnnaAppRuntime;
`;
  return esmCache;
}

/** The classic (`<script src>`) build. */
export function sdkClassic(): string {
  classicCache ??= banner("classic") + `(function () {
"use strict";
${SDK_CORE}
var env = ${ENV_EXPR};
var prev = env.AnnaAppRuntime;
var sdk = prev && prev.__annaSdk ? prev.__annaSdk : createAnnaSdk(env, ${
    JSON.stringify(SDK_VERSION)
  });
env.AnnaAppRuntime = sdk.AnnaAppRuntime;
if (globalThis.AnnaAppRuntime === undefined) globalThis.AnnaAppRuntime = sdk.AnnaAppRuntime;
})();
`;
  return classicCache;
}

export interface SdkResponse {
  body: string;
  contentType: string;
  /** Response headers the route should add (Cache-Control, Vary for `index.js`, X-TypeScript-Types). */
  headers: Record<string, string>;
}

/**
 * The SDK response for an app-origin path (`/static/anna-apps/_sdk/<ver>/<file>`, or just
 * `<ver>/<file>`), or null when the path is not an SDK path. `index.js` is classic iff
 * `Sec-Fetch-Mode` is `no-cors` (a `<script src>` tag), else ESM; `index.mjs` is always ESM and
 * `global.js` always classic; `index.d.ts` is the declaration file.
 */
export function sdkResponse(path: string, secFetchMode: string | null): SdkResponse | null {
  const m = SDK_PATH_RE.exec(path);
  if (!m || !VERSION_RE.test(m[1])) return null;
  const file = m[2];
  const headers: Record<string, string> = { "Cache-Control": "no-store" };
  if (file === "index.d.ts") return { body: SDK_TYPES, contentType: DTS_TYPE, headers };
  let classic: boolean;
  if (file === "index.js") {
    classic = (secFetchMode ?? "").trim().toLowerCase() === "no-cors";
    headers["Vary"] = "Sec-Fetch-Mode";
  } else {
    classic = file === "global.js";
  }
  // relative to the module URL, so every <ver> alias points at its own index.d.ts
  if (!classic) headers["X-TypeScript-Types"] = "./index.d.ts";
  return { body: classic ? sdkClassic() : sdkEsm(), contentType: JS_TYPE, headers };
}
