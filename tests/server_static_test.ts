/** Static bundle serving (CONTRACT §11.7): path attacks, index.html, types, methods, headers. */
import assert from "node:assert/strict";
import { Hono } from "hono";
import { join } from "node:path";
import {
  contentTypeFor,
  rawAfterSegments,
  rawPathOf,
  safeSegments,
  serveBundleFile,
} from "../lib/server/static.ts";
import { tmpDir } from "./helpers/tmp.ts";

async function fixture() {
  const tmp = await tmpDir("static");
  const base = tmp.path;
  const root = join(base, "bundle");
  await Deno.mkdir(join(root, "sub"), { recursive: true });
  await Deno.writeTextFile(join(root, "index.html"), "<h1>root</h1>");
  await Deno.writeTextFile(join(root, "app.js"), "console.log(1)");
  await Deno.writeTextFile(join(root, "sub", "index.html"), "<h1>sub</h1>");
  await Deno.writeTextFile(join(root, "a b.txt"), "space");
  await Deno.writeTextFile(join(root, ".env"), "SECRET=1");
  await Deno.writeFile(join(root, "logo.png"), new Uint8Array([137, 80, 78, 71]));
  await Deno.writeTextFile(join(base, "secret.txt"), "outside");
  await Deno.symlink(join(base, "secret.txt"), join(root, "leak.txt"));
  await Deno.symlink(base, join(root, "up"));
  await Deno.symlink(join(root, "app.js"), join(root, "alias.js"));
  // the same file under another name that hides the dot (a symlink here; an 8.3 name on Windows)
  await Deno.symlink(join(root, ".env"), join(root, "env.txt"));
  return { base, root, [Symbol.asyncDispose]: tmp[Symbol.asyncDispose] };
}

function bundleApp(root: string) {
  const app = new Hono();
  app.all("/anna-apps/:slug/dev/*", (c) => {
    const rel = rawAfterSegments(rawPathOf(c.req.url), 3) ?? "";
    return serveBundleFile(root, rel, c.req.method, {
      "Content-Security-Policy": "default-src 'none'",
    });
  });
  return app;
}

/** Sends a raw request line over a socket so the path reaches the server undecoded. */
async function rawGet(port: number, path: string): Promise<number> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  await conn.write(
    new TextEncoder().encode(
      `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nConnection: close\r\n\r\n`,
    ),
  );
  let text = "";
  const buf = new Uint8Array(8192);
  for (let n = await conn.read(buf); n !== null; n = await conn.read(buf)) {
    text += new TextDecoder().decode(buf.subarray(0, n));
  }
  conn.close();
  return Number(text.split(" ")[1]);
}

Deno.test("static: safeSegments decodes once and rejects every traversal form", () => {
  assert.deepEqual(safeSegments(""), ["index.html"]);
  assert.deepEqual(safeSegments("sub/"), ["sub", "index.html"]);
  assert.deepEqual(safeSegments("a%20b.txt"), ["a b.txt"]);
  // empty segments are not among §11.7's refusals: `a//b` is `a/b`
  assert.deepEqual(safeSegments("sub//app.js"), ["sub", "app.js"]);
  assert.deepEqual(safeSegments("sub//"), ["sub", "index.html"]);
  assert.deepEqual(safeSegments("%2fapp.js"), ["app.js"]);
  // double encoding is decoded once only: `%252e%252e` stays a literal (missing) file name
  assert.deepEqual(safeSegments("%252e%252e/x"), ["%2e%2e", "x"]);
  for (
    const bad of [
      "..",
      "../x",
      "%2e%2e/x",
      "%2E%2E%2Fsecret.txt",
      "..%2Fsecret.txt",
      "sub/%2e%2e/%2e%2e/secret.txt",
      ".",
      "./app.js",
      "%2e/app.js",
      ".env",
      "sub/.git/config",
      "a\\..\\b",
      "%5c..%5csecret.txt",
      "app.js%00.png",
      "%00",
      "%E0%A4%A",
      "%",
      "%zz",
    ]
  ) {
    assert.equal(safeSegments(bad), null, bad);
  }
});

