/**
 * `analyzeManifest`: the tolerant manifest check (CONTRACT §3.1–§3.7) producing the effective
 * manifest (§3.8) and diagnostics. Pure; `bundled:` refs resolve literally unless a resolver is given.
 */
import { isPlainObject } from "../util/json.ts";
import { codePointLength } from "../util/text.ts";
import { declaredWith } from "./acl.ts";
import { checkCsp } from "./csp.ts";
import { checkDev } from "./dev.ts";
import { at, Diags, nearMatches, show, typeName, unknownKeys } from "./diag.ts";
import { checkHostApi, checkToolRefs } from "./host_api.ts";
import type { EffectiveManifest, ExecutaRef, ManifestResult } from "./types.ts";
import { checkBundle, checkViews } from "./ui.ts";

export const PERMISSIONS = [
  "ui.svg",
  "fs.read",
  "fs.write",
  "tools.invoke",
  "chat.read",
  "chat.write_message",
  "chat.append_artifact",
  "artifact.create",
  "artifact.update",
  "artifact.delete",
  "llm.complete",
  "storage.read",
  "storage.write",
  "prefs.read",
];
export const HOST_CAPABILITIES = [
  "llm.sample",
  "llm.complete",
  "llm.embed",
  "llm.agent.auto",
  "llm.agent.fixed",
  "llm.image",
  "llm.image.edit",
  "web.search",
  "web.fetch",
  "web.image_search",
  "web.image_fetch",
  "host.upload",
  "aps.kv",
  "aps.files",
  "aps.scope.user.read",
  "aps.scope.user.write",
  "aps.scope.app.read",
  "aps.scope.app.write",
  "aps.scope.tool.read",
  "aps.scope.tool.write",
  "aps.scope.admin",
];
const TOP_KEYS = [
  "schema",
  "required_executas",
  "optional_executas",
  "permissions",
  "host_capabilities",
  "system_prompt_addendum",
  "user_message_prefix_template",
  "tags",
  "ui",
  "dev",
  "storage",
];
const UI_KEYS = ["bundle", "views", "host_api", "csp_overrides", "state_merge", "form_factors"];
const FORM_FACTORS = ["desktop", "mobile"];

export interface AnalyzeOptions {
  /** Resolves `bundled:` refs (e.g. against discovered executas); default: literal. */
  resolve?: (ref: string) => string;
}

/** A list of strings from a known vocabulary; unknown or non-string items dropped with `code`. */
/**
 * A list field checked against its vocabulary; `other` is the sibling list (permissions ↔
 * host_capabilities) whose values the hint points to when one lands in the wrong field (a corpus app
 * listed `llm.image` under permissions, where the known-values hint read as if it were a typo).
 */
function vocabulary(
  v: unknown,
  path: string,
  known: string[],
  code: string,
  d: Diags,
  other?: { path: string; known: string[]; value: unknown },
): string[] {
  if (v === undefined) return [];
  if (!Array.isArray(v)) {
    d.warn(code, path, `${path} must be a list of strings, got ${typeName(v)}; it is ignored`);
    return [];
  }
  const out: string[] = [];
  v.forEach((x, i) => {
    if (typeof x === "string" && known.includes(x)) {
      if (!out.includes(x)) out.push(x);
      return;
    }
    const near = typeof x === "string" ? nearMatches(x, known, true) : [];
    const sibling = typeof x === "string" && other?.known.includes(x) ? other : null;
    const listed = !!sibling && Array.isArray(sibling.value) && sibling.value.includes(x);
    d.warn(
      code,
      at(path, i),
      `${path} value ${show(x)} is not recognised; it is ignored`,
      sibling
        ? `${show(x)} is a ${sibling.path} value${listed ? ` and is already listed there` : ""}; ` +
          (listed ? `remove it from ${path}` : `move it to ${sibling.path}`)
        : near.length
        ? `did you mean "${near[0]}"?`
        : `known values: ${known.join(", ")}`,
    );
  });
  return out;
}

