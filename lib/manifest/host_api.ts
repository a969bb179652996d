/** `ui.host_api` checks (CONTRACT §3.4) and the `tools_ref_unresolved` lint (§5.3, §3.7). */
import { isPlainObject } from "../util/json.ts";
import { type DeclaredTool, refGrants } from "./acl.ts";
import { at, type Diags, nearMatches, show, typeName } from "./diag.ts";

/** Known method names per list namespace; `null` = no method check (credentials, tools). */
export const HOST_API_METHODS: Record<string, readonly string[] | null> = {
  tools: null,
  chat: ["write_message", "append_artifact", "read_history"],
  artifact: ["create", "update", "delete"],
  llm: ["complete", "embed", "stream"],
  storage: ["get", "set", "delete", "list"],
  fs: ["read", "write"],
  files: ["upload_init", "upload_finalize", "download_url", "download", "list", "delete"],
  prefs: ["get"],
  image: ["generate", "edit"],
  upload: ["inline", "negotiate", "confirm"],
  web: ["search", "fetch", "image_search", "image_fetch"],
  apps: ["list", "search", "get", "launch", "deck.list", "deck.add", "deck.remove", "deck.reorder"],
  mobile: ["share", "haptics", "camera_capture"],
  credentials: null,
};
/** Every namespace of §3.4 (the list namespaces plus `agent` and `window`). */
export const HOST_API_NAMESPACES = [...Object.keys(HOST_API_METHODS), "agent", "window"];

/** Legacy or near-miss method names and what was probably meant (the names are never translated). */
const LEGACY: Record<string, Record<string, string[]>> = {
  storage: {
    read: ["get", "list"],
    write: ["set", "delete"],
    put: ["set"],
    remove: ["delete"],
    keys: ["list"],
    // no bulk delete in §5.5: `list` the keys, then `delete` each
    clear: ["list", "delete"],
  },
  chat: {
    read: ["read_history"],
    write: ["write_message"],
    append: ["append_artifact"],
    history: ["read_history"],
    send: ["write_message"],
  },
  llm: {
    sample: ["complete"],
    chat: ["complete"],
    completion: ["complete"],
    generate: ["complete"],
    embedding: ["embed"],
    embeddings: ["embed"],
  },
  artifact: { write: ["create", "update"], remove: ["delete"] },
  prefs: { read: ["get"] },
  image: { create: ["generate"] },
};

/** The methods a legacy or near-miss name probably meant (`storage.remove` → delete), if any. */
export function legacyMeaning(ns: string, method: string): string[] | undefined {
  return Object.hasOwn(LEGACY, ns) ? LEGACY[ns][method.toLowerCase()] : undefined;
}

export function methodHint(ns: string, method: string, known: readonly string[]): string {
  const quote = (xs: string[]) => xs.map((x) => `"${x}"`).join(" and ");
  const all = `${ns} methods: ${known.join(", ")}, or "*"`;
  const lower = method.toLowerCase();
  const stripped = lower.startsWith(ns + ".") ? lower.slice(ns.length + 1) : lower;
  const legacy = LEGACY[ns]?.[stripped];
  if (legacy) {
    return `"${method}" is a legacy or look-alike name and is not translated; probably meant ${
      quote(legacy)
    } ` +
      `(${all})`;
  }
  const near = known.includes(stripped) ? [stripped] : nearMatches(stripped, known, true);
  if (near.length > 0) return `did you mean ${quote(near)}? (${all})`;
  return all;
}

