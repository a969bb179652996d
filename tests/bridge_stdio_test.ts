/**
 * The real `main.ts bridge` over pipes: framing, notifications, batches, concurrency and the
 * bridge-level errors of CONTRACT §4.1–§4.3.
 */
import assert from "node:assert/strict";
import { BridgeProcess, denoDirEnv, MAIN_TS, REPO_ROOT } from "./helpers/bridge_process.ts";
import { VIEW_META_DEFAULTS } from "./helpers/contract_values.ts";
import { tmpDir } from "./helpers/tmp.ts";

const MANIFEST = {
  schema: 2,
  ui: {
    bundle: { entry: "index.html" },
    views: [{ name: "main", title: "Notes" }],
    host_api: { storage: ["get", "set"] },
  },
};

Deno.test("bridge: the §4.6 example exchange, byte for byte in shape", async () => {
  await using b = new BridgeProcess();
  const created = await b.call("session.create", { app_slug: "notes-demo", manifest: MANIFEST });
  assert.match(created.session_id as string, /^ses_[0-9a-f]{32}$/);
  assert.match(created.token as string, /^dev1\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/);
  assert.deepEqual(created.view_meta, {
    name: "main",
    title: "Notes",
    entry: "index.html",
    ...VIEW_META_DEFAULTS,
  });
  assert.equal(created.view, "main");
  assert.equal(created.user_id, 1);
  assert.deepEqual(created.warnings, []);
  const sid = created.session_id;
  const set = await b.request("session.call", {
    session_id: sid,
    ns: "storage",
    method: "set",
    args: { key: "draft", value: "v1" },
  });
  assert.deepEqual(set, { jsonrpc: "2.0", id: set.id, result: { ok: true, result: { ok: true } } });
  const denied = await b.call("session.call", {
    session_id: sid,
    ns: "fs",
    method: "read",
    args: { path: "notes.txt" },
  });
  assert.deepEqual(denied, {
    ok: false,
    error: {
      code: "permission_denied",
      message: "manifest does not grant 'fs.read'",
      details: { ns: "fs", method: "read" },
    },
  });
  const drained = await b.call("session.drain_events", { session_id: sid });
  assert.equal(drained.dropped, 0);
  assert.equal(drained.more, false);
  const [ev] = drained.events as Record<string, unknown>[];
  assert.equal(ev.kind, "runtime_state_synced");
  assert.equal(ev.window_uuid, created.window_uuid);
  assert.equal(ev.by_client_id, created.window_uuid);
  assert.equal(ev.app_id, "notes-demo");
  assert.equal(ev.seq, 1);
  assert.deepEqual(ev.payload, { runtime_state: { draft: "v1" } });
  await b.writeRaw("{not json\n");
  const parse = JSON.parse(await b.nextLine());
  assert.equal(parse.id, null);
  assert.equal(parse.error.code, -32700);
  assert.equal(parse.error.message, "parse_error");
  assert.equal(typeof parse.error.data.detail, "string");
});

Deno.test("bridge: notifications are never answered, even on error; batches answer in element order", async () => {
  await using b = new BridgeProcess();
  await b.writeRaw(JSON.stringify({ jsonrpc: "2.0", method: "no.such.method" }) + "\n");
  await b.writeRaw(JSON.stringify({ jsonrpc: "2.0", method: "runtime.info" }) + "\n");
  const batch = [
    { jsonrpc: "2.0", id: "b1", method: "runtime.info" },
    { jsonrpc: "2.0", method: "runtime.info" },
    { jsonrpc: "2.0", id: "b2", method: "nope" },
    { jsonrpc: "2.0", id: "b3", method: "session.list" },
  ];
  const line = b.nextLine();
  await b.writeRaw(JSON.stringify(batch) + "\n");
  const res = JSON.parse(await line);
  assert.ok(Array.isArray(res));
  assert.deepEqual(res.map((r: { id: string }) => r.id), ["b1", "b2", "b3"]);
  assert.equal(res[0].result.name, "anna-app-runtime");
  assert.deepEqual(res[1].error, {
    code: -32601,
    message: "method_not_found",
    data: { method: "nope" },
  });
  assert.deepEqual(res[2].result, { sessions: [] });
  // a batch of only notifications sends nothing; the next answer is the next request's
  await b.writeRaw(JSON.stringify([{ jsonrpc: "2.0", method: "runtime.info" }]) + "\n");
  const after = await b.request("session.list", {}, "after");
  assert.equal(after.id, "after");
  assert.equal(b.stdoutLines.length, 2);
});