Deno.test("static: files, index.html, types, headers and methods", async () => {
  await using fx = await fixture();
  const { root } = fx;
  const app = bundleApp(root);
  const idx = await app.request("/anna-apps/x/dev/");
  assert.equal(idx.status, 200);
  assert.equal(await idx.text(), "<h1>root</h1>");
  assert.equal(idx.headers.get("content-type"), "text/html; charset=utf-8");
  assert.equal(idx.headers.get("x-content-type-options"), "nosniff");
  assert.equal(idx.headers.get("cache-control"), "no-store");
  assert.equal(idx.headers.get("content-security-policy"), "default-src 'none'");

  assert.equal(await (await app.request("/anna-apps/x/dev/sub/")).text(), "<h1>sub</h1>");
  const js = await app.request("/anna-apps/x/dev/app.js");
  assert.equal(js.headers.get("content-type"), "text/javascript; charset=utf-8");
  assert.equal(await js.text(), "console.log(1)");
  const png = await app.request("/anna-apps/x/dev/logo.png");
  assert.equal(png.headers.get("content-type"), "image/png");
  await png.body?.cancel();
  assert.equal(await (await app.request("/anna-apps/x/dev/a%20b.txt")).text(), "space");
  // a symlink that stays inside the bundle is fine
  assert.equal(await (await app.request("/anna-apps/x/dev/alias.js")).text(), "console.log(1)");

  const head = await app.request("/anna-apps/x/dev/app.js", { method: "HEAD" });
  assert.equal(head.status, 200);
  assert.equal(head.headers.get("content-length"), "14");
  assert.equal(await head.text(), "");

  const post = await app.request("/anna-apps/x/dev/app.js", { method: "POST" });
  assert.equal(post.status, 405);
  await post.body?.cancel();

  for (
    const p of [
      "/anna-apps/x/dev/missing.js",
      "/anna-apps/x/dev/sub", // a directory without the trailing slash: no fallback
      "/anna-apps/x/dev/.env",
      "/anna-apps/x/dev/env.txt", // another name for .env: the real path counts too
      "/anna-apps/x/dev/leak.txt", // symlink to a file outside the root
      "/anna-apps/x/dev/up/secret.txt", // symlinked directory leading outside
      "/anna-apps/x/dev/..%2Fsecret.txt", // encoded slash
      "/anna-apps/x/dev/%5c..%5csecret.txt",
      "/anna-apps/x/dev/app.js%00",
      "/anna-apps/x/dev/%E0%A4%A",
      "/anna-apps/x/dev/nested/route", // no SPA fallback
    ]
  ) {
    const r = await app.request(p);
    assert.equal(r.status, 404, p);
    assert.equal(r.headers.get("x-content-type-options"), "nosniff");
    await r.body?.cancel();
  }
});

Deno.test("static: raw dot-segments over a real socket never escape the root", async () => {
  await using fx = await fixture();
  const { root } = fx;
  const app = bundleApp(root);
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, app.fetch);
  try {
    const port = server.addr.port;
    assert.equal(await rawGet(port, "/anna-apps/x/dev/app.js"), 200);
    assert.equal(
      await rawGet(port, "/anna-apps/x/dev//app.js"),
      200,
      "an empty segment is skipped",
    );
    for (
      const p of [
        "/anna-apps/x/dev/../secret.txt",
        "/anna-apps/x/dev/%2e%2e/secret.txt",
        "/anna-apps/x/dev/%2E%2e/%2e%2E/secret.txt",
        "/anna-apps/x/dev/sub/../../secret.txt",
        "/anna-apps/x/dev/./app.js",
        "/anna-apps/x/dev/.%2e/secret.txt",
      ]
    ) {
      assert.equal(await rawGet(port, p), 404, p);
    }
  } finally {
    await server.shutdown();
  }
});

