/**
 * `dev` flags honoured end to end (CONTRACT §2.3, §2.5, §2.13): `--manifest`, `--bundle`, `--slug`,
 * `--view`, `--user-id`, `--entry-payload`, `--seed-storage FILE|JSON` (and their manifest
 * defaults), `--allowed-host`, `--no-control-token`, `--no-watch` (the dashboard's live-reload
 * state, §13), the pretty startup lines; and the second SIGINT during shutdown (exit 130, §2.1).
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { denoDirEnv, MAIN_TS, REPO_ROOT } from "./helpers/bridge_process.ts";
import { waitUntil } from "./helpers/dev_process.ts";
import { tmpDir } from "./helpers/tmp.ts";
import { alive } from "./helpers/processes.ts";

const PLUGIN_DIR = join(REPO_ROOT, "tests/fixtures/executas");

interface Proc {
  child: Deno.ChildProcess;
  /** stdout once it holds `n` lines. */
  lines(n: number): Promise<string[]>;
  stderr(): string;
  status: Promise<Deno.CommandStatus>;
}

const spawnDev = (home: string, args: string[]) => spawnCmd(home, ["dev", ...args]);
const spawnServe = (home: string, args: string[]) => spawnCmd(home, ["serve", ...args]);

function spawnCmd(home: string, args: string[]): Proc {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", MAIN_TS, ...args],
    cwd: REPO_ROOT,
    env: {
      HOME: home,
      NO_COLOR: "1",
      ANNA_APP_DEV_KEY_FILE: join(home, "dev.key"),
      ...denoDirEnv(),
    },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  let out = "";
  let err = "";
  const dec = () => new TextDecoder();
  const outDone = (async () => {
    const d = dec();
    for await (const c of child.stdout) out += d.decode(c, { stream: true });
  })();
  const errDone = (async () => {
    const d = dec();
    for await (const c of child.stderr) err += d.decode(c, { stream: true });
  })();
  let ended = false;
  const status = child.status.then(async (s) => {
    ended = true;
    await Promise.all([outDone, errDone]);
    return s;
  });
  return {
    child,
    stderr: () => err,
    status,
    lines: (n) =>
      waitUntil(
        `${n} stdout line(s)`,
        () => {
          if (ended && out.split("\n").length <= n) throw new Error(`exited early:\n${err}`);
          const l = out.split("\n");
          return l.length > n ? l.slice(0, n) : undefined;
        },
        60_000,
        50,
      ),
  };
}

async function rpc(origin: string, token: string | null, method: string, params = {}) {
  const r = await fetch(`${origin}/rpc`, {
    method: "POST",
    headers: token ? { "x-anna-control-token": token } : {},
    body: JSON.stringify({ jsonrpc: "2.0", id: 1, method, params }),
  });
  const j = await r.json();
  assert.ok(j.result, JSON.stringify(j));
  return j.result;
}

/** Status of `GET path` sent with a chosen Host header (fetch would override it). */
async function rawStatus(port: number, host: string, path = "/healthz"): Promise<number> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  await conn.write(
    new TextEncoder().encode(`GET ${path} HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`),
  );
  let text = "";
  const buf = new Uint8Array(4096);
  for (let n = await conn.read(buf); n !== null; n = await conn.read(buf)) {
    text += new TextDecoder().decode(buf.subarray(0, n));
  }
  conn.close();
  return Number(text.split(" ")[1]);
}

const liveReloadMeta = async (origin: string) =>
  /<meta name="anna-live-reload" content="(\w+)">/.exec(await (await fetch(`${origin}/`)).text())
    ?.[1];

