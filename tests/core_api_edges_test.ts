/**
 * The edges (CLI, HTTP server, smoke, the stdio transport) drive the Runtime through its methods
 * (`session`, `findWindow`, `watchCalls`, `replaceManifest`, `call`…), never through its session
 * manager or dispatcher: a path that reaches past the core API drifts from the one tests drive.
 * The bridge method table (lib/bridge/*_methods.ts) is the core API itself and may.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { fileURLToPath as fromFileUrl } from "node:url";
import { analyzeManifest } from "../lib/manifest/mod.ts";
import { makeRuntime } from "./helpers/runtime.ts";

const LIB = fromFileUrl(new URL("../lib/", import.meta.url));
const EDGES = ["cli", "server", "smoke", "bridge/stdio.ts"];
const REACH = /\b(?:rt|runtime)\.(sessions|dispatcher)\b/;

async function* tsFiles(path: string): AsyncGenerator<string> {
  const st = await Deno.stat(path);
  if (st.isFile) {
    if (path.endsWith(".ts")) yield path;
    return;
  }
  for await (const e of Deno.readDir(path)) yield* tsFiles(join(path, e.name));
}

Deno.test("no edge module reaches into the runtime's session manager or dispatcher", async () => {
  const found: string[] = [];
  let scanned = 0;
  for (const edge of EDGES) {
    for await (const file of tsFiles(join(LIB, edge))) {
      scanned++;
      const lines = (await Deno.readTextFile(file)).split("\n");
      lines.forEach((line, i) => {
        if (REACH.test(line)) found.push(`${file.slice(LIB.length)}:${i + 1}: ${line.trim()}`);
      });
    }
  }
  assert(scanned > 20, `scanned only ${scanned} edge files: the paths above moved`);
  assert.deepEqual(found, [], "use the Runtime's methods instead");
});

const MANIFEST = {
  schema: 2,
  ui: {
    bundle: { entry: "index.html" },
    views: [{ name: "main" }],
    host_api: { storage: ["get", "set"] },
  },
};

Deno.test("watchCalls sees a call start and end, and stops seeing calls once unwatched", async () => {
  await using h = await makeRuntime();
  const created = await h.call("session.create", { app_slug: "edge-api", manifest: MANIFEST }) as {
    session_id: string;
    window_uuid: string;
  };
  const seen: string[] = [];
  const unwatch = h.rt.watchCalls({
    start: (s) => seen.push(`start ${s.ns}.${s.method}`),
    end: (rec) => seen.push(`end ${rec.ns}.${rec.method} ${rec.outcome}`),
  });
  const set = () =>
    h.call("session.call", {
      session_id: created.session_id,
      window_uuid: created.window_uuid,
      ns: "storage",
      method: "set",
      args: { key: "k", value: 1 },
    });
  await set();
  unwatch();
  await set();
  assert.deepEqual(seen, ["start storage.set", "end storage.set ok"]);
});

Deno.test("session, findWindow and replaceManifest answer for open sessions only", async () => {
  await using h = await makeRuntime();
  const created = await h.call("session.create", { app_slug: "edge-api", manifest: MANIFEST }) as {
    session_id: string;
    window_uuid: string;
  };
  assert.deepEqual(h.rt.session(created.session_id)?.app_slug, "edge-api");
  assert.deepEqual(h.rt.findWindow(created.window_uuid)?.session.id, created.session_id);
  assert.deepEqual(h.rt.session("ses_nope"), undefined);

  const next = analyzeManifest({ ...MANIFEST, dev: { mocks: { "chat.write_message": {} } } });
  assert(next.manifest, "the test manifest is valid");
  const s = h.rt.replaceManifest(created.session_id, next.manifest, next.diagnostics);
  assert.deepEqual(s?.mocks.map((m) => `${m.ns}.${m.method}`), ["chat.write_message"]);
  assert.deepEqual(h.rt.replaceManifest("ses_nope", next.manifest, []), undefined);
});
