/**
 * `dev [APP_DIR]` (CONTRACT §2.5): load + validate the manifest → key → mock files → executas →
 * bind both origins → the dev session → startup output → live reload (§11.10).
 */
import { dirname, join, resolve } from "node:path";
import { bool, type FlagSpec, int, list, notBoth, parseFlags, str, UsageError } from "./flags.ts";
import { EXECUTA_FLAGS, LLM_FLAGS, makeLogger, SERVER_FLAGS, TOKEN_FLAGS } from "./common.ts";
import { EXIT, fatalFormat, printFatal } from "./output.ts";
import { COMMON_RUNTIME_HELP } from "./serve.ts";
import { EXECUTA_HELP, SERVER_HELP } from "./flag_help.ts";
import { RpcError } from "../core/rpc_error.ts";
import type { Runtime } from "../core/runtime.ts";
import { appSlugFor, diagnosticFields, loadManifest } from "../manifest/mod.ts";
import type { Diagnostic } from "../manifest/types.ts";
import { entryDiagnostics, servedEntryFile } from "../manifest/entries.ts";
import { parseExecutaFlags } from "../executa/spec.ts";
import { type RunningServer, startServer } from "../server/mod.ts";
import { dashboardPages } from "../server/pages.ts";
import { buildRuntime, printStartup, reportFatal, serverSettings } from "./server_launch.ts";
import { untilSignal } from "./signals.ts";
import {
  checkRecordPath,
  type DevApp,
  parseEntryPayload,
  parseSeedStorage,
  printDiagnostics,
  reloadManifest,
} from "../server/dev_app.ts";
import { watchApp, type Watcher } from "../server/watch.ts";
import { startRecording } from "../smoke/recorder.ts";
import { fileProblem, statOrNull } from "../util/fs.ts";
import { VERSION } from "../version.ts";

export const help = `Usage: anna-app-runtime dev [APP_DIR] [flags]

Serves one app (default APP_DIR: .) with the dashboard, a dev session and live reload.
Prints the dashboard URL, the window URL and the control token at startup.

App flags:
  --manifest FILE          manifest (default APP_DIR/manifest.json)
  --bundle DIR             bundle directory (default APP_DIR/bundle)
  --slug SLUG              app slug (default app.json slug, else the directory name)
  --view NAME              view of the dev session's window (default: the manifest's default view)
  --user-id N              user id (default dev.user_id, else 1)
  --entry-payload JSON     the window's entry payload (default {})
  --seed-storage FILE|JSON initial storage (default dev.seed_storage, else {})
  --no-watch               no live reload
  --record FILE            record the dev session as a replayable fixture (JSONL)
Executa flags:
${EXECUTA_HELP}
Server flags:
${SERVER_HELP}
${COMMON_RUNTIME_HELP}`;

const DEV_FLAGS = {
  manifest: { type: "string" },
  bundle: { type: "string" },
  slug: { type: "string" },
  view: { type: "string" },
  "user-id": { type: "string" },
  "entry-payload": { type: "string" },
  "seed-storage": { type: "string" },
  watch: { type: "boolean" },
  record: { type: "string" },
} as const;

/** A createSession failure → the reason in words (exit 2). */
function sessionFailure(e: RpcError): string {
  const d = e.data ?? {};
  if (d.reason === "unknown_view") {
    return `unknown view '${String(d.view)}' (available: ${
      (d.available as string[] ?? []).join(", ")
    })`;
  }
  if (d.reason === "state_too_large") {
    return `--seed-storage is too large (${String(d.size)} bytes, max ${String(d.max)})`;
  }
  return `cannot create the dev session: ${e.message} ${JSON.stringify(d)}`;
}

export const flags: FlagSpec = {
  ...SERVER_FLAGS,
  ...TOKEN_FLAGS,
  ...LLM_FLAGS,
  ...EXECUTA_FLAGS,
  ...DEV_FLAGS,
};

