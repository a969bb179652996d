/**
 * CONTRACT §3 field rules no other test pinned: the full §3.2 vocabularies, every §3.4 method and
 * `"*"` per namespace, the valid agent forms, every §3.5 value class, the §3.6 seed_storage bound in
 * UTF-8 bytes, ExecutaRef bounds, sizes clamped into the default bounds, views skipped before
 * select_view (§3.9), slug edge cases (§3.11), and the §3.8 effective manifest and §3.10 view_meta
 * of every view of the 43 corpus manifests, derived here independently from the raw JSON.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import {
  appSlugFor,
  HOST_CAPABILITIES,
  loadManifest,
  normalizeSlug,
  PERMISSIONS,
  selectView,
  UnknownViewError,
  viewMeta,
} from "../lib/manifest/mod.ts";
import { MANIFESTS_DIR } from "./helpers/corpus.ts";
import { makeRuntime, manifest } from "./helpers/runtime.ts";
import { analyzeEdited, type Json, where } from "./helpers/manifest_edit.ts";
import { tmpDir } from "./helpers/tmp.ts";

const run = analyzeEdited;

// the §3.2 and §3.4 tables, copied from the contract text (not from lib/)
const CONTRACT_PERMISSIONS =
  "ui.svg, fs.read, fs.write, tools.invoke, chat.read, chat.write_message, chat.append_artifact, artifact.create, artifact.update, artifact.delete, llm.complete, storage.read, storage.write, prefs.read"
    .split(", ");
const CONTRACT_CAPABILITIES =
  "llm.sample, llm.complete, llm.embed, llm.agent.auto, llm.agent.fixed, llm.image, llm.image.edit, web.search, web.fetch, web.image_search, web.image_fetch, host.upload, aps.kv, aps.files, aps.scope.user.read, aps.scope.user.write, aps.scope.app.read, aps.scope.app.write, aps.scope.tool.read, aps.scope.tool.write, aps.scope.admin"
    .split(", ");
const CONTRACT_METHODS: Record<string, string[]> = {
  chat: ["write_message", "append_artifact", "read_history"],
  artifact: ["create", "update", "delete"],
  llm: ["complete", "embed", "stream"],
  storage: ["get", "set", "delete", "list"],
  fs: ["read", "write"],
  files: ["upload_init", "upload_finalize", "download_url", "download", "list", "delete"],
  prefs: ["get"],
  image: ["generate", "edit"],
  upload: ["inline", "negotiate", "confirm"],
  web: ["search", "fetch", "image_search", "image_fetch"],
  apps: ["list", "search", "get", "launch", "deck.list", "deck.add", "deck.remove", "deck.reorder"],
  mobile: ["share", "haptics", "camera_capture"],
};

Deno.test("§3.2: every listed permission and host capability is accepted without a warning, and only those", () => {
  assert.deepEqual([...PERMISSIONS].sort(), [...CONTRACT_PERMISSIONS].sort());
  assert.deepEqual([...HOST_CAPABILITIES].sort(), [...CONTRACT_CAPABILITIES].sort());
  const { r, m } = run((x) => {
    x.permissions = CONTRACT_PERMISSIONS;
    x.host_capabilities = CONTRACT_CAPABILITIES;
  });
  assert.deepEqual(r.diagnostics, []);
  assert.deepEqual(m.permissions, CONTRACT_PERMISSIONS);
  assert.deepEqual(m.host_capabilities, CONTRACT_CAPABILITIES);
  // a capability is not a permission, nor the other way round
  const crossed = run((x) => {
    x.permissions = ["llm.sample"];
    x.host_capabilities = ["storage.read"];
  });
  assert.deepEqual(where(crossed.r), [
    "permission_unknown@permissions[0]",
    "host_capability_unknown@host_capabilities[0]",
  ]);
});

Deno.test("§3.2: absent lists default to [], tags are stored as given, schema 2 raises nothing", () => {
  const { r, m } = run((x) => (x.tags = ["b", "a", "b"]));
  assert.deepEqual(r.diagnostics, []);
  assert.deepEqual(
    [m.required_executas, m.optional_executas, m.permissions, m.host_capabilities],
    [[], [], [], []],
  );
  assert.deepEqual(m.tags, ["b", "a", "b"], "stored only: not sorted, not de-duplicated");
  assert.equal(m.schema, 2);
});

Deno.test("§3.2 ExecutaRef: tool_id 1..200, bundled: refs kept literally, a bare string too", () => {
  const { r, m } = run((x) => {
    x.required_executas = [
      { tool_id: "a".repeat(200) },
      { tool_id: "" },
      { tool_id: "bundled:helper", version: "2.0.0" },
    ];
    x.optional_executas = ["b".repeat(201), "bundled:other", { tool_id: "bundled:helper" }];
  });
  assert.deepEqual(where(r), [
    "executa_ref_invalid@required_executas[1]",
    "executa_ref_invalid@optional_executas[0]",
    "executa_ref_invalid@optional_executas[1]",
    "executa_ref_duplicate@optional_executas[2]",
  ]);
  assert.deepEqual(m.required_executas, [
    { tool_id: "a".repeat(200) },
    { tool_id: "bundled:helper", version: "2.0.0" },
  ]);
  assert.deepEqual(m.optional_executas, [{ tool_id: "bundled:other" }]);
});

Deno.test("§3.4: every listed method and '*' is a known grant in each namespace; credentials take any id", () => {
  const { r, m } = run((x) => {
    x.ui.host_api = {
      ...CONTRACT_METHODS,
      credentials: ["github", "some-provider"],
      window: ["anything"],
    };
  });
  assert.deepEqual(r.diagnostics, []);
  assert.deepEqual(m.ui.host_api.apps, CONTRACT_METHODS.apps, "copied as given");
  const star = run((x) => {
    x.required_executas = [{ tool_id: "tool-a" }]; // tools "*" with nothing declared would warn
    x.ui.host_api = Object.fromEntries(
      [...Object.keys(CONTRACT_METHODS), "tools", "credentials"].map((ns) => [ns, ["*"]]),
    );
  });
  assert.deepEqual(star.r.diagnostics, []);
  // a method of another namespace is unknown here
  const other = run((x) => (x.ui.host_api = { prefs: ["set"], fs: ["get"] }));
  assert.deepEqual(where(other.r), [
    "host_api_unknown_method@ui.host_api.prefs[0]",
    "host_api_unknown_method@ui.host_api.fs[0]",
  ]);
});

Deno.test("§3.4: an unknown namespace is warned about and kept in the effective host_api", () => {
  const { r, m } = run((x) => (x.ui.host_api = { video: ["play"], storage: ["get"] }));
  assert.deepEqual(where(r), ["host_api_unknown_namespace@ui.host_api.video"]);
  assert.deepEqual(m.ui.host_api, { video: ["play"], storage: ["get"] });
});

Deno.test("§3.4 agent: every valid session form and a tools list raise nothing", () => {
  const forms: unknown[] = [
    {},
    { session: {} },
    { session: { auto: true } },
    { session: { auto: false, fixed: false } },
    { session: { fixed: true } },
    { session: { fixed: null } },
    { session: { fixed: { client_ids: ["c-1", "c-2"] } } },
    { session: { auto: true }, tools: ["tool-a", "required:*"] },
    { tools: [] },
  ];
  for (const agent of forms) {
    const { r, m } = run((x) => (x.ui.host_api = { agent }));
    assert.deepEqual(r.diagnostics, [], JSON.stringify(agent));
    assert.deepEqual(m.ui.host_api.agent, agent);
  }
  for (const agent of [[], "auto", null, { session: [] }, { session: { fixed: "yes" } }]) {
    const { r } = run((x) => (x.ui.host_api = { agent }));
    assert.equal(r.diagnostics.length, 1, JSON.stringify(agent));
    assert.equal(r.diagnostics[0].code, "agent_spec_invalid");
  }
});

Deno.test("§3.5: each allowed value class is kept, per directive", () => {
  const fetchValues = [
    "'self'",
    "'none'",
    "data:",
    "blob:",
    "https:",
    "wss:",
    "https://api.example.com",
    "https://api.example.com:8443/v1/",
    "wss://rt.example.com",
    "http://localhost",
    "http://localhost:5173",
    "http://127.0.0.1",
    "http://127.0.0.1:8080",
  ];
  const scriptValues = [
    "'self'",
    "'sha256-AbC+/09='",
    "'sha384-x_y-z'",
    "'sha512-QQ=='",
    "'nonce-r4nd0m'",
    "'wasm-unsafe-eval'",
  ];
  const given = {
    "script-src": scriptValues,
    "style-src": [...scriptValues, "'unsafe-inline'"],
    "connect-src": fetchValues,
    "img-src": fetchValues,
    "media-src": fetchValues,
    "font-src": fetchValues,
    "frame-src": ["https://embed.example.com", "https://embed.example.com:8443"],
  };
  const { r, m } = run((x) => (x.ui.csp_overrides = given));
  assert.deepEqual(r.diagnostics, []);
  assert.deepEqual(m.ui.csp_overrides, given);
  // the loopback exception is http only for those two hosts
  for (const v of ["http://localhost.evil.com", "http://127.0.0.2", "http://[::1]:80"]) {
    const bad = run((x) => (x.ui.csp_overrides = { "connect-src": [v] }));
    assert.deepEqual(where(bad.r), ["csp_value_rejected@ui.csp_overrides.connect-src[0]"], v);
  }
  // frame-src: eight distinct sources are fine, repeats do not count towards the eight
  const eight = Array.from({ length: 8 }, (_, i) => `https://f${i}.example.com`);
  const frames = run((x) => (x.ui.csp_overrides = { "frame-src": [...eight, eight[0]] }));
  assert.deepEqual(frames.r.diagnostics, []);
  assert.deepEqual(frames.m.ui.csp_overrides["frame-src"], eight);
});

Deno.test("§3.6: seed_storage up to 256 KiB of UTF-8 JSON is kept; one byte more is ignored", () => {
  const seedOf = (bytes: number, ch = "x") => {
    const overhead = JSON.stringify({ k: "" }).length;
    const n = (bytes - overhead) / new TextEncoder().encode(ch).length;
    const seed = { k: ch.repeat(n) };
    assert.equal(new TextEncoder().encode(JSON.stringify(seed)).length, bytes);
    return seed;
  };
  const exact = run((x) => (x.dev = { seed_storage: seedOf(262144) }));
  assert.deepEqual(exact.r.diagnostics, []);
  assert.deepEqual(exact.m.dev.seed_storage, seedOf(262144));
  const over = run((x) => (x.dev = { seed_storage: seedOf(262146, "é") }));
  assert.deepEqual(where(over.r), ["seed_storage_invalid@dev.seed_storage"]);
  assert.equal(over.m.dev.seed_storage, null);
  // 131072 × "é" is 131075 UTF-16 units but 262147 bytes: counted in bytes
  const wide = run((x) => (x.dev = { seed_storage: { k: "é".repeat(131072) } }));
  assert.deepEqual(where(wide.r), ["seed_storage_invalid@dev.seed_storage"]);
});

Deno.test("§3.3: default_size is clamped into min..max with the 120/4096 bounds standing in for an absent side", () => {
  const { r, m } = run((x) => {
    x.ui.views = [
      { name: "a", title: "A", max_size: { w: 300, h: 300 }, default_size: { w: 500, h: 200 } },
      { name: "b", title: "B", min_size: { w: 500, h: 500 }, default_size: { w: 4000, h: 200 } },
      { name: "c", title: "C", default_size: { w: 120, h: 4096 } },
    ];
  });
  assert.deepEqual(where(r), [
    "view_size@ui.views[0].default_size",
    "view_size@ui.views[1].default_size",
  ]);
  assert.deepEqual(m.ui.views.map((v) => v.default_size), [
    { w: 300, h: 200 },
    { w: 4000, h: 500 },
    { w: 120, h: 4096 },
  ]);
});

Deno.test("§3.3/§3.9: a skipped view's default flag does not count, and its name selects nothing new", () => {
  const { r, m } = run((x) => {
    x.ui.views = [
      { title: "nameless", default: true },
      { name: "a", title: "A" },
      { name: "a", title: "A again", default: true },
      { name: "b", title: "B" },
    ];
  });
  assert.deepEqual(where(r), ["view_invalid@ui.views[0]", "view_duplicate@ui.views[2].name"]);
  assert.equal(selectView(m).name, "a", "no usable default: the first usable view");
  assert.equal(selectView(m, "a").title, "A", "the first of the duplicates");
  assert.throws(() => selectView(m, "nameless"), UnknownViewError);
  assert.throws(() => selectView(m, ""), UnknownViewError);
});

Deno.test("§3.11 normalizeSlug: each rule at its edge", () => {
  const cases: [string, string][] = [
    ["Notes.App_v2", "notes-app-v2"], // dots and underscores are outside [a-z0-9-]
    ["a\tb\nc", "a-b-c"],
    ["a😀b", "a-b"], // one character outside the set is one run of -
    ["2048", "2048"],
    ["   ", "app"],
    ["---", "app"],
    ["-ok-", "ok"],
    ["a".repeat(63), "a".repeat(63)],
    ["a".repeat(64), "a".repeat(63)],
    ["A".repeat(70), "a".repeat(63)],
  ];
  for (const [given, want] of cases) assert.equal(normalizeSlug(given), want, given);
  // every output is a valid slug and normalising it again changes nothing
  for (const [given] of cases) {
    const s = normalizeSlug(given);
    assert.match(s, /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/);
    assert.equal(normalizeSlug(s), s);
  }
});

Deno.test("§3.11 appSlugFor: a blank or non-string app.json slug falls back to the directory name", async () => {
  await using tmp = await tmpDir();
  const app = join(tmp.path, "Field Notes");
  await Deno.mkdir(app);
  for (const slug of ["", "   ", 42, null, ["x"]]) {
    await Deno.writeTextFile(join(app, "app.json"), JSON.stringify({ slug }));
    assert.deepEqual(await appSlugFor({ appDir: app }), {
      slug: "field-notes",
      warnings: [],
    }, JSON.stringify(slug));
  }
  // an app.json slug is normalised like any other source, without a warning (only an explicit
  // slug that changes is warned about)
  await Deno.writeTextFile(join(app, "app.json"), JSON.stringify({ slug: " Field_Notes Pro " }));
  assert.deepEqual(await appSlugFor({ appDir: app }), { slug: "field-notes-pro", warnings: [] });
});

Deno.test("§3.11 session.create: a changed app_slug is logged as a warning, an unchanged one is not; app_id = slug, version_id dev", async () => {
  const lines: Json[] = [];
  await using t = await makeRuntime({ logSink: (l) => void lines.push(JSON.parse(l)) });
  const changed = await t.call("session.create", { app_slug: "My App!", manifest: manifest() });
  assert.equal(changed.app_slug, "my-app");
  const warned = lines.filter((l) => l.level === "warn" && /normalised/.test(l.msg));
  assert.equal(warned.length, 1);
  assert.match(warned[0].msg, /'My App!'.*'my-app'/);
  lines.length = 0;
  const same = await t.call("session.create", { app_slug: "my-app", manifest: manifest() });
  assert.equal(same.app_slug, "my-app");
  assert.deepEqual(lines.filter((l) => /normalised/.test(l.msg ?? "")), []);
  const got = await t.call("session.get", { session_id: same.session_id });
  assert.deepEqual([got.app_id, got.version_id], ["my-app", "dev"]);
});

// ---- §3.8 / §3.10 over the corpus ------------------------------------------------------------

type Sz = { w: number; h: number };
const isInt = (n: unknown) => Number.isInteger(n) && (n as number) >= 120 && (n as number) <= 4096;
const sizeOf = (v: Json): Sz | null => (v && isInt(v.w) && isInt(v.h) ? { w: v.w, h: v.h } : null);

/** §3.10 derived from the raw view alone (the corpus views hold only in-range sizes). */
function expectedMeta(v: Json, bundleEntry: string) {
  const min = sizeOf(v.min_size), max = sizeOf(v.max_size), def = sizeOf(v.default_size);
  return {
    name: v.name,
    title: typeof v.title === "string" && v.title.length > 0 ? v.title : v.name,
    entry: typeof v.entry === "string" ? v.entry : bundleEntry,
    min_size: min ?? { w: 120, h: 120 },
    default_size: def ?? min ?? { w: 480, h: 640 },
    max_size: max ?? { w: 4096, h: 4096 },
    resizable: v.resizable ?? true,
    movable: v.movable ?? true,
    single_instance: v.single_instance ?? false,
    icon: v.icon ?? null,
    summary_template: v.summary_template ?? null,
    chrome: "solid",
    transparent: false,
  };
}

