/**
 * The three ways an app loads the SDK (CONTRACT §12.1), each in real Chromium, each opened through
 * the single-window page `/dev/<wid>` (the startup line's window_url) and through the dashboard:
 * - classic `<script src=…/latest/index.js>` + `window.AnnaAppRuntime` (examples/todo-node, whose
 *   Node executa keeps the list through reverse `storage/*`),
 * - static ESM `import {connect} from …/latest/index.js` (examples/notes-app),
 * - dynamic `await import("…/0.1.0/index.js")` (tests/fixtures/apps/dynamic-import).
 * The build the server chose is checked on the wire (the banner of the served script).
 */
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { DevProcess } from "./helpers/dev_process.ts";
import {
  appFrame,
  atLeast,
  type Browser,
  byTestId,
  type Frame,
  launchBrowser,
  newPage,
  type Page,
  rpcRows,
  textMatching,
} from "./helpers/browser.ts";

const path = (rel: string) => fileURLToPath(new URL(rel, import.meta.url));

interface Visit {
  /** "window" = `/dev/<wid>`, "dashboard" = `/`. */
  via: "window" | "dashboard";
  /** 1-based: how many visits came before, plus one (state carries over between visits). */
  n: number;
}

/**
 * Opens the app in a fresh context through `via`, runs `use` against its frame, and returns the
 * SDK builds served to the page (by banner) so the caller can check classic vs ESM.
 */
async function visit(
  browser: Browser,
  dev: DevProcess,
  via: Visit["via"],
  use: (f: Frame, page: Page) => Promise<void>,
) {
  await using tp = await newPage(browser);
  const builds: string[] = [];
  const bodies: Promise<void>[] = [];
  tp.page.on("response", (r) => {
    if (!r.url().includes("/static/anna-apps/_sdk/")) return;
    bodies.push(
      r.text().then((t) => {
        builds.push(/\((classic|ESM) build\)/.exec(t)?.[1] ?? `unknown ${r.status()}`);
      }, () => {}),
    );
  });
  await tp.page.goto(via === "window" ? dev.info.window_url : dev.info.dashboard_url);
  const frame = await appFrame(tp.page, dev.info.window_uuid);
  await use(frame, tp.page);
  await Promise.all(bodies);
  tp.assertNoErrors();
  return builds;
}

Deno.test("browser: classic build — todo-node via window.AnnaAppRuntime and its Node executa", async () => {
  await using dev = await DevProcess.start(path("../examples/todo-node"));
  assert.deepEqual(dev.info.executas, ["tool-todo-store"]);
  await using browser = await launchBrowser();
  const texts = ["water the plants", "book the train"];
  for (const [i, via] of (["window", "dashboard"] as const).entries()) {
    const builds = await visit(browser, dev, via, async (f, page) => {
      await textMatching(byTestId(f, "status"), /^connected \(todo-node\)$/);
      // the list (tools.invoke list → executa → reverse storage.get) survives across visits
      await textMatching(byTestId(f, "output"), (t) => t === `${i} todo(s)`);
      assert.equal(
        await f.evaluate(() =>
          typeof (globalThis as { AnnaAppRuntime?: { connect?: unknown } }).AnnaAppRuntime?.connect
        ),
        "function",
      );
      await byTestId(f, "todo-input").fill(texts[i]);
      await byTestId(f, "add-todo").click();
      await textMatching(byTestId(f, "output"), (t) => t === `${i + 1} todo(s)`);
      const items = await byTestId(f, "todos").locator("li").allTextContents();
      assert.deepEqual(items, texts.slice(0, i + 1));
      if (via === "dashboard") {
        await atLeast(rpcRows(page, { ns: "tools", method: "invoke", outcome: "ok" }), 2);
      }
    });
    assert.deepEqual(builds, ["classic"], `${via}: a <script src> gets the classic build`);
  }
});

Deno.test("browser: static ESM import — notes-app", async () => {
  await using dev = await DevProcess.start(path("../examples/notes-app"));
  await using browser = await launchBrowser();
  for (const [i, via] of (["window", "dashboard"] as const).entries()) {
    const builds = await visit(browser, dev, via, async (f, page) => {
      await textMatching(byTestId(f, "status"), /^connected as user 1 \(notes-app\)$/);
      await textMatching(byTestId(f, "notes"), (t) => i === 0 || t.includes("note from window"));
      await byTestId(f, "note-input").fill(`note from ${via}`);
      await byTestId(f, "add-note").click();
      await textMatching(byTestId(f, "output"), (t) => t === `saved ${i + 1} note(s)`);
      if (via === "dashboard") {
        await atLeast(rpcRows(page, { ns: "storage", method: "set", outcome: "ok" }), 2);
      }
    });
    assert.deepEqual(builds, ["ESM"], `${via}: a static import gets the ESM build`);
  }
  const stored = await dev.call("storage", "get", { key: "notes:v1" });
  assert.deepEqual((stored.result!.value as { content: string }[]).map((n) => n.content), [
    "note from window",
    "note from dashboard",
  ]);
});

Deno.test("browser: dynamic import() of a versioned SDK path — fixture app", async () => {
  await using dev = await DevProcess.start(path("./fixtures/apps/dynamic-import"));
  await using browser = await launchBrowser();
  const stamps: string[] = [];
  for (const via of ["window", "dashboard"] as const) {
    const builds = await visit(browser, dev, via, async (f, page) => {
      await textMatching(byTestId(f, "status"), /^connected$/);
      const hello = JSON.parse(await textMatching(byTestId(f, "hello"), (t) => t.startsWith("{")));
      assert.deepEqual(hello, {
        windowUuid: dev.info.window_uuid,
        appSlug: "dynamic-import",
        view: "main",
        userId: 1,
      });
      const out = await textMatching(byTestId(f, "output"), /^storage /);
      assert.match(out, /^storage ok dyn-\d+$/);
      stamps.push(out.slice("storage ok ".length));
      if (via === "dashboard") {
        await atLeast(rpcRows(page, { ns: "storage", method: "get", outcome: "ok" }), 2);
      }
    });
    assert.deepEqual(builds, ["ESM"], `${via}: import() gets the ESM build`);
  }
  // the host holds what the app wrote last
  const stored = await dev.call("storage", "get", { key: "dynamic" });
  assert.equal(stored.result!.value, stamps[1]);
});
