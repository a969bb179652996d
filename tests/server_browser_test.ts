/**
 * The server under a real browser (CONTRACT §11, §12.8): Chromium opens `/dev/:wid` of a spawned
 * `dev`, the iframe on the app origin loads the SDK, its calls pass the guard with the browser's
 * own Origin / Sec-Fetch-* headers over `/ws`, and a bundle change reloads the iframe via SSE.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { chromium, type Page } from "playwright-core";
import { manifest } from "./helpers/runtime.ts";
import { DevProcess } from "./helpers/dev_process.ts";
import { tmpDir } from "./helpers/tmp.ts";

const CHROMIUM = Deno.env.get("ANNA_APP_CHROMIUM") ?? "/usr/bin/chromium";
const haveChromium = (() => {
  try {
    return Deno.statSync(CHROMIUM).isFile;
  } catch {
    return false;
  }
})();

const appJs = (label: string) =>
  `AnnaAppRuntime.connect().then(async (rt) => {
  await rt.storage.set({ key: "from_browser", value: ${JSON.stringify(label)} });
  document.getElementById("s").textContent = ${JSON.stringify(label)} + " " + rt.appSlug;
}).catch((e) => { document.getElementById("s").textContent = "err " + e.code; });`;

async function writeSdkApp(dir: string) {
  await Deno.mkdir(join(dir, "bundle"), { recursive: true });
  await Deno.writeTextFile(
    join(dir, "manifest.json"),
    JSON.stringify(manifest({ storage: ["get", "set"] })),
  );
  await Deno.writeTextFile(
    join(dir, "bundle", "index.html"),
    `<!doctype html><script src="/static/anna-apps/_sdk/latest/index.js"></script>` +
      `<h1 id="s">booting</h1><script src="app.js"></script>`,
  );
  await Deno.writeTextFile(join(dir, "bundle", "app.js"), appJs("v1"));
}

/** The text of `#s` in the page's app iframe once it is `want` (throws after about 15 s). */
async function frameText(page: Page, want: string) {
  for (let i = 0; i < 300; i++) {
    const el = await page.$("iframe");
    const frame = await el?.contentFrame();
    const text = await frame?.textContent("#s", { timeout: 100 }).catch(() => null);
    if (text === want) return text;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`iframe never showed '${want}'`);
}

/**
 * `dev` on the SDK app with `args`, its window open in Chromium until the app shows "v1 shop";
 * then `more` with the page and the dev process.
 */
async function bootInBrowser(
  args: string[],
  more: (page: Page, dev: DevProcess, appDir: string) => void | Promise<void> = () => {},
  /** the URL the browser opens, from the window URL dev printed */
  open: (windowUrl: string) => string = (u) => u,
) {
  await using tmp = await tmpDir("anna-browser-");
  const base = tmp.path;
  const appDir = join(base, "shop");
  await writeSdkApp(appDir);
  await using dev = await DevProcess.start(appDir, { args: ["--app-port", "0", ...args] });
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ["--no-sandbox", "--disable-background-networking"],
  });
  try {
    const page = await browser.newPage();
    await page.goto(open(dev.info.window_url));
    assert.equal(await frameText(page, "v1 shop"), "v1 shop");
    await more(page, dev, appDir);
  } finally {
    await browser.close();
  }
}

Deno.test({
  name: "browser: /dev/:wid hosts the app iframe; SDK calls and live reload pass the guard",
  ignore: !haveChromium,
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    await bootInBrowser([], async (page, dev, appDir) => {
      const calls = (await dev.log()).filter((e) => e.type === "rpc").map((e) =>
        `${e.transport} ${e.ns}.${e.method} ${e.outcome}`
      );
      assert.ok(calls.includes("app window.hello ok"), calls.join("\n"));
      assert.ok(calls.includes("app storage.set ok"), calls.join("\n"));

      // live reload: a bundle change reaches the host page over /api/log/stream
      await Deno.writeTextFile(join(appDir, "bundle", "app.js"), appJs("v2"));
      assert.equal(await frameText(page, "v2 shop"), "v2 shop");
    });
  },
});

const haveIpv6Loopback = (() => {
  try {
    Deno.listen({ hostname: "::1", port: 0 }).close();
    return true;
  } catch {
    return false;
  }
})();

Deno.test({
  name: "browser: bound to ::1, dev announces localhost URLs, and the app boots in the window",
  ignore: !haveChromium || !haveIpv6Loopback,
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    // Chromium ignores http://[::1]:… in CSP source lists: a page opened there could not frame
    // its app, so the URLs name the listener by localhost (and the boot above proves they work)
    await bootInBrowser(["--host", "::1"], (_page, dev) => {
      assert.match(dev.info.window_url, /^http:\/\/localhost:\d+\/dev\//);
      assert.match(dev.info.app_origin, /^http:\/\/localhost:\d+$/);
    });
  },
});

Deno.test({
  name:
    "browser: bound to ::1, a window opened by hand at http://[::1]:… moves to localhost and boots",
  ignore: !haveChromium || !haveIpv6Loopback,
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    await bootInBrowser(
      ["--host", "::1"],
      (page) => assert.match(page.url(), /^http:\/\/localhost:\d+\/dev\//),
      (url) => url.replace("//localhost:", "//[::1]:"),
    );
  },
});