Deno.test("bridge: empty batch, invalid requests, params array, unknown session", async () => {
  await using b = new BridgeProcess();
  let line = b.nextLine();
  await b.writeRaw("[]\n");
  assert.deepEqual(JSON.parse(await line).error.code, -32600);
  line = b.nextLine();
  await b.writeRaw(JSON.stringify({ jsonrpc: "1.0", id: 5, method: "runtime.info" }) + "\n");
  const r1 = JSON.parse(await line);
  assert.equal(r1.id, 5);
  assert.equal(r1.error.code, -32600);
  assert.equal(r1.error.message, "invalid_request");
  line = b.nextLine();
  await b.writeRaw(JSON.stringify({ jsonrpc: "2.0", id: 6, method: 42 }) + "\n");
  assert.equal(JSON.parse(await line).error.code, -32600);
  // §4.2: an id is a string, a number or null; anything else is not a request
  for (const id of [true, { a: 1 }, [1]]) {
    line = b.nextLine();
    await b.writeRaw(JSON.stringify({ jsonrpc: "2.0", id, method: "session.list" }) + "\n");
    const r = JSON.parse(await line);
    assert.equal(r.error.code, -32600, JSON.stringify(id));
    assert.equal(r.id, null);
  }
  line = b.nextLine();
  await b.writeRaw(JSON.stringify({ jsonrpc: "2.0", id: null, method: "session.list" }) + "\n");
  assert.deepEqual(JSON.parse(await line), { jsonrpc: "2.0", id: null, result: { sessions: [] } });
  const arr = await b.request("runtime.info", [1, 2]);
  assert.equal((arr.error as { code: number }).code, -32602);
  const unknown = await b.request("session.call", {
    session_id: "ses_nope",
    ns: "window",
    method: "ready",
  });
  assert.deepEqual(unknown.error, {
    code: -32001,
    message: "unknown_session",
    data: { session_id: "ses_nope" },
  });
  const bad = await b.request("session.call", { session_id: 3, ns: "", method: "x" });
  const err = bad.error as { code: number; data: { issues: { path: string }[] } };
  assert.equal(err.code, -32602);
  assert.deepEqual(err.data.issues.map((i) => i.path).sort(), ["ns", "session_id"]);
});

Deno.test("bridge: CR is stripped, blank lines ignored, a 64 KiB and a 1 MiB line work, string ids echo", async () => {
  await using b = new BridgeProcess();
  await b.writeRaw("\n\r\n   \n");
  const r = b.waitFor("crlf");
  await b.writeRaw(JSON.stringify({ jsonrpc: "2.0", id: "crlf", method: "session.list" }) + "\r\n");
  assert.deepEqual((await r).result, { sessions: [] });
  const s = await b.call("session.create", { app_slug: "big", manifest: MANIFEST });
  for (const size of [64 * 1024, 1024 * 1024]) {
    const value = "x".repeat(size);
    const res = await b.call("session.call", {
      session_id: s.session_id,
      ns: "storage",
      method: "set",
      args: { key: "k", value: value.slice(0, 200_000) },
      padding: value, // unknown params are ignored
    });
    assert.deepEqual(res, { ok: true, result: { ok: true } });
  }
  // crlf answer + create + two sets; the blank lines produced nothing
  assert.equal(b.stdoutLines.length, 4);
});

Deno.test("bridge: a line over 16 MiB is skipped and answered frame_too_large; serving continues", async () => {
  await using b = new BridgeProcess();
  const n = 16 * 1024 * 1024 + 10;
  const line = b.nextLine();
  const chunk = new Uint8Array(1024 * 1024).fill(0x61);
  for (let sent = 0; sent < n; sent += chunk.length) {
    await b.writeRaw(chunk.subarray(0, Math.min(chunk.length, n - sent)));
  }
  await b.writeRaw("\n");
  const res = JSON.parse(await line);
  assert.deepEqual(res, {
    jsonrpc: "2.0",
    id: null,
    error: {
      code: -32600,
      message: "frame_too_large",
      data: { code: "frame_too_large", frame_bytes: n, max_frame_bytes: 16_777_216 },
    },
  });
  const ok = await b.call("session.list", {});
  assert.deepEqual(ok, { sessions: [] });
});

