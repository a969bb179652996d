/** `validate --strict` bundle scan (CONTRACT §3.12) against the ACL (§5.2). */
import { fileURLToPath as fromFileUrl } from "node:url";
import assert from "node:assert/strict";
import { join } from "node:path";
import { analyzeManifest } from "../lib/manifest/mod.ts";
import { scanCallSites, strictScan } from "../lib/manifest/strict.ts";
import type { EffectiveManifest } from "../lib/manifest/types.ts";
import { type TmpDir, tmpDir } from "./helpers/tmp.ts";

const FIXTURE = fromFileUrl(new URL("./fixtures/apps/strict-app/", import.meta.url));

function manifestWith(hostApi: unknown, extra: Record<string, unknown> = {}): EffectiveManifest {
  const r = analyzeManifest({
    schema: 2,
    ...extra,
    ui: { views: [{ name: "main", title: "M" }], bundle: {}, host_api: hostApi },
  });
  assert.ok(r.manifest);
  return r.manifest;
}

/** A temp bundle folder holding these files, each given as its lines (joined by "\n"). */
async function bundleWith(files: Record<string, string[]>): Promise<TmpDir> {
  const tmp = await tmpDir();
  try {
    for (const [name, lines] of Object.entries(files)) {
      await Deno.writeTextFile(join(tmp.path, name), lines.join("\n"));
    }
    return tmp;
  } catch (e) {
    await tmp[Symbol.asyncDispose]();
    throw e;
  }
}

Deno.test("scanCallSites: .ns.method( (dotted apps.deck.* too) and call(\"ns\", 'method') forms, skipping node_modules and hidden dirs", async () => {
  const sites = await scanCallSites(join(FIXTURE, "bundle"));
  assert.deepEqual([...sites.keys()], [
    "storage.get",
    "window.set_title",
    "storage.set",
    "llm.complete",
    "apps.deck.add",
  ]);
  assert.deepEqual(sites.get("apps.deck.add"), [{ file: "js/app.js", line: 8 }]);
  assert.equal(sites.has("storage.get.call"), false, "a second segment only after a dotted prefix");
  assert.deepEqual(sites.get("storage.get"), [{ file: "js/app.js", line: 3 }]);
  assert.deepEqual(sites.get("storage.set"), [
    { file: "js/app.js", line: 5 },
    { file: "js/app.js", line: 7 },
  ]);
  assert.deepEqual(sites.get("llm.complete"), [{ file: "js/app.js", line: 6 }]);
  assert.equal(sites.has("fs.read"), false, "node_modules skipped");
  assert.equal(sites.has("fs.write"), false, "hidden directory skipped");
});

Deno.test("strictScan: one strict_ungranted_call per denied pair naming file:line", async () => {
  const diags = await strictScan(join(FIXTURE, "bundle"), manifestWith({ storage: ["get"] }), []);
  assert.deepEqual(diags.map((d) => [d.code, d.severity, d.path]), [
    ["strict_ungranted_call", "warning", "ui.host_api.storage"],
    ["strict_ungranted_call", "warning", "ui.host_api.llm"],
    ["strict_ungranted_call", "warning", "ui.host_api.apps"],
  ]);
  assert.match(diags[0].message, /^js\/app\.js:5: .*storage\.set.*1 more/);
  assert.match(diags[1].message, /^js\/app\.js:6: .*llm\.complete/);
  assert.match(diags[2].message, /^js\/app\.js:8: .*apps\.deck\.add/);
  assert.equal(diags[0].hint, 'add "set" to ui.host_api.storage');
  const all = await strictScan(
    join(FIXTURE, "bundle"),
    manifestWith({ storage: ["*"], llm: ["complete"], apps: ["deck.add"] }),
    [],
  );
  assert.deepEqual(all, []);
});

