/** Small shared fixtures for the server tests (not a test file itself). */
import { join } from "node:path";
import type { ExecutaEntry } from "../../lib/executa/types.ts";
import type { EffectiveManifest } from "../../lib/manifest/types.ts";
import type { Pages, ServerContext, ServerRuntime } from "../../lib/server/context.ts";
import { CspReportStore } from "../../lib/server/csp.ts";
import type { ServerConfig } from "../../lib/server/hosts.ts";
import { type Logger, silentLogger } from "../../lib/util/log.ts";
import { type StartOptions, startServer } from "../../lib/server/mod.ts";
import { makeRuntime, manifest } from "./runtime.ts";
import { writeAppDir } from "./app_dir.ts";

export const TOKEN = "ctl_" + "k".repeat(40);
/** `dev`/`serve` flags for a test process: any free ports, the one-line json startup output. */
export const FREE_PORTS_JSON = ["--port", "0", "--app-port", "0", "--format", "json"];
export const MAIN = { host: "127.0.0.1:5180" };
export const APPH = { host: "127.0.0.1:5181" };
export const AUTH = { ...MAIN, "x-anna-control-token": TOKEN };

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

export function fakeEntry(
  tool_id: string,
  handle: string,
  project_dir = `/apps/x/executas/${handle}`,
): ExecutaEntry {
  return {
    spec: { tool_id, project_dir, command: null, type: "python", env: {}, handle, app_slug: null },
    status: "registered",
    describe: null,
  };
}

/** Pages that echo their inputs, so tests can see what the server passed. */
export const fakePages: Pages = {
  dashboard: (o) => `<meta name="anna-control-token" content="${o.controlToken}">dash ${o.appPort}`,
  devPage: (o) => `dev ${o.sessionId} ${o.windowUuid} ${o.controlToken}`,
  asset: (
    name,
  ) => (name === "host.js"
    ? { body: "// host", contentType: "text/javascript; charset=utf-8" }
    : null),
};

export function serverConfig(over: Partial<ServerConfig> = {}): ServerConfig {
  return {
    bindHost: "127.0.0.1",
    mainPort: 5180,
    appPort: 5181,
    allowedHosts: [],
    allowRemote: false,
    localAddresses: [],
    controlToken: TOKEN,
    ...over,
  };
}

export function serverContext(
  runtime: ServerRuntime,
  over: Partial<ServerContext> = {},
): ServerContext {
  return {
    runtime,
    config: serverConfig(),
    version: "9.9.9",
    pages: fakePages,
    cspReports: new CspReportStore(),
    logger: silentLogger(),
    closers: new Set(),
    ...over,
  };
}

/** A minimal app directory: manifest.json and bundle/{index.html,app.js}. */
export async function writeApp(dir: string, manifest: Record<string, unknown>) {
  await writeAppDir(dir, manifest, "<!doctype html><h1>app</h1>");
  await Deno.writeTextFile(join(dir, "bundle", "app.js"), "console.log('app')");
}

/**
 * A serve-mode runtime with one `app_dir` session of the app `name`, written by writeApp in the
 * runtime's dir with `m` (storage get by default), its executas not registered. The caller
 * disposes `t`.
 */
export async function appDirSession(
  name: string,
  m: Record<string, unknown> = manifest({ storage: ["get"] }),
) {
  const t = await makeRuntime({ mode: "serve" });
  const appDir = join(t.dir, name);
  await writeApp(appDir, m);
  const s = await t.call("session.create", { app_dir: appDir, register_executas: false });
  return { t, appDir, s };
}

/** Reads an SSE body until `done(text)` says enough, then cancels the stream. */
export async function readSse(
  body: ReadableStream<Uint8Array>,
  done: (text: string) => boolean,
  timeoutMs = 10_000,
): Promise<string> {
  const reader = body.getReader();
  const dec = new TextDecoder();
  let text = "";
  // a stream that never shows what the test waits for fails the test instead of hanging it
  let timer: ReturnType<typeof setTimeout> | undefined;
  const expired = new Promise<"timeout">((
    r,
  ) => (timer = setTimeout(() => r("timeout"), timeoutMs)));
  try {
    while (!done(text)) {
      const next = await Promise.race([reader.read(), expired]);
      if (next === "timeout") {
        throw new Error(`SSE stream: not there after ${timeoutMs} ms; got ${JSON.stringify(text)}`);
      }
      if (next.done) break;
      text += dec.decode(next.value, { stream: true });
    }
  } finally {
    clearTimeout(timer);
    await reader.cancel().catch(() => {});
  }
  return text;
}

/** `id`/`event`/`data` blocks of an SSE text (comments and retry lines skipped). */
export function sseEvents(text: string): { id?: string; event?: string; data?: unknown }[] {
  const out: { id?: string; event?: string; data?: unknown }[] = [];
  for (const block of text.split("\n\n")) {
    const ev: { id?: string; event?: string; data?: unknown } = {};
    for (const line of block.split("\n")) {
      if (line.startsWith("id: ")) ev.id = line.slice(4);
      else if (line.startsWith("event: ")) ev.event = line.slice(7);
      else if (line.startsWith("data: ")) ev.data = JSON.parse(line.slice(6));
    }
    if (ev.event) out.push(ev);
  }
  return out;
}

/**
 * `startServer` on `runtime` with the test defaults: silent logger, version 9.9.9, fake pages,
 * loopback on free ports (both origins), no remote access, control token TOKEN; `over` replaces any.
 */
export function startTestServer(runtime: ServerRuntime, over: Partial<StartOptions> = {}) {
  return startServer({
    runtime,
    logger: silentLogger(),
    version: "9.9.9",
    pages: fakePages,
    bindHost: "127.0.0.1",
    port: 0,
    appPort: 0,
    allowRemote: false,
    allowedHosts: [],
    controlToken: TOKEN,
    ...over,
  });
}

/**
 * A `serve`-mode runtime behind `startServer` on free loopback ports (both origins), for tests
 * that need real sockets; disposing it shuts everything down.
 */
export async function runningServer(logger: Logger = silentLogger()) {
  const t = await makeRuntime({ mode: "serve" });
  const server = startTestServer(t.rt, { logger });
  return {
    t,
    server,
    async [Symbol.asyncDispose]() {
      await t.rt.shutdown();
      await server.close();
      await t[Symbol.asyncDispose]();
    },
  };
}
