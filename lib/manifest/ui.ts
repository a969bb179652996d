/** `ui.bundle` and `ui.views` checks with their defaults and clamping (CONTRACT §3.3). */
import { codePointLength } from "../util/text.ts";
import { isPlainObject } from "../util/json.ts";
import { at, type Diags, entryFault, isSafeEntry, show, typeName, unknownKeys } from "./diag.ts";
import type { EffectiveManifest, EffectiveView, Size } from "./types.ts";

export const SIZE_MIN = 120;
export const SIZE_MAX = 4096;
export const MAX_VIEWS = 16;
const VIEW_NAME = /^[a-z0-9_-]{1,40}$/;
const BUNDLE_KEYS = ["format", "entry", "external_origins"];
const VIEW_KEYS = [
  "name",
  "title",
  "default",
  "entry",
  "mobile_entry",
  "min_size",
  "default_size",
  "max_size",
  "resizable",
  "movable",
  "single_instance",
  "summary_template",
  "icon",
];
const PATH_RULE = "use a relative path of ASCII letters, digits, _ . / - (no leading /, no .., " +
  "no //), renaming the file if its name has other characters";

/** Why an entry is refused, and the fix: a number or list is not a path with bad characters. */
function entryProblem(field: string, v: unknown): [string, string] {
  return typeof v === "string"
    ? [`${field} ${show(v)} breaks the bundle path rule: ${entryFault(v)}`, PATH_RULE]
    : [`${field} must be a string path, got ${typeName(v)}`, 'e.g. "entry": "index.html"'];
}

