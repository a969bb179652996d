/** An in-process executa host for core tests: records invokes, spawns nothing. */
import { ok, type Outcome } from "../../lib/core/outcome.ts";
import type {
  ExecutaEntry,
  ExecutaHost,
  ExecutaInfo,
  ExecutaSpec,
  InvokeOptions,
} from "../../lib/executa/types.ts";

/** Records invokes; entries are added with `add`. */
export class FakeExecutas implements ExecutaHost {
  entries: ExecutaEntry[] = [];
  invokes: { tool_id: string; method: string; args: unknown; opts: InvokeOptions }[] = [];
  add(tool_id: string, handle: string, project_dir: string, app_slug: string | null = null) {
    const spec: ExecutaSpec = {
      tool_id,
      project_dir,
      command: ["true"],
      type: null,
      env: {},
      handle,
      app_slug,
    };
    this.entries.push({ spec, status: "registered", describe: null });
  }
  register(): Promise<void> {
    return Promise.resolve();
  }
  get(tool_id: string) {
    return this.entries.find((e) => e.spec.tool_id === tool_id);
  }
  entriesFor(app_slug: string | null) {
    return this.entries.filter((e) => e.spec.app_slug === null || e.spec.app_slug === app_slug);
  }
  list(): ExecutaInfo[] {
    return [];
  }
  invoke(tool_id: string, method: string, args: unknown, opts: InvokeOptions): Promise<Outcome> {
    this.invokes.push({ tool_id, method, args, opts });
    return Promise.resolve(ok({ tool_id, method }));
  }
  restart(): Promise<void> {
    return Promise.resolve();
  }
  killAll(): void {}
  shutdown(): Promise<void> {
    return Promise.resolve();
  }
}
