/** `validate [APP_DIR|MANIFEST.json]` (CONTRACT §2.8): manifest checks, executas, bundle entry. */
import { basename, dirname, join, resolve } from "node:path";
import { appSlugFor } from "../manifest/mod.ts";
import { checkApp } from "../core/app_check.ts";
import { strictScan } from "../manifest/strict.ts";
import { diagnosticLine } from "../manifest/diag.ts";
import type { Diagnostic } from "../manifest/types.ts";
import { bool, type FlagSpec, list, notBoth, parseFlags, str } from "./flags.ts";
import { EXECUTA_HELP } from "./flag_help.ts";
import { EXIT, printFatal, writeStdout } from "./output.ts";
import { statOrNull } from "../util/fs.ts";

export const help = `Usage: anna-app-runtime validate [APP_DIR|MANIFEST.json] [flags]

Checks a manifest (default: ./manifest.json). For an app directory it also discovers executas and
checks that the bundle entry exists.

Flags:
  --strict                 also scan bundle sources for ungranted host-API calls; warnings fail
${EXECUTA_HELP}
  --format pretty|json     output format (default pretty)
  --log-level, --log-format  accepted as by every command (validate logs nothing)

Exit codes: 0 valid, 1 errors (or warnings with --strict), 2 path not found or bad flags.`;

export const flags: FlagSpec = {
  strict: { type: "boolean" },
  executa: { type: "string", multiple: true },
  "no-executas": { type: "boolean" },
};

export async function run(argv: string[]): Promise<number> {
  const { values, positionals } = parseFlags(argv, flags, { positionals: 1 });
  const format = str(values, "format");
  const strict = bool(values, "strict");
  const flagSpecs = list(values, "executa");
  const noExecutas = bool(values, "no-executas");
  notBoth(values, "executa", "no-executas", "executas");
  const target = resolve(positionals[0] ?? ".");
  const st = await statOrNull(target);
  if (!st) {
    printFatal(format, "path_not_found", `${target} does not exist`, { path: target });
    return EXIT.USAGE;
  }
  // A directory is the app; a file named manifest.json sits in its app directory. Any other
  // file is checked alone (no discovery, no bundle checks).
  const manifestPath = st.isDirectory ? join(target, "manifest.json") : target;
  const appDir = st.isDirectory
    ? target
    : basename(target) === "manifest.json"
    ? dirname(target)
    : null;

  const { loaded, manifest, specs, entries, diagnostics } = await checkApp({
    manifestPath,
    appDir,
    executaFlags: flagSpecs,
    noExecutas,
    skippedAsDiagnostics: true,
  });
  if (manifest && appDir && strict) {
    diagnostics.push(...await strictScan(join(appDir, "bundle"), manifest, entries));
  }

  const errors = diagnostics.filter((d) => d.severity === "error").length;
  const warnings = diagnostics.length - errors;
  const valid = errors === 0 && (!strict || warnings === 0);
  const { slug } = await appSlugFor({ appDir: appDir ?? undefined, manifestPath });
  if (format === "json") {
    writeStdout(JSON.stringify({
      valid,
      errors,
      warnings,
      manifest_path: loaded.path,
      app_slug: slug,
      views: manifest ? manifest.ui.views.map((v) => v.name) : [],
      executas: specs.map((s) => ({
        tool_id: s.tool_id,
        handle: s.handle,
        type: s.type,
        project_dir: s.project_dir,
        command: s.command,
      })),
      diagnostics: diagnostics.map((d) => {
        const o: Diagnostic = {
          severity: d.severity,
          code: d.code,
          path: d.path,
          message: d.message,
        };
        if (d.hint !== undefined) o.hint = d.hint;
        return o;
      }),
    }));
  } else {
    const lines = diagnostics.map(diagnosticLine);
    const views = manifest ? manifest.ui.views.length : 0;
    const plural = (n: number, w: string) => `${n} ${w}${n === 1 ? "" : "s"}`;
    lines.push(
      `${valid ? "valid" : "invalid"}: ${loaded.path} — ${plural(errors, "error")}, ` +
        `${plural(warnings, "warning")}${strict ? " (strict)" : ""}; app '${slug}', ` +
        `${plural(views, "view")}, ${plural(specs.length, "executa")}`,
    );
    writeStdout(lines.join("\n"));
  }
  return valid ? EXIT.OK : EXIT.FAILED;
}
