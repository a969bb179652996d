/**
 * `session.create` through the core (CONTRACT §4.4.1, §3.7, §3.9, §6.1): result shape, every param,
 * app_dir resolution, seed cap, manifest diagnostics, unknown views.
 */
import { fileURLToPath as fromFileUrl } from "node:url";
import assert from "node:assert/strict";
import { join } from "node:path";
import { type Loose, makeRuntime, manifest, openSession, rpcError } from "./helpers/runtime.ts";
import { b64urlDecode } from "../lib/token/mod.ts";
import { UUID_RE } from "../lib/util/ids.ts";
import { VIEW_META_DEFAULTS } from "./helpers/contract_values.ts";
import { discoverExecutas } from "../lib/executa/discovery.ts";
import { tmpDir } from "./helpers/tmp.ts";

const MAX = 262_144;
const utf8 = (v: unknown) => new TextEncoder().encode(JSON.stringify(v)).length;
const claimsOf = (token: unknown) =>
  JSON.parse(new TextDecoder().decode(b64urlDecode(String(token).split(".")[1])!));

async function writeApp(dir: string, m: unknown, appJson?: unknown) {
  await Deno.mkdir(dir, { recursive: true });
  await Deno.writeTextFile(
    join(dir, "manifest.json"),
    typeof m === "string" ? m : JSON.stringify(m),
  );
  if (appJson !== undefined) {
    await Deno.writeTextFile(join(dir, "app.json"), JSON.stringify(appJson));
  }
}

Deno.test("session.create: result is exactly §4.4.1 with view_meta defaults; no event", async () => {
  await using t = await makeRuntime({ tokenTtl: 45 });
  const before = Math.floor(Date.now() / 1000);
  const r = await t.call("session.create", {
    app_slug: "notes-demo",
    manifest: manifest({ storage: ["get"] }),
  });
  assert.deepEqual(Object.keys(r).sort(), [
    "app_slug",
    "expires_at",
    "session_id",
    "token",
    "user_id",
    "view",
    "view_meta",
    "warnings",
    "window_uuid",
  ]);
  assert.match(r.session_id as string, /^ses_[0-9a-f]{32}$/);
  assert.match(r.window_uuid as string, UUID_RE);
  assert.equal(r.view, "main");
  assert.deepEqual(r.view_meta, {
    name: "main",
    title: "Main",
    entry: "index.html",
    ...VIEW_META_DEFAULTS,
  });
  assert.equal(r.app_slug, "notes-demo");
  assert.equal(r.user_id, 1);
  assert.deepEqual(r.warnings, []);
  const c = claimsOf(r.token);
  assert.deepEqual(Object.keys(c), ["wid", "uid", "app", "view", "scopes", "iat", "exp", "kid"]);
  assert.deepEqual([c.wid, c.uid, c.app, c.view, c.scopes], [
    r.window_uuid,
    1,
    "notes-demo",
    "main",
    ["storage.get", "window.*"],
  ]);
  assert.ok(c.iat >= before && c.exp === c.iat + 45);
  assert.equal(r.expires_at, c.exp * 1000);
  const drained = await t.call("session.drain_events", { session_id: r.session_id });
  assert.deepEqual(drained, { events: [], dropped: 0, more: false });
});

Deno.test("session.create: every param — slug, manifest_dict alias, user_id, view, payload, seed, conversation uuid", async () => {
  await using t = await makeRuntime();
  const m = {
    schema: 2,
    ui: {
      views: [{ name: "a" }, {
        name: "b",
        title: "Bee",
        default: true,
        min_size: { w: 200, h: 300 },
        icon: "i.png",
        summary_template: "{x}",
      }],
    },
    dev: { user_id: 7, seed_storage: { seeded: 1 } },
  };
  const r = await t.call("session.create", { app_slug: "My App!", manifest_dict: m });
  assert.equal(r.app_slug, "my-app");
  assert.equal(r.user_id, 7);
  assert.equal(r.view, "b");
  assert.deepEqual(r.view_meta, {
    ...VIEW_META_DEFAULTS,
    name: "b",
    title: "Bee",
    entry: "index.html",
    min_size: { w: 200, h: 300 },
    default_size: { w: 200, h: 300 },
    icon: "i.png",
    summary_template: "{x}",
  });
  const g = await t.call("session.get", { session_id: r.session_id });
  assert.deepEqual(g.runtime_state, { seeded: 1 });
  assert.match(g.conversation_session_uuid as string, UUID_RE);
  const w = (g.windows as Loose[])[0];
  assert.deepEqual(w.entry_payload, {});
  assert.deepEqual(w.geometry, { x: 0, y: 0, w: 200, h: 300 });
  assert.equal(w.z_index, 1);

  const explicit = await t.call("session.create", {
    app_slug: "x",
    manifest: m,
    manifest_dict: { nonsense: true },
    user_id: 0,
    view: "a",
    entry_payload: { doc: 1 },
    seed_storage: { mine: true },
    conversation_session_uuid: "conv-1",
  });
  assert.equal(explicit.user_id, 0, "the canonical 'manifest' wins; user_id 0 is kept");
  // the alias is not even type-checked when the canonical name is there
  const aliasIgnored = await t.call("session.create", {
    app_slug: "x",
    manifest: m,
    manifest_dict: [1],
  });
  assert.equal(aliasIgnored.app_slug, "x");
  assert.equal(explicit.view, "a");
  const g2 = await t.call("session.get", { session_id: explicit.session_id });
  assert.deepEqual(g2.runtime_state, { mine: true });
  assert.equal(g2.conversation_session_uuid, "conv-1");
  assert.deepEqual((g2.windows as Loose[])[0].entry_payload, { doc: 1 });
  const plain = await t.call("session.create", { app_slug: "p", manifest: manifest() });
  assert.equal(plain.user_id, 1);
  const pg = await t.call("session.get", { session_id: plain.session_id });
  assert.deepEqual(pg.runtime_state, {});
  // conversation_session_uuid shows in every event envelope
  const s = await openSession(t, manifest(), { conversation_session_uuid: "conv-2" });
  await s.call("window", "set_title", { title: "x" });
  assert.equal((await s.events())[0].conversation_session_uuid, "conv-2");
});

