/**
 * Two apps whose executa folders declare the same tool_id (forks of one template): there is one
 * process per tool_id (CONTRACT §9.5), so the second `session.create {app_dir}` takes it over. That
 * is now said out loud, in the create's `warnings` and the log, instead of the first app's
 * `tools.invoke` quietly turning into `not_implemented`.
 */
import { fileURLToPath as fromFileUrl } from "node:url";
import assert from "node:assert/strict";
import { join } from "node:path";
import { makeRuntime } from "./helpers/runtime.ts";
import { tmpDir } from "./helpers/tmp.ts";

const EXAMPLE = fromFileUrl(new URL("../examples/notes-app/", import.meta.url));

async function copyApp(to: string) {
  await Deno.mkdir(join(to, "executas", "notes-summary"), { recursive: true });
  await Deno.copyFile(join(EXAMPLE, "manifest.json"), join(to, "manifest.json"));
  await Deno.copyFile(
    join(EXAMPLE, "executas", "notes-summary", "pyproject.toml"),
    join(to, "executas", "notes-summary", "pyproject.toml"),
  );
}

Deno.test("a second app taking over an executa's tool_id warns, naming both apps", async () => {
  await using dir = await tmpDir("anna-takeover-");
  const [a, b] = [join(dir.path, "notes-a"), join(dir.path, "notes-b")];
  await copyApp(a);
  await copyApp(b);
  await using t = await makeRuntime();
  const first = await t.call("session.create", { app_dir: a, app_slug: "notes-a" });
  const again = await t.call("session.create", { app_dir: a, app_slug: "notes-a" });
  type Diag = { code: string; message: string };
  const takes = (w: unknown) => (w as Diag[]).filter((d) => /no longer reach it/.test(d.message));
  assert.deepEqual(takes(first.warnings), [], "a fresh registration takes nothing over");
  assert.deepEqual(takes(again.warnings), [], "nor does the same app opened again");

  const second = await t.call("session.create", { app_dir: b, app_slug: "notes-b" });
  const [w, ...more] = takes(second.warnings);
  assert.equal(more.length, 0);
  assert.equal(w.code, "executa_discovery");
  assert.match(
    w.message,
    /^executa \S+ now runs from .*notes-b.* for app 'notes-b'; sessions of app 'notes-a' no longer reach it/,
  );
});

Deno.test("taking over the tool_id of an app with no open session says nothing (fresh copies, one at a time)", async () => {
  await using dir = await tmpDir("anna-takeover-");
  const lines: string[] = [];
  await using t = await makeRuntime({ logSink: (l) => void lines.push(l) });
  type Diag = { message: string };
  for (let i = 0; i < 5; i++) {
    const copy = join(dir.path, `copy-${i}`);
    await copyApp(copy);
    const s = await t.call("session.create", { app_dir: copy });
    const takes = (s.warnings as Diag[]).filter((d) => /no longer reach it/.test(d.message));
    assert.deepEqual(takes, [], `copy ${i}`);
    const [ex] = (await t.call("executas.list", {})).executas as { project_dir: string }[];
    assert.equal(ex.project_dir, join(copy, "executas", "notes-summary"), "the newest copy's");
    await t.call("session.close", { session_id: s.session_id });
  }
  assert.deepEqual(lines.filter((l) => /no longer reach it/.test(l)), []);
});

Deno.test("dev's app is always in use: taking over its tool_id warns with no session open", async () => {
  await using dir = await tmpDir("anna-takeover-");
  const [a, b] = [join(dir.path, "notes-a"), join(dir.path, "notes-b")];
  await copyApp(a);
  await copyApp(b);
  await using t = await makeRuntime({ mode: "dev" });
  const first = await t.call("session.create", { app_dir: a, app_slug: "notes-a" });
  t.rt.apps.keep("notes-a"); // what `dev` does for its app
  await t.call("session.close", { session_id: first.session_id });
  const second = await t.call("session.create", { app_dir: b, app_slug: "notes-b" });
  const msgs = (second.warnings as { message: string }[]).map((d) => d.message);
  assert.ok(msgs.some((m) => /sessions of app 'notes-a' no longer reach it/.test(m)), msgs.join());
});
