/**
 * A host method added to the dispatcher reaches the places no other test ties to the handler
 * tables: the manifest's list of known `ui.host_api` method names (lib/manifest/host_api.ts), so
 * granting the new method draws no `host_api_unknown_method` warning and `validate --strict` does
 * not call it "not a host-API method"; and the README's Host API section, which lists what is
 * implemented. (The SDK types and `runtime.info` are pinned by sdk_types_test.ts and
 * bridge_session_close_test.ts.) See CONTRIBUTING.md, "Adding a host method".
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { IMPLEMENTED } from "../lib/dispatcher/mod.ts";
import { aclAllows } from "../lib/manifest/acl.ts";
import { HOST_API_METHODS } from "../lib/manifest/host_api.ts";
import { analyzeEdited, where } from "./helpers/manifest_edit.ts";
import { REPO_ROOT } from "./helpers/bridge_process.ts";

Deno.test("granting any implemented method of a list namespace draws no host_api warning", () => {
  // window is always granted and tools takes tool refs: neither has a method list (§3.4)
  const listed = Object.entries(IMPLEMENTED).filter(([ns]) => Array.isArray(HOST_API_METHODS[ns]));
  assert.ok(listed.some(([ns]) => ns === "storage"), "storage has a method list");
  for (const [ns, methods] of listed) {
    const { r, m } = analyzeEdited((x) => {
      x.ui.host_api = { [ns]: methods };
    });
    assert.deepEqual(
      where(r),
      [],
      `${ns}: add the new method to HOST_API_METHODS.${ns} in lib/manifest/host_api.ts`,
    );
    for (const method of methods) assert.ok(aclAllows(m, ns, method, []), `${ns}.${method}`);
  }
});

/** `ns` → methods named in the README's "## Host API" section (`ns.a|b`, `ns.*` = every one). */
async function readmeHostMethods(): Promise<Map<string, Set<string> | "*">> {
  const readme = await Deno.readTextFile(join(REPO_ROOT, "README.md"));
  const from = readme.indexOf("## Host API");
  assert.ok(from >= 0, "the README has a 'Host API' section");
  const section = readme.slice(from, readme.indexOf("\n## ", from + 5));
  // the sentence that starts "Implemented:" and ends before "Everything else" (the stubs)
  const start = section.indexOf("Implemented:");
  const end = section.indexOf("Everything else", start);
  assert.ok(start >= 0 && end > start, "the Host API section has 'Implemented: … Everything else'");
  const out = new Map<string, Set<string> | "*">();
  for (const [, ns, list] of section.slice(start, end).matchAll(/`(\w+)\.([\w|*]+)`/g)) {
    if (list === "*") {
      out.set(ns, "*");
      continue;
    }
    const set = out.get(ns) ?? new Set<string>();
    assert.ok(set !== "*", `${ns} is listed both as ${ns}.* and by method`);
    for (const m of list.split("|")) set.add(m);
    out.set(ns, set);
  }
  return out;
}

Deno.test("the README's Host API section names every implemented method, and only those", async () => {
  const listed = await readmeHostMethods();
  assert.ok(listed.size > 0);
  assert.deepEqual([...listed.keys()].sort(), Object.keys(IMPLEMENTED).sort());
  for (const [ns, methods] of Object.entries(IMPLEMENTED)) {
    const named = listed.get(ns)!;
    if (named === "*") continue;
    assert.deepEqual(
      [...named].sort(),
      [...methods].sort(),
      `README.md "## Host API": the ${ns}.* methods listed differ from the dispatcher's`,
    );
  }
});
