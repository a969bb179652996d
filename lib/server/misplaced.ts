/**
 * Root-absolute URLs on the app origin (CONTRACT §11.4 leaves them 404). A bundler left at its
 * default base (`/`, e.g. Vite) writes `<script src="/assets/index-x.js">`, while the bundle lives
 * under `/anna-apps/<slug>/dev/`: the page stays blank and the console only says the module had the
 * wrong MIME type. When that path names a file of the referring app's bundle, the 404 says where
 * it is served and how to build for it (as Vite's own server does for a base mismatch), and the
 * terminal hears of it once per path.
 */
import type { ServerContext } from "./context.ts";
import { SIDECAR_NAME } from "./sidecar.ts";
import { resolveFile, safeSegments } from "./static.ts";

const BUNDLE_PAGE = /^\/anna-apps\/([^/]+)\/dev\//;
/** Paths already warned about; bounded, a page cannot grow it without end. */
const WARNED_MAX = 200;

/** The app a same-origin request came from (its Referer is a bundle page), or null. */
function refererSlug(referer: string | undefined): string | null {
  if (!referer) return null;
  try {
    return BUNDLE_PAGE.exec(new URL(referer).pathname)?.[1] ?? null;
  } catch {
    return null;
  }
}

/** A hint for the 404 of `rawPath` (undecoded, no query), or null when there is none to give. */
export async function misplacedHint(
  ctx: ServerContext,
  rawPath: string,
  referer: string | undefined,
  warned: Set<string>,
): Promise<string | null> {
  const named = refererSlug(referer);
  // no Referer (an app may send none): the one app being served, if it is only one
  const all = ctx.runtime.apps.list();
  const entry = named !== null
    ? ctx.runtime.apps.get(named)
    : all.length === 1
    ? all[0]
    : undefined;
  if (!entry) return null;
  const rel = rawPath.replace(/^\/+/, "");
  const segs = rel === "" ? null : safeSegments(rel);
  if (!segs) return null;
  // the sidecar is served at any such path of the bundle without being a file (§11.9)
  const sidecar = segs[segs.length - 1] === SIDECAR_NAME;
  if (!sidecar && (await resolveFile(entry.bundleDir, segs)) === null) return null;
  const served = `/anna-apps/${entry.slug}/dev/${rel}`;
  const hint = `${rawPath} is not served on the app origin; this file of app '${entry.slug}' is ` +
    `at ${served}. Build the bundle with relative asset URLs (Vite: base: './')`;
  if (!warned.has(rawPath) && warned.size < WARNED_MAX) {
    warned.add(rawPath);
    ctx.logger.warn("root-absolute URL on the app origin", { path: rawPath, served });
  }
  return hint;
}
