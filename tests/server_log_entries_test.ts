/**
 * Log entries as `/api/log` serves them (CONTRACT §11.11), from a core built the way `dev`/`serve`
 * build it (lib/cli/server_launch.ts, executa events included): the fields of every `type`, the
 * transports of `rpc` entries, 64 KiB truncation of args/results, and the `manifest` entries of
 * a live manifest reload (§11.10: valid → replaced, invalid → logged, the previous one stays).
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { buildRuntime } from "../lib/cli/server_launch.ts";
import type { Runtime } from "../lib/core/runtime.ts";
import { createAppOriginApp, createMainApp } from "../lib/server/app.ts";
import { reloadManifest } from "../lib/server/dev_app.ts";
import { bundleCsp } from "../lib/server/csp.ts";
import { Logger, silentLogger } from "../lib/util/log.ts";
import { waitUntil } from "./helpers/dev_process.ts";
import { REPO_ROOT } from "./helpers/bridge_process.ts";
import { manifest } from "./helpers/runtime.ts";
import { APPH, AUTH, serverContext } from "./helpers/server.ts";
import { tmpDir } from "./helpers/tmp.ts";

// deno-lint-ignore no-explicit-any
type Entry = Record<string, any>;

const keys = (e: Entry) => Object.keys(e).sort();
/** The dev app record `reloadManifest` works on: slug "app", the manifest in `appDir`. */
const devApp = (appDir: string, sessionId: string) => ({
  slug: "app",
  appDir,
  bundleDir: join(appDir, "bundle"),
  manifestPath: join(appDir, "manifest.json"),
  sessionId,
  raw: {}, // what reloadManifest replaces on a valid edit
});
/** A core built the way `dev`/`serve` build it, its key in `dir`. */
const runtimeIn = (dir: string, mode: "dev" | "serve") =>
  buildRuntime({ "key-file": join(dir, "dev.key") }, mode, silentLogger(), "9.9.9");
/** A dev session of app "app" whose manifest (storage.get granted) lives in `<dir>/app`. */
async function servedApp(rt: Runtime, dir: string) {
  const appDir = join(dir, "app");
  const manifestPath = join(appDir, "manifest.json");
  await Deno.mkdir(join(appDir, "bundle"), { recursive: true });
  const first = manifest({ storage: ["get"] });
  await Deno.writeTextFile(manifestPath, JSON.stringify(first));
  const created = await rt.createSession({ manifest: first, app_slug: "app" });
  const session = rt.sessions.get(created.session_id)!;
  rt.apps.set({
    slug: "app",
    appDir,
    bundleDir: join(appDir, "bundle"),
    manifest: session.manifest,
    diagnostics: session.diagnostics,
  });
  return { appDir, manifestPath, created, session };
}
const sorted = (...k: string[]) => ["seq", "ts", "type", ...k].sort();

