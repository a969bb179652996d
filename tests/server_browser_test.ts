/**
 * The server under a real browser (CONTRACT §11, §12.8): Chromium opens `/dev/:wid` of a spawned
 * `dev`, the iframe on the app origin loads the SDK, its calls pass the guard with the browser's
 * own Origin / Sec-Fetch-* headers over `/ws`, and a bundle change reloads the iframe via SSE.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { chromium, type Page } from "playwright-core";
import { MAIN_TS, REPO_ROOT } from "./helpers/bridge_process.ts";
import { manifest } from "./helpers/runtime.ts";
import { FREE_PORTS_JSON } from "./helpers/server.ts";

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

/** `dev APP_DIR` on free ports (json startup line) with `extra` flags; its first stdout line. */
async function startDev(appDir: string, base: string, extra: string[] = []) {
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      MAIN_TS,
      "dev",
      appDir,
      ...FREE_PORTS_JSON,
      "--log-level",
      "error",
      ...extra,
    ],
    cwd: REPO_ROOT,
    env: { NO_COLOR: "1", ANNA_APP_DEV_KEY_FILE: join(base, "dev.key") },
    stdin: "null",
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let out = "";
  while (!out.includes("\n")) {
    const { value, done } = await reader.read();
    if (done) break;
    out += value;
  }
  const line = JSON.parse(out.split("\n")[0]);
  const stop = async () => {
    await reader.cancel().catch(() => {});
    child.kill("SIGTERM");
    return (await child.status).code;
  };
  return { line, stop };
}

/** The text of `#s` in the page's app iframe once it is `want` (throws after about 15 s). */
async function frameText(page: Page, want: string) {
  for (let i = 0; i < 300; i++) {
    const el = await page.$("iframe");
    const frame = await el?.contentFrame();
    const text = await frame?.textContent("#s").catch(() => null);
    if (text === want) return text;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`iframe never showed '${want}'`);
}

Deno.test({
  name: "browser: /dev/:wid hosts the app iframe; SDK calls and live reload pass the guard",
  ignore: !haveChromium,
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const base = await Deno.makeTempDir({ prefix: "anna-browser-" });
    const appDir = join(base, "shop");
    await writeSdkApp(appDir);
    const { line, stop } = await startDev(appDir, base);
    const browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ["--no-sandbox", "--disable-background-networking"],
    });
    try {
      const page = await browser.newPage();
      await page.goto(line.window_url);
      assert.equal(await frameText(page, "v1 shop"), "v1 shop");

      const log = async () => {
        const r = await fetch(`${line.main_origin}/api/log`, {
          headers: { "x-anna-control-token": line.control_token },
        });
        return (await r.json()).entries as {
          type: string;
          transport?: string;
          ns?: string;
          method?: string;
          outcome?: string;
        }[];
      };
      const calls = (await log()).filter((e) => e.type === "rpc").map((e) =>
        `${e.transport} ${e.ns}.${e.method} ${e.outcome}`
      );
      assert.ok(calls.includes("app window.hello ok"), calls.join("\n"));
      assert.ok(calls.includes("app storage.set ok"), calls.join("\n"));

      // live reload: a bundle change reaches the host page over /api/log/stream
      await Deno.writeTextFile(join(appDir, "bundle", "app.js"), appJs("v2"));
      assert.equal(await frameText(page, "v2 shop"), "v2 shop");
    } finally {
      await browser.close();
      assert.equal(await stop(), 0);
      await Deno.remove(base, { recursive: true }).catch(() => {});
    }
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
    const base = await Deno.makeTempDir({ prefix: "anna-browser-v6-" });
    const appDir = join(base, "shop");
    await writeSdkApp(appDir);
    const { line, stop } = await startDev(appDir, base, ["--host", "::1"]);
    // Chromium ignores http://[::1]:… in the CSP source lists: a page opened there could not frame
    // its app, so the URLs name the listener by localhost
    assert.match(line.window_url, /^http:\/\/localhost:\d+\/dev\//);
    assert.match(line.app_origin, /^http:\/\/localhost:\d+$/);
    const browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ["--no-sandbox", "--disable-background-networking"],
    });
    try {
      const page = await browser.newPage();
      await page.goto(line.window_url);
      assert.equal(await frameText(page, "v1 shop"), "v1 shop");
    } finally {
      await browser.close();
      assert.equal(await stop(), 0);
      await Deno.remove(base, { recursive: true }).catch(() => {});
    }
  },
});
