/**
 * The manifest module (CONTRACT §3): tolerant analysis into an effective manifest plus diagnostics,
 * file loading, view selection and geometry, app slugs. The ACL lives in `acl.ts`, the strict bundle
 * scan in `strict.ts`.
 *
 * - `analyzeManifest(raw, {resolve?})` — pure; `manifest` is null iff an error diagnostic exists.
 * - `loadManifest(path)` — adds the file-level errors (unreadable, not JSON, not an object).
 * - `selectView`, `viewMeta`, `initialGeometry` — §3.9, §3.10.
 * - `normalizeSlug`, `appSlugFor` — §3.11.
 */
export { analyzeManifest, type AnalyzeOptions, HOST_CAPABILITIES, PERMISSIONS } from "./analyze.ts";
export { type LoadedManifest, loadManifest } from "./load.ts";
export { initialGeometry, selectView, UnknownViewError, viewMeta } from "./view.ts";
export { appSlugFor, normalizeSlug } from "./slug.ts";
export { diagnosticFields, entryFile, hintText, isSafeEntry } from "./diag.ts";
export { HOST_API_NAMESPACES } from "./host_api.ts";
export type * from "./types.ts";