async function writeApp(dir: string) {
  const app = join(dir, "app");
  await Deno.mkdir(join(app, "bundle"), { recursive: true });
  const m = (hostApi: Record<string, unknown>) => ({
    schema: 2,
    ui: {
      bundle: { entry: "index.html" },
      views: [{ name: "main", title: "Main" }, { name: "side", title: "Side", entry: "side.html" }],
      host_api: hostApi,
    },
    dev: { user_id: 7, seed_storage: { from: "manifest" } },
  });
  await Deno.writeTextFile(join(app, "manifest.json"), JSON.stringify(m({ storage: ["get"] })));
  await Deno.writeTextFile(join(app, "bundle", "index.html"), "app bundle");
  // --manifest / --bundle elsewhere: another grant and another bundle prove which ones are used
  await Deno.mkdir(join(dir, "alt", "b"), { recursive: true });
  await Deno.writeTextFile(
    join(dir, "alt", "m.json"),
    JSON.stringify(m({ storage: ["get"], chat: ["write_message"] })),
  );
  await Deno.writeTextFile(join(dir, "alt", "b", "side.html"), "alt bundle");
  await Deno.writeTextFile(join(dir, "seed.json"), JSON.stringify({ from: "file" }));
  return app;
}

Deno.test("dev flags: app flags, pretty startup, --allowed-host, --no-watch; defaults from the manifest", async () => {
  await using dir = await tmpDir();
  const app = await writeApp(dir.path);

  // 1. every app flag given, pretty output
  const p = spawnDev(dir.path, [
    app,
    "--port",
    "0",
    "--manifest",
    join(dir.path, "alt", "m.json"),
    "--bundle",
    join(dir.path, "alt", "b"),
    "--slug",
    "My_Slug",
    "--view",
    "side",
    "--user-id",
    "3",
    "--entry-payload",
    '{"p":1}',
    "--seed-storage",
    join(dir.path, "seed.json"),
    "--allowed-host",
    "myhost.test",
    "--no-watch",
  ]);
  try {
    const lines = await p.lines(7);
    assert.match(lines[0], /^anna-app-runtime \S+ — dev$/);
    const rows = lines.slice(1).map((l) => /^ {2}(\S+(?: \S+)?) +(\S.*)$/.exec(l)!);
    assert.deepEqual(rows.map((r) => r[1]), [
      "app",
      "dashboard",
      "window",
      "app origin",
      "control",
      "executas",
    ]);
    const col = lines[1].indexOf(rows[0][2]);
    assert.ok(rows.every((r, i) => lines[i + 1].indexOf(r[2]) === col), "values aligned");
    const v = Object.fromEntries(rows.map((r) => [r[1], r[2]]));
    assert.equal(v.app, "my-slug (view side, user 3)");
    const main = v.dashboard.replace(/\/$/, "");
    assert.match(v.window, new RegExp(`^${main}/dev/[0-9a-f-]{36}$`));
    const token = v.control;
    assert.equal(v.executas, "none");

    const [s] = (await rpc(main, token, "session.list")).sessions;
    const got = await rpc(main, token, "session.get", { session_id: s.session_id });
    assert.equal(got.app_slug, "my-slug");
    assert.equal(got.user_id, 3);
    assert.deepEqual(got.runtime_state, { from: "file" });
    assert.equal(got.windows[0].view, "side");
    assert.deepEqual(got.windows[0].entry_payload, { p: 1 });
    assert.deepEqual(got.host_api, { storage: ["get"], chat: ["write_message"] }, "--manifest");
    assert.equal(v.window, `${main}/dev/${got.windows[0].window_uuid}`);

    const bundle = await fetch(`${v["app origin"]}/anna-apps/my-slug/dev/side.html`);
    assert.equal(await bundle.text(), "alt bundle", "--bundle");
    const mainPort = new URL(main).port;
    assert.ok(
      bundle.headers.get("content-security-policy")!.includes(`http://myhost.test:${mainPort}`),
      "allowed hosts are main-origin forms in frame-ancestors",
    );
    assert.equal(await rawStatus(Number(mainPort), `myhost.test:${mainPort}`), 200);
    assert.equal(await rawStatus(Number(mainPort), `other.test:${mainPort}`), 403);
    assert.equal(await liveReloadMeta(main), "off", "--no-watch: the dashboard says so");
  } finally {
    p.child.kill("SIGTERM");
  }
  assert.equal((await p.status).code, 0, p.stderr());

  // 2. defaults: manifest dev.user_id / dev.seed_storage, default view, {} payload; inline
  //    --seed-storage JSON; --no-control-token; watching
  const q = spawnDev(dir.path, [app, "--port", "0", "--format", "json", "--no-control-token"]);
  try {
    const line = JSON.parse((await q.lines(1))[0]);
    assert.deepEqual(Object.keys(line), [
      "event",
      "mode",
      "version",
      "main_origin",
      "app_origin",
      "dashboard_url",
      "control_token",
      "session_id",
      "window_uuid",
      "window_url",
      "executas",
      "warnings",
    ]);
    assert.equal(line.control_token, null);
    // the side view's entry is not in this bundle: printed as a warning, the app still starts
    assert.deepEqual(
      (line.warnings as string[]).filter((w) => w.startsWith("entry_not_found")),
      ["entry_not_found ui.views[1].entry: bundle entry bundle/side.html does not exist (yet)"],
    );
    assert.match(q.stderr(), /manifest warning.*entry_not_found/);
    const [s] = (await rpc(line.main_origin, null, "session.list")).sessions;
    const got = await rpc(line.main_origin, null, "session.get", { session_id: s.session_id });
    assert.equal(got.user_id, 7);
    assert.deepEqual(got.runtime_state, { from: "manifest" });
    assert.equal(got.windows[0].view, "main");
    assert.deepEqual(got.windows[0].entry_payload, {});
    assert.equal(got.app_slug, "app");
    assert.equal(await liveReloadMeta(line.main_origin), "on");
  } finally {
    q.child.kill("SIGINT");
  }
  assert.equal((await q.status).code, 0, q.stderr());

  const r = spawnDev(dir.path, [
    app,
    "--port",
    "0",
    "--format",
    "json",
    "--seed-storage",
    '{"from":"inline"}',
  ]);
  try {
    const line = JSON.parse((await r.lines(1))[0]);
    const got = await rpc(line.main_origin, line.control_token, "session.get", {
      session_id: line.session_id,
    });
    assert.deepEqual(got.runtime_state, { from: "inline" });
  } finally {
    r.child.kill("SIGTERM");
  }
  assert.equal((await r.status).code, 0, r.stderr());
});

