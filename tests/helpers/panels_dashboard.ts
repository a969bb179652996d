/**
 * `dev` on tests/fixtures/apps/panels-app (with the Node test executa as `tool-plugin`) and its
 * dashboard in headless Chromium, the app connected: the setup of the dashboard browser tests.
 */
import { join } from "node:path";
import { DevProcess } from "./dev_process.ts";
import { REPO_ROOT } from "./bridge_process.ts";
import { appFrame, byTestId, launchBrowser, newPage, textMatching } from "./browser.ts";

export const PANELS_APP = join(REPO_ROOT, "tests/fixtures/apps/panels-app");
export const PLUGIN_DIR = join(REPO_ROOT, "tests/fixtures/executas");

export async function openPanelsDashboard() {
  const dev = await DevProcess.start(PANELS_APP, {
    args: [
      "--no-watch",
      "--executa",
      `dir=${PLUGIN_DIR},tool_id=tool-plugin,handle=plugin,command=["node","plugin.mjs"]`,
    ],
  });
  const stack = new AsyncDisposableStack();
  stack.use(dev);
  try {
    const browser = stack.use(await launchBrowser());
    const tp = stack.use(await newPage(browser));
    await tp.page.goto(dev.info.dashboard_url);
    const frame = await appFrame(tp.page, dev.info.window_uuid);
    await textMatching(byTestId(frame, "status"), /^connected main/);
    return { dev, tp, page: tp.page, frame, [Symbol.asyncDispose]: () => stack.disposeAsync() };
  } catch (e) {
    await stack.disposeAsync();
    throw e;
  }
}
