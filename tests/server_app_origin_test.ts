/** App-origin routes (CONTRACT §11.4): bundles with CSP, sidecar, SDK, CSP reports, redirects. */
import assert from "node:assert/strict";
import { join } from "node:path";
import { createAppOriginApp, createMainApp } from "../lib/server/app.ts";
import { makeRuntime, manifest } from "./helpers/runtime.ts";
import { APPH, AUTH, serverContext, writeApp } from "./helpers/server.ts";
import { Logger } from "../lib/util/log.ts";

async function setup() {
  const t = await makeRuntime({ mode: "serve" });
  const appDir = join(t.dir, "notes-app");
  await writeApp(
    appDir,
    manifest({ storage: ["get"] }, {
      required_executas: [{ tool_id: "bundled:ghost" }],
    }),
  );
  await Deno.writeTextFile(
    join(appDir, "bundle", "anna-tool-ids.js"),
    "window.__ANNA_TOOL_IDS__ = {stale:1};",
  );
  const s = await t.call("session.create", { app_dir: appDir, register_executas: false });
  const ctx = serverContext(t.rt);
  return { t, ctx, app: createAppOriginApp(ctx), slug: s.app_slug as string };
}

Deno.test("app origin: bundle files carry the manifest CSP; unknown slug 404; redirect", async () => {
  const { t, app, slug } = await setup();
  await using _t = t;
  assert.equal(slug, "notes-app");
  const idx = await app.request(`/anna-apps/${slug}/dev/`, { headers: APPH });
  assert.equal(idx.status, 200);
  assert.equal(await idx.text(), "<!doctype html><h1>app</h1>");
  const csp = idx.headers.get("content-security-policy")!;
  assert.ok(csp.startsWith("default-src 'none'; base-uri 'self'; script-src 'self';"), csp);
  assert.ok(
    csp.includes("frame-ancestors http://127.0.0.1:5180 http://localhost:5180 http://[::1]:5180;"),
  );
  assert.ok(csp.endsWith("report-uri /_anna/csp-report"));
  assert.equal(idx.headers.get("x-content-type-options"), "nosniff");

  const redirect = await app.request(`/anna-apps/${slug}/dev?wid=1&t=2`, { headers: APPH });
  assert.equal(redirect.status, 301);
  assert.equal(redirect.headers.get("location"), `/anna-apps/${slug}/dev/?wid=1&t=2`);
  assert.equal(redirect.headers.get("x-content-type-options"), "nosniff");

  // every response, the JSON errors included, is no-store + nosniff (§11.7)
  const unknown = await app.request(`/anna-apps/other/dev/index.html`, { headers: APPH });
  assert.equal(unknown.status, 404);
  assert.equal(unknown.headers.get("x-content-type-options"), "nosniff");
  assert.equal(unknown.headers.get("cache-control"), "no-store");
  await unknown.body?.cancel();
  // the bare `/dev` form of an unknown slug is a 404 too, not a redirect to one
  const unknownBare = await app.request(`/anna-apps/other/dev?wid=1`, { headers: APPH });
  assert.equal(unknownBare.status, 404);
  assert.equal(unknownBare.headers.get("location"), null);
  assert.deepEqual(await unknownBare.json(), { error: { code: "not_found" } });
  const post = await app.request(`/anna-apps/${slug}/dev/app.js`, {
    method: "POST",
    headers: APPH,
  });
  assert.equal(post.status, 405);
  await post.body?.cancel();
  // control routes never exist on the app origin
  for (const p of ["/rpc", "/api/log", "/", "/dev/x"]) {
    const r = await app.request(p, { headers: APPH });
    assert.equal(r.status, 404, p);
    await r.body?.cancel();
  }
  assert.deepEqual(await (await app.request("/healthz", { headers: APPH })).json(), {
    ok: true,
    version: "9.9.9",
  });
});