Deno.test("log entries: the fields of every type, transports and truncation", async () => {
  await using dir = await tmpDir();
  const rt = await runtimeIn(dir.path, "serve");
  try {
    const ctx = serverContext(rt);
    const main = createMainApp(ctx);
    const appOrigin = createAppOriginApp(ctx);
    const post = async (path: string, body: unknown) => {
      const r = await main.request(path, {
        method: "POST",
        headers: AUTH,
        body: JSON.stringify(body),
      });
      assert.equal(r.status, 200, path);
      return await r.json();
    };
    const rpc = async (method: string, params: unknown) =>
      (await post("/rpc", { jsonrpc: "2.0", id: 1, method, params })).result;
    const log = async (): Promise<Entry[]> =>
      (await (await main.request("/api/log", { headers: AUTH })).json()).entries;

    const appDir = join(dir.path, "my-app");
    await Deno.mkdir(join(appDir, "bundle"), { recursive: true });
    await Deno.writeTextFile(
      join(appDir, "manifest.json"),
      JSON.stringify(manifest({ storage: ["get", "set"] })),
    );
    const s = await post("/api/session/create", { app_dir: appDir });
    const sid = s.session_id as string;
    const big = "x".repeat(70 * 1024);
    await post("/api/session/call", {
      session_id: sid,
      ns: "storage",
      method: "set",
      args: { key: "big", value: big },
    });
    await rpc("session.call", {
      session_id: sid,
      ns: "storage",
      method: "get",
      args: { key: "big" },
    });
    await rpc("app.call", { token: s.token, ns: "fs", method: "read", args: { path: "x" } });
    await rpc("session.call", { session_id: sid, ns: "storage", method: "get", args: { key: "" } });
    await ctx.runtime.handleText(
      JSON.stringify({
        jsonrpc: "2.0",
        id: 2,
        method: "session.call",
        params: { session_id: sid, ns: "window", method: "set_title", args: { title: "T" } },
      }),
      "ws",
    );
    const report = {
      "csp-report": { "document-uri": `http://127.0.0.1:5181/anna-apps/my-app/dev/` },
    };
    const r = await appOrigin.request("/_anna/csp-report", {
      method: "POST",
      headers: APPH,
      body: JSON.stringify(report),
    });
    assert.equal(r.status, 204);
    await rpc("executas.register", {
      tool_id: "tool-plugin",
      project_dir: join(REPO_ROOT, "tests/fixtures/executas"),
      command: ["node", "plugin.mjs"],
    });
    const crashed = await rpc("executas.invoke", {
      tool_id: "tool-plugin",
      method: "crash",
      args: { stderr: ["a line on stderr"] },
    });
    assert.equal(crashed.ok, false);
    await rpc("session.close", { session_id: sid });

    const entries = await waitUntil("stderr and executa entries", async () => {
      const all = await log();
      return all.some((e) => e.type === "stderr") &&
        all.some((e) => e.type === "executa" && e.status === "crashed") && all;
    });
    for (const e of entries) {
      assert.equal(typeof e.seq, "number");
      assert.equal(typeof e.ts, "number");
    }
    assert.deepEqual(
      entries.map((e) => e.seq),
      [...entries.map((e) => e.seq)].sort((a, b) => a - b),
    );

    const rpcs = entries.filter((e) => e.type === "rpc");
    const [set, get, denied, invalid, title] = rpcs;
    assert.deepEqual(rpcs.map((e) => e.transport), ["api", "http", "app", "http", "ws"]);
    const base = [
      "session_id",
      "window_uuid",
      "transport",
      "ns",
      "method",
      "args",
      "outcome",
      "ms",
    ];
    assert.deepEqual(keys(set), sorted(...base, "result"));
    assert.equal(set.outcome, "ok");
    assert.equal(set.session_id, sid);
    assert.equal(set.window_uuid, s.window_uuid);
    assert.equal(typeof set.ms, "number");
    // args and results over 64 KiB are replaced by a marker
    assert.equal(set.args._truncated, true);
    assert.ok(set.args.bytes > 70 * 1024);
    assert.deepEqual(keys(set.args), ["_truncated", "bytes"]);
    assert.deepEqual(get.args, { key: "big" });
    assert.equal(get.result._truncated, true);
    assert.deepEqual(keys(denied), sorted(...base, "error_code", "error"));
    assert.equal(denied.outcome, "denied");
    assert.equal(denied.error_code, "permission_denied");
    assert.equal(denied.error.code, "permission_denied");
    assert.equal(invalid.outcome, "error");
    assert.equal(invalid.error_code, "invalid_path");
    assert.equal(title.outcome, "ok");

    const events = entries.filter((e) => e.type === "event");
    assert.ok(events.length >= 2);
    for (const e of events) {
      assert.deepEqual(keys(e), sorted("session_id", "event"));
      assert.equal(e.event.type, "data_model/AnnaAppEvent");
    }
    assert.deepEqual(events.map((e) => e.event.kind), ["runtime_state_synced", "title_changed"]);

    const sessions = entries.filter((e) => e.type === "session");
    assert.deepEqual(sessions.map((e) => [keys(e), e.session_id, e.action]), [
      [sorted("session_id", "action"), sid, "created"],
      [sorted("session_id", "action"), sid, "closed"],
    ]);

    const csp = entries.filter((e) => e.type === "csp");
    assert.deepEqual(csp.map((e) => [keys(e), e.slug, e.report]), [
      // plus where the app was claimed and who sent it (csp.ts CspAttribution)
      [sorted("slug", "report", "claimed_in", "sender"), "my-app", report],
    ]);

    const exec = entries.filter((e) => e.type === "executa");
    assert.ok(exec.length >= 2);
    for (const e of exec) {
      assert.equal(e.tool_id, "tool-plugin");
      for (const k of keys(e)) {
        assert.ok(sorted("tool_id", "status", "pid", "message").includes(k), k);
      }
    }
    const crash = exec.find((e) => e.status === "crashed")!;
    assert.equal(typeof crash.pid, "number");
    assert.equal(typeof crash.message, "string");
    const stderr = entries.filter((e) => e.type === "stderr");
    assert.deepEqual(stderr.map((e) => [keys(e), e.tool_id, e.line]), [
      [sorted("tool_id", "line"), "tool-plugin", "a line on stderr"],
    ]);
  } finally {
    await rt.shutdown();
  }
});

