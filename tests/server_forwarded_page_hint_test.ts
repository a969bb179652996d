/**
 * A host page served through a forwarded port (Host `localhost:9000` for a main listener on 5180)
 * frames its apps at the page's hostname with the app port (CONTRACT §12.8), which the browser
 * may not reach: the log says so once per Host, naming the app port to forward.
 */
import assert from "node:assert/strict";
import { createMainApp } from "../lib/server/app.ts";
import type { ServerRuntime } from "../lib/server/context.ts";
import { Logger } from "../lib/util/log.ts";
import { serverConfig, serverContext } from "./helpers/server.ts";

Deno.test("host page on a forwarded port: one warning per Host naming the app origin to forward", async () => {
  const lines: string[] = [];
  const logger = new Logger({ level: "info", format: "json", sink: (l) => lines.push(l) });
  const config = serverConfig({ allowedHosts: ["localhost", "devbox.test"] });
  const main = createMainApp(serverContext({} as ServerRuntime, { config, logger }));
  const get = async (host: string) => {
    const r = await main.request("/", { headers: { host } });
    await r.body?.cancel();
    assert.equal(r.status, 200, host);
  };
  await get("127.0.0.1:5180");
  await get("localhost:5180");
  assert.deepEqual(lines, [], "the main port itself is no forwarded port");

  await get("localhost:9000");
  await get("localhost:9000");
  await get("devbox.test");
  const msgs = lines.map((l) => JSON.parse(l)).filter((e) => e.level === "warn").map((e) => e.msg);
  assert.equal(msgs.length, 2, JSON.stringify(msgs));
  assert.match(msgs[0], /'localhost:9000'.*localhost:5181.*ssh -L 5181:127\.0\.0\.1:5181/);
  assert.match(msgs[1], /'devbox\.test'.*devbox\.test:5181/);
});
