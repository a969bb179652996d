/**
 * `/api/session/*` errors (CONTRACT §11.3) are read by scripts, which see `message` first: it names
 * the field and what is there instead of only the bare reason ("invalid_params: unknown_view").
 */
import assert from "node:assert/strict";
import { createMainApp } from "../lib/server/app.ts";
import { RPC, RpcError } from "../lib/core/rpc_error.ts";
import type { ServerRuntime } from "../lib/server/context.ts";
import { makeRuntime, manifest } from "./helpers/runtime.ts";
import { AUTH, serverContext } from "./helpers/server.ts";

const post = (app: { request: typeof fetch }, body: unknown) =>
  app.request("/api/session/create", {
    method: "POST",
    headers: { ...AUTH, "content-type": "application/json" },
    body: JSON.stringify(body),
  }).then(async (r) => ({ status: r.status, error: (await r.json()).error }));

Deno.test("/api/session/create: an unknown view, a seed over the limit and a broken manifest say what is wrong", async () => {
  await using t = await makeRuntime({ mode: "serve" });
  const app = createMainApp(serverContext(t.rt)) as unknown as { request: typeof fetch };

  const view = await post(app, { app_slug: "a", manifest: manifest(), view: "nope" });
  assert.equal(view.status, 400);
  assert.equal(view.error.message, "unknown_view: view: no view 'nope' (available: main)");
  assert.deepEqual(view.error.details, {
    reason: "unknown_view",
    view: "nope",
    available: ["main"],
  });

  const seed = await post(app, {
    app_slug: "a",
    manifest: manifest(),
    seed_storage: { k: "x".repeat(262_144) },
  });
  assert.equal(seed.status, 400);
  assert.match(seed.error.message, /^state_too_large: seed_storage is 26\d{4} bytes, max 262144$/);

  const broken = await post(app, { app_slug: "a", manifest: { schema: 2 } });
  assert.equal(broken.status, 400);
  assert.match(broken.error.message, /^manifest_invalid: ui_missing: /);
});

Deno.test("/api/session/create: session_limit tells a suite that leaked sessions how to close them", async () => {
  const full = {
    call: () => Promise.reject(new RpcError(RPC.SESSION_LIMIT, "session_limit", { max: 1024 })),
  } as unknown as ServerRuntime;
  const app = createMainApp(serverContext(full)) as unknown as { request: typeof fetch };
  const r = await post(app, {});
  assert.equal(r.status, 503);
  assert.match(r.error.message, /^too many open sessions \(max 1024\); close .*session\.close/);
  assert.match(r.error.message, /session\.list/);
  assert.deepEqual(r.error.details, { max: 1024 });
});