function executaRefs(
  v: unknown,
  key: string,
  seen: Map<string, string>,
  d: Diags,
): ExecutaRef[] {
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v)) {
    d.warn(
      "executa_ref_invalid",
      key,
      `${key} must be a list of {"tool_id": ...} objects, got ${typeName(v)}; it is ignored`,
    );
    return [];
  }
  const out: ExecutaRef[] = [];
  v.forEach((item, i) => {
    const path = at(key, i);
    let ref: ExecutaRef;
    if (typeof item === "string" && item.length >= 1 && item.length <= 200) {
      d.warn(
        "executa_ref_invalid",
        path,
        `${path} is a bare string; accepted as {"tool_id": ${JSON.stringify(item)}}`,
        `write {"tool_id": ${JSON.stringify(item)}}`,
      );
      ref = { tool_id: item };
    } else if (
      isPlainObject(item) && typeof item.tool_id === "string" && item.tool_id.length >= 1 &&
      item.tool_id.length <= 200
    ) {
      ref = { tool_id: item.tool_id };
      for (const k of ["min_version", "version"] as const) {
        const v = item[k];
        if (typeof v === "string") ref[k] = v;
        else if (v !== undefined && v !== null) {
          d.warn(
            "executa_ref_invalid",
            at(path, k),
            `${at(path, k)} must be a string (e.g. "1.0.0"), got ${show(v)}; it is ignored`,
          );
        }
      }
    } else {
      d.warn(
        "executa_ref_invalid",
        path,
        `${path} is dropped: it needs a string "tool_id" of 1..200 characters, got ${show(item)}`,
      );
      return;
    }
    const first = seen.get(ref.tool_id);
    if (first !== undefined) {
      d.warn(
        "executa_ref_duplicate",
        path,
        `tool_id ${JSON.stringify(ref.tool_id)} is already declared at ${first}; ` +
          `the first occurrence wins`,
      );
      return;
    }
    seen.set(ref.tool_id, path);
    out.push(ref);
  });
  return out;
}

function topTexts(raw: Record<string, unknown>, d: Diags) {
  // "chars" are code points, as for view titles and the summary template
  const add = raw.system_prompt_addendum;
  const addLen = typeof add === "string" ? codePointLength(add) : 0;
  if (add !== undefined && (typeof add !== "string" || addLen > 4000)) {
    d.warn(
      "text_too_long",
      "system_prompt_addendum",
      typeof add === "string"
        ? `system_prompt_addendum has ${addLen} characters (max 4000)`
        : `system_prompt_addendum must be a string of at most 4000 characters, got ${
          typeName(add)
        }`,
    );
  }
  const tpl = raw.user_message_prefix_template;
  if (tpl === undefined) return;
  const tplLen = typeof tpl === "string" ? codePointLength(tpl) : 0;
  if (typeof tpl === "string" && tplLen > 500) {
    d.warn(
      "text_too_long",
      "user_message_prefix_template",
      `user_message_prefix_template has ${tplLen} characters (max 500)`,
    );
  }
  const count = typeof tpl === "string" ? tpl.split("{user_message}").length - 1 : 0;
  if (typeof tpl !== "string" || count !== 1) {
    d.warn(
      "prefix_template_invalid",
      "user_message_prefix_template",
      typeof tpl !== "string"
        ? `user_message_prefix_template must be a string, got ${typeName(tpl)}`
        : `user_message_prefix_template must contain {user_message} exactly once (found ${count})`,
      'e.g. "[context] {user_message}"',
    );
  }
}

