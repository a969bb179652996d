/**
 * `validate --strict` bundle scan (CONTRACT §3.12): finds host-API call sites in bundle sources and
 * warns for every (ns, method) pair the ACL would deny.
 */
import { join, relative } from "node:path";
import { aclAllows, grantedTools, type ToolEntry } from "./acl.ts";
import { HOST_API_METHODS, HOST_API_NAMESPACES, legacyMeaning, methodHint } from "./host_api.ts";
import type { Diagnostic, EffectiveManifest } from "./types.ts";
import { htmlViews, jsViews } from "./source_views.ts";

const EXTENSIONS = [".js", ".mjs", ".cjs", ".jsx", ".ts", ".tsx", ".html"];
const MAX_FILE = 5 * 1024 * 1024;
const NS = HOST_API_NAMESPACES.join("|");
const ID = String.raw`[A-Za-z_$][\w$]*`;
// A member step: `.` or `?.`, with any whitespace around it (formatters break chains over lines).
const STEP = String.raw`\s*\??\.\s*`;
// `.apps.deck.add(`: a second segment counts only after a known dotted prefix (`deck` of apps) or
// in `agent` (`agent.session.list(`; the ACL grants agent as a whole), so `.storage.get.call(` is
// not read as a call of a method "get.call"
const DOT_CALL = new RegExp(
  String.raw`\.\s*(${NS})${STEP}(${ID})(?:${STEP}(${ID}))?\s*(?:\?\.\s*)?\(`,
  "g",
);
const DOTTED_PREFIXES = new Set(
  Object.entries(HOST_API_METHODS).flatMap(([ns, methods]) =>
    (methods ?? []).filter((m) => m.includes(".")).map((m) => `${ns}.${m.split(".")[0]}`)
  ),
);
const CALL_FORM = new RegExp(
  String.raw`call\(\s*(["'\x60])(${NS})\1\s*,\s*(["'\x60])([A-Za-z_$][\w$.]*)\3`,
  "g",
);
// Array, Promise, Function, Object, String, Map/Set and DOM methods: `state.chat.push(m)`,
// `res.tools.map(f)`, `input.files.forEach(f)` use the app's own values (no host-API namespace has
// a method of these names, §3.4), so they are not host calls
const BUILTIN_METHODS = new Set([
  ...["at", "concat", "copyWithin", "entries", "every", "fill", "filter", "find", "findIndex"],
  ...["findLast", "findLastIndex", "flat", "flatMap", "forEach", "includes", "indexOf", "join"],
  ...["keys", "lastIndexOf", "map", "pop", "push", "reduce", "reduceRight", "reverse", "shift"],
  ...["slice", "some", "sort", "splice", "toReversed", "toSorted", "toSpliced", "unshift"],
  ...["values", "with", "then", "catch", "finally", "apply", "bind", "call", "hasOwnProperty"],
  ...["toString", "toLocaleString", "valueOf", "charAt", "endsWith", "startsWith", "match"],
  ...["matchAll", "padEnd", "padStart", "repeat", "replace", "replaceAll", "split", "substring"],
  ...["toLowerCase", "toUpperCase", "trim", "trimEnd", "trimStart", "has", "add", "clear"],
  // DOM: `els.chat.appendChild(row)`, `input.files.item(0)`, `this.image.decode()`
  ...["addEventListener", "removeEventListener", "dispatchEvent", "item", "decode", "play"],
  ...["appendChild", "removeChild", "insertBefore", "append", "prepend", "remove"],
  ...["replaceChildren", "replaceWith", "insertAdjacentHTML", "querySelector", "closest"],
  ...["querySelectorAll", "setAttribute", "getAttribute", "removeAttribute", "matches"],
  ...["scrollTo", "scrollIntoView", "focus", "blur", "click", "contains", "pause"],
  ...["getBoundingClientRect", "animate"],
].filter((m) => !Object.values(HOST_API_METHODS).some((known) => known?.includes(m))));

/** Whether the member step at `dot` follows a bare `navigator` (`navigator?.storage`, over lines). */
function afterNavigator(text: string, dot: number): boolean {
  let end = dot;
  if (text[end - 1] === "?") end--;
  while (end > 0 && /\s/.test(text[end - 1])) end--;
  return text.endsWith("navigator", end) && !/[\w$]/.test(text[end - 10] ?? "");
}

interface Site {
  file: string;
  line: number;
}

