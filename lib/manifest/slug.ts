/** App slug (CONTRACT §3.11): explicit > `app.json` slug > manifest directory name, normalised. */
import { basename, dirname, join, resolve } from "node:path";
import { decodeUserFile, isPlainObject, NOT_UTF8, parseJsonText } from "../util/json.ts";

export function normalizeSlug(s: string): string {
  let out = s.toLowerCase().replace(/[^a-z0-9-]/g, "-").replace(/-+/g, "-");
  out = out.replace(/^-+|-+$/g, "").slice(0, 63).replace(/-+$/, "");
  return out || "app";
}

async function appJsonSlug(dir: string, warnings: string[]): Promise<string | undefined> {
  const file = join(dir, "app.json");
  let bytes: Uint8Array;
  try {
    bytes = await Deno.readFile(file);
  } catch {
    return undefined; // app.json is optional
  }
  const { text, badLine } = decodeUserFile(bytes);
  if (badLine) {
    // read lossily, a Latin-1 `é` in the slug became U+FFFD and then a `-` (§1.3)
    warnings.push(`${file}:${badLine}: ${NOT_UTF8}; its slug is ignored`);
    return undefined;
  }
  const r = parseJsonText(text);
  if ("error" in r) {
    warnings.push(`${file} is not valid JSON (${r.error}); its slug is ignored`);
    return undefined;
  }
  const j = r.value;
  return isPlainObject(j) && typeof j.slug === "string" && j.slug.trim() !== ""
    ? j.slug
    : undefined;
}

export async function appSlugFor(
  opts: { explicit?: string; appDir?: string; manifestPath?: string },
): Promise<{ slug: string; warnings: string[] }> {
  const warnings: string[] = [];
  if (opts.explicit !== undefined) {
    const slug = normalizeSlug(opts.explicit);
    if (slug !== opts.explicit) {
      warnings.push(`app slug '${opts.explicit}' was normalised to '${slug}'`);
    }
    return { slug, warnings };
  }
  const dir = opts.appDir ?? (opts.manifestPath ? dirname(opts.manifestPath) : undefined);
  if (dir !== undefined) {
    const fromAppJson = await appJsonSlug(dir, warnings);
    if (fromAppJson !== undefined) return { slug: normalizeSlug(fromAppJson), warnings };
  }
  const manifestDir = opts.manifestPath ? dirname(opts.manifestPath) : dir;
  const name = manifestDir === undefined ? "" : basename(resolve(manifestDir));
  return { slug: normalizeSlug(name), warnings };
}
