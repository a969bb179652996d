/**
 * `dev` and `serve` as real processes (CONTRACT §2.5, §2.6, §2.13, §11.1, §11.10): the json
 * startup line, configuration exits, and live reload through `/api/log`.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { REPO_ROOT } from "./helpers/bridge_process.ts";
import { manifest } from "./helpers/runtime.ts";
import { FREE_PORTS_JSON, writeApp } from "./helpers/server.ts";
import { spawnCli as spawn } from "./helpers/server_process.ts";
import { tmpDir } from "./helpers/tmp.ts";

/** `dev APP_DIR` on free ports with the json startup line, then `extra`. */
const devOnFreePorts = (appDir: string, ...extra: string[]) => [
  "dev",
  appDir,
  ...FREE_PORTS_JSON,
  ...extra,
];

/** An app in `<tmp>/my-app` (`path`); the temp dir goes when the test's scope ends. */
async function tempApp(m: Record<string, unknown> = manifest({ storage: ["get", "set"] })) {
  const tmp = await tmpDir("devapp");
  await writeApp(join(tmp.path, "my-app"), m);
  return { path: join(tmp.path, "my-app"), [Symbol.asyncDispose]: tmp[Symbol.asyncDispose] };
}

/** Polls /api/log until an entry matches (file events arrive asynchronously). */
async function waitForLog(
  origin: string,
  token: string,
  pred: (e: Record<string, unknown>) => boolean,
) {
  for (let i = 0; i < 200; i++) {
    const r = await fetch(`${origin}/api/log`, { headers: { "x-anna-control-token": token } });
    const entries = (await r.json()).entries as Record<string, unknown>[];
    const hit = entries.find(pred);
    if (hit) return hit;
    await new Promise((res) => setTimeout(res, 50));
  }
  throw new Error("log entry never appeared");
}

Deno.test("cli: dev prints one json listening line, serves the app, live-reloads, stops on SIGINT", async () => {
  await using app = await tempApp();
  const appDir = app.path;
  const p = spawn(devOnFreePorts(appDir, "--log-level", "warn"));
  try {
    const line = JSON.parse((await p.stdoutWhen((o) => o.includes("\n"))).split("\n")[0]);
    assert.equal(line.event, "listening");
    assert.equal(line.mode, "dev");
    assert.match(line.main_origin, /^http:\/\/127\.0\.0\.1:\d+$/);
    assert.match(line.app_origin, /^http:\/\/127\.0\.0\.1:\d+$/);
    assert.equal(line.dashboard_url, line.main_origin + "/");
    assert.match(line.control_token, /^[A-Za-z0-9_-]{43}$/);
    assert.match(line.session_id, /^ses_[0-9a-f]{32}$/);
    assert.equal(line.window_url, `${line.main_origin}/dev/${line.window_uuid}`);
    assert.deepEqual(line.executas, []);
    assert.ok(Array.isArray(line.warnings));

    const page = await fetch(line.window_url);
    assert.equal(page.status, 200);
    const html = await page.text();
    assert.ok(html.includes(line.control_token), "the host page carries the control token");
    const bundle = await fetch(`${line.app_origin}/anna-apps/my-app/dev/app.js`);
    assert.equal(bundle.status, 200);
    assert.ok(
      bundle.headers.get("content-security-policy")?.includes(
        `frame-ancestors ${line.main_origin}`,
      ),
    );
    await bundle.body?.cancel();
    const noToken = await fetch(`${line.main_origin}/api/log`);
    assert.equal(noToken.status, 401);
    await noToken.body?.cancel();

    // bundle change → {type:"reload", paths}
    await Deno.writeTextFile(join(appDir, "bundle", "app.js"), "console.log('v2')");
    const reload = await waitForLog(
      line.main_origin,
      line.control_token,
      (e) => e.type === "reload",
    );
    assert.ok((reload.paths as string[]).some((x) => x.endsWith("app.js")));

    // invalid manifest → {type:"manifest", diagnostics} with errors, the old one stays
    await Deno.writeTextFile(join(appDir, "manifest.json"), "{ not json");
    const bad = await waitForLog(
      line.main_origin,
      line.control_token,
      (e) => e.type === "manifest",
    );
    assert.ok((bad.diagnostics as { severity: string }[]).some((d) => d.severity === "error"));
    const still = await fetch(`${line.app_origin}/anna-apps/my-app/dev/`);
    assert.equal(still.status, 200);
    await still.body?.cancel();

    // valid manifest with a new grant → the dev session's ACL changes
    await Deno.writeTextFile(
      join(appDir, "manifest.json"),
      JSON.stringify(manifest({ storage: ["get", "set"], chat: ["write_message"] })),
    );
    await waitForLog(
      line.main_origin,
      line.control_token,
      (e) =>
        e.type === "manifest" &&
        !(e.diagnostics as { severity: string }[]).some((d) => d.severity === "error"),
    );
    const call = await fetch(`${line.main_origin}/api/session/call`, {
      method: "POST",
      headers: { "x-anna-control-token": line.control_token },
      body: JSON.stringify({
        session_id: line.session_id,
        ns: "chat",
        method: "write_message",
        args: { content: "hi" },
      }),
    });
    const outcome = await call.json();
    assert.notEqual(outcome.error?.code, "permission_denied");
  } finally {
    p.child.kill("SIGINT");
  }
  const st = await p.status;
  assert.equal(st.code, 0, p.stderr());
});