export async function run(argv: string[]): Promise<number> {
  const { values, positionals } = parseFlags(argv, flags, { positionals: 1 });
  const format = str(values, "format");
  if (format === "junit") throw new UsageError("--format must be pretty or json (got 'junit')");
  const logger = makeLogger(values, { level: "info" });
  const appDir = resolve(positionals[0] ?? ".");
  const appStat = await Deno.stat(appDir).catch(() => null);
  if (!appStat) {
    // said plainly: the manifest diagnostic would suggest a manifest path, which dev refuses
    printFatal(format, "app_dir_not_found", `app directory ${appDir} does not exist`, {
      path: appDir,
    });
    return EXIT.USAGE;
  }
  if (appStat.isFile) {
    // `validate` takes a manifest path; dev serves the whole app (bundle, executas)
    printFatal(
      format,
      "app_dir_not_found",
      `${appDir} is a file; dev takes the app directory: dev ${dirname(appDir)} ` +
        `(a manifest kept elsewhere: --manifest FILE)`,
      { path: appDir },
    );
    return EXIT.USAGE;
  }
  const manifestPath = resolve(str(values, "manifest") ?? join(appDir, "manifest.json"));
  const bundleDir = resolve(str(values, "bundle") ?? join(appDir, "bundle"));
  if ((await statOrNull(bundleDir))?.isFile) {
    // a missing bundle is fine (built later, §3.7 entry_not_found); a file never becomes one
    const named = str(values, "bundle") === undefined ? bundleDir : `--bundle ${bundleDir}`;
    throw new UsageError(
      `${named} is a file; the bundle is the directory holding the entry (e.g. index.html)` +
        (str(values, "bundle") === undefined ? "" : `: --bundle ${dirname(bundleDir)}`),
    );
  }
  const record = str(values, "record");
  // checked before anything binds or spawns, as smoke's --out is
  if (record !== undefined) await checkRecordPath(record);
  const userId = int(values, "user-id", [0, Number.MAX_SAFE_INTEGER]);
  const entryPayload = parseEntryPayload(str(values, "entry-payload"));
  const seed = await parseSeedStorage(str(values, "seed-storage"));
  notBoth(values, "executa", "no-executas", "executas");

  let settings;
  try {
    settings = serverSettings(values, Deno.env.get("ANNA_APP_CONTROL_TOKEN"));
  } catch (e) {
    return reportFatal(format, e);
  }

  // 1. manifest: errors stop here; warnings are logged by session.create below
  const loaded = await loadManifest(manifestPath);
  if (!loaded.manifest) {
    if (str(values, "manifest") === undefined) {
      // the loader's hint offers "the manifest file itself", which dev refuses (see above)
      loaded.diagnostics = loaded.diagnostics.map((d) =>
        d.code === "manifest_unreadable" && !d.hint?.startsWith("rename ")
          ? { ...d, hint: "dev takes the app directory holding manifest.json, or --manifest FILE" }
          : d
      );
    } else if ((await statOrNull(manifestPath))?.isDirectory) {
      const file = join(manifestPath, "manifest.json");
      loaded.diagnostics = loaded.diagnostics.map((d) =>
        d.code === "manifest_unreadable" ? { ...d, hint: `--manifest takes the file: ${file}` } : d
      );
    }
    const errors = loaded.diagnostics.filter((d) => d.severity === "error");
    if (fatalFormat(format) === "json") {
      printFatal(
        format,
        "manifest_invalid",
        `manifest ${manifestPath} has ${errors.length} error(s)`,
        {
          diagnostics: loaded.diagnostics,
        },
      );
    } else {
      printDiagnostics(loaded.diagnostics);
      printFatal(
        format,
        "manifest_invalid",
        `manifest ${manifestPath} has ${errors.length} error(s)`,
      );
    }
    return EXIT.USAGE;
  }
  const slugInfo = await appSlugFor({ explicit: str(values, "slug"), appDir, manifestPath });
  for (const w of slugInfo.warnings) logger.warn(w);
  const slug = slugInfo.slug;

  // 2–4. key, mock files, executas
  const watching = values.watch !== false;
  let rt: Runtime | undefined;
  let server: RunningServer | undefined;
  let discovery: Diagnostic[] = [];
  try {
    rt = await buildRuntime(values, "dev", logger, VERSION);
    if (!bool(values, "no-executas")) {
      const flags = list(values, "executa");
      if (flags.length) {
        const skipped: string[] = [];
        const specs = await parseExecutaFlags(flags, appDir, skipped);
        for (const w of skipped) logger.warn(w);
        await rt.executas.register(specs.map((s) => ({ ...s, app_slug: slug })));
      } else {
        discovery = await rt.registerAppExecutas(appDir, slug, {
          effective: loaded.manifest,
          raw: loaded.raw,
        });
      }
    }
    // 5. bind both origins
    server = startServer({
      runtime: rt,
      logger: logger.child("server"),
      version: VERSION,
      pages: dashboardPages,
      liveReload: watching,
      ...settings,
    });
  } catch (e) {
    await rt?.shutdown();
    if (e instanceof UsageError) throw e;
    return reportFatal(format, e);
  }

  // 6. the dev session; its app is what the app origin serves under this slug
  let created;
  try {
    created = await rt.createSession({
      manifest: loaded.raw as Record<string, unknown>,
      app_slug: slug,
      view: str(values, "view"),
      user_id: userId,
      entry_payload: entryPayload,
      seed_storage: seed,
    }, discovery);
  } catch (e) {
    await rt.shutdown();
    await server.close();
    if (e instanceof RpcError) {
      printFatal(format, "config", sessionFailure(e));
      return EXIT.USAGE;
    }
    throw e;
  }
  const session = rt.session(created.session_id)!;
  // §3.7: dev prints entry_not_found too (the app still starts; a build may be on its way)
  const entryWarnings = await entryDiagnostics(bundleDir, session.manifest, loaded.raw);
  for (const w of entryWarnings) {
    logger.warn("manifest warning", diagnosticFields(w));
  }
  rt.apps.set({
    slug,
    appDir,
    bundleDir,
    manifest: session.manifest,
    diagnostics: session.diagnostics,
  });
  rt.apps.keep(slug); // served as long as `dev` runs, whichever sessions come and go
  const devApp: DevApp = {
    slug,
    appDir,
    bundleDir,
    manifestPath,
    sessionId: created.session_id,
    raw: loaded.raw as Record<string, unknown>,
  };
  rt.defaultApp = () => ({ raw: devApp.raw, slug });

  // §14.7: record the dev session from its first call on
  let recorder: { beginStop(): void; stop(): Promise<void> } | undefined;
  if (record !== undefined) {
    try {
      recorder = await startRecording(rt, session, resolve(record));
    } catch (e) {
      await rt.shutdown();
      await server.close();
      printFatal(format, "config", `--record ${record}: ${fileProblem(e)}`);
      return EXIT.USAGE;
    }
  }

  // signal handlers go in before the startup line: a supervisor may signal as soon as it reads it
  let watcher: Watcher | undefined;
  const runtime = rt;
  const srv = server;
  const stopped = untilSignal(async () => {
    watcher?.close();
    // the recorder goes last: answers that arrive during the shutdown still get their `res`, but
    // the errors it gives calls it cuts short (executas stopping) are not the app's to replay
    recorder?.beginStop();
    await runtime.shutdown();
    await recorder?.stop();
    await srv.close();
  }, () => runtime.executas.killAll());

  // 7. live reload, watching before the startup line: a script or test that edits the app as soon
  // as it reads that line would otherwise race the watcher's start and see no reload
  if (watching) {
    const log = logger.child("reload");
    watcher = await watchApp({
      bundleDir,
      manifestPath,
      appJsonPath: join(appDir, "app.json"),
      ignore: record !== undefined ? [resolve(record)] : [],
      // the effective manifest's, read at each reload: a manifest edit may rename it
      entryFile: () => {
        const m = runtime.apps.get(slug)?.manifest;
        return m ? servedEntryFile(m.ui.bundle.entry) : null;
      },
      logger: log,
      onBundle: (paths) => {
        log.info("bundle changed", { files: paths.length });
        runtime.log.push({ type: "reload", paths });
      },
      onManifest: async (_paths, signal) => {
        await reloadManifest(runtime, devApp, log, signal);
      },
    });
    // the OS refused the watch: dev runs on, and the dashboard shows live reload as off
    if (watcher.failure !== null) server.ctx.liveReload = false;
  }

  // 8. startup output
  printStartup(format, {
    mode: "dev",
    version: VERSION,
    mainOrigin: server.mainOrigin,
    appOrigin: server.appOrigin,
    remoteOrigins: server.remoteOrigins,
    controlToken: server.config.controlToken,
    app: {
      slug,
      view: created.view,
      user_id: created.user_id,
      session_id: created.session_id,
      window_uuid: created.window_uuid,
    },
    executas: rt.executas.entriesFor(slug).map((e) => ({
      tool_id: e.spec.tool_id,
      type: e.spec.type,
    })),
    warnings: [
      ...server.warnings,
      ...(watcher?.failure ? [watcher.failure] : []),
      ...slugInfo.warnings,
      ...[...created.warnings, ...entryWarnings].map((d) => `${d.code} ${d.path}: ${d.message}`),
    ],
  });

  return await stopped;
}