Deno.test("log entries: manifest reloads — valid replaces ACL, CSP and dev mocks, invalid keeps the old one", async () => {
  await using dir = await tmpDir();
  const rt = await runtimeIn(dir.path, "dev");
  try {
    const { appDir, manifestPath, created, session } = await servedApp(rt, dir.path);
    const app = devApp(appDir, created.session_id);
    const call = (ns: string, method: string, args: unknown) =>
      rt.call(
        "session.call",
        { session_id: created.session_id, ns, method, args },
        "internal",
      ) as Promise<{ ok: boolean; error?: { code: string } }>;
    const manifestEntries = () => rt.log.entries().filter((e) => e.type === "manifest");

    // invalid: logged with its errors, nothing replaced
    await Deno.writeTextFile(manifestPath, "{ broken");
    assert.equal(await reloadManifest(rt, app, silentLogger()), false);
    const bad = manifestEntries().at(-1)!;
    assert.deepEqual(Object.keys(bad).sort(), ["diagnostics", "seq", "ts", "type"]);
    assert.ok((bad.diagnostics as { severity: string }[]).some((d) => d.severity === "error"));
    assert.equal(
      (await call("chat", "write_message", { role: "assistant", content: "x" })).error?.code,
      "permission_denied",
    );
    assert.equal(rt.apps.get("app")!.manifest, session.manifest);

    // valid: the session's ACL and the app's CSP follow
    const second = manifest({ storage: ["get"], chat: ["write_message"] }, {
      ui: {
        bundle: { entry: "index.html", external_origins: ["https://api.example.com"] },
        views: [{ name: "main", title: "Main", entry: "other.html", min_size: { w: 200, h: 200 } }],
        host_api: { storage: ["get"], chat: ["write_message"] },
      },
      dev: { mocks: { "llm.complete": { text: "from the reloaded manifest" } } },
    });
    await Deno.writeTextFile(manifestPath, JSON.stringify(second));
    assert.equal(await reloadManifest(rt, app, silentLogger()), true);
    // manifest.dev.mocks follow too (§10.2)
    assert.deepEqual(
      rt.session(created.session_id)!.mocks.map((m) => [m.ns, m.method, m.source]),
      [["llm", "complete", "manifest.dev.mocks"]],
    );
    // the open window follows its view: a reloaded iframe loads the new entry (§11.10, §12.8)
    const got = await rt.call("session.get", { session_id: created.session_id }, "internal") as {
      windows: { view_meta: { entry: string; min_size: unknown } }[];
    };
    assert.equal(got.windows[0].view_meta.entry, "other.html");
    assert.deepEqual(got.windows[0].view_meta.min_size, { w: 200, h: 200 });
    const hello = await call("window", "hello", {}) as {
      ok: boolean;
      result?: { view_meta: { entry: string } };
    };
    assert.equal(hello.result?.view_meta.entry, "other.html");
    const good = manifestEntries().at(-1)!;
    assert.ok(!(good.diagnostics as { severity: string }[]).some((d) => d.severity === "error"));
    assert.equal(
      (await call("chat", "write_message", { role: "assistant", content: "x" })).ok,
      true,
    );
    const csp = bundleCsp(rt.apps.get("app")!.manifest, ["http://127.0.0.1:5180"]);
    assert.ok(csp.includes("connect-src 'self' https://api.example.com"), csp);
  } finally {
    await rt.shutdown();
  }
});

Deno.test("manifest reload: bundled: refs still resolve against the app's executas; discovery warnings stay (§3.8, §9.2)", async () => {
  await using dir = await tmpDir();
  const rt = await runtimeIn(dir.path, "dev");
  try {
    const appDir = join(dir.path, "app");
    const manifestPath = join(appDir, "manifest.json");
    await Deno.mkdir(join(appDir, "executas/foo"), { recursive: true });
    await Deno.mkdir(join(appDir, "executas/gomod"), { recursive: true });
    await Deno.writeTextFile(
      join(appDir, "executas/foo/executa.json"),
      JSON.stringify({ tool_id: "tool-foo-1", type: "python" }),
    );
    await Deno.writeTextFile(join(appDir, "executas/gomod/go.mod"), "module x\n");
    await Deno.mkdir(join(appDir, "bundle"));
    await Deno.writeTextFile(join(appDir, "bundle/index.html"), "<h1>app</h1>");
    const m = manifest({ tools: ["bundled:foo"] }, {
      required_executas: [{ tool_id: "tool-foo-1" }],
    });
    await Deno.writeTextFile(manifestPath, JSON.stringify(m));
    // what `dev` does: discovery first, then the session from the manifest on disk
    const discovery = await rt.registerAppExecutas(appDir, "app");
    assert.deepEqual(discovery.map((d) => d.code), ["executa_discovery"]);
    const created = await rt.createSession({ manifest: m, app_slug: "app" }, discovery);
    const codes = (ds: { code: string }[]) => ds.map((d) => d.code).sort();
    assert.deepEqual(codes(created.warnings), ["executa_discovery"]);
    const app = devApp(appDir, created.session_id);
    const edited = manifest({ tools: ["bundled:foo"], storage: ["get"] }, {
      required_executas: [{ tool_id: "tool-foo-1" }],
    });
    await Deno.writeTextFile(manifestPath, JSON.stringify(edited));
    assert.equal(await reloadManifest(rt, app, silentLogger()), true);
    const session = rt.sessions.get(created.session_id)!;
    assert.deepEqual(codes(session.diagnostics), ["executa_discovery"]);
    assert.deepEqual(session.manifest.ui.host_api.storage, ["get"], "the edit applied");
    assert.deepEqual(codes(rt.apps.get("app")!.diagnostics), ["executa_discovery"]);
    const entry = rt.log.entries().filter((e) => e.type === "manifest").at(-1)!;
    assert.deepEqual(codes(entry.diagnostics as { code: string }[]), ["executa_discovery"]);
  } finally {
    await rt.shutdown();
  }
});

