/**
 * The `dev` app around the server (CONTRACT §2.5, §11.10): reading `--seed-storage` /
 * `--entry-payload`, printing manifest diagnostics, and applying a changed manifest to the dev
 * session (valid → replaced; invalid → logged, the previous one stays).
 */
import { dirname, join, resolve } from "node:path";
import { UsageError } from "../cli/flags.ts";
import { writeStderr } from "../cli/output.ts";
import { loadManifest } from "../manifest/mod.ts";
import { diagnosticFields, diagnosticLine } from "../manifest/diag.ts";
import { entryDiagnostics } from "../manifest/entries.ts";
import type { Diagnostic } from "../manifest/types.ts";
import type { Runtime } from "../core/runtime.ts";
import { decodeUserFile, isPlainObject, NOT_UTF8, parseJsonText } from "../util/json.ts";
import type { Logger } from "../util/log.ts";
import { fileProblem, statOrNull } from "../util/fs.ts";

/** `--entry-payload JSON`: a JSON object. */
export function parseEntryPayload(v: string | undefined): Record<string, unknown> | undefined {
  if (v === undefined) return undefined;
  let x: unknown;
  try {
    x = JSON.parse(v);
  } catch (e) {
    throw new UsageError(`--entry-payload is not valid JSON: ${(e as Error).message}`);
  }
  if (!isPlainObject(x)) throw new UsageError("--entry-payload must be a JSON object");
  return x;
}

/**
 * `--seed-storage FILE|JSON`: inline JSON when it starts with `{`, else a file holding it (or, when
 * no such file exists, the text itself if it is JSON, so a non-object gets the object message).
 */
export async function parseSeedStorage(
  v: string | undefined,
): Promise<Record<string, unknown> | undefined> {
  if (v === undefined) return undefined;
  let text = v;
  let inline = v.trimStart().startsWith("{");
  if (!inline) {
    try {
      const read = decodeUserFile(await Deno.readFile(v));
      text = read.text;
      // seeded state must hold what the file says, not U+FFFD
      if (read.badLine) throw new UsageError(`--seed-storage ${v}:${read.badLine}: ${NOT_UTF8}`);
    } catch (e) {
      if (e instanceof UsageError) throw e;
      // no such file, but JSON all the same (`[1]`, `"x"`): say what it must be, not "cannot read"
      if (!(e instanceof Deno.errors.NotFound) || "error" in parseJsonText(v)) {
        throw new UsageError(
          `--seed-storage: cannot read ${v}: ${fileProblem(e)}; ` +
            `give a JSON object, or the path of a file holding one`,
        );
      }
      inline = true;
    }
  }
  const r = parseJsonText(text);
  if ("error" in r) {
    throw new UsageError(`--seed-storage${inline ? "" : ` ${v}`} is not valid JSON: ${r.error}`);
  }
  const x = r.value;
  if (!isPlainObject(x)) throw new UsageError("--seed-storage must hold a JSON object");
  return x;
}

/**
 * `--record FILE` can be written: its directory exists and it is not itself a directory. Told
 * before the server binds and executas spawn, and in words (not "os error 21: open").
 */
export async function checkRecordPath(file: string): Promise<void> {
  const parent = dirname(resolve(file));
  if (!(await statOrNull(parent))?.isDirectory) {
    throw new UsageError(`--record ${file}: ${parent} is not a directory; create it first`);
  }
  if ((await statOrNull(resolve(file)))?.isDirectory) {
    throw new UsageError(
      `--record ${file}: it is a directory; name the recording file, e.g. ` +
        `--record ${join(file, "session.jsonl")}`,
    );
  }
}

/** One line per diagnostic on stderr, in the `validate` layout. */
export function printDiagnostics(diags: Diagnostic[]) {
  for (const d of diags) writeStderr(diagnosticLine(d));
}

export interface DevApp {
  slug: string;
  appDir: string;
  bundleDir: string;
  manifestPath: string;
  sessionId: string;
  /** The manifest as last loaded without errors (new sessions of the dev app start from it). */
  raw: Record<string, unknown>;
}

/**
 * Re-reads the manifest after a change and applies it (§11.10); always leaves a log entry, unless
 * `signal` aborted during the read (the watcher gave up on it: a newer reload may be applied).
 */
export async function reloadManifest(
  rt: Runtime,
  app: DevApp,
  logger: Logger,
  signal?: AbortSignal,
): Promise<boolean> {
  let r = await loadManifest(app.manifestPath);
  if (signal?.aborted) return false;
  // as at session start: bundled: refs resolve against the registered executas (§3.8)
  const resolved = r.manifest ? rt.analyzeForApp(r.raw, app.slug) : null;
  if (resolved?.manifest) r = { ...r, ...resolved };
  if (!r.manifest) {
    const errors = r.diagnostics.filter((d) => d.severity === "error");
    logger.warn("manifest is invalid; keeping the previous one", {
      errors: errors.map((d) => `${d.code}: ${d.message}`),
    });
    rt.log.push({ type: "manifest", diagnostics: r.diagnostics });
    return false;
  }
  app.raw = r.raw as Record<string, unknown>;
  // discovery ran once, at startup: its warnings still hold
  const discovery = (rt.session(app.sessionId)?.diagnostics ?? []).filter((d) =>
    d.code === "executa_discovery"
  );
  const diagnostics = [...r.diagnostics, ...discovery];
  rt.replaceManifest(app.sessionId, r.manifest, diagnostics); // manifest.dev.mocks reload too
  rt.apps.set({
    slug: app.slug,
    appDir: app.appDir,
    bundleDir: app.bundleDir,
    manifest: r.manifest,
    diagnostics,
  });
  // as at startup (§3.7): an entry renamed in the manifest but not on disk would only show as a
  // 404 in the iframe. Reported, not kept with the session: a build may create the file later.
  const entries = await entryDiagnostics(app.bundleDir, r.manifest, r.raw);
  const reported = [...diagnostics, ...entries];
  logger.info("manifest reloaded", { warnings: reported.length });
  // each warning, as at startup: a count alone leaves the developer guessing which edit it was
  for (const d of reported) {
    logger.warn("manifest warning", diagnosticFields(d));
  }
  // a manifest entry without errors makes host pages reload their iframes
  rt.log.push({ type: "manifest", diagnostics: reported });
  return true;
}
