/**
 * Every corpus manifest (CONTRACT §17) opens a session through the real bridge (§4.4.1) and says
 * hello (§5.4), and what comes back follows the §1.3 conventions: `ses_` + 32 hex session ids,
 * lowercase UUID v4 windows, epoch-millisecond `*_at` fields, byte sizes of the UTF-8 JSON, §3.11 slugs.
 */
// deno-lint-ignore-file no-explicit-any -- assertions walk bridge results
import assert from "node:assert/strict";
import { BridgeProcess } from "./helpers/bridge_process.ts";
import { CORPUS_EXPECTED, MANIFESTS_DIR } from "./helpers/corpus.ts";
import { loadManifest, selectView } from "../lib/manifest/mod.ts";
import { scopesFor } from "../lib/manifest/acl.ts";

const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const files = [...Deno.readDirSync(MANIFESTS_DIR)].map((e) => e.name)
  .filter((n) => n.endsWith(".json")).sort();
const bytes = (x: unknown) => new TextEncoder().encode(JSON.stringify(x)).length;

Deno.test("bridge: every corpus manifest creates a session, says hello and lists its scopes", async (t) => {
  await using b = new BridgeProcess();
  for (const name of files) {
    await t.step(name, async () => {
      const path = `${MANIFESTS_DIR}/${name}`;
      const manifest = JSON.parse(await Deno.readTextFile(path));
      const eff = (await loadManifest(path)).manifest!;
      const before = Date.now();
      const s: any = await b.call("session.create", {
        app_slug: name.replace(/\.json$/, ""),
        manifest,
      });
      // §3.11 slug from the file name: lowercase, `__` and `_` runs → one `-`
      const slug = name.replace(/\.json$/, "").toLowerCase().replace(/[^a-z0-9-]+/g, "-")
        .replace(/-+/g, "-").replace(/^-|-$/g, "").slice(0, 63);
      assert.equal(s.app_slug, slug);
      assert.match(s.session_id, /^ses_[0-9a-f]{32}$/);
      assert.match(s.window_uuid, UUID_V4);
      // ms, not s: within the token TTL of now (§8)
      assert.ok(Number.isInteger(s.expires_at) && s.expires_at > before, String(s.expires_at));
      assert.ok(s.expires_at < before + 24 * 3600 * 1000, String(s.expires_at));
      assert.deepEqual(
        s.warnings.map((d: any) => `${d.code}@${d.path}`),
        CORPUS_EXPECTED[name] ?? [],
      );
      assert.equal(s.user_id, manifest.dev?.user_id ?? 1);
      assert.equal(s.view, selectView(eff).name);

      const hello: any = await b.call("session.call", {
        session_id: s.session_id,
        ns: "window",
        method: "hello",
        args: {},
      });
      assert.equal(hello.ok, true, JSON.stringify(hello));
      const h = hello.result;
      assert.equal(h.window_uuid, s.window_uuid);
      assert.deepEqual([h.app_id, h.app_slug, h.version_id], [slug, slug, "dev"]);
      assert.deepEqual(h.capabilities.scopes, scopesFor(eff));
      assert.deepEqual(h.capabilities.host_api, manifest.ui.host_api);
      assert.deepEqual(h.runtime_state, manifest.dev?.seed_storage ?? {});
      assert.equal(h.token_expires_at, s.expires_at);

      const g: any = await b.call("session.get", { session_id: s.session_id });
      for (const k of ["created_at", "last_activity_at"]) {
        assert.ok(Number.isInteger(g[k]) && g[k] >= before - 1000 && g[k] <= Date.now(), k);
      }
      assert.match(g.conversation_session_uuid, UUID_V4);
      assert.equal(g.runtime_state_bytes, bytes(g.runtime_state));
      const [w] = g.windows;
      assert.ok(Number.isInteger(w.last_seen_at) && w.last_seen_at >= before - 1000);
      assert.deepEqual(w.geometry, {
        x: 0,
        y: 0,
        w: s.view_meta.default_size.w,
        h: s.view_meta.default_size.h,
      });
      await b.call("session.close", { session_id: s.session_id });
    });
  }
});
