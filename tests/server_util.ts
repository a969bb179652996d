/** Small shared fixtures for the server tests (not a test file itself). */
import type { ExecutaEntry } from "../lib/executa/types.ts";
import type { EffectiveManifest } from "../lib/manifest/types.ts";

export function fakeManifest(): EffectiveManifest {
  return {
    schema: 2,
    required_executas: [],
    optional_executas: [],
    permissions: [],
    host_capabilities: [],
    tags: [],
    ui: {
      bundle: { format: "static-spa", entry: "index.html", external_origins: [] },
      views: [{
        name: "main",
        title: "Main",
        default: true,
        entry: "index.html",
        mobile_entry: null,
        min_size: null,
        default_size: null,
        max_size: null,
        resizable: true,
        movable: true,
        single_instance: false,
        summary_template: null,
        icon: null,
      }],
      host_api: {},
      csp_overrides: {},
      state_merge: "last_writer_wins",
      form_factors: [],
    },
    dev: { fixtures: [], mocks: {}, seed_storage: null, user_id: null },
  };
}

export function fakeEntry(tool_id: string, handle: string, project_dir = `/apps/x/executas/${handle}`): ExecutaEntry {
  return {
    spec: { tool_id, project_dir, command: null, type: "python", env: {}, handle, app_slug: null },
    status: "registered",
    describe: null,
  };
}