Deno.test("cli: serve prints pretty startup lines and serves app_dir sessions", async () => {
  await using app = await tempApp();
  const appDir = app.path;
  const p = spawn(["serve", "--port", "0", "--app-port", "0"], {
    ANNA_APP_CONTROL_TOKEN: "c".repeat(40),
  });
  try {
    const out = await p.stdoutWhen((o) => /executas .*\n/.test(o));
    const lines = out.trimEnd().split("\n");
    assert.match(lines[0], /^anna-app-runtime \S+ — serve$/);
    assert.deepEqual(lines.slice(1).map((l) => l.trim().split(/\s{2,}/)[0]), [
      "app",
      "dashboard",
      "app origin",
      "control",
      "executas",
    ]);
    // the values start in one column
    const col = lines[1].indexOf(lines[1].trim().split(/\s{2,}/)[1]);
    assert.ok(lines.slice(1).every((l) => l.length > col && l[col - 1] === " " && l[col] !== " "));
    assert.match(out, new RegExp(`control\\s+${"c".repeat(40)}`));
    const origin = /dashboard\s+(http:\/\/[^\s/]+)\//.exec(out)![1];
    const created = await fetch(`${origin}/api/session/create`, {
      method: "POST",
      headers: { authorization: `Bearer ${"c".repeat(40)}` },
      body: JSON.stringify({ app_dir: appDir }),
    });
    assert.equal(created.status, 200);
    assert.equal((await created.json()).app_slug, "my-app");
  } finally {
    p.child.kill("SIGTERM");
  }
  assert.equal((await p.status).code, 0);
});