Deno.test("manifest reload: each warning of the new manifest is logged at warn, not only their count", async () => {
  await using dir = await tmpDir();
  const rt = await runtimeIn(dir.path, "dev");
  try {
    const { appDir, manifestPath, created } = await servedApp(rt, dir.path);
    await Deno.writeTextFile(manifestPath, JSON.stringify(manifest({ storage: ["get", "frob"] })));
    const lines: string[] = [];
    const logger = new Logger({ level: "info", format: "json", sink: (l) => lines.push(l) });
    assert.equal(await reloadManifest(rt, devApp(appDir, created.session_id), logger), true);
    const warned = lines.map((l) => JSON.parse(l)).filter((e) => e.level === "warn");
    assert.ok(
      warned.some((e) =>
        e.code === "host_api_unknown_method" && e.path === "ui.host_api.storage[1]"
      ),
      lines.join("\n"),
    );
  } finally {
    await rt.shutdown();
  }
});

Deno.test("manifest reload: a view entry missing from the bundle is reported, as at startup (§3.7)", async () => {
  await using dir = await tmpDir();
  const rt = await runtimeIn(dir.path, "dev");
  try {
    const { appDir, manifestPath, created } = await servedApp(rt, dir.path);
    await Deno.writeTextFile(join(appDir, "bundle/index.html"), "<h1>app</h1>");
    const edited = manifest({ storage: ["get"] }, {
      ui: {
        bundle: { entry: "index.html" },
        views: [{ name: "main", title: "Main", entry: "mian.html" }],
        host_api: { storage: ["get"] },
      },
    });
    await Deno.writeTextFile(manifestPath, JSON.stringify(edited));
    const lines: string[] = [];
    const logger = new Logger({ level: "info", format: "json", sink: (l) => lines.push(l) });
    assert.equal(await reloadManifest(rt, devApp(appDir, created.session_id), logger), true);
    const warned = lines.map((l) => JSON.parse(l)).filter((e) => e.level === "warn");
    assert.ok(
      warned.some((e) => e.code === "entry_not_found" && e.path === "ui.views[0].entry"),
      lines.join("\n"),
    );
    // the dashboard's manifest panel shows the newest manifest entry's diagnostics
    const entry = rt.log.entries().filter((e) => e.type === "manifest").at(-1)!;
    const found = (entry.diagnostics as { code: string; message: string }[])
      .find((d) => d.code === "entry_not_found");
    assert.match(found?.message ?? "", /bundle\/mian\.html does not exist/);
    // the session keeps what the manifest says: the file may be built a moment later
    const session = rt.sessions.get(created.session_id)!;
    assert.ok(!session.diagnostics.some((d) => d.code === "entry_not_found"));
  } finally {
    await rt.shutdown();
  }
});

Deno.test("manifest reload: a read the watcher gave up on (its signal aborted) is not applied nor logged", async () => {
  await using dir = await tmpDir();
  const rt = await runtimeIn(dir.path, "dev");
  try {
    const { appDir, manifestPath, created, session } = await servedApp(rt, dir.path);
    const app = devApp(appDir, created.session_id);
    const before = rt.log.entries().filter((e) => e.type === "manifest").length;
    await Deno.writeTextFile(
      manifestPath,
      JSON.stringify(manifest({ storage: ["get"], chat: ["write_message"] })),
    );
    const ac = new AbortController();
    ac.abort();
    assert.equal(await reloadManifest(rt, app, silentLogger(), ac.signal), false);
    assert.equal(rt.apps.get("app")!.manifest, session.manifest);
    assert.equal(rt.session(created.session_id)!.manifest, session.manifest);
    assert.deepEqual(app.raw, {});
    assert.equal(rt.log.entries().filter((e) => e.type === "manifest").length, before);
  } finally {
    await rt.shutdown();
  }
});
