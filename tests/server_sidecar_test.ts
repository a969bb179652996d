/** The generated `anna-tool-ids.js` sidecar (CONTRACT §11.9). */
import assert from "node:assert/strict";
import { sidecarResponse, sidecarScript, toolIdMap } from "../lib/server/sidecar.ts";
import { fakeEntry, fakeManifest } from "./helpers/server.ts";

Deno.test("sidecar: registered executas plus resolvable bundled refs, keys sorted", () => {
  const m = fakeManifest();
  m.required_executas = [{ tool_id: "bundled:search" }, { tool_id: "tool-plain-id" }];
  m.optional_executas = [{ tool_id: "bundled:ghost" }];
  m.ui.host_api = { tools: ["required:bundled:pdf", " bundled:search ", 42] };
  const entries = [
    fakeEntry("tool-zeta-1", "zeta"),
    fakeEntry("tool-search-9", "search"),
    // resolvable only through rule (c): directory name starts with `pdf-`
    fakeEntry("tool-pdf-2", "pdfkit", "/apps/x/executas/pdf-reader"),
  ];
  const map = toolIdMap(m, entries);
  assert.deepEqual(Object.keys(map), ["pdf", "pdfkit", "search", "zeta"]);
  assert.deepEqual(map, {
    pdf: "tool-pdf-2",
    pdfkit: "tool-pdf-2",
    search: "tool-search-9",
    zeta: "tool-zeta-1",
  });
  assert.equal(
    sidecarScript(map),
    'window.__ANNA_TOOL_IDS__ = {"pdf":"tool-pdf-2","pdfkit":"tool-pdf-2","search":"tool-search-9","zeta":"tool-zeta-1"};\n',
  );
});

Deno.test("sidecar: empty map, no manifest, and response headers", async () => {
  assert.equal(sidecarScript(toolIdMap(null, [])), "window.__ANNA_TOOL_IDS__ = {};\n");
  const res = sidecarResponse({ a: "</script>" }, "GET");
  assert.equal(res.headers.get("content-type"), "text/javascript; charset=utf-8");
  assert.equal(res.headers.get("cache-control"), "no-store");
  const text = await res.text();
  assert.ok(!text.includes("</script>"));
  assert.equal(text, 'window.__ANNA_TOOL_IDS__ = {"a":"\\u003c/script>"};\n');
});