Deno.test("app origin: a root-absolute URL of a bundle file (bundler base '/') 404s naming where it is served", async () => {
  const { t, ctx } = await setup();
  await using _t = t;
  const lines: string[] = [];
  const logger = new Logger({ level: "warn", format: "json", sink: (l) => lines.push(l) });
  const app = createAppOriginApp({ ...ctx, logger });
  await Deno.mkdir(join(t.dir, "notes-app", "bundle", "assets"));
  await Deno.writeTextFile(join(t.dir, "notes-app", "bundle", "assets", "index-Bx3k.js"), "");
  const referer = "http://127.0.0.1:5181/anna-apps/notes-app/dev/index.html?wid=w&t=x";
  for (let i = 0; i < 2; i++) {
    const r = await app.request("/assets/index-Bx3k.js?v=1", { headers: { ...APPH, referer } });
    assert.equal(r.status, 404, "still a 404 (§11.4): only the message helps");
    const { error } = await r.json();
    assert.equal(error.code, "not_found");
    assert.match(error.message, /at \/anna-apps\/notes-app\/dev\/assets\/index-Bx3k\.js\./);
    assert.match(error.message, /relative asset URLs \(Vite: base: '\.\/'\)/);
  }
  const warnings = lines.map((l) => JSON.parse(l)).filter((l) => /root-absolute/.test(l.msg));
  assert.equal(warnings.length, 1, "warned once per path");
  assert.equal(warnings[0].served, "/anna-apps/notes-app/dev/assets/index-Bx3k.js");
  // without a Referer, the one app served is the one meant
  const bare = await app.request("/app.js", { headers: APPH });
  assert.match((await bare.json()).error.message, /\/anna-apps\/notes-app\/dev\/app\.js/);
  // the generated sidecar is no file on disk, yet is served under the bundle path
  await Deno.remove(join(t.dir, "notes-app", "bundle", "anna-tool-ids.js"));
  const sidecar = await app.request("/anna-tool-ids.js", { headers: { ...APPH, referer } });
  assert.match(
    (await sidecar.json()).error.message,
    /at \/anna-apps\/notes-app\/dev\/anna-tool-ids\.js/,
  );
  // a path that is no bundle file, and dot-segments, stay the plain 404
  for (const p of ["/assets/missing.js", "/.env", "/%2e%2e/manifest.json", "/"]) {
    const r = await app.request(p, { headers: { ...APPH, referer } });
    assert.equal(r.status, 404, p);
    assert.deepEqual(await r.json(), { error: { code: "not_found" } }, p);
  }
});

Deno.test("app origin: byte ranges of bundle files are answered 206, so media can seek", async () => {
  const { t, app, slug } = await setup();
  await using _t = t;
  const bytes = new Uint8Array(200_000).map((_, i) => i % 251);
  await Deno.writeFile(join(t.dir, "notes-app", "bundle", "clip.mp4"), bytes);
  const url = `/anna-apps/${slug}/dev/clip.mp4`;
  const get = (range?: string) => app.request(url, { headers: range ? { ...APPH, range } : APPH });

  const whole = await get();
  assert.equal(whole.status, 200);
  assert.equal(whole.headers.get("accept-ranges"), "bytes");
  await whole.body?.cancel();
  const cases: Array<[string, number, number]> = [
    ["bytes=0-", 0, 199_999], // what a <video> asks first
    ["bytes=100000-100009", 100_000, 100_009],
    ["bytes=199990-300000", 199_990, 199_999], // the end is cut to the file
    ["bytes=-16", 199_984, 199_999],
    ["bytes=123457-", 123_457, 199_999], // to the end from inside: more than one 64 KiB read
  ];
  for (const [range, first, last] of cases) {
    const r = await get(range);
    assert.equal(r.status, 206, range);
    assert.equal(r.headers.get("content-range"), `bytes ${first}-${last}/200000`, range);
    assert.equal(r.headers.get("content-length"), String(last - first + 1), range);
    assert.equal(r.headers.get("content-type"), "video/mp4");
    assert.ok(r.headers.get("content-security-policy"), "the CSP stays on a 206");
    assert.deepEqual(new Uint8Array(await r.arrayBuffer()), bytes.slice(first, last + 1), range);
  }
  const past = await get("bytes=200000-");
  assert.equal(past.status, 416);
  assert.equal(past.headers.get("content-range"), "bytes */200000");
  await past.body?.cancel();
  // forms a server may ignore: the whole file
  for (const range of ["bytes=0-1,5-9", "items=0-1", "bytes=9-2", "bytes=x"]) {
    const r = await get(range);
    assert.equal(r.status, 200, range);
    assert.equal(r.headers.get("content-length"), "200000", range);
    await r.body?.cancel();
  }
});