export function checkHostApi(raw: unknown, d: Diags): Record<string, unknown> {
  const base = "ui.host_api";
  if (raw === undefined) return {};
  if (!isPlainObject(raw)) {
    d.warn(
      "host_api_not_object",
      base,
      `ui.host_api must be an object mapping namespace to grant, got ${typeName(raw)}; ` +
        `it grants nothing`,
      'write e.g. "host_api": {"storage": ["get", "set"]}',
    );
    return {};
  }
  for (const [ns, v] of Object.entries(raw)) {
    const path = at(base, ns);
    if (ns === "window") continue; // informational; window is always granted
    if (ns === "agent") {
      checkAgent(v, path, d);
      continue;
    }
    const known = Object.hasOwn(HOST_API_METHODS, ns) ? HOST_API_METHODS[ns] : undefined;
    if (known === undefined) {
      const near = nearMatches(ns, HOST_API_NAMESPACES, true);
      d.warn(
        "host_api_unknown_namespace",
        path,
        `ui.host_api.${ns} is not a known namespace; calls to it pass the ACL when granted and ` +
          `then answer not_implemented`,
        near.length ? `did you mean "${near[0]}"?` : `known: ${HOST_API_NAMESPACES.join(", ")}`,
      );
    }
    if (!Array.isArray(v)) {
      // §5.3: a non-array `tools` is ignored and every declared executa stays granted
      d.warn(
        "host_api_not_list",
        path,
        ns === "tools"
          ? `${path} must be a list of tool references, got ${typeName(v)}; it is ignored, so ` +
            `every declared executa is granted`
          : `${path} must be a list of method names, got ${typeName(v)}; it grants nothing`,
        ns === "tools"
          ? 'write e.g. "tools": ["required:*"] or list the tool ids'
          : `write e.g. "${ns}": ["*"] or list the methods`,
      );
      continue;
    }
    if (!known) continue; // tools refs are linted separately; credentials take provider ids
    v.forEach((item, i) => {
      if (item === "*" || (typeof item === "string" && known.includes(item))) return;
      d.warn(
        "host_api_unknown_method",
        at(path, i),
        typeof item === "string"
          ? `${path} contains unknown method ${JSON.stringify(item)}; it is kept literally and ` +
            `grants only a call with exactly that name`
          : `${path} contains ${show(item)}, which is not a method name (a string); it grants ` +
            `nothing`,
        methodHint(ns, typeof item === "string" ? item : "", known),
      );
    });
  }
  return raw;
}

function checkAgent(v: unknown, path: string, d: Diags) {
  const bad = (p: string, msg: string) =>
    d.warn(
      "agent_spec_invalid",
      p,
      msg,
      'expected {"session": {"auto": true|false, "fixed": true|false|null|{"client_ids": [...]}}, ' +
        '"tools": [...]}',
    );
  if (!isPlainObject(v)) {
    bad(path, `${path} must be an object, got ${typeName(v)}; it grants nothing`);
    return;
  }
  const s = v.session;
  if (s !== undefined) {
    if (!isPlainObject(s)) {
      bad(at(path, "session"), `${path}.session must be an object, got ${typeName(s)}`);
    } else {
      if (s.auto !== undefined && typeof s.auto !== "boolean") {
        bad(at(at(path, "session"), "auto"), `${path}.session.auto must be a boolean`);
      }
      const f = s.fixed;
      const fixedOk = f === undefined || f === null || typeof f === "boolean" ||
        (isPlainObject(f) &&
          (f.client_ids === undefined ||
            (Array.isArray(f.client_ids) && f.client_ids.every((x) => typeof x === "string"))));
      if (!fixedOk) {
        bad(
          at(at(path, "session"), "fixed"),
          `${path}.session.fixed must be a boolean, null or {"client_ids": [string…]}`,
        );
      }
    }
  }
  const t = v.tools;
  if (t !== undefined && !(Array.isArray(t) && t.every((x) => typeof x === "string"))) {
    bad(at(path, "tools"), `${path}.tools must be a list of strings`);
  }
}

/** Warns about `host_api.tools` refs that grant nothing (§5.3), with a "did you mean" hint. */
export function checkToolRefs(
  hostApi: Record<string, unknown>,
  declared: DeclaredTool[],
  rawDeclared: string[],
  resolve: (ref: string) => string,
  d: Diags,
) {
  const refs = hostApi.tools;
  if (!Array.isArray(refs)) return;
  const ids = [...declared.map((x) => x.tool_id), ...rawDeclared];
  refs.forEach((ref, i) => {
    const path = at("ui.host_api.tools", i);
    if (typeof ref !== "string") {
      d.warn(
        "tools_ref_unresolved",
        path,
        `ui.host_api.tools[${i}] must be a string tool reference, got ${typeName(ref)}; ` +
          `it grants nothing`,
      );
      return;
    }
    if (refGrants(ref, declared, resolve).length > 0) return;
    const r = ref.trim();
    const prefixed = /^(required|optional):(.*)$/s.exec(r);
    const inner = prefixed ? prefixed[2] : r;
    let hint: string | undefined;
    if (prefixed && inner === "*") {
      hint = `no executa is declared in ${prefixed[1]}_executas`;
    } else if (r === "*") {
      hint = "declare executas in required_executas or optional_executas";
    } else {
      const near = nearMatches(inner, ids).concat(nearMatches(resolve(inner), ids));
      if (near.length) hint = `did you mean "${near[0]}"?`;
      else hint = "add it to required_executas or optional_executas, or fix the reference";
    }
    d.warn(
      "tools_ref_unresolved",
      path,
      `ui.host_api.tools ref ${JSON.stringify(ref)} matches no declared executa; it grants nothing`,
      hint,
    );
  });
}