async function* bundleFiles(dir: string): AsyncGenerator<string> {
  let entries: Deno.DirEntry[];
  try {
    entries = [];
    for await (const e of Deno.readDir(dir)) entries.push(e);
  } catch {
    return; // a missing bundle is reported elsewhere (entry_not_found)
  }
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const e of entries) {
    const p = join(dir, e.name);
    if (e.isDirectory) {
      if (e.name.startsWith(".") || e.name === "node_modules") continue;
      yield* bundleFiles(p);
    } else if (e.isFile && EXTENSIONS.some((x) => e.name.endsWith(x))) {
      yield p;
    }
  }
}

/** Every (ns, method) call site found in the bundle, in file/line order. */
export async function scanCallSites(bundleDir: string): Promise<Map<string, Site[]>> {
  const sites = new Map<string, Site[]>();
  const add = (key: string, site: Site) => {
    const list = sites.get(key);
    if (list) list.push(site);
    else sites.set(key, [site]);
  };
  for await (const file of bundleFiles(bundleDir)) {
    let text: string;
    try {
      if ((await Deno.stat(file)).size > MAX_FILE) continue;
      text = await Deno.readTextFile(file);
    } catch {
      continue;
    }
    const rel = relative(bundleDir, file).split("\\").join("/");
    const views = file.endsWith(".html") ? htmlViews(text) : jsViews(text);
    const found: { index: number; key: string }[] = [];
    for (const m of views.code.matchAll(DOT_CALL)) {
      // the browser's own `navigator.storage.estimate()`, `navigator.credentials.get()`
      if (afterNavigator(text, m.index)) continue;
      // ...unless it is a name apps confuse with a host method (`anna.storage.remove(…)`)
      if (BUILTIN_METHODS.has(m[2]) && !legacyMeaning(m[1], m[2])) continue;
      const head = `${m[1]}.${m[2]}`;
      if (m[3] === undefined) found.push({ index: m.index, key: head });
      else if (DOTTED_PREFIXES.has(head) || m[1] === "agent") {
        found.push({ index: m.index, key: `${head}.${m[3]}` });
      }
    }
    for (const m of views.withStrings.matchAll(CALL_FORM)) {
      found.push({ index: m.index, key: `${m[2]}.${m[4]}` });
    }
    found.sort((a, b) => a.index - b.index);
    let line = 1, pos = 0;
    for (const f of found) {
      for (
        let nl = text.indexOf("\n", pos);
        nl !== -1 && nl < f.index;
        nl = text.indexOf("\n", pos)
      ) {
        line++;
        pos = nl + 1;
      }
      add(f.key, { file: rel, line });
    }
  }
  return sites;
}

export async function strictScan(
  bundleDir: string,
  m: EffectiveManifest,
  entries: ToolEntry[],
): Promise<Diagnostic[]> {
  const out: Diagnostic[] = [];
  const sites = await scanCallSites(bundleDir);
  const toolsGranted = grantedTools(m, entries).length > 0;
  for (const [key, list] of sites) {
    const dot = key.indexOf(".");
    const ns = key.slice(0, dot), method = key.slice(dot + 1);
    // The tool id of a tools.invoke site is not known statically: any granted tool makes it usable.
    const allowed = ns === "tools" && (method === "invoke" || method === "invokeAsync")
      ? toolsGranted
      : aclAllows(m, ns, method, entries);
    if (allowed) continue;
    const where = `${list[0].file}:${list[0].line}`;
    const more = list.length > 1 ? ` (and ${list.length - 1} more call site(s))` : "";
    const known = Object.hasOwn(HOST_API_METHODS, ns) ? HOST_API_METHODS[ns] : null;
    const fix = ns === "tools"
      ? "declare the executa in required_executas/optional_executas and grant it in ui.host_api.tools"
      : ns === "agent"
      ? 'set ui.host_api.agent to {"session": {"auto": true}}'
      : known && !known.includes(method)
      // granting a name the host does not implement would only turn denied into not_implemented
      ? `${key} is not a host-API method; ${methodHint(ns, method, known)}`
      : `add "${method}" to ui.host_api.${ns}`;
    out.push({
      severity: "warning",
      code: "strict_ungranted_call",
      path: ns === "tools" ? "ui.host_api.tools" : `ui.host_api.${ns}`,
      message: `${where}: the bundle calls ${key} but the manifest does not grant it${more}`,
      hint: fix,
    });
  }
  return out;
}
