/**
 * The generated `anna-tool-ids.js` sidecar (CONTRACT §11.9): handle → tool_id for every registered
 * executa applicable to the app and every resolvable `bundled:<handle>` reference in its manifest.
 * Built per request, never written to disk.
 */
export { bundledRefs, type ResolveRef, toolIdMap } from "../manifest/tool_ids.ts";

export const SIDECAR_NAME = "anna-tool-ids.js";

/** The script text: `window.__ANNA_TOOL_IDS__ = {...};` with sorted keys. */
export function sidecarScript(map: Record<string, string>): string {
  // `<` escaped so the JSON stays inert even if someone inlines the file into HTML
  const json = JSON.stringify(map).replace(/</g, "\\u003c");
  return `window.__ANNA_TOOL_IDS__ = ${json};\n`;
}

export function sidecarResponse(
  map: Record<string, string>,
  method: string,
  extraHeaders: Record<string, string> = {},
): Response {
  const script = new TextEncoder().encode(sidecarScript(map));
  return new Response(method === "HEAD" ? null : script, {
    status: 200,
    headers: {
      "Content-Type": "text/javascript; charset=utf-8",
      "Content-Length": String(script.byteLength),
      "Cache-Control": "no-store",
      "X-Content-Type-Options": "nosniff",
      ...extraHeaders,
    },
  });
}
