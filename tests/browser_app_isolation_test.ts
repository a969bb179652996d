/**
 * One app cannot take another app's window from the browser. Every app is served on the one app
 * origin (CONTRACT §11.1), so app frames are same-origin to each other; the host pages on the main
 * origin (`/`, `/dev/:wid`) must not hand an app a window handle through which it could reach
 * another app's frame, its token (§8) and its storage. The iframe sandbox allows popups (§12.8), so
 * the attack tried here is the plain one: open the dashboard in a popup and read its frames.
 *
 * Not vacuous: a privileged page at the very URL the app opens first shows the victim's frame and
 * reads the secret through that frame's `rt`, which is all the attack needs; the popup is then
 * seen to be opened and to navigate to that URL; if it loads, its victim frame is waited for
 * before the app tries to reach it (no give-up timer that a slow load could outlast). Removing the
 * pages' Cross-Origin-Opener-Policy makes this test fail (the app overwrites the secret).
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { DevProcess } from "./helpers/dev_process.ts";
import { type Frame, launchBrowser, newPage, type Page, WAIT_MS } from "./helpers/browser.ts";
import type { Request } from "playwright-core";
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

  const dashboardUrl = `${main_origin}/`;
  const victimFrame = async (page: Page): Promise<Frame> => {
    const el = await page.waitForSelector('iframe[src*="/anna-apps/victim/"]');
    const f = (await el.contentFrame())!;
    await f.waitForFunction(() => (globalThis as Any).rt !== undefined);
    return f;
  };

  // positive control: a fresh dashboard shows the first session, the victim's, and its frame's
  // `rt` (what the attack goes for) reads the victim's storage
  {
    const control = await tp.context.newPage();
    await control.goto(dashboardUrl);
    const read = await (await victimFrame(control)).evaluate(async () => {
      const rt = await (globalThis as Any).rt;
      return (await rt.storage.get({ key: "secret" })).value;
    });
    assert.equal(read, "victim data", "control: the dashboard's victim frame reaches the secret");
    await control.close();
  }

  // the evil app's code, step 1: open the dashboard in a popup
  const navigated = new Promise<string>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`no popup asked for ${dashboardUrl}`)), WAIT_MS);
    const seen = (r: Request, how: string) => {
      if (r.url() !== dashboardUrl || !r.isNavigationRequest()) return;
      let from: Page | null = null; // a popup's first request comes before its frame exists
      try {
        from = r.frame().page();
      } catch { /* the popup */ }
      if (from === tp.page) return;
      clearTimeout(t);
      resolve(how);
    };
    tp.context.on("requestfinished", (r) => seen(r, "loaded"));
    tp.context.on("requestfailed", (r) => seen(r, `failed: ${r.failure()?.errorText}`));
  });
  navigated.catch(() => {}); // awaited below; not an unhandled rejection meanwhile
  const popupOpened = tp.page.waitForEvent("popup");
  const handed = await frame.evaluate((url) => {
    const w = (globalThis as Any).open(url);
    (globalThis as Any).popup = w;
    return w !== null;
  }, dashboardUrl);
  const popup = await popupOpened;
  const fate = await navigated; // the popup asked for the dashboard: the attack went out
  if (fate === "loaded") {
    await popup.waitForLoadState("load");
    // it may have loaded the dashboard: then its victim frame is there before the app tries
    if (popup.url().startsWith(dashboardUrl)) await victimFrame(popup);
  }

  // step 2: reach a frame of the popup and write through its `rt`
  const got = await frame.evaluate(async () => {
    const w = (globalThis as Any).popup;
    if (!w) return { reached: false, seen: ["window.open gave no handle"] };
    const seen: string[] = [];
    try {
      for (let i = 0; i < w.length; i++) {
        const f = w.frames[i];
        seen.push(f.location.href);
        const r = await f.rt;
        if (!r) continue;
        await r.storage.set({ key: "secret", value: "overwritten by another app" });
        return { reached: true, seen };
      }
      seen.push(`no frame with rt among ${w.length}`);
    } catch (e) {
      seen.push(`blocked: ${(e as Error).message}`);
    }
    return { reached: false, seen };
  });
  got.seen.unshift(`handle: ${handed}, popup: ${fate} ${popup.url()}`);

  assert.equal(got.reached, false, `the app reached a frame of the dashboard: ${got.seen}`);
  const after = await dev.call("storage", "get", { key: "secret" });
  assert.equal(after.result!.value, "victim data");
  assert.ok(
    !got.seen.some((s) => s.includes("/anna-apps/victim/")),
    `the victim's frame URL (with its token) leaked: ${got.seen}`,
  );
});