Deno.test("strictScan: tools.invoke sites need some granted tool; agent needs a session grant", async () => {
  await using tmp = await tmpDir();
  const dir = tmp.path;
  await Deno.writeTextFile(
    join(dir, "main.ts"),
    "rt.tools.invoke({tool_id: 'x'});\nrt.tools.list();\nrt.agent.startSession();\n",
  );
  const none = await strictScan(dir, manifestWith({}), []);
  assert.deepEqual(none.map((d) => d.path), ["ui.host_api.tools", "ui.host_api.agent"]);
  const granted = await strictScan(
    dir,
    manifestWith({ agent: { session: { auto: true } } }, {
      required_executas: [{ tool_id: "x" }],
    }),
    [],
  );
  assert.deepEqual(granted, []);
  assert.deepEqual(await strictScan(join(dir, "missing"), manifestWith({}), []), []);
});

Deno.test("scanCallSites: only .js .mjs .cjs .jsx .ts .tsx .html files of at most 5 MiB", async () => {
  await using tmp = await tmpDir();
  const dir = tmp.path;
  const write = (name: string, text: string) => Deno.writeTextFile(join(dir, name), text);
  const MiB5 = 5 * 1024 * 1024;
  await write("a.jsx", "rt.chat.write_message({})");
  await write("b.tsx", `call('storage', "get")`);
  await write("c.cjs", `call("llm",'embed')`);
  await write("d.mjs", "rt.web.search({})");
  await write("e.html", "<script>rt.prefs.get()</script>");
  await write("f.ts", "rt.apps.list()");
  await write("g.js", "rt.mobile.share()");
  await write("h.json", "rt.fs.read()");
  await write("i.css", "rt.fs.write()");
  await write("j.txt", "rt.image.edit()");
  const exact = "rt.image.generate()";
  await write("k.js", exact + " ".repeat(MiB5 - exact.length)); // exactly 5 MiB: scanned
  const over = "rt.upload.inline()";
  await write("l.js", over + " ".repeat(MiB5 - over.length + 1)); // one byte over: skipped
  const sites = await scanCallSites(dir);
  assert.deepEqual([...sites.keys()].sort(), [
    "apps.list",
    "chat.write_message",
    "image.generate",
    "llm.embed",
    "mobile.share",
    "prefs.get",
    "storage.get",
    "web.search",
  ]);
});

Deno.test("scanCallSites: the browser's navigator.storage / navigator.credentials are not host calls", async () => {
  await using tmp = await bundleWith({
    "app.js": [
      "const q = await navigator.storage.estimate();",
      "await navigator.credentials.get({ publicKey });",
      "window.navigator.storage.persist();",
      "myNavigator.storage.get('k');", // an app object that merely ends in the same letters
      "anna.storage.delete({ key: 'k' });",
      "const est = await navigator?.storage.estimate();", // optional chaining
      "const p = navigator",
      "  .storage.persisted();", // a formatter's line break
    ],
  });
  const dir = tmp.path;
  const sites = await scanCallSites(dir);
  assert.deepEqual([...sites.keys()].sort(), ["storage.delete", "storage.get"]);
  assert.deepEqual(sites.get("storage.get"), [{ file: "app.js", line: 4 }]);
});

Deno.test("scanCallSites: chains broken over lines, optional chaining, agent.session.* and backtick call() are call sites", async () => {
  await using tmp = await bundleWith({
    "app.js": [
      "await rt.storage", // 1: a formatter broke the chain
      "  .set({ key: 'a', value: 1 });",
      "await rt.llm?.complete({ messages: [] });", // 3
      "await rt", // 4
      "  .chat", // 5
      "  .write_message({ role: 'user', content: 'x' });",
      "rt.image.generate?.({ prompt: 'p' });", // 7
      "const s = await rt.agent.session.list({ limit: 5 });", // 8
      "rt.call(`upload`, `inline`, {});", // 9
      "rt.storage.get.call(rt.storage, {});", // 10: still not a method "get.call"
    ],
  });
  const dir = tmp.path;
  const sites = await scanCallSites(dir);
  assert.deepEqual(Object.fromEntries([...sites].map(([k, v]) => [k, v.map((s) => s.line)])), {
    "storage.set": [1],
    "llm.complete": [3],
    "chat.write_message": [5],
    "image.generate": [7],
    "agent.session.list": [8],
    "upload.inline": [9],
  });
  const diags = await strictScan(dir, manifestWith({ storage: ["set"], chat: ["*"] }), []);
  assert.deepEqual(diags.map((d) => d.message.split(":")[1]), ["3", "7", "8", "9"]);
  assert.match(diags[2].message, /agent\.session\.list/);
});

