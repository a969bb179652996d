/** Types of the effective manifest (CONTRACT §3.8) shared by every consumer. */

export type Severity = "error" | "warning";
export interface Diagnostic {
  severity: Severity;
  code: string;
  /** JSON-path-like location, e.g. `ui.views[1].title`; `""` for the whole file. */
  path: string;
  message: string;
  hint?: string;
}

export interface Size {
  w: number;
  h: number;
}

/** One usable view after defaults/clamping (§3.3). Sizes are `null` when the manifest omits them. */
export interface EffectiveView {
  name: string;
  title: string;
  default: boolean;
  entry: string;
  mobile_entry: string | null;
  min_size: Size | null;
  default_size: Size | null;
  max_size: Size | null;
  resizable: boolean;
  movable: boolean;
  single_instance: boolean;
  summary_template: string | null;
  icon: string | null;
}

/** `view_meta` (§3.10). */
export interface ViewMeta {
  name: string;
  title: string;
  entry: string;
  min_size: Size;
  default_size: Size;
  max_size: Size;
  resizable: boolean;
  movable: boolean;
  single_instance: boolean;
  icon: string | null;
  summary_template: string | null;
  chrome: "solid";
  transparent: false;
}

export interface ExecutaRef {
  tool_id: string;
  min_version?: string;
  version?: string;
}

export interface EffectiveManifest {
  schema: unknown;
  required_executas: ExecutaRef[];
  optional_executas: ExecutaRef[];
  permissions: string[];
  host_capabilities: string[];
  tags: string[];
  ui: {
    bundle: { format: string; entry: string; external_origins: string[] };
    views: EffectiveView[];
    /** `ui.host_api` copied as given (an object; `{}` when not an object). */
    host_api: Record<string, unknown>;
    /** Accepted values only, de-duplicated (§3.5). */
    csp_overrides: Record<string, string[]>;
    state_merge: string;
    form_factors: string[];
  };
  dev: {
    fixtures: string[];
    mocks: Record<string, unknown>;
    seed_storage: Record<string, unknown> | null;
    user_id: number | null;
  };
}

export interface ManifestResult {
  /** `null` when an error diagnostic makes running impossible. */
  manifest: EffectiveManifest | null;
  diagnostics: Diagnostic[];
}