Deno.test("static: content types", () => {
  const cases: Record<string, string> = {
    // every row of §11.7's table
    "a.html": "text/html; charset=utf-8",
    "a.js": "text/javascript; charset=utf-8",
    "a.mjs": "text/javascript; charset=utf-8",
    "a.cjs": "text/javascript; charset=utf-8",
    "a.css": "text/css; charset=utf-8",
    "a.json": "application/json; charset=utf-8",
    "a.map": "application/json; charset=utf-8",
    "a.svg": "image/svg+xml",
    "a.png": "image/png",
    "a.jpg": "image/jpeg",
    "a.jpeg": "image/jpeg",
    "a.gif": "image/gif",
    "a.webp": "image/webp",
    "a.avif": "image/avif",
    "a.ico": "image/x-icon",
    "a.woff": "font/woff",
    "a.woff2": "font/woff2",
    "a.ttf": "font/ttf",
    "a.otf": "font/otf",
    "a.wasm": "application/wasm",
    "a.txt": "text/plain; charset=utf-8",
    "a.md": "text/plain; charset=utf-8",
    "a.mp3": "audio/mpeg",
    "a.wav": "audio/wav",
    "a.mp4": "video/mp4",
    "a.webm": "video/webm",
    "a.JPG": "image/jpeg",
    "a.bin": "application/octet-stream",
    "a.htm": "application/octet-stream", // only `html` is listed as text/html
    "noext": "application/octet-stream",
  };
  for (const [name, type] of Object.entries(cases)) assert.equal(contentTypeFor(name), type, name);
  assert.equal(rawPathOf("http://h:1/a/b%2F?x=/y#z"), "/a/b%2F");
  assert.equal(rawAfterSegments("/anna-apps/s/dev", 3), null);
});

Deno.test("static: a name in the other Unicode normal form (NFC vs NFD) stays a 404 that names the file", async () => {
  await using fx = await fixture();
  const { root } = fx;
  const nfc = "caf\u00e9";
  const nfd = "cafe\u0301";
  // a bundle unpacked from a macOS archive: NFD names on disk, NFC in the HTML that refers to them
  await Deno.mkdir(join(root, `${nfd} dir`));
  await Deno.writeTextFile(join(root, `${nfd} dir`, `${nfd}.js`), "nfd");
  await Deno.writeTextFile(join(root, `${nfc}.css`), "nfc");
  // both spellings present (distinct files on Linux): each answers its own exact name
  await Deno.writeTextFile(join(root, `${nfc}.txt`), "composed");
  await Deno.writeTextFile(join(root, `${nfd}.txt`), "decomposed");
  await Deno.writeTextFile(join(root, `.${nfd}`), "hidden");
  const app = bundleApp(root);
  const get = async (name: string) => {
    const r = await app.request(`/anna-apps/x/dev/${encodeURI(name)}`);
    return `${r.status} ${await r.text()}`;
  };
  // exact names are served; the other form is not (a host serving names exactly would not
  // either), and the 404 says which file is meant and what to rename
  assert.equal(await get(`${nfd} dir/${nfd}.js`), "200 nfd");
  const miss = await get(`${nfc} dir/${nfc}.js`);
  assert.match(miss, /^404 /);
  assert.ok(miss.includes(`'${nfd} dir/${nfd}.js'`), miss);
  assert.match(miss, /Unicode normal form .*rename/s);
  assert.match(await get(`${nfd}.css`), new RegExp(`^404 .*'${nfc}\\.css'`, "s"));
  assert.equal(await get(`${nfc}.txt`), "200 composed");
  assert.equal(await get(`${nfd}.txt`), "200 decomposed");
  // a dot-file is not named, under any spelling
  assert.equal(await get(`.${nfc}`), "404 not found");
  assert.equal(await get(`${nfc}.png`), "404 not found");
});