export function checkBundle(raw: unknown, d: Diags): EffectiveManifest["ui"]["bundle"] {
  const out = { format: "static-spa", entry: "index.html", external_origins: [] as string[] };
  if (raw === undefined || !isPlainObject(raw)) {
    d.warn(
      "bundle_missing",
      "ui.bundle",
      raw === undefined
        ? "ui.bundle is missing; using format static-spa and entry index.html"
        : `ui.bundle must be an object, got ${typeName(raw)}; using the defaults`,
      'add "bundle": {"format": "static-spa", "entry": "index.html"}',
    );
    return out;
  }
  // a misspelt key ("entry_point", "defualt") would otherwise be dropped without a word
  unknownKeys(raw, BUNDLE_KEYS, "ui.bundle", d);
  if (raw.format !== undefined && raw.format !== "static-spa") {
    d.warn(
      "bundle_format",
      "ui.bundle.format",
      `ui.bundle.format ${show(raw.format)} is not supported; treated as "static-spa"`,
    );
  }
  if (raw.entry !== undefined && raw.entry !== null) {
    if (isSafeEntry(raw.entry)) out.entry = raw.entry;
    else {
      const [message, hint] = entryProblem("ui.bundle.entry", raw.entry);
      d.error("entry_unsafe", "ui.bundle.entry", message, hint);
    }
  }
  const eo = raw.external_origins;
  if (eo !== undefined) {
    if (!Array.isArray(eo)) {
      d.warn(
        "external_origin_invalid",
        "ui.bundle.external_origins",
        `ui.bundle.external_origins must be a list of https:// origins, got ${typeName(eo)}`,
      );
    } else {
      eo.forEach((o, i) => {
        // beyond the contract's https:// and no-* rule, CSP separators are refused (header
        // injection), and so is anything outside printable ASCII: the CSP header is bytes, and a
        // non-ASCII or control character made every bundle response fail with 500
        if (typeof o === "string" && /^https:\/\/(?:(?![;,'"*])[!-~])+$/.test(o)) {
          if (!out.external_origins.includes(o)) out.external_origins.push(o);
          return;
        }
        const ascii = typeof o !== "string" || !/[^\x20-\x7e]/.test(o);
        d.warn(
          "external_origin_invalid",
          at("ui.bundle.external_origins", i),
          `external origin ${show(o)} is dropped: it must be https://host[:port] with no *, ` +
            `spaces or ;`,
          ascii ? undefined : "origins are printable ASCII: write the host in its punycode " +
            "(xn--…) form",
        );
      });
    }
  }
  return out;
}

function clampDim(n: number): number {
  return Math.min(SIZE_MAX, Math.max(SIZE_MIN, Math.round(n)));
}

function readSize(v: unknown, path: string, d: Diags): Size | null {
  if (v === undefined || v === null) return null;
  // ±Infinity (1e400 in the file) is a number out of range: clamped like any other
  const dim = (n: unknown) => typeof n === "number" && !Number.isNaN(n);
  if (!isPlainObject(v) || !dim(v.w) || !dim(v.h)) {
    d.warn(
      "view_size",
      path,
      `${path} must be {"w": int, "h": int} in CSS px, got ${show(v)}; it is ignored`,
    );
    return null;
  }
  const w = v.w as number, h = v.h as number;
  const out = { w: clampDim(w), h: clampDim(h) };
  if (out.w !== w || out.h !== h) {
    d.warn(
      "view_size",
      path,
      // not show(): JSON would print Infinity as null
      `${path} {"w":${w},"h":${h}} must be integers within ${SIZE_MIN}..${SIZE_MAX}; ` +
        `using ${show(out)}`,
    );
  }
  return out;
}

function readBool(v: unknown, dflt: boolean, path: string, d: Diags): boolean {
  if (v === undefined || v === null) return dflt;
  if (typeof v === "boolean") return v;
  d.warn("view_invalid", path, `${path} must be true or false, got ${show(v)}; using ${dflt}`);
  return dflt;
}

function readOptString(v: unknown, path: string, d: Diags): string | null {
  if (v === undefined || v === null) return null;
  if (typeof v === "string") return v;
  d.warn("view_invalid", path, `${path} must be a string, got ${typeName(v)}; it is ignored`);
  return null;
}

function sizes(v: Record<string, unknown>, path: string, d: Diags) {
  const min = readSize(v.min_size, at(path, "min_size"), d);
  let max = readSize(v.max_size, at(path, "max_size"), d);
  let def = readSize(v.default_size, at(path, "default_size"), d);
  if (min && max && (min.w > max.w || min.h > max.h)) {
    const fixed = { w: Math.max(min.w, max.w), h: Math.max(min.h, max.h) };
    d.warn(
      "view_size",
      at(path, "max_size"),
      `${path}.max_size ${show(max)} is smaller than min_size ${show(min)}; using ${show(fixed)}`,
    );
    max = fixed;
  }
  if (def) {
    const lo = min ?? { w: SIZE_MIN, h: SIZE_MIN }, hi = max ?? { w: SIZE_MAX, h: SIZE_MAX };
    const c = {
      w: Math.min(hi.w, Math.max(lo.w, def.w)),
      h: Math.min(hi.h, Math.max(lo.h, def.h)),
    };
    if (c.w !== def.w || c.h !== def.h) {
      d.warn(
        "view_size",
        at(path, "default_size"),
        `${path}.default_size ${show(def)} lies outside min_size..max_size; using ${show(c)}`,
      );
      def = c;
    }
  }
  return { min_size: min, default_size: def, max_size: max };
}

function checkView(
  v: Record<string, unknown>,
  name: string,
  path: string,
  bundleEntry: string,
  d: Diags,
): EffectiveView {
  let title = name;
  const t = v.title;
  // §3.3 asks only for 1..120 characters: a blank title is kept as written
  if (typeof t === "string" && t.length >= 1 && codePointLength(t) <= 120) title = t;
  else {
    d.warn(
      "view_title",
      at(path, "title"),
      t === undefined
        ? `${path}.title is missing; using the view name ${JSON.stringify(name)}`
        : `${path}.title must be a string of 1..120 characters, got ${
          show(t)
        }; using the view name`,
    );
  }
  let entry = bundleEntry;
  if (v.entry !== undefined && v.entry !== null) {
    if (isSafeEntry(v.entry)) entry = v.entry;
    else {
      const [message, hint] = entryProblem(`${path}.entry`, v.entry);
      d.warn(
        "view_entry_unsafe",
        at(path, "entry"),
        `${message}; using ui.bundle.entry ${JSON.stringify(bundleEntry)}`,
        hint,
      );
    }
  }
  let summary = readOptString(v.summary_template, at(path, "summary_template"), d);
  if (summary !== null && codePointLength(summary) > 400) {
    d.warn(
      "text_too_long",
      at(path, "summary_template"),
      `${path}.summary_template has ${
        codePointLength(summary)
      } characters (max 400); it is ignored`,
    );
    summary = null;
  }
  return {
    name,
    title,
    default: false,
    entry,
    mobile_entry: readOptString(v.mobile_entry, at(path, "mobile_entry"), d),
    ...sizes(v, path, d),
    resizable: readBool(v.resizable, true, at(path, "resizable"), d),
    movable: readBool(v.movable, true, at(path, "movable"), d),
    single_instance: readBool(v.single_instance, false, at(path, "single_instance"), d),
    summary_template: summary,
    icon: readOptString(v.icon, at(path, "icon"), d),
  };
}

export function checkViews(raw: unknown, bundleEntry: string, d: Diags): EffectiveView[] {
  if (!Array.isArray(raw) || raw.length === 0) {
    d.error(
      "views_missing",
      "ui.views",
      raw === undefined
        ? "ui.views is missing; the app has no view to open"
        : `ui.views must be a non-empty list of views, got ${
          Array.isArray(raw) ? "[]" : show(raw)
        }`,
      'add "views": [{"name": "main", "title": "My App", "default": true}]',
    );
    return [];
  }
  const views: EffectiveView[] = [];
  const names = new Set<string>(); // a Set: a manifest may hold many thousands of views
  let defaultPath: string | null = null;
  raw.forEach((v, i) => {
    const path = at("ui.views", i);
    if (!isPlainObject(v) || typeof v.name !== "string" || v.name === "") {
      d.warn(
        "view_invalid",
        path,
        `${path} is skipped: a view must be an object with a non-empty string "name"`,
      );
      return;
    }
    const name = v.name;
    if (names.has(name)) {
      d.warn(
        "view_duplicate",
        at(path, "name"),
        `${path} is skipped: view name ${JSON.stringify(name)} is already used by an earlier view`,
      );
      return;
    }
    if (!VIEW_NAME.test(name)) {
      d.warn(
        "view_name_format",
        at(path, "name"),
        `view name ${JSON.stringify(name)} should match ^[a-z0-9_-]{1,40}$ (the view still works)`,
      );
    }
    unknownKeys(v, VIEW_KEYS, path, d, "view");
    const view = checkView(v, name, path, bundleEntry, d);
    const isDefault = readBool(v.default, false, at(path, "default"), d);
    if (isDefault) {
      if (defaultPath === null) {
        view.default = true;
        defaultPath = path;
      } else {
        d.warn(
          "view_default_multiple",
          at(path, "default"),
          `${path} is also marked default; the first default view (${defaultPath}) wins`,
        );
      }
    }
    views.push(view);
    names.add(name);
  });
  if (views.length === 0) {
    d.error("views_missing", "ui.views", "ui.views has no usable view (each needs a string name)");
  } else if (views.length > MAX_VIEWS) {
    d.warn(
      "views_too_many",
      "ui.views",
      `ui.views has ${views.length} views (more than ${MAX_VIEWS}); all are kept`,
    );
  }
  return views;
}
