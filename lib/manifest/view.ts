/** View selection (CONTRACT §3.9), `view_meta` and initial window geometry (§3.10). */
import type { EffectiveManifest, EffectiveView, Size, ViewMeta } from "./types.ts";

/** §3.9 step 1 failed: the requested view does not exist. */
export class UnknownViewError extends Error {
  constructor(readonly view: string, readonly available: string[]) {
    super(`unknown view '${view}' (available: ${available.join(", ") || "none"})`);
    this.name = "UnknownViewError";
  }
}

export function selectView(m: EffectiveManifest, name?: string): EffectiveView {
  const views = m.ui.views;
  if (name !== undefined) {
    const v = views.find((x) => x.name === name);
    if (!v) throw new UnknownViewError(name, views.map((x) => x.name));
    return v;
  }
  return views.find((x) => x.default) ?? views[0];
}

export function viewMeta(view: EffectiveView, m: EffectiveManifest): ViewMeta {
  const min: Size = view.min_size ?? { w: 120, h: 120 };
  const max: Size = view.max_size ?? { w: 4096, h: 4096 };
  // §3.10 exactly: the manifest check already clamped a given default_size into min..max; the
  // fallbacks are taken as they are, even when a small max_size leaves 480x640 outside it
  const base: Size = view.default_size ?? view.min_size ?? { w: 480, h: 640 };
  const def = { w: base.w, h: base.h };
  return {
    name: view.name,
    title: view.title,
    entry: view.entry || m.ui.bundle.entry,
    min_size: { ...min },
    default_size: def,
    max_size: { ...max },
    resizable: view.resizable,
    movable: view.movable,
    single_instance: view.single_instance,
    icon: view.icon ?? null,
    summary_template: view.summary_template ?? null,
    chrome: "solid",
    transparent: false,
  };
}

export function initialGeometry(meta: ViewMeta): { x: number; y: number; w: number; h: number } {
  return { x: 0, y: 0, w: meta.default_size.w, h: meta.default_size.h };
}
