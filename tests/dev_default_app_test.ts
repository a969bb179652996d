/**
 * In `dev`, a `session.create` that names no app (no `manifest`, no `app_dir`) opens another
 * session of the dev app, from its manifest as last loaded: apps' own e2e harnesses send
 * `POST /api/session/create` with no body (research/apps.md, action-board). The bridge keeps the
 * contract's "exactly one of" (session_create tests); another `app_slug` is refused by name.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { DevProcess, waitUntil } from "./helpers/dev_process.ts";
import { writeAppDir } from "./helpers/app_dir.ts";
import { tmpDir } from "./helpers/tmp.ts";

const MANIFEST = (title: string) => ({
  schema: 2,
  ui: {
    bundle: { entry: "index.html" },
    views: [{ name: "main", title }],
    host_api: { storage: ["get", "set"] },
  },
  dev: { user_id: 7 },
});

Deno.test("dev: /api/session/create with no app opens the dev app again, as last loaded", async () => {
  await using dir = await tmpDir("anna-dev-default-");
  const app = await writeAppDir(
    join(dir.path, "my-app"),
    MANIFEST("First"),
    "<!doctype html><p>hi</p>",
  );
  await using dev = await DevProcess.start(app);
  const create = (body?: string) =>
    dev.api("/api/session/create", {
      method: "POST",
      body,
      headers: { "content-type": "application/json" },
    });

  for (const body of [undefined, "{}", '{"app_slug":"my-app","view":"main"}']) {
    const r = await create(body);
    const created = await r.json();
    assert.equal(r.status, 200, `${body}: ${JSON.stringify(created)}`);
    assert.equal(created.app_slug, "my-app");
    assert.equal(created.user_id, 7, "manifest.dev defaults apply");
    assert.equal(created.view_meta.title, "First");
    assert.notEqual(created.session_id, dev.info.session_id, "a new session");
  }

  // the new session is the dev app's: its storage grant holds, and its page is served
  const second = await (await create()).json();
  const call = await dev.api("/api/session/call", {
    method: "POST",
    body: JSON.stringify({
      session_id: second.session_id,
      ns: "storage",
      method: "set",
      args: { key: "k", value: 1 },
    }),
  });
  assert.equal((await call.json()).ok, true);
  const page = await fetch(`${dev.info.app_origin}/anna-apps/my-app/dev/index.html`);
  assert.equal(page.status, 200);
  await page.body?.cancel();

  const other = await create('{"app_slug":"someone-else"}');
  assert.equal(other.status, 400);
  const err = await other.json();
  assert.equal(err.error.code, "invalid_params");
  assert.match(JSON.stringify(err.error.details), /app_slug.*this dev server runs app 'my-app'/);

  // a manifest edit that loads is what the next session starts from
  await Deno.writeTextFile(join(app, "manifest.json"), JSON.stringify(MANIFEST("Second")));
  const after = await waitUntil("a session of the edited manifest", async () => {
    const c = await (await create()).json();
    return c.view_meta.title === "Second" ? c : undefined;
  });
  assert.equal(after.app_slug, "my-app");
});
