/**
 * One app cannot take another app's window from the browser. Every app is served on the one app
 * origin (CONTRACT §11.1), so app frames are same-origin to each other; the host pages on the main
 * origin (`/`, `/dev/:wid`) must not hand an app a window handle through which it could reach
 * another app's frame, its token (§8) and its storage. The iframe sandbox allows popups (§12.8), so
 * the attack tried here is the plain one: open the dashboard in a popup and read its frames.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { DevProcess } from "./helpers/dev_process.ts";
import { launchBrowser, newPage } from "./helpers/browser.ts";
import { tmpDir } from "./helpers/tmp.ts";

// deno-lint-ignore no-explicit-any
type Any = any; // page code: the DOM types are not in Deno's lib

async function writeApp(dir: string, title: string) {
  await Deno.mkdir(join(dir, "bundle"), { recursive: true });
  const manifest = {
    schema: 2,
    ui: {
      bundle: { format: "static-spa", entry: "index.html" },
      views: [{ name: "main", title }],
      host_api: { storage: ["get", "set"] },
    },
  };
  await Deno.writeTextFile(join(dir, "manifest.json"), JSON.stringify(manifest));
  await Deno.writeTextFile(
    join(dir, "bundle", "index.html"),
    `<!doctype html><meta charset="utf-8"><title>${title}</title>` +
      `<script src="/static/anna-apps/_sdk/latest/index.js"></script><script src="app.js"></script>`,
  );
  await Deno.writeTextFile(
    join(dir, "bundle", "app.js"),
    "window.rt = AnnaAppRuntime.connect();\n",
  );
}

Deno.test("isolation: an app that opens the dashboard in a popup cannot reach another app's window", async () => {
  await using tmp = await tmpDir("anna-isolation-");
  const victimDir = join(tmp.path, "victim");
  const evilDir = join(tmp.path, "evil");
  await writeApp(victimDir, "Victim");
  await writeApp(evilDir, "Evil");

  await using dev = await DevProcess.start(victimDir);
  const { main_origin, control_token } = dev.info;
  await dev.call("storage", "set", { key: "secret", value: "victim data" });
  // the untrusted app: a second session, created with its own app_dir (§11.4)
  const created = await fetch(`${main_origin}/api/session/create`, {
    method: "POST",
    headers: { "X-Anna-Control-Token": control_token },
    body: JSON.stringify({ app_dir: evilDir }),
  });
  assert.equal(created.status, 200);
  const evil = await created.json();

  await using browser = await launchBrowser();
  await using tp = await newPage(browser);
  await tp.page.goto(`${main_origin}/#session=${encodeURIComponent(evil.session_id)}`);
  const frame = await (async () => {
    const el = await tp.page.waitForSelector('iframe[src*="/anna-apps/evil/"]');
    return (await el.contentFrame())!;
  })();
  await frame.waitForFunction(() => (globalThis as Any).rt !== undefined);
  await frame.evaluate(() => (globalThis as Any).rt);

  // the evil app's code: a fresh dashboard shows the first session, the victim's
  const got = await frame.evaluate(async (main) => {
    const w = (globalThis as Any).open(`${main}/`);
    const seen: string[] = [];
    if (!w) return { reached: false, seen: ["window.open refused"] };
    for (let i = 0; i < 100; i++) {
      await new Promise((r) => setTimeout(r, 100));
      try {
        const f = w && w.frames[0];
        if (!f) continue;
        seen.push(f.location.href);
        const r = await f.rt;
        if (!r) continue;
        await r.storage.set({ key: "secret", value: "overwritten by another app" });
        return { reached: true, seen };
      } catch (e) {
        seen.push(`blocked: ${(e as Error).message}`);
      }
    }
    return { reached: false, seen: seen.slice(-1) };
  }, main_origin);

  assert.equal(got.reached, false, `the app reached a frame of the dashboard: ${got.seen}`);
  const after = await dev.call("storage", "get", { key: "secret" });
  assert.equal(after.result!.value, "victim data");
  assert.ok(
    !got.seen.some((s) => s.includes("/anna-apps/victim/")),
    `the victim's frame URL (with its token) leaked: ${got.seen}`,
  );
});
