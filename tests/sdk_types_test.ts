/**
 * The SDK's TypeScript declarations (lib/sdk/src/index.d.ts + host_api.d.ts, embedded as one file
 * and served as `/static/anna-apps/_sdk/<ver>/index.d.ts`): the route and its headers, an app
 * written in TypeScript type-checks against what the app origin serves (Deno finds the file through
 * `X-TypeScript-Types`) while wrong calls fail, and every host method the dispatcher implements is
 * typed — a new method without a type fails here.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { SDK_TYPES } from "../lib/sdk/assets.gen.ts";
import { SDK_CORE } from "../lib/sdk/assets.gen.ts";
import { IMPLEMENTED } from "../lib/dispatcher/mod.ts";
import { windowHandlers } from "../lib/dispatcher/window.ts";
import { storageHandlers } from "../lib/dispatcher/storage.ts";
import { chatHandlers } from "../lib/dispatcher/chat.ts";
import { llmHandlers } from "../lib/dispatcher/llm.ts";
import { toolsHandlers } from "../lib/dispatcher/tools.ts";
import { jobsHandlers } from "../lib/dispatcher/jobs.ts";
import { HOST_METHODS, PROXY_NAMESPACES } from "./helpers/contract_values.ts";
import { runningServer } from "./helpers/server.ts";
import { tmpDir } from "./helpers/tmp.ts";

const FIXTURE = new URL("./fixtures/sdk-types-app/bundle/app.ts", import.meta.url);
const SDK_BASE = "/static/anna-apps/_sdk";
const DTS_TYPE = "application/typescript; charset=utf-8";

/** `deno check` in `dir` with no project config, its own cache, and plain output. */
async function denoCheck(dir: string, args: string[]): Promise<{ code: number; out: string }> {
  const r = await new Deno.Command(Deno.execPath(), {
    args: ["check", "--no-config", "--no-lock", ...args],
    cwd: dir,
    env: { DENO_DIR: join(dir, ".deno_dir"), NO_COLOR: "1" },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const dec = new TextDecoder();
  return { code: r.code, out: dec.decode(r.stdout) + dec.decode(r.stderr) };
}

Deno.test("types: index.d.ts is served for every <ver> alias; ESM responses point at it", async () => {
  await using s = await runningServer();
  const origin = s.server.appOrigin;
  for (const ver of ["latest", "0.2.0a6", "1.0.0-rc.1"]) {
    const dts = await fetch(`${origin}${SDK_BASE}/${ver}/index.d.ts`);
    assert.equal(dts.status, 200, ver);
    assert.equal(dts.headers.get("content-type"), DTS_TYPE);
    assert.equal(dts.headers.get("cache-control"), "no-store");
    assert.equal(dts.headers.get("x-content-type-options"), "nosniff");
    assert.equal(dts.headers.get("x-typescript-types"), null);
    assert.equal(dts.headers.get("vary"), null);
    assert.equal(await dts.text(), SDK_TYPES);

    // module requests (fetch is cors mode; import() too) get the ESM build and the types header,
    // whose relative URL lands on this alias's index.d.ts
    for (const file of ["index.js", "index.mjs"]) {
      const url = `${origin}${SDK_BASE}/${ver}/${file}`;
      const esm = await fetch(url, { headers: { "sec-fetch-mode": "cors" } });
      assert.equal(esm.status, 200);
      assert.match(await esm.text(), /export default AnnaAppRuntime/);
      const types = esm.headers.get("x-typescript-types");
      assert.equal(types, "./index.d.ts", url);
      assert.equal(new URL(types, url).href, `${origin}${SDK_BASE}/${ver}/index.d.ts`);
    }
    // classic builds are scripts, not modules: no types header
    const tag = await fetch(`${origin}${SDK_BASE}/${ver}/index.js`, {
      headers: { "sec-fetch-mode": "no-cors" },
    });
    const global = await fetch(`${origin}${SDK_BASE}/${ver}/global.js`);
    for (const r of [tag, global]) {
      assert.equal(r.headers.get("x-typescript-types"), null);
      assert.doesNotMatch(await r.text(), /^export /m);
    }
  }
  const head = await fetch(`${origin}${SDK_BASE}/latest/index.d.ts`, { method: "HEAD" });
  assert.equal(head.status, 200);
  assert.equal(
    head.headers.get("content-length"),
    String(new TextEncoder().encode(SDK_TYPES).length),
  );
  for (const bad of ["not-a-version/index.d.ts", "latest/global.d.ts", "latest/index.d.mts"]) {
    const r = await fetch(`${origin}${SDK_BASE}/${bad}`);
    assert.equal(r.status, 404, bad);
    await r.body?.cancel();
  }
  // never on the main origin (§11.1: the SDK lives on the app origin only)
  const main = await fetch(`${s.server.mainOrigin}${SDK_BASE}/latest/index.d.ts`);
  assert.equal(main.status, 404);
  await main.body?.cancel();
});

Deno.test("types: a TypeScript app checks against the served index.d.ts, and wrong calls fail", async () => {
  await using s = await runningServer();
  await using dir = await tmpDir();
  const origin = s.server.appOrigin;
  // the app imports the SDK by its served path, as examples/ apps do; the map points it at the server
  const map = { imports: { [`${SDK_BASE}/`]: `${origin}${SDK_BASE}/` } };
  await Deno.writeTextFile(join(dir.path, "import_map.json"), JSON.stringify(map));
  const source = await Deno.readTextFile(FIXTURE);
  await Deno.writeTextFile(join(dir.path, "app.ts"), source);
  const flags = ["--import-map", "import_map.json", `--allow-import=${new URL(origin).host}`];

  const ok = await denoCheck(dir.path, [...flags, "app.ts"]);
  assert.equal(ok.code, 0, ok.out);
  // the types came from the server, through the ESM response's X-TypeScript-Types
  assert.match(ok.out, /Download .*\/_sdk\/latest\/index\.d\.ts/, ok.out);

  // the same app with one `@ts-expect-error` removed: that call alone fails the check
  const wrong = source.replace("  // @ts-expect-error title must be a string\n", "");
  assert.notEqual(wrong, source, "the fixture has the set_title(42) case");
  await Deno.writeTextFile(join(dir.path, "wrong.ts"), wrong);
  const bad = await denoCheck(dir.path, [...flags, "wrong.ts"]);
  assert.equal(bad.code, 1, bad.out);
  assert.deepEqual(bad.out.match(/TS\d+/g), ["TS2345"], bad.out);
  assert.match(bad.out, /'number' is not assignable to parameter of type '\{ title: string; \}'/);
  assert.match(bad.out, /set_title\(42\)/);
});

/** Every `(ns, method)` the dispatcher answers: its handler tables, its `IMPLEMENTED` list, §5. */
function implementedMethods(): Map<string, Set<string>> {
  const out = new Map<string, Set<string>>();
  const add = (ns: string, methods: Iterable<string>) => {
    if (!out.has(ns)) out.set(ns, new Set());
    for (const m of methods) out.get(ns)!.add(m);
  };
  for (const [ns, methods] of Object.entries(IMPLEMENTED)) add(ns, methods);
  for (const [ns, methods] of Object.entries(HOST_METHODS)) add(ns, methods);
  const tables = [
    ["window", windowHandlers],
    ["storage", storageHandlers],
    ["chat", chatHandlers],
    ["llm", llmHandlers],
    ["tools", toolsHandlers],
    ["tools", jobsHandlers],
  ] as const;
  for (const [ns, table] of tables) add(ns, Object.keys(table));
  return out;
}

/** The proxy namespaces of the SDK source (sdk.js) and of §12.4. */
function proxyNamespaces(): string[] {
  const m = /const PROXY_NAMESPACES = \[([^\]]*)\]/.exec(SDK_CORE);
  assert.ok(m, "sdk.js declares PROXY_NAMESPACES");
  const inSdk = [...m[1].matchAll(/"([^"]+)"/g)].map((x) => x[1]);
  return [...new Set([...PROXY_NAMESPACES, ...inSdk])];
}

/**
 * A module that type-checks iff every method is typed on `HostMethods`, nothing more is, and the
 * runtime has a typed proxy per namespace.
 */
function coverageModule(methods: Map<string, Set<string>>, proxies: string[]): string {
  const lit = (xs: Iterable<string>) => [...xs].map((x) => JSON.stringify(x)).join(" | ");
  const lines = [
    'import type { AnnaRuntime, CallOptions, HostMethods } from "./index.d.ts";',
    "type Method = (args: never, opts?: CallOptions) => Promise<unknown>;",
    "type Typed<N extends keyof HostMethods, M extends keyof HostMethods[N]> =",
    "  HostMethods[N][M] extends Method ? true : { not_a_method: [N, M] };",
    "type Only<X> = [X] extends [never] ? true : { unexpected: X };",
    `export const namespaces: Only<Exclude<keyof HostMethods, ${lit(methods.keys())}>> = true;`,
  ];
  let i = 0;
  for (const [ns, set] of methods) {
    for (const m of set) {
      lines.push(
        `export const m${i++}: Typed<${JSON.stringify(ns)}, ${JSON.stringify(m)}> = true;`,
      );
    }
    lines.push(
      `export const only${i++}: Only<Exclude<keyof HostMethods[${JSON.stringify(ns)}], ${
        lit(set)
      }>> = true;`,
    );
  }
  for (const ns of proxies) {
    lines.push(`export type P${i++} = AnnaRuntime[${JSON.stringify(ns)}];`);
  }
  return lines.join("\n") + "\n";
}

Deno.test("types: every method the dispatcher implements is typed, and nothing more", async () => {
  await using dir = await tmpDir();
  await Deno.writeTextFile(join(dir.path, "index.d.ts"), SDK_TYPES);
  const methods = implementedMethods();
  assert.ok(methods.get("tools")!.has("invoke") && methods.get("window")!.has("set_title"));
  await Deno.writeTextFile(join(dir.path, "cover.ts"), coverageModule(methods, proxyNamespaces()));
  const ok = await denoCheck(dir.path, ["cover.ts"]);
  assert.equal(ok.code, 0, ok.out);

  // the check has teeth: a method added to the dispatcher without a type fails it, by name
  const more = implementedMethods();
  more.get("storage")!.add("watch_key");
  more.set("notes", new Set(["pin"]));
  await Deno.writeTextFile(join(dir.path, "untyped.ts"), coverageModule(more, ["clipboard"]));
  const bad = await denoCheck(dir.path, ["untyped.ts"]);
  assert.equal(bad.code, 1, bad.out);
  for (const name of ['"watch_key"', '"notes"', '"clipboard"']) assert.ok(bad.out.includes(name));

  // and so does a typed method that nothing implements
  const fewer = implementedMethods();
  fewer.get("chat")!.delete("read_history");
  await Deno.writeTextFile(join(dir.path, "extra.ts"), coverageModule(fewer, []));
  const extra = await denoCheck(dir.path, ["extra.ts"]);
  assert.equal(extra.code, 1, extra.out);
  assert.match(extra.out, /unexpected: "read_history"/);
});
