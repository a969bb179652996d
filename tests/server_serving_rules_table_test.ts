/**
 * App-origin serving rules no other test pinned through the routes themselves (CONTRACT §11.4,
 * §11.7, §11.8, §11.9, §11.10, §3.5): the headers of every kind of bundle response, the bundle root
 * of `app_dir` apps and a slug taken over, `frame-ancestors` from `--allowed-host`, the CSP
 * following a reloaded manifest, every §3.5 value reaching its directive, the sidecar's executa
 * scope and that it never touches the disk, and `dev --no-watch`.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { createAppOriginApp } from "../lib/server/app.ts";
import { bundleCsp } from "../lib/server/csp.ts";
import { reloadManifest } from "../lib/server/dev_app.ts";
import { analyzeManifest } from "../lib/manifest/mod.ts";
import { silentLogger } from "../lib/util/log.ts";
import { DevProcess } from "./helpers/dev_process.ts";
import { makeRuntime, manifest } from "./helpers/runtime.ts";
import { appDirSession, APPH, serverConfig, serverContext, writeApp } from "./helpers/server.ts";
import { tmpDir } from "./helpers/tmp.ts";

async function served(extra: Record<string, unknown> = {}) {
  const { t, appDir, s } = await appDirSession("tbl-app", manifest({ storage: ["get"] }, extra));
  return { t, appDir, slug: s.app_slug as string, sid: s.session_id as string };
}

Deno.test("§11.7/§11.8: every kind of bundle response has nosniff, no-store and the app's CSP", async () => {
  const { t, appDir, slug } = await served();
  await using _t = t;
  await Deno.writeFile(join(appDir, "bundle", "clip.mp4"), new Uint8Array(100));
  await Deno.writeTextFile(join(appDir, "bundle", ".env"), "SECRET=1");
  const app = createAppOriginApp(serverContext(t.rt));
  const base = `/anna-apps/${slug}/dev/`;
  const page = await app.request(base, { headers: APPH });
  const csp = page.headers.get("content-security-policy");
  await page.body?.cancel();
  assert.ok(csp?.startsWith("default-src 'none';"), String(csp));
  const cases: [string, string, RequestInit, number][] = [
    ["file", "app.js", {}, 200],
    ["HEAD", "app.js", { method: "HEAD" }, 200],
    ["range", "clip.mp4", { headers: { range: "bytes=0-9" } }, 206],
    ["unsatisfiable range", "clip.mp4", { headers: { range: "bytes=500-" } }, 416],
    ["missing file", "missing.js", {}, 404],
    ["dot-file", ".env", {}, 404],
    ["page load of a route", "settings", { headers: { "sec-fetch-dest": "iframe" } }, 404],
    ["bad percent-encoding", "%E0%A4%A", {}, 404],
    ["sidecar", "anna-tool-ids.js", {}, 200],
    ["sidecar HEAD", "anna-tool-ids.js", { method: "HEAD" }, 200],
  ];
  for (const method of ["POST", "PUT", "PATCH", "DELETE", "OPTIONS"]) {
    cases.push([`${method} (405)`, "app.js", { method }, 405]);
    cases.push([`${method} of the sidecar (405)`, "anna-tool-ids.js", { method }, 405]);
  }
  for (const [what, path, init, status] of cases) {
    const headers = { ...APPH, ...(init.headers as Record<string, string> ?? {}) };
    const r = await app.request(base + path, { ...init, headers });
    await r.body?.cancel();
    assert.equal(r.status, status, what);
    assert.equal(r.headers.get("x-content-type-options"), "nosniff", what);
    assert.equal(r.headers.get("cache-control"), "no-store", what);
    assert.equal(r.headers.get("content-security-policy"), csp, what);
    if (status === 405) assert.equal(r.headers.get("allow"), "GET, HEAD", what);
  }
});

Deno.test("§11.7/§11.4: an app_dir app is served from <app_dir>/bundle; a later directory of the slug takes over", async () => {
  await using dir = await tmpDir();
  const t = await makeRuntime({ mode: "serve" });
  await using _t = t;
  const first = join(dir.path, "a", "same-slug");
  const second = join(dir.path, "b", "same-slug");
  await writeApp(first, manifest());
  await writeApp(second, manifest());
  await Deno.writeTextFile(join(first, "bundle", "who.txt"), "first");
  await Deno.writeTextFile(join(second, "bundle", "who.txt"), "second");
  // the app directory itself is not the root: manifest.json is never served
  const app = createAppOriginApp(serverContext(t.rt));
  const get = async (p: string) => {
    const r = await app.request(`/anna-apps/same-slug/dev/${p}`, { headers: APPH });
    return `${r.status} ${await r.text()}`;
  };
  const s1 = await t.call("session.create", { app_dir: first, register_executas: false });
  assert.equal(s1.app_slug, "same-slug");
  assert.equal(await get("who.txt"), "200 first");
  assert.match(await get("manifest.json"), /^404 /);
  assert.match(await get("../manifest.json"), /^404 /);
  const s2 = await t.call("session.create", { app_dir: second, register_executas: false });
  assert.ok(
    (s2.warnings as { code: string }[]).some((w) => w.code === "app_slug_taken_over"),
    "the takeover comes with a warning",
  );
  assert.equal(await get("who.txt"), "200 second");
});

Deno.test("§11.8: frame-ancestors M = the main-origin forms plus allowed hosts, on the wire", async () => {
  const { t } = await appDirSession("fa-app", manifest());
  await using _t = t;
  const config = serverConfig({ allowedHosts: ["dev.test:5180", "box.lan"] });
  const app = createAppOriginApp(serverContext(t.rt, { config }));
  const r = await app.request("/anna-apps/fa-app/dev/", { headers: APPH });
  await r.body?.cancel();
  const fa = r.headers.get("content-security-policy")!.split("; ").find((d) =>
    d.startsWith("frame-ancestors ")
  );
  // a bare allowed host is allowed on any port (§11.2 step 1), so it may frame from any port
  assert.equal(
    fa,
    "frame-ancestors http://127.0.0.1:5180 http://localhost:5180 http://[::1]:5180 " +
      "http://dev.test:5180 http://box.lan:5180 http://box.lan:*",
  );
  // the app origin itself is never an ancestor form
  assert.ok(!fa!.includes(":5181"), fa);
});

Deno.test("§11.8/§11.10: the CSP on the wire follows a reloaded manifest; an invalid one keeps it", async () => {
  const { t, appDir, slug, sid } = await served();
  await using _t = t;
  const app = createAppOriginApp(serverContext(t.rt));
  const cspNow = async () => {
    const r = await app.request(`/anna-apps/${slug}/dev/app.js`, { headers: APPH });
    await r.body?.cancel();
    return r.headers.get("content-security-policy")!;
  };
  const before = await cspNow();
  assert.ok(before.includes("connect-src 'self';"), before);
  const dev = {
    slug,
    appDir,
    bundleDir: join(appDir, "bundle"),
    manifestPath: join(appDir, "manifest.json"),
    sessionId: sid,
    raw: {},
  };
  await Deno.writeTextFile(
    dev.manifestPath,
    JSON.stringify(manifest({}, {
      ui: {
        bundle: { entry: "index.html", external_origins: ["https://api.example.com"] },
        views: [{ name: "main", title: "Main" }],
        csp_overrides: { "frame-src": ["https://embed.example.com"] },
      },
    })),
  );
  assert.equal(await reloadManifest(t.rt, dev, silentLogger()), true);
  const after = await cspNow();
  assert.ok(after.includes("connect-src 'self' https://api.example.com;"), after);
  assert.ok(after.includes("; frame-src https://embed.example.com; "), after);
  await Deno.writeTextFile(dev.manifestPath, "{ broken");
  assert.equal(await reloadManifest(t.rt, dev, silentLogger()), false);
  assert.equal(await cspNow(), after, "the previous manifest's CSP stays");
});

Deno.test("§3.5 → §11.8: every allowed value of every row reaches its directive, nothing else does", () => {
  const hashes = ["'sha256-YWJj'", "'sha384-YWJj'", "'sha512-YWJj'", "'nonce-r4nd0m'"];
  const script = ["'self'", ...hashes, "'wasm-unsafe-eval'"];
  const fetch = [
    "'self'",
    "'none'",
    "data:",
    "blob:",
    "https:",
    "wss:",
    "https://cdn.example.com",
    "https://cdn.example.com:8443/lib/",
    "wss://rt.example.com",
    "http://localhost",
    "http://localhost:3000",
    "http://127.0.0.1",
    "http://127.0.0.1:3000",
  ];
  const frames = ["https://a.example", "https://b.example:8443"];
  const overrides = {
    "script-src": [...script, "'unsafe-inline'", "'unsafe-eval'", "https://cdn.example.com"],
    "style-src": [...script, "'unsafe-inline'", "https://cdn.example.com", "'unsafe-hashes'"],
    "connect-src": [...fetch, "http://evil.example", "http://localhost:3000/x", "*", "ws:"],
    "img-src": [...fetch, "http://192.168.1.2", "ftp://x.example"],
    "media-src": [...fetch, "'unsafe-inline'"],
    "font-src": [...fetch, "http://[::1]:3000"],
    "frame-src": [...frames, "https:", "http://localhost:3000", "https://a.example/p"],
    "object-src": ["'self'"],
    "worker-src": ["https://w.example"],
    "base-uri": ["https://b.example"],
    "frame-ancestors": ["https://evil.example"],
  };
  const raw = {
    schema: 2,
    ui: { bundle: { entry: "index.html" }, views: [{ name: "main", title: "M" }] },
  } as Record<string, unknown> & { ui: Record<string, unknown> };
  raw.ui.csp_overrides = overrides;
  const r = analyzeManifest(raw);
  assert.ok(r.manifest);
  const dirs = new Map(
    bundleCsp(r.manifest, ["http://127.0.0.1:5180"]).split("; ").map((d) => {
      const [name, ...src] = d.split(" ");
      return [name, src] as const;
    }),
  );
  const unique = (xs: string[]) => [...new Set(xs)];
  assert.deepEqual(dirs.get("script-src"), script);
  assert.deepEqual(dirs.get("style-src"), unique(["'self'", "'unsafe-inline'", ...script]));
  assert.deepEqual(dirs.get("connect-src"), fetch);
  assert.deepEqual(dirs.get("img-src"), unique(["'self'", "data:", "blob:", ...fetch]));
  assert.deepEqual(dirs.get("media-src"), unique(["'self'", "blob:", ...fetch]));
  assert.deepEqual(dirs.get("font-src"), unique(["'self'", "data:", ...fetch]));
  assert.deepEqual(dirs.get("frame-src"), frames);
  // directives §3.5 does not list keep their fixed form
  assert.deepEqual(dirs.get("worker-src"), ["'self'", "blob:"]);
  assert.deepEqual(dirs.get("base-uri"), ["'self'"]);
  assert.deepEqual(dirs.get("frame-ancestors"), ["http://127.0.0.1:5180"]);
  assert.equal(dirs.has("object-src"), false);
  const dropped = r.diagnostics.map((d) => `${d.code}@${d.path}`);
  for (const d of ["object-src", "worker-src", "base-uri", "frame-ancestors"]) {
    assert.ok(dropped.includes(`csp_directive_unknown@ui.csp_overrides.${d}`), d);
  }
  assert.equal(
    dropped.filter((d) => d.startsWith("csp_value_rejected@")).length,
    16,
    dropped.join(),
  );
});

Deno.test("§11.9: the sidecar lists this app's and unscoped executas only, and never writes a file", async () => {
  const { t, appDir, slug } = await served({
    required_executas: [{ tool_id: "bundled:mine" }],
  });
  await using _t = t;
  const spec = (tool_id: string, handle: string, app_slug: string | null) => ({
    tool_id,
    project_dir: join(t.dir, handle),
    command: ["true"],
    type: "binary" as const,
    env: {},
    handle,
    app_slug,
  });
  await t.rt.executas.register([
    spec("tool-mine-1", "mine", slug),
    spec("tool-shared-1", "shared", null),
    spec("tool-theirs-1", "theirs", "another-app"),
  ]);
  const app = createAppOriginApp(serverContext(t.rt));
  const r = await app.request(`/anna-apps/${slug}/dev/anna-tool-ids.js`, { headers: APPH });
  assert.equal(r.status, 200);
  assert.equal(
    await r.text(),
    'window.__ANNA_TOOL_IDS__ = {"mine":"tool-mine-1","shared":"tool-shared-1"};\n',
  );
  const head = await app.request(`/anna-apps/${slug}/dev/anna-tool-ids.js`, {
    method: "HEAD",
    headers: APPH,
  });
  assert.equal(head.status, 200);
  assert.equal(await head.text(), "");
  assert.equal(head.headers.get("content-type"), "text/javascript; charset=utf-8");
  // generated per request: a registration after the first request shows in the next
  await t.rt.executas.register([spec("tool-late-1", "late", slug)]);
  const again = await app.request(`/anna-apps/${slug}/dev/sub/anna-tool-ids.js`, {
    headers: APPH,
  });
  assert.match(await again.text(), /"late":"tool-late-1"/);
  for await (const e of Deno.readDir(join(appDir, "bundle"))) {
    assert.notEqual(e.name, "anna-tool-ids.js", "the sidecar is never written to disk");
  }
  await assert.rejects(Deno.stat(join(appDir, "bundle", "sub")));
});

Deno.test("§11.10: dev --no-watch logs no reload or manifest entry for edits (the watching dev does: server_cli_test)", async () => {
  await using dir = await tmpDir();
  const appDir = join(dir.path, "watch-app");
  await writeApp(appDir, manifest());
  await using dev = await DevProcess.start(appDir, { args: ["--no-watch", "--no-executas"] });
  await Deno.writeTextFile(join(appDir, "bundle", "app.js"), "console.log('v2')");
  await Deno.writeTextFile(join(appDir, "manifest.json"), "{ broken");
  // well past the 150 ms debounce: a watching dev has logged both by now (see below)
  await new Promise((r) => setTimeout(r, 1500));
  const types = (await dev.log()).map((e) => e.type);
  assert.ok(!types.includes("reload"), types.join());
  assert.ok(!types.includes("manifest"), types.join());
  // the edited bundle is served as it is now, without any reload
  const r = await fetch(`${dev.info.app_origin}/anna-apps/watch-app/dev/app.js`);
  assert.equal(await r.text(), "console.log('v2')");
});
