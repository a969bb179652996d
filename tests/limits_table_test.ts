/**
 * CONTRACT §15 "Limits and defaults": the values no other test pinned at their edge, each checked
 * where it takes effect (exactly at the limit accepted, one past refused) or, for a long timeout,
 * as the delay the code actually asks the timer for. The rest of the table is pinned next to the
 * feature it limits (see the tests named there).
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { analyzeManifest } from "../lib/manifest/mod.ts";
import type { ManifestResult } from "../lib/manifest/types.ts";
import { ControlTokenError, resolveControlToken } from "../lib/server/control_token.ts";
import { serverSettings } from "../lib/cli/server_launch.ts";
import { readFileTransport } from "../lib/executa/file_transport.ts";
import { handshake } from "../lib/executa/handshake.ts";
import type { ExecutaProcess, Reply } from "../lib/executa/process.ts";
import { RELOAD_DEBOUNCE_MS, watchApp } from "../lib/server/watch.ts";
import { fakeFrame } from "../lib/sdk/testing.ts";
import { silentLogger } from "../lib/util/log.ts";
import { runningServer, startTestServer, TOKEN } from "./helpers/server.ts";
import { makeRuntime, manifest, openSession } from "./helpers/runtime.ts";
import { waitUntil } from "./helpers/dev_process.ts";
import { tmpDir } from "./helpers/tmp.ts";
import { BridgeProcess } from "./helpers/bridge_process.ts";
import { CALL_TIMEOUT_MS } from "../lib/smoke/context.ts";
import { BOOT_TIMEOUT_MS, SETTLE_MS } from "../lib/smoke/browser.ts";
import { help as smokeHelp } from "../lib/cli/smoke.ts";
import { makePool, nodeSpec } from "./fixtures/executas/harness.ts";

const MiB = 1024 * 1024;

// ---- main port / app port / bind host: 5180 / main + 1 / 127.0.0.1 ----------------------------

Deno.test("§15 ports: no flags → bind 127.0.0.1, main port left to the default, app port to main + 1", () => {
  const s = serverSettings({}, undefined);
  assert.equal(s.bindHost, "127.0.0.1");
  assert.equal(s.port, undefined);
  assert.equal(s.appPort, undefined);
});

Deno.test("§15 ports: the default main port is 5180 and the app origin takes main + 1", async () => {
  const t = await makeRuntime({ mode: "serve" });
  // port and app port left to their defaults (5180 / main + 1)
  const server = startTestServer(t.rt, { port: undefined, appPort: undefined });
  try {
    const { mainPort, appPort } = server.config;
    // a busy default falls back to a free port with a warning naming the port it wanted (§11.1)
    if (mainPort !== 5180) assert.ok(server.warnings.includes(`port 5180 busy, using ${mainPort}`));
    if (appPort !== mainPort + 1) {
      assert.ok(server.warnings.includes(`port ${mainPort + 1} busy, using ${appPort}`));
    }
    assert.ok(server.warnings.every((w) => /^port \d+ busy, using \d+$/.test(w)));
  } finally {
    await t.rt.shutdown();
    await server.close();
    await t[Symbol.asyncDispose]();
  }
});

// ---- control token: 32 random bytes base64url; ANNA_APP_CONTROL_TOKEN ≥ 32 chars (§2.2) -------

Deno.test("§15 control token: 43 base64url chars (32 bytes); a fixed one of 32 chars passes, 31 is refused", () => {
  assert.match(resolveControlToken(undefined, false)!, /^[A-Za-z0-9_-]{43}$/);
  assert.equal(resolveControlToken("a".repeat(32), false), "a".repeat(32));
  assert.throws(
    () => resolveControlToken("a".repeat(31), false),
    (e: Error) =>
      e instanceof ControlTokenError && /at least 32 characters \(got 31\)/.test(e.message),
  );
});

// ---- file-transport file: 64 MiB ---------------------------------------------------------------

Deno.test("§15 file transport: a reply file of exactly 64 MiB is read; one byte more → frame_too_large", async () => {
  await using tmp = await tmpDir();
  const dir = tmp.path;
  const head = '{"jsonrpc":"2.0","id":1,"result":"';
  const tail = '"}';
  const pad = "x".repeat(64 * MiB - head.length - tail.length);
  const exact = join(dir, "exact.json");
  await Deno.writeTextFile(exact, head + pad + tail);
  assert.equal((await Deno.stat(exact)).size, 64 * MiB);
  const read = await readFileTransport(exact);
  assert.equal(read.kind, "response");

  const over = join(dir, "over.json");
  await Deno.writeTextFile(over, head + pad + "x" + tail);
  const refused = await readFileTransport(over);
  assert.deepEqual(refused, {
    kind: "frame_too_large",
    frame_bytes: 64 * MiB + 1,
    max_frame_bytes: 64 * MiB,
    path: over,
  });
});

// ---- /ws frame: 16 MiB over a real socket, no smaller ceiling ----------------------------------

Deno.test("§15 frames: a /ws frame of exactly 16 MiB is answered over a real socket; one byte more → frame_too_large", async () => {
  await using r = await runningServer();
  const ws = new WebSocket(`ws://127.0.0.1:${r.server.config.mainPort}/ws?ct=${TOKEN}`);
  const frames: string[] = [];
  ws.onmessage = (e) => frames.push(String(e.data));
  await new Promise<void>((resolve, reject) => {
    ws.onopen = () => resolve();
    ws.onerror = () => reject(new Error("websocket failed to open"));
  });
  try {
    const sized = (id: number, bytes: number) => {
      const base = JSON.stringify({
        jsonrpc: "2.0",
        id,
        method: "runtime.info",
        params: { p: "" },
      });
      return JSON.stringify({
        jsonrpc: "2.0",
        id,
        method: "runtime.info",
        params: { p: "x".repeat(bytes - base.length) },
      });
    };
    ws.send(sized(1, 16 * MiB));
    await waitUntil("the answer to the 16 MiB frame", () => frames.length === 1, 20_000, 20);
    assert.equal(JSON.parse(frames[0]).id, 1);
    ws.send(sized(2, 16 * MiB + 1));
    await waitUntil("the answer to the 16 MiB + 1 frame", () => frames.length === 2, 20_000, 20);
    const e = JSON.parse(frames[1]);
    assert.equal(e.id, null);
    assert.deepEqual(e.error.data, {
      code: "frame_too_large",
      frame_bytes: 16 * MiB + 1,
      max_frame_bytes: 16_777_216,
    });
  } finally {
    const closed = new Promise((r) => (ws.onclose = r));
    ws.close();
    await closed;
  }
});

Deno.test("§15 frames: a bridge stdin line of exactly 16 MiB is answered; one byte more → frame_too_large", async () => {
  await using b = new BridgeProcess();
  const sized = (id: number, bytes: number) => {
    const base = JSON.stringify({ jsonrpc: "2.0", id, method: "runtime.info", params: { p: "" } });
    return JSON.stringify({
      jsonrpc: "2.0",
      id,
      method: "runtime.info",
      params: { p: "x".repeat(bytes - base.length) },
    });
  };
  let line = b.nextLine();
  await b.writeRaw(sized(1, 16 * MiB) + "\n");
  assert.equal(JSON.parse(await line).id, 1);
  // the CR of a CRLF ending is not part of the frame (§4.1)
  line = b.nextLine();
  await b.writeRaw(sized(3, 16 * MiB) + "\r\n");
  assert.equal(JSON.parse(await line).id, 3);
  line = b.nextLine();
  await b.writeRaw(sized(2, 16 * MiB + 1) + "\n");
  const e = JSON.parse(await line);
  assert.equal(e.id, null);
  assert.deepEqual(e.error.data, {
    code: "frame_too_large",
    frame_bytes: 16 * MiB + 1,
    max_frame_bytes: 16_777_216,
  });
});

// ---- events per session: 10 000 events and 64 MiB ---------------------------------------------

Deno.test("§15 events: a session's ring holds exactly 10 000 events; the 10 001st evicts the oldest", async () => {
  await using t = await makeRuntime();
  const s = await openSession(t, manifest({ storage: ["get"] }));
  const q = t.rt.sessions.get(s.session_id)!.events;
  assert.equal(q.firstRetainedSeq, 1);
  for (let i = q.retained; i < 10_000; i++) q.push("k", null, null, { i });
  assert.equal(q.retained, 10_000);
  assert.equal(q.firstRetainedSeq, 1, "exactly at the cap: nothing evicted");
  q.push("k", null, null, { i: "one more" });
  assert.equal(q.retained, 10_000);
  assert.equal(q.firstRetainedSeq, 2, "one past the cap: the oldest goes");
});

Deno.test("§15 events: a session's ring holds exactly 64 MiB of events; one event more evicts the oldest", async () => {
  await using t = await makeRuntime();
  const s = await openSession(t, manifest({ storage: ["get"] }));
  const q = t.rt.sessions.get(s.session_id)!.events;
  const before = q.retainedBytes;
  q.push("k", null, null, { blob: "" });
  const empty = q.retainedBytes - before; // an event whose blob is "": every byte but the blob's
  const fill = 64 * MiB - q.retainedBytes - empty;
  q.push("k", null, null, { blob: "x".repeat(fill) });
  assert.equal(q.retainedBytes, 64 * MiB);
  assert.equal(q.firstRetainedSeq, 1, "exactly at the cap: nothing evicted");
  q.push("k", null, null, { blob: "" });
  assert.ok(q.firstRetainedSeq > 1, "past the cap: the oldest goes");
  assert.ok(q.retainedBytes <= 64 * MiB);
});

// ---- views: 1..16 (more = warning) / sizes 120..4096 px; prefix template 500 chars -------------

// deno-lint-ignore no-explicit-any
type Json = any;
function analyze(edit: (m: Json) => void): ManifestResult {
  const raw: Json = { schema: 2, ui: { bundle: {}, views: [{ name: "main", title: "M" }] } };
  edit(raw);
  return analyzeManifest(raw);
}
const where = (r: ManifestResult) => r.diagnostics.map((d) => `${d.code}@${d.path}`);

Deno.test("§15 views: exactly 16 views raise no warning (17 do: manifest_warnings_test)", () => {
  const r = analyze((m) => {
    m.ui.views = Array.from({ length: 16 }, (_, i) => ({ name: `v${i}`, title: `V${i}` }));
  });
  assert.deepEqual(where(r), []);
  assert.equal(r.manifest!.ui.views.length, 16);
});

Deno.test("§15 view sizes: 120 and 4096 px are kept as given; 119 and 4097 are clamped with view_size", () => {
  const edges = analyze((m) => {
    m.ui.views = [{
      name: "a",
      title: "A",
      min_size: { w: 120, h: 120 },
      default_size: { w: 4096, h: 120 },
      max_size: { w: 4096, h: 4096 },
    }];
  });
  assert.deepEqual(where(edges), []);
  const v = edges.manifest!.ui.views[0];
  assert.deepEqual([v.min_size, v.default_size, v.max_size], [
    { w: 120, h: 120 },
    { w: 4096, h: 120 },
    { w: 4096, h: 4096 },
  ]);
  const past = analyze((m) => {
    m.ui.views = [{
      name: "a",
      title: "A",
      min_size: { w: 119, h: 120 },
      max_size: { w: 4097, h: 4096 },
    }];
  });
  assert.deepEqual(where(past), [
    "view_size@ui.views[0].min_size",
    "view_size@ui.views[0].max_size",
  ]);
  assert.deepEqual(past.manifest!.ui.views[0].min_size, { w: 120, h: 120 });
  assert.deepEqual(past.manifest!.ui.views[0].max_size, { w: 4096, h: 4096 });
});

Deno.test("§15 manifest texts: a prefix template of exactly 500 chars passes, 501 → text_too_long", () => {
  const tpl = (n: number) => "{user_message}" + "x".repeat(n - "{user_message}".length);
  assert.deepEqual(where(analyze((m) => (m.user_message_prefix_template = tpl(500)))), []);
  assert.deepEqual(where(analyze((m) => (m.user_message_prefix_template = tpl(501)))), [
    "text_too_long@user_message_prefix_template",
  ]);
});

// ---- executa initialize / first describe: 5 s / 60 s -------------------------------------------

Deno.test("§15 executa handshake: initialize waits 5 s, then describe 60 s (timers observed, not slept)", async () => {
  const never = new Promise<Reply>(() => {});
  const sent: string[] = [];
  const proc = {
    pid: 1,
    exitInfo: null,
    request(method: string) {
      sent.push(method);
      return { id: sent.length, reply: never };
    },
    abandon() {},
    stdoutDiagnosis: () => ({
      ignored: { count: 0, first: "" },
      stray: { count: 0, first: "" },
      partial: { bytes: 0, head: "" },
    }),
  } as unknown as ExecutaProcess;
  const real = globalThis.setTimeout;
  const asked: number[] = [];
  // every timer fires at once, so the handshake runs through both timeouts without waiting
  globalThis.setTimeout = ((fn: () => void, ms?: number) => {
    asked.push(ms ?? 0);
    return real(fn, 0);
  }) as typeof setTimeout;
  let r;
  try {
    r = await handshake(proc, "tool-x", "0.0.0", silentLogger(), () => {});
  } finally {
    globalThis.setTimeout = real;
  }
  assert.deepEqual(sent, ["initialize", "describe"]);
  assert.deepEqual(asked, [5_000, 60_000]);
  assert.ok(r.ok);
  assert.equal(r.initialize_late, true);
  assert.equal(r.protocol, "v1");
  assert.deepEqual(r.describe_error, {
    code: "timeout",
    message: "describe did not answer within 60 s",
  });
});

// ---- executa stderr: lines cut at 8 KiB ---------------------------------------------------------

Deno.test("§15 executa stderr: a line of exactly 8192 bytes is kept whole, 8193 is cut to 8192", async () => {
  const { pool } = makePool();
  await pool.register([nodeSpec("talker")]);
  try {
    const r = await pool.invoke("talker", "crash", {
      code: 5,
      stderr: ["a".repeat(8192), "b".repeat(8193)],
    }, {});
    if (r.ok) throw new Error("the crash answered ok");
    const tail = r.error.details?.stderr_tail as string[];
    assert.deepEqual(tail.slice(-2), ["a".repeat(8192), "b".repeat(8192)]);
  } finally {
    await pool.shutdown();
  }
});

// ---- executa stdout frame: 16 MiB, no smaller ceiling --------------------------------------------

Deno.test("§15 executa stdout: a reply line of exactly 16 MiB is read (then over the 4 MiB result limit); one byte more → frame_too_large", async () => {
  const { pool } = makePool();
  await pool.register([nodeSpec("frames")]);
  const huge = async (bytes: number) => {
    const r = await pool.invoke("frames", "huge", { bytes }, {});
    if (r.ok) throw new Error("a 16 MiB reply answered ok");
    return r.error;
  };
  try {
    // the line's bytes besides the payload: the same for every single-digit reply id
    const probe = await huge(16 * MiB);
    assert.equal(probe.code, "frame_too_large");
    const overhead = (probe.details!.frame_bytes as number) - 16 * MiB;
    const exact = await huge(16 * MiB - overhead);
    assert.equal(exact.code, "result_too_large", "the line itself was accepted");
    const over = await huge(16 * MiB - overhead + 1);
    assert.equal(over.code, "frame_too_large");
    assert.equal(over.details!.frame_bytes, 16 * MiB + 1);
    assert.equal(over.details!.max_frame_bytes, 16_777_216);
  } finally {
    await pool.shutdown();
  }
});

// ---- SDK connect timeout: 10 s ------------------------------------------------------------------

Deno.test("§15 SDK: connect() without timeoutMs waits 10 s for the hello answer", async () => {
  const f = fakeFrame();
  const rt = await f.sdk.connect();
  assert.equal(f.delays[0], 10_000);
  rt.disconnect();
});

// ---- live-reload debounce: 150 ms ---------------------------------------------------------------

Deno.test("§15 live reload: a change is reported no sooner than the 150 ms debounce", async () => {
  assert.equal(RELOAD_DEBOUNCE_MS, 150);
  await using dir = await tmpDir();
  const bundle = join(dir.path, "bundle");
  await Deno.mkdir(bundle);
  await Deno.writeTextFile(join(dir.path, "manifest.json"), "{}");
  const reports: number[] = [];
  const w = await watchApp({
    bundleDir: bundle,
    manifestPath: join(dir.path, "manifest.json"),
    appJsonPath: join(dir.path, "app.json"),
    logger: silentLogger(),
    onBundle: () => void reports.push(performance.now()),
    onManifest: () => {},
  });
  try {
    const t0 = performance.now();
    await Deno.writeTextFile(join(bundle, "a.js"), "x");
    await waitUntil("a reload report", () => reports.length > 0, 5000, 10);
    const waited = reports[0] - t0;
    assert.ok(waited >= 150, `reported after ${waited.toFixed(1)} ms`);
  } finally {
    w.close();
  }
});

// ---- smoke: call timeout 120 000 ms; browser boot 20 s + 1 s settle ------------------------------

Deno.test("§15 smoke: the call timeout default (help and run share it) is 120 000 ms; boot 20 s + 1 s settle", () => {
  // too long to wait for in a test: the constants the runner and the browser check read
  assert.equal(CALL_TIMEOUT_MS, 120_000);
  assert.match(smokeHelp, /--call-timeout-ms N .*\(default 120000\)/);
  assert.equal(BOOT_TIMEOUT_MS, 20_000);
  assert.equal(SETTLE_MS, 1_000);
});