Deno.test("cli: configuration errors exit 2, an explicit busy port exits 3", async () => {
  await using app = await tempApp();
  const appDir = app.path;
  const capsDir = join(appDir, "..", "caps");
  await Deno.mkdir(capsDir);
  await Deno.writeTextFile(join(capsDir, "Manifest.json"), "{}");
  const cases: [string[], Record<string, string>, number, RegExp][] = [
    [
      ["dev", appDir, "--host", "0.0.0.0"],
      {},
      2,
      /refusing to bind 0\.0\.0\.0 without --allow-remote/,
    ],
    [
      ["dev", appDir, "--host", "0.0.0.0", "--allow-remote", "--no-control-token"],
      {},
      2,
      /--no-control-token/,
    ],
    [["serve", "--port", "0"], { ANNA_APP_CONTROL_TOKEN: "short" }, 2, /at least 32 characters/],
    // a missing APP_DIR is named as such; a directory without manifest.json gets dev's own hint
    [["dev", join(appDir, "missing")], {}, 2, /^error: app directory \S+missing does not exist\n$/],
    [
      ["dev", join(appDir, "..")],
      {},
      2,
      /manifest_unreadable .*file not found \(hint: dev takes the app directory holding manifest\.json, or --manifest FILE\)/,
    ],
    // Manifest.json found only by a case-insensitive file system: the fix is to rename it
    [["dev", capsDir], {}, 2, /\(hint: rename Manifest\.json to manifest\.json \(file names/],
    // a manifest path where the app directory goes: named as such, with the directory to use
    [
      ["dev", join(appDir, "manifest.json")],
      {},
      2,
      /manifest\.json is a file; dev takes the app directory: dev \S+ \(a manifest kept elsewhere: --manifest FILE\)/,
    ],
    // one port for both origins is a usage error, not "port in use" (exit 3)
    [["dev", appDir, "--port", "47010", "--app-port", "47010"], {}, 2, /is the same as --port/],
    // nor is the main origin's default port (5180, §15) given to the app origin: it was exit 3
    // "port 5180 is in use", held by the command's own main origin
    [["serve", "--app-port", "5180"], {}, 2, /--app-port 5180 is the main origin's default port/],
    // inline JSON that is not an object is read as JSON, not as a file name
    [["dev", appDir, "--seed-storage", "[1]"], {}, 2, /--seed-storage must hold a JSON object/],
    [["dev", appDir, "--seed-storage", "no-such.json"], {}, 2, /--seed-storage: cannot read/],
    [
      ["dev", appDir, "--port", "0", "--view", "nope"],
      {},
      2,
      /unknown view 'nope' \(available: main\)/,
    ],
    [["dev", appDir, "--format", "junit"], {}, 2, /--format/],
    // values the Host check could never match are refused up front, not silently ignored
    ...[".foo", "bar:99999", "-x", "a:0", "host:1:2"].map((h): [
      string[],
      Record<string, string>,
      number,
      RegExp,
    ] => [["serve", "--port", "0", `--allowed-host=${h}`], {}, 2, /--allowed-host .* must be/]),
  ];
  for (const [args, env, code, re] of cases) {
    const p = spawn(args, env);
    const st = await p.status;
    assert.equal(st.code, code, `${args.join(" ")}: ${p.stderr()}`);
    assert.match(p.stderr(), re);
  }
  const blocker = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen() {} },
    () => new Response("x"),
  );
  try {
    const busy = blocker.addr.port;
    const p = spawn(["dev", appDir, "--port", String(busy), "--format", "json"]);
    const st = await p.status;
    assert.equal(await p.stdoutWhen(() => true), "", "nothing on stdout");
    assert.equal(st.code, 3, p.stderr());
    const err = JSON.parse(p.stderr().trim().split("\n").pop()!);
    assert.equal(err.error.message, `port ${busy} is in use (try --port 0)`);
  } finally {
    await blocker.shutdown();
  }
});

Deno.test("cli: dev prints an invalid manifest's diagnostics in validate's layout, then exits 2", async () => {
  await using app = await tempApp({ schema: 2, ui: { views: "x" } });
  const appDir = app.path;
  const dev = spawn(["dev", appDir, "--port", "0"]);
  assert.equal((await dev.status).code, 2, dev.stderr());
  const validate = spawn(["validate", appDir]);
  assert.equal((await validate.status).code, 1);
  const line = /^error {2}ui\.views {2}views_missing {2}ui\.views must be .*\(hint: .*\)$/m;
  assert.match(dev.stderr(), line);
  // the same line, word for word, as validate prints it
  assert.equal(
    line.exec(dev.stderr())?.[0],
    line.exec(await validate.stdoutWhen(() => false))?.[0],
  );
});

Deno.test("cli: dev --record FILE writes the meta line and every call of the dev session", async () => {
  await using app = await tempApp();
  const appDir = app.path;
  const file = join(appDir, "..", "session.jsonl");
  await Deno.writeTextFile(file, "stale content\n");
  const p = spawn(devOnFreePorts(appDir, "--no-watch", "--record", file));
  let line;
  try {
    line = JSON.parse((await p.stdoutWhen((o) => o.includes("\n"))).split("\n")[0]);
    const r = await fetch(`${line.main_origin}/api/session/call`, {
      method: "POST",
      headers: { "x-anna-control-token": line.control_token },
      body: JSON.stringify({
        session_id: line.session_id,
        ns: "storage",
        method: "set",
        args: { key: "k", value: 1 },
      }),
    });
    assert.equal((await r.json()).ok, true);
  } finally {
    p.child.kill("SIGTERM");
  }
  assert.equal((await p.status).code, 0, p.stderr());
  const lines = (await Deno.readTextFile(file)).trim().split("\n").map((l) => JSON.parse(l));
  assert.equal(lines[0].kind, "meta");
  assert.equal(lines[0].session_id, line.session_id);
  assert.equal(lines[0].window_uuid, line.window_uuid);
  const kinds = lines.slice(1).map((l) => l.kind);
  assert.ok(kinds.includes("req") && kinds.includes("res"), kinds.join(","));
});

Deno.test("cli: dev --record writes a call's req when it starts, and no res for the error stopping dev gives it", async () => {
  await using app = await tempApp(manifest({ storage: ["get", "set"], tools: ["*"] }, {
    required_executas: [{ tool_id: "tool-hang" }],
  }));
  const appDir = app.path;
  await Deno.mkdir(join(appDir, "executas/hang"), { recursive: true });
  await Deno.copyFile(
    join(REPO_ROOT, "tests/fixtures/executas/plugin.mjs"),
    join(appDir, "executas/hang/plugin.mjs"),
  );
  const file = join(appDir, "..", "session.jsonl");
  const p = spawn(devOnFreePorts(
    appDir,
    "--no-watch",
    "--executa",
    'dir=executas/hang,tool_id=tool-hang,type=node,command=["node","plugin.mjs"]',
    "--record",
    file,
  ));
  const read = async () =>
    (await Deno.readTextFile(file)).trim().split("\n").map((l) => JSON.parse(l));
  let answer: Promise<Record<string, unknown>> | undefined;
  try {
    const line = JSON.parse((await p.stdoutWhen((o) => o.includes("\n"))).split("\n")[0]);
    // a call that never ends by itself: the tool does not answer
    answer = fetch(`${line.main_origin}/api/session/call`, {
      method: "POST",
      headers: { "x-anna-control-token": line.control_token },
      body: JSON.stringify({
        session_id: line.session_id,
        ns: "tools",
        method: "invoke",
        args: { tool_id: "tool-hang", method: "hang", args: {} },
      }),
    }).then((r) => r.json());
    let lines = await read();
    for (let i = 0; i < 200 && lines.length < 2; i++) {
      await new Promise((r) => setTimeout(r, 50));
      lines = await read();
    }
    assert.deepEqual(
      lines.slice(1).map((l) => [l.kind, l.id, l.method]),
      [["req", 1, "invoke"]],
      "the req is on disk while the call runs",
    );
  } finally {
    p.child.kill("SIGTERM");
  }
  assert.equal((await p.status).code, 0, p.stderr());
  const outcome = await answer!.catch((e) => ({ fetchFailed: String(e) }));
  const lines = await read();
  // the caller got the shutdown's error (the executa stopped under it); a `res` with it would
  // fail every replay of this file, so the req stays unanswered: replayed, checked for no crash
  if ("ok" in outcome) assert.equal(outcome.ok, false, JSON.stringify(outcome));
  assert.deepEqual(
    lines.slice(1).map((l) => [l.kind, l.id]),
    [["req", 1]],
    JSON.stringify({ lines, outcome, err: p.stderr() }),
  );
  assert.match(p.stderr(), /cut short by stopping dev; its req has no res/);
});