Deno.test("serve: the json startup line has exactly the serve fields; nothing is watched", async () => {
  await using dir = await tmpDir();
  const p = spawnServe(dir.path, ["--port", "0", "--format", "json"]);
  try {
    const line = JSON.parse((await p.lines(1))[0]);
    assert.deepEqual(Object.keys(line), [
      "event",
      "mode",
      "version",
      "main_origin",
      "app_origin",
      "dashboard_url",
      "control_token",
      "executas",
      "warnings",
    ]);
    assert.equal(line.mode, "serve");
    assert.deepEqual(line.executas, []);
    assert.equal(line.dashboard_url, `${line.main_origin}/`);
    assert.equal(await liveReloadMeta(line.main_origin), "off");
  } finally {
    p.child.kill("SIGINT");
  }
  assert.equal((await p.status).code, 0, p.stderr());
});

Deno.test("dev: a second SIGINT during shutdown exits 130 at once and leaves no executa", async () => {
  await using dir = await tmpDir();
  const app = await writeApp(dir.path);
  const p = spawnDev(dir.path, [
    app,
    "--port",
    "0",
    "--format",
    "json",
    "--no-watch",
    "--executa",
    `dir=${PLUGIN_DIR},tool_id=tool-stubborn,command=["node","plugin.mjs","--ignore-term"]`,
  ]);
  let pid = 0;
  try {
    const line = JSON.parse((await p.lines(1))[0]);
    const out = await rpc(line.main_origin, line.control_token, "executas.invoke", {
      tool_id: "tool-stubborn",
      method: "pid",
    });
    pid = out.result.pid;
    assert.ok(alive(pid));
    p.child.kill("SIGINT");
    // shutdown has begun once the sessions are closed; the stubborn plugin holds it up for ~4 s
    await waitUntil(
      "the sessions to close",
      async () =>
        (await rpc(line.main_origin, line.control_token, "session.list")).sessions.length === 0,
    );
    p.child.kill("SIGINT");
    assert.equal((await p.status).code, 130, p.stderr());
    await waitUntil("the executa to be gone", () => !alive(pid), 5000, 20);
  } finally {
    try {
      p.child.kill("SIGKILL");
    } catch { /* exited */ }
    await p.status;
    if (pid && alive(pid)) Deno.kill(pid, "SIGKILL");
  }
});
