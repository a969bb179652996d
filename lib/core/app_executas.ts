/**
 * The executas of an app directory (CONTRACT §4.4.1 `app_dir`, §9.2): discovered, registered for
 * the app's slug, with the discovery warnings as `executa_discovery` diagnostics.
 */
import { discoverExecutas } from "../executa/discovery.ts";
import { discoveryDiagnostics } from "../executa/bundled_refs.ts";
import type { ExecutaHost, ExecutaSpec } from "../executa/types.ts";
import type { Diagnostic, EffectiveManifest } from "../manifest/types.ts";
import { deepEqual } from "../util/json.ts";
import type { Logger } from "../util/log.ts";

/**
 * Registers the app's discovered executas; an identical existing registration is kept warm. Taking
 * over another app's tool_id (a fork of the same template) is said out loud when that app is still
 * `inUse` (open sessions, or dev's app): its sessions lose the executa, since there is one process
 * per tool_id (§9.5). A harness creating each session from a fresh copy of an app, closing the
 * previous one first, was otherwise warned on every create about an app nobody used any more.
 */
export async function registerAppExecutas(
  executas: ExecutaHost,
  logger: Logger,
  appDir: string,
  slug: string,
  manifest: { effective: EffectiveManifest; raw: unknown } | null,
  inUse: (slug: string) => boolean = () => true,
): Promise<Diagnostic[]> {
  const found = await discoverExecutas(appDir);
  const fresh: ExecutaSpec[] = [];
  const taken: string[] = [];
  for (const spec of found.specs) {
    const withApp = { ...spec, app_slug: slug };
    const cur = executas.get(spec.tool_id);
    if (!cur || !deepEqual(cur.spec, withApp)) fresh.push(withApp);
    const owner = cur?.spec.app_slug;
    if (owner && owner !== slug && inUse(owner)) {
      taken.push(
        `executa ${spec.tool_id} now runs from ${spec.project_dir} for app '${slug}'; ` +
          `sessions of app '${owner}' no longer reach it (one process per tool_id)`,
      );
    }
  }
  if (fresh.length) await executas.register(fresh);
  for (const t of taken) logger.warn(t);
  return [
    ...discoveryDiagnostics(found, manifest?.effective ?? null, manifest?.raw),
    ...taken.map((message): Diagnostic => ({
      severity: "warning",
      code: "executa_discovery",
      path: "",
      message,
    })),
  ];
}