Deno.test("bridge: requests run concurrently and responses are matched by id", async () => {
  await using b = new BridgeProcess();
  const s = await b.call("session.create", { app_slug: "c", manifest: MANIFEST });
  const calls = Array.from({ length: 200 }, (_, i) =>
    b.request("session.call", {
      session_id: s.session_id,
      ns: "storage",
      method: "set",
      args: { key: `k${i}`, value: i },
    }, `id-${i}`));
  const results = await Promise.all(calls);
  results.forEach((r, i) => {
    assert.equal(r.id, `id-${i}`);
    assert.deepEqual(r.result, { ok: true, result: { ok: true } });
  });
  const got = await b.call("session.call", {
    session_id: s.session_id,
    ns: "storage",
    method: "get",
    args: { key: "k123" },
  });
  assert.equal((got.result as { value: number }).value, 123);
});

Deno.test("bridge: EOF shuts down gracefully with exit 0 and logs only on stderr", async () => {
  await using b = new BridgeProcess({ args: ["--log-level", "debug"] });
  await b.call("runtime.info", {});
  await b.closeStdin();
  const st = await b.exited;
  await b[Symbol.asyncDispose]();
  assert.equal(st.code, 0);
  for (const l of b.stdoutLines) assert.equal(JSON.parse(l).jsonrpc, "2.0");
  assert.match(b.stderrText, /request/);
});

Deno.test("bridge: a malformed key file is refused with exit 2 and a message on stderr", async () => {
  await using tmp = await tmpDir();
  const dir = tmp.path;
  const keyPath = `${dir}/dev.key`;
  await Deno.writeTextFile(keyPath, "not-a-key\n", { mode: 0o600 });
  await using b = new BridgeProcess({ args: ["--key-file", keyPath] });
  const st = await b.exited;
  await b[Symbol.asyncDispose]();
  assert.equal(st.code, 2);
  assert.match(b.stderrText, /malformed/);
  assert.equal(b.stdoutLines.length, 0);
});

Deno.test("bridge: session.create logs the manifest warnings at the default level (§3.7), on stderr only", async () => {
  await using b = new BridgeProcess();
  const created = await b.call("session.create", {
    app_slug: "warned",
    manifest: { ...MANIFEST, ui: { ...MANIFEST.ui, host_api: { storage: ["read"] } } },
  }) as { warnings: { code: string }[] };
  assert.deepEqual(created.warnings.map((w) => w.code), ["host_api_unknown_method"]);
  await b.closeStdin();
  assert.equal((await b.exited).code, 0);
  await b[Symbol.asyncDispose]();
  assert.match(b.stderrText, /manifest warning.*host_api_unknown_method/);
  // the hint names the fix, as validate prints it
  assert.match(b.stderrText, /manifest warning.*host_api_unknown_method.*hint=.*probably meant/);
  for (const l of b.stdoutLines) assert.equal(JSON.parse(l).jsonrpc, "2.0");
});

Deno.test("bridge: a client that writes every request before it reads any answer gets them all", async () => {
  // 1.4 MB of answers: far more than a pipe holds. Reading waits for the answers being written
  // (batching), but only briefly, so this client is never deadlocked against a full stdout pipe.
  await using tmp = await tmpDir("anna-bridge-home-");
  const home = tmp.path;
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", MAIN_TS, "bridge"],
    cwd: REPO_ROOT,
    env: { HOME: home, ...denoDirEnv() },
    stdin: "piped",
    stdout: "piped",
    stderr: "null",
  }).spawn();
  const n = 20_000;
  const lines = Array.from(
    { length: n },
    (_, i) => JSON.stringify({ jsonrpc: "2.0", id: i, method: "session.list" }),
  );
  const w = child.stdin.getWriter();
  await w.write(new TextEncoder().encode(lines.join("\n") + "\n"));
  await w.close();
  const out = await new Response(child.stdout).text();
  await child.status;
  const ids = out.trim().split("\n").map((l) => JSON.parse(l).id as number).sort((a, b) => a - b);
  assert.equal(ids.length, n);
  assert.ok(ids.every((id, i) => id === i));
});