Deno.test("session.create: exactly one of manifest/app_dir; app_slug required with manifest", async () => {
  await using t = await makeRuntime();
  const dir = join(t.dir, "app1");
  await writeApp(dir, manifest());
  for (
    const params of [{ app_slug: "x" }, { app_slug: "x", manifest: manifest(), app_dir: dir }, {
      app_slug: "x",
      manifest_dict: manifest(),
      app_dir: dir,
    }]
  ) {
    const e = await rpcError(t, "session.create", params);
    assert.equal(e.code, -32602);
    assert.equal(e.message, "invalid_params");
    assert.equal(e.data.reason, "manifest_or_app_dir");
  }
  const noSlug = await rpcError(t, "session.create", { manifest: manifest() });
  assert.equal(noSlug.code, -32602);
  assert.equal((noSlug.data.issues as Loose[])[0].path, "app_slug");
});

Deno.test("session.create with app_dir: relative to cwd, slug from app.json / dir name / explicit", async () => {
  await using tmp = await tmpDir("anna-cwd-");
  const cwd = tmp.path;
  await using t = await makeRuntime({ cwd });
  await writeApp(join(cwd, "My_Notes App"), manifest());
  await writeApp(join(cwd, "with-json"), manifest(), { slug: "From JSON" });
  const a = await t.call("session.create", { app_dir: "My_Notes App", register_executas: false });
  assert.equal(a.app_slug, "my-notes-app");
  const b = await t.call("session.create", { app_dir: join(cwd, "with-json") });
  assert.equal(b.app_slug, "from-json");
  const c = await t.call("session.create", { app_dir: "with-json", app_slug: "Explicit" });
  assert.equal(c.app_slug, "explicit");
  assert.equal(t.rt.apps.get("my-notes-app")?.bundleDir, join(cwd, "My_Notes App", "bundle"));
  const missing = await rpcError(t, "session.create", { app_dir: "nope" });
  assert.equal(missing.code, -32602);
  assert.equal(missing.data.reason, "app_dir_not_found");
  const file = await rpcError(t, "session.create", { app_dir: "with-json/manifest.json" });
  assert.equal(file.data.reason, "app_dir_not_found");
  assert.deepEqual(file.data.issues, [{
    path: "app_dir",
    message: `'${join(cwd, "with-json", "manifest.json")}' is a file; app_dir is the app ` +
      `directory: '${join(cwd, "with-json")}'`,
  }]);
  await Deno.mkdir(join(cwd, "empty"));
  await writeApp(join(cwd, "badjson"), "{not json");
  for (const [d, code] of [["empty", "manifest_unreadable"], ["badjson", "manifest_not_json"]]) {
    const e = await rpcError(t, "session.create", { app_dir: d });
    assert.equal(e.data.reason, "manifest_invalid");
    assert.ok(
      (e.data.diagnostics as Loose[]).some((x) => x.code === code && x.severity === "error"),
      d,
    );
  }
});

Deno.test("session.create: seed_storage over 256 KiB → -32602 state_too_large; exactly 256 KiB fits", async () => {
  await using t = await makeRuntime();
  const seed = (n: number) => ({ k: "x".repeat(n - 8) }); // {"k":"…"} = 8 + pad bytes
  assert.equal(utf8(seed(MAX)), MAX);
  const okr = await t.call("session.create", {
    app_slug: "a",
    manifest: manifest(),
    seed_storage: seed(MAX),
  });
  assert.equal(
    (await t.call("session.get", { session_id: okr.session_id })).runtime_state_bytes,
    MAX,
  );
  const e = await rpcError(t, "session.create", {
    app_slug: "a",
    manifest: manifest(),
    seed_storage: seed(MAX + 1),
  });
  assert.deepEqual(e, {
    code: -32602,
    message: "invalid_params",
    data: { reason: "state_too_large", size: MAX + 1, max: MAX },
  });
  // an oversized manifest.dev.seed_storage is a warning and ignored
  const m = manifest({}, { dev: { seed_storage: seed(MAX + 1) } });
  const w = await t.call("session.create", { app_slug: "a", manifest: m });
  assert.ok((w.warnings as Loose[]).some((d) => d.code === "seed_storage_invalid"));
  assert.deepEqual((await t.call("session.get", { session_id: w.session_id })).runtime_state, {});
  assert.equal(t.rt.sessions.size, 2, "the refused create left nothing behind");
});

