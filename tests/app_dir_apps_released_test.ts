/**
 * The app origin serves the `dev` app and the apps of sessions created with `app_dir` (§11.4).
 * When the last such session closes its app is let go (another open session of the slug takes it
 * over): an e2e harness that creates each session from a fresh copy of an app (a new slug each)
 * otherwise left one manifest per session in the registry for the life of `bridge` or `serve`.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { makeRuntime, manifest } from "./helpers/runtime.ts";

async function appCopy(root: string, name: string): Promise<string> {
  const dir = join(root, name);
  await Deno.mkdir(join(dir, "bundle"), { recursive: true });
  await Deno.writeTextFile(join(dir, "manifest.json"), JSON.stringify(manifest()));
  return dir;
}

Deno.test("sessions from fresh app copies: each app is forgotten when its session closes", async () => {
  await using t = await makeRuntime({ mode: "serve" });
  for (let i = 0; i < 50; i++) {
    const dir = await appCopy(t.dir, `copy-${i}`);
    const s = await t.call("session.create", { app_dir: dir, register_executas: false });
    assert.equal(t.rt.apps.get(`copy-${i}`)?.appDir, dir);
    await t.call("session.close", { session_id: s.session_id });
    assert.equal(t.rt.apps.get(`copy-${i}`), undefined);
  }
  assert.equal(t.rt.apps.size, 0);
});

Deno.test("an app stays served while any session of it is open; the newest other directory takes over", async () => {
  await using t = await makeRuntime({ mode: "serve" });
  const a = await appCopy(t.dir, "a");
  const b = await appCopy(t.dir, "b");
  const create = (dir: string) =>
    t.call("session.create", { app_dir: dir, app_slug: "same", register_executas: false });
  const close = (s: Record<string, unknown>) =>
    t.call("session.close", { session_id: s.session_id });
  const a1 = await create(a);
  const a2 = await create(a);
  await close(a1);
  assert.equal(t.rt.apps.get("same")?.appDir, a, "a2 still uses it");
  const b1 = await create(b);
  assert.equal(t.rt.apps.get("same")?.appDir, b);
  await close(b1);
  assert.equal(t.rt.apps.get("same")?.appDir, a, "back to the directory a2 was created from");
  assert.equal(t.rt.apps.get("same")?.bundleDir, join(a, "bundle"));
  // a session with a manifest (no app_dir) has no bundle to serve: it holds nothing
  const inline = await t.call("session.create", { manifest: manifest(), app_slug: "same" });
  await close(a2);
  assert.equal(t.rt.apps.get("same"), undefined);
  await close(inline);
});

Deno.test("a kept app (dev's) stays served when an app_dir session of its slug closes", async () => {
  await using t = await makeRuntime({ mode: "dev" });
  const dir = await appCopy(t.dir, "devapp");
  const s = await t.call("session.create", { app_dir: dir, register_executas: false });
  t.rt.apps.keep("devapp"); // what `dev` does for its app
  await t.call("session.close", { session_id: s.session_id });
  assert.equal(t.rt.apps.get("devapp")?.appDir, dir);
});

Deno.test("a create whose slug takes over another directory's app says so in its warnings", async () => {
  await using t = await makeRuntime({ mode: "serve" });
  // two copies of one app: the slug comes from the directory name, so both are "notes"
  const a = await appCopy(join(t.dir, "worker-1"), "notes");
  const b = await appCopy(join(t.dir, "worker-2"), "notes");
  type W = { code: string; message: string; hint?: string }[];
  const create = async (dir: string) =>
    (await t.call("session.create", { app_dir: dir, register_executas: false })) as {
      session_id: string;
      warnings: W;
    };
  const first = await create(a);
  assert.deepEqual(first.warnings, []);
  assert.deepEqual((await create(a)).warnings, [], "the same directory again is no takeover");
  const second = await create(b);
  const w = second.warnings.find((x) => x.code === "app_slug_taken_over");
  assert.ok(w, JSON.stringify(second.warnings));
  assert.match(w.message, /app slug 'notes' now serves .*worker-2.* \(was .*worker-1/);
  assert.match(w.hint ?? "", /own app_slug/);
  // the create after the first one's sessions closed takes nothing from anyone
  await t.call("session.close", { session_id: second.session_id });
  for (const s of (await t.call("session.list")).sessions as { session_id: string }[]) {
    await t.call("session.close", { session_id: s.session_id });
  }
  assert.deepEqual((await create(b)).warnings, []);
});