export function analyzeManifest(raw: unknown, opts: AnalyzeOptions = {}): ManifestResult {
  const d = new Diags();
  if (!isPlainObject(raw)) {
    d.error(
      "manifest_not_object",
      "",
      `the manifest must be a JSON object, got ${typeName(raw)}`,
      'start from {"schema": 2, "ui": {"views": [{"name": "main"}]}}',
    );
    return { manifest: null, diagnostics: d.list };
  }
  const resolve = opts.resolve ?? ((x: string) => x);
  if (raw.schema !== 2) {
    d.warn(
      "schema_unsupported",
      "schema",
      raw.schema === undefined
        ? "schema is missing; running with schema-2 semantics"
        : `schema ${show(raw.schema)} is not supported; running with schema-2 semantics`,
      'set "schema": 2',
    );
  }
  unknownKeys(raw, TOP_KEYS, "", d);
  if (raw.storage !== undefined) {
    d.warn(
      "unknown_key",
      "storage",
      "storage is a schema-3 block and is ignored by this runtime",
      "remove it, or keep it only for a schema-3 host",
    );
  }
  const seen = new Map<string, string>();
  const required = executaRefs(raw.required_executas, "required_executas", seen, d);
  const optional = executaRefs(raw.optional_executas, "optional_executas", seen, d);
  const permissions = vocabulary(
    raw.permissions,
    "permissions",
    PERMISSIONS,
    "permission_unknown",
    d,
    { path: "host_capabilities", known: HOST_CAPABILITIES, value: raw.host_capabilities },
  );
  const caps = vocabulary(
    raw.host_capabilities,
    "host_capabilities",
    HOST_CAPABILITIES,
    "host_capability_unknown",
    d,
    { path: "permissions", known: PERMISSIONS, value: raw.permissions },
  );
  topTexts(raw, d);
  const tags: string[] = [];
  if (raw.tags !== undefined) {
    if (Array.isArray(raw.tags) && raw.tags.every((t) => typeof t === "string")) {
      tags.push(...raw.tags);
    } else {
      d.warn("field_invalid", "tags", `tags must be a list of strings; non-strings are ignored`);
      if (Array.isArray(raw.tags)) tags.push(...raw.tags.filter((t) => typeof t === "string"));
    }
  }

  const ui = raw.ui;
  let effectiveUi: EffectiveManifest["ui"] | null = null;
  if (!isPlainObject(ui)) {
    d.error(
      "ui_missing",
      "ui",
      ui === undefined
        ? "ui is missing; an app needs a ui block with at least one view"
        : `ui must be an object, got ${typeName(ui)}`,
      'add "ui": {"bundle": {"entry": "index.html"}, "views": [{"name": "main"}]}',
    );
  } else {
    unknownKeys(ui, UI_KEYS, "ui", d);
    const bundle = checkBundle(ui.bundle, d);
    const views = checkViews(ui.views, bundle.entry, d);
    const hostApi = checkHostApi(ui.host_api, d);
    const csp = checkCsp(ui.csp_overrides, d);
    if (ui.state_merge !== undefined && ui.state_merge !== "last_writer_wins") {
      d.warn(
        "state_merge_unknown",
        "ui.state_merge",
        `ui.state_merge ${show(ui.state_merge)} is not supported; using "last_writer_wins"`,
      );
    }
    const formFactors = vocabulary(
      ui.form_factors,
      "ui.form_factors",
      FORM_FACTORS,
      "form_factor_unknown",
      d,
    );
    effectiveUi = {
      bundle,
      views,
      host_api: hostApi,
      csp_overrides: csp,
      state_merge: "last_writer_wins",
      form_factors: formFactors,
    };
    const declared = declaredWith(
      { required_executas: required, optional_executas: optional },
      resolve,
    );
    const rawIds = [...required, ...optional].map((r) => r.tool_id);
    checkToolRefs(hostApi, declared, rawIds, resolve, d);
  }
  const dev = checkDev(raw.dev, d);
  if (d.hasError || effectiveUi === null) return { manifest: null, diagnostics: d.list };
  return {
    manifest: {
      schema: raw.schema,
      required_executas: required,
      optional_executas: optional,
      permissions,
      host_capabilities: caps,
      tags,
      ui: effectiveUi,
      dev,
    },
    diagnostics: d.list,
  };
}