Deno.test("session.create: manifest errors → -32602 manifest_invalid with diagnostics; warnings returned", async () => {
  await using t = await makeRuntime();
  const cases: [unknown, string][] = [
    [{ schema: 2 }, "ui_missing"],
    [{ schema: 2, ui: "x" }, "ui_missing"],
    [{ schema: 2, ui: { views: [] } }, "views_missing"],
    [{ schema: 2, ui: { views: [{ title: "no name" }] } }, "views_missing"],
    [{ schema: 2, ui: { bundle: { entry: "../x.html" }, views: [{ name: "m" }] } }, "entry_unsafe"],
  ];
  for (const [m, code] of cases) {
    const e = await rpcError(t, "session.create", { app_slug: "a", manifest: m });
    assert.equal(e.code, -32602);
    assert.equal(e.data.reason, "manifest_invalid");
    const diags = e.data.diagnostics as Loose[];
    assert.ok(
      diags.some((d) => d.code === code && d.severity === "error"),
      `${code}: ${JSON.stringify(diags)}`,
    );
    for (const d of diags) assert.ok(typeof d.path === "string" && typeof d.message === "string");
  }
  for (const bad of [[1], "manifest", 5]) {
    const e = await rpcError(t, "session.create", { app_slug: "a", manifest: bad });
    assert.equal(e.code, -32602);
    assert.equal((e.data.issues as Loose[])[0].path, "manifest");
  }
  const warned = await t.call("session.create", {
    app_slug: "a",
    manifest: { ...manifest(), surprise: 1, schema: 3 },
  });
  const codes = (warned.warnings as Loose[]).map((w) => w.code).sort();
  assert.deepEqual(codes, ["schema_unsupported", "unknown_key"]);
  assert.ok((warned.warnings as Loose[]).every((w) => w.severity === "warning"));
  assert.equal(t.rt.sessions.size, 1);
});

Deno.test("session.create: unknown view → -32602 unknown_view with available", async () => {
  await using t = await makeRuntime();
  const m = { schema: 2, ui: { views: [{ name: "main" }, { name: "other" }] } };
  const e = await rpcError(t, "session.create", { app_slug: "a", manifest: m, view: "nope" });
  assert.deepEqual(e, {
    code: -32602,
    message: "invalid_params",
    data: { reason: "unknown_view", view: "nope", available: ["main", "other"] },
  });
  assert.equal(t.rt.sessions.size, 0);
});

Deno.test("session.create with app_dir: bundled: refs resolve against the app's executas, so no false tools_ref_unresolved", async () => {
  await using t = await makeRuntime();
  const appDir = fromFileUrl(new URL("./fixtures/apps/valid-app", import.meta.url));
  // host_api.tools names "tool-notes-1234", which only `bundled:notes` (the discovered executa) declares
  const created = await t.call("session.create", { app_dir: appDir });
  assert.deepEqual(created.warnings, []);
  const inline = await t.call("session.create", {
    app_slug: "valid-app",
    manifest: JSON.parse(await Deno.readTextFile(join(appDir, "manifest.json"))),
  });
  assert.deepEqual(inline.warnings, [], "an inline manifest resolves against the registry too");
  const other = await t.call("session.create", {
    app_slug: "no-executas",
    manifest: JSON.parse(await Deno.readTextFile(join(appDir, "manifest.json"))),
  });
  assert.deepEqual(
    (other.warnings as Loose[]).map((w) => w.code),
    ["tools_ref_unresolved"],
    "without registered executas the ref really matches nothing",
  );
});

Deno.test("session.create with app_dir: executa discovery warnings are returned and kept as executa_discovery diagnostics (§9.2)", async () => {
  await using t = await makeRuntime();
  const appDir = fromFileUrl(new URL("./fixtures/apps/disc-app", import.meta.url));
  const { warnings: expected } = await discoverExecutas(appDir);
  assert.ok(expected.length >= 2, "the fixture has folders discovery skips");
  const created = await t.call("session.create", { app_dir: appDir });
  const found = (created.warnings as Loose[]).filter((w) => w.code === "executa_discovery");
  assert.deepEqual(
    found,
    expected.map((message) => ({
      severity: "warning",
      code: "executa_discovery",
      path: "",
      message,
    })),
  );
  const got = await t.call("session.get", { session_id: created.session_id });
  assert.deepEqual(
    (got.diagnostics as Loose[]).filter((d) => d.code === "executa_discovery").map((d) =>
      d.message
    ),
    expected,
  );
});
