/** §8.4: `dev`/`serve` push a fresh token to each open window every floor(ttl × 2 / 3) seconds. */
import assert from "node:assert/strict";
import { join } from "node:path";
import { Runtime } from "../lib/core/runtime.ts";
import { LogBus } from "../lib/core/log_bus.ts";
import { ExecutaPool } from "../lib/executa/mod.ts";
import { createProvider } from "../lib/llm/mod.ts";
import { loadOrCreateKey, refreshIntervalMs } from "../lib/token/mod.ts";
import { silentLogger } from "../lib/util/log.ts";
import { VERSION } from "../lib/version.ts";
import { tmpDir } from "./helpers/tmp.ts";

Deno.test("refresh interval: floor(ttl × 2 / 3) seconds", () => {
  assert.equal(refreshIntervalMs(5), 3000);
  assert.equal(refreshIntervalMs(6), 4000);
  assert.equal(refreshIntervalMs(30), 20_000);
  assert.equal(refreshIntervalMs(86_400), 57_600_000);
});

Deno.test("refresh interval: each new window's timer runs at that interval", async () => {
  await using dir = await tmpDir();
  const logger = silentLogger();
  const llm = createProvider({ mode: "mock", mocks: [], logger });
  const rt = new Runtime({
    mode: "dev",
    key: await loadOrCreateKey(join(dir.path, "dev.key"), logger),
    tokenTtl: 6,
    llm,
    executas: new ExecutaPool({ logger, llm, version: VERSION }),
    logger,
    autoRefresh: true,
    log: new LogBus(false),
  });
  // a fake setInterval that records the delays asked for (the timers themselves never fire)
  const real = globalThis.setInterval;
  const delays: number[] = [];
  globalThis.setInterval = ((_fn: () => void, ms?: number) => {
    delays.push(ms ?? 0);
    return real(() => {}, 1e9);
  }) as typeof setInterval;
  try {
    await rt.call("session.create", {
      app_slug: "tick",
      manifest: { schema: 2, ui: { views: [{ name: "main" }] } },
    }, "api");
  } finally {
    globalThis.setInterval = real;
  }
  assert.deepEqual(delays, [4000]);
  await rt.shutdown();
});