Deno.test("app origin: a page load of a path no file answers says there is no SPA fallback", async () => {
  const { t, app, slug } = await setup();
  await using _t = t;
  const route = `/anna-apps/${slug}/dev/settings/profile?wid=w&t=x`;
  for (const dest of ["iframe", "document"]) {
    const r = await app.request(route, { headers: { ...APPH, "sec-fetch-dest": dest } });
    assert.equal(r.status, 404, "still a 404: §11.7 has no SPA fallback");
    assert.ok(r.headers.get("content-security-policy"));
    assert.match(
      await r.text(),
      /without an SPA fallback .*route with the URL hash \(#\/settings\)/,
    );
  }
  // a missing script or image is no route: the short answer
  const script = await app.request(`/anna-apps/${slug}/dev/missing.js`, {
    headers: { ...APPH, "sec-fetch-dest": "script" },
  });
  assert.equal(script.status, 404);
  assert.equal(await script.text(), "not found");
});

Deno.test("app origin: the sidecar is generated and overrides a committed file", async () => {
  const { t, app, slug } = await setup();
  await using _t = t;
  await t.rt.executas.register([{
    tool_id: "tool-ghost-1",
    project_dir: t.dir,
    command: ["true"],
    type: "binary",
    env: {},
    handle: "ghost",
    app_slug: slug,
  }]);
  const r = await app.request(`/anna-apps/${slug}/dev/anna-tool-ids.js`, { headers: APPH });
  assert.equal(r.status, 200);
  assert.equal(r.headers.get("content-type"), "text/javascript; charset=utf-8");
  assert.equal(r.headers.get("cache-control"), "no-store");
  assert.equal(await r.text(), 'window.__ANNA_TOOL_IDS__ = {"ghost":"tool-ghost-1"};\n');
  // a bundle response like any other (§11.8, §11.7): the app's CSP and nosniff, on the 405 too
  const page = await app.request(`/anna-apps/${slug}/dev/`, { headers: APPH });
  await page.body?.cancel();
  const csp = page.headers.get("content-security-policy");
  assert.ok(csp);
  assert.equal(r.headers.get("content-security-policy"), csp);
  assert.equal(r.headers.get("x-content-type-options"), "nosniff");
  const post = await app.request(`/anna-apps/${slug}/dev/anna-tool-ids.js`, {
    method: "POST",
    headers: APPH,
  });
  assert.equal(post.status, 405);
  await post.body?.cancel();
  assert.equal(post.headers.get("content-security-policy"), csp);
  assert.equal(post.headers.get("x-content-type-options"), "nosniff");
  // any directory: the last segment decides
  const nested = await app.request(`/anna-apps/${slug}/dev/js/anna-tool-ids.js`, { headers: APPH });
  assert.equal(nested.status, 200);
  await nested.body?.cancel();
});

Deno.test("app origin: SDK paths pick the build by Sec-Fetch-Mode", async () => {
  const { t, app } = await setup();
  await using _t = t;
  const classic = await app.request("/static/anna-apps/_sdk/latest/index.js", {
    headers: { ...APPH, "sec-fetch-mode": "no-cors" },
  });
  assert.equal(classic.status, 200);
  assert.equal(classic.headers.get("vary"), "Sec-Fetch-Mode");
  assert.equal(classic.headers.get("cache-control"), "no-store");
  const classicText = await classic.text();
  const esm = await app.request("/static/anna-apps/_sdk/0.2.0a6/index.js", {
    headers: { ...APPH, "sec-fetch-mode": "cors" },
  });
  const esmText = await esm.text();
  assert.notEqual(classicText, esmText);
  assert.match(esmText, /export default/);
  const mjs = await app.request("/static/anna-apps/_sdk/1.2.3/index.mjs", { headers: APPH });
  assert.equal(await mjs.text(), esmText);
  const global = await app.request("/static/anna-apps/_sdk/latest/global.js", { headers: APPH });
  assert.equal(await global.text(), classicText);
  const bad = await app.request("/static/anna-apps/_sdk/not-a-version/index.js", { headers: APPH });
  assert.equal(bad.status, 404);
  await bad.body?.cancel();
});

Deno.test("app origin: CSP reports are stored (≤ 64 KiB) and listed on the main origin", async () => {
  const { t, ctx, app, slug } = await setup();
  await using _t = t;
  const report = {
    "csp-report": {
      "document-uri": `http://127.0.0.1:5181/anna-apps/${slug}/dev/index.html`,
      "violated-directive": "img-src",
    },
  };
  const r = await app.request("/_anna/csp-report", {
    method: "POST",
    headers: { ...APPH, origin: "null", "content-type": "application/csp-report" },
    body: JSON.stringify(report),
  });
  assert.equal(r.status, 204);
  const big = await app.request("/_anna/csp-report", {
    method: "POST",
    headers: APPH,
    body: JSON.stringify({ pad: "x".repeat(70 * 1024) }),
  });
  assert.equal(big.status, 413);
  await big.body?.cancel();

  const main = createMainApp(ctx);
  const list = await (await main.request("/api/csp-reports", { headers: AUTH })).json();
  assert.equal(list.reports.length, 1);
  assert.equal(list.reports[0].slug, slug);
  assert.deepEqual(list.reports[0].report, report);
  assert.ok(t.rt.log.entries().some((e) => e.type === "csp" && e.slug === slug));

  // reports naming apps this runtime does not serve share one bucket, capped like any other
  for (let i = 0; i < 205; i++) {
    const other = {
      "csp-report": { "document-uri": `http://127.0.0.1:5181/anna-apps/bogus${i}/dev/` },
    };
    const res = await app.request("/_anna/csp-report", {
      method: "POST",
      headers: APPH,
      body: JSON.stringify(other),
    });
    assert.equal(res.status, 204);
  }
  const after = await (await main.request("/api/csp-reports", { headers: AUTH })).json();
  const slugs = new Set(after.reports.map((r: { slug: string }) => r.slug));
  assert.deepEqual([...slugs].sort(), [slug, "unknown"].sort());
  assert.equal(after.reports.filter((r: { slug: string }) => r.slug === "unknown").length, 200);
});

Deno.test("app origin: a CSP report of exactly 64 KiB is stored; one byte more → 413", async () => {
  const { t, app } = await setup();
  await using _t = t;
  const post = (bytes: number) => {
    const body = JSON.stringify({ pad: "x".repeat(bytes - '{"pad":""}'.length) });
    assert.equal(new TextEncoder().encode(body).length, bytes);
    return app.request("/_anna/csp-report", { method: "POST", headers: APPH, body });
  };
  const atMax = await post(64 * 1024);
  assert.equal(atMax.status, 204);
  const over = await post(64 * 1024 + 1);
  assert.equal(over.status, 413);
  await over.body?.cancel();
});

Deno.test("app origin: an endless CSP report body is answered 413 once past 64 KiB, not read forever", async () => {
  const { t, app } = await setup();
  await using _t = t;
  let sent = 0;
  let cancelled = false;
  let stop = false;
  const chunk = new TextEncoder().encode("x".repeat(16 * 1024));
  const endless = new ReadableStream<Uint8Array>({
    async pull(c) {
      await new Promise((res) => setTimeout(res, 0)); // a client sending steadily
      if (stop) return c.close();
      sent += chunk.byteLength;
      c.enqueue(chunk);
    },
    cancel() {
      cancelled = true;
    },
  });
  let timer: ReturnType<typeof setTimeout> | undefined;
  const answer = app.request("/_anna/csp-report", { method: "POST", headers: APPH, body: endless });
  const r = await Promise.race([
    answer,
    new Promise<"hung">((res) => timer = setTimeout(() => res("hung"), 5000)),
  ]);
  clearTimeout(timer);
  if (r === "hung") {
    stop = true; // ends the body, so the request finishes before the test does
    await (await answer).body?.cancel();
    assert.fail(`no answer after ${sent} bytes`);
  }
  assert.equal(r.status, 413);
  assert.equal((await r.json()).error.code, "too_large");
  assert.ok(sent < 1024 * 1024, `read ${sent} bytes`);
  assert.ok(cancelled, "the body was cancelled");
});