Deno.test("scanCallSites: calls in comments, strings, regexes and HTML prose are not call sites; code in ${…} and <script> is", async () => {
  await using tmp = await bundleWith({
    "app.js": [
      "// anna.llm.complete({ messages }) is not used here", // 1
      "/* rt.image.generate({ prompt }) */ rt.storage.get({ key: 'a' });", // 2: after the comment
      'const help = "call anna.web.search( to search"; // a quoted call', // 3
      "const re = /\\/\\/ rt.fs.read(/g, q = /'/; rt.chat.write_message({});", // 4
      "const half = total / 2; rt.prefs.get(); const third = n / 3;", // 5: divisions, not regexes
      "el.title = `uses rt.files.list() ${await rt.upload.inline({ a: `${x}` })} done`;", // 6
      "const t = 'unclosed; rt.mobile.share();", // 7: a stray quote is read as code
      "rt.call('llm', 'embed'); // rt.call('fs', 'write')", // 8
      "const s = \"rt.call('apps', 'get')\";", // 9: call() form inside a string literal counts
    ],
    "index.html": [
      "<!doctype html><p>Docs: anna.llm.stream() streams.</p>", // 1
      "<!-- <b>rt.artifact.create()</b> -->", // 2
      '<script type="module">', // 3
      "  await rt.storage.delete({ key: 'k' }); // not rt.storage.list()", // 4
      "</script><p>rt.web.fetch()</p>", // 5
    ],
  });
  const dir = tmp.path;
  const sites = await scanCallSites(dir);
  const got = Object.fromEntries(
    [...sites].map(([k, v]) => [k, v.map((s) => `${s.file}:${s.line}`)]),
  );
  assert.deepEqual(got, {
    "storage.get": ["app.js:2"],
    "chat.write_message": ["app.js:4"],
    "prefs.get": ["app.js:5"],
    "upload.inline": ["app.js:6"],
    "mobile.share": ["app.js:7"],
    "llm.embed": ["app.js:8"],
    "apps.get": ["app.js:9"],
    "storage.delete": ["index.html:4"],
  });
});

Deno.test("strictScan: array, promise and string methods on app values named like a namespace are not host calls", async () => {
  await using tmp = await bundleWith({
    "app.js": [
      "state.chat.push(msg);",
      "const ids = res.tools.map((t) => t.tool_id);",
      "input.files.forEach((f) => add(f));",
      "cache.storage.has('k');",
      "els.chat.appendChild(row); els.chat.scrollIntoView(); input.files.item(0);",
      "rt.storage.set({ key: 'k', value: 1 });", // a real call, still reported
      "await anna.storage.remove({ key: 'k' }); // a legacy name: still a (wrong) host call",
    ],
  });
  const dir = tmp.path;
  const diags = await strictScan(dir, manifestWith({ storage: ["get"] }), []);
  assert.deepEqual(diags.map((d) => d.message), [
    "app.js:6: the bundle calls storage.set but the manifest does not grant it",
    "app.js:7: the bundle calls storage.remove but the manifest does not grant it",
  ]);
  assert.equal(diags[0].hint, 'add "set" to ui.host_api.storage');
  // granting "remove" would not help: the hint says what was probably meant
  assert.match(
    diags[1].hint!,
    /^storage\.remove is not a host-API method; .*probably meant "delete"/,
  );
});

Deno.test("strictScan: storage.clear is reported with what to use instead, though clear is also a Map/Set method", async () => {
  await using tmp = await tmpDir();
  const dir = tmp.path;
  await Deno.writeTextFile(join(dir, "app.js"), "await rt.storage.clear();\n");
  const diags = await strictScan(dir, manifestWith({ storage: ["get"] }), []);
  assert.deepEqual(diags.map((d) => d.message), [
    "app.js:1: the bundle calls storage.clear but the manifest does not grant it",
  ]);
  assert.match(diags[0].hint!, /probably meant "list" and "delete"/);
});