Deno.test("§3.8/§3.10 corpus: the effective manifest and every view's view_meta, derived from the raw JSON", async (t) => {
  const files = [...Deno.readDirSync(MANIFESTS_DIR)].map((e) => e.name)
    .filter((n) => n.endsWith(".json")).sort();
  assert.equal(files.length, 43);
  let views = 0;
  for (const name of files) {
    await t.step(name, async () => {
      const loaded = await loadManifest(join(MANIFESTS_DIR, name));
      const m = loaded.manifest;
      assert.ok(m);
      const raw = loaded.raw as Json;
      const bundle = raw.ui.bundle ?? {};
      assert.deepEqual(m.ui.bundle, {
        format: "static-spa",
        entry: bundle.entry ?? "index.html",
        external_origins: bundle.external_origins ?? [],
      });
      // host_api copied as given (§3.8), whatever its warnings
      assert.deepEqual(m.ui.host_api, raw.ui.host_api ?? {});
      assert.deepEqual(m.tags, raw.tags ?? []);
      const defaults = raw.ui.views.filter((v: Json) => v.default === true);
      assert.equal(selectView(m).name, (defaults[0] ?? raw.ui.views[0]).name);
      for (const rv of raw.ui.views) {
        const meta = viewMeta(selectView(m, rv.name), m);
        assert.deepEqual(meta, expectedMeta(rv, m.ui.bundle.entry), rv.name);
        views++;
      }
    });
  }
  assert.ok(views >= 43);
});
