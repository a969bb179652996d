/**
 * No dev token (CONTRACT §8.2) in clear where the runtime writes things down: stderr log lines
 * (§2.1), `/api/log` and `/api/log/stream` (§11.11, whence the dashboard export), and
 * `dev --record` files (§14.7). Tokens reach them through `auth.refresh` events (every window,
 * every 20 s) and through whatever an app passes: a frame URL in an error message, its own token
 * in storage.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { createMainApp } from "../lib/server/app.ts";
import { startRecording } from "../lib/smoke/recorder.ts";
import { makeRuntime, manifest } from "./helpers/runtime.ts";
import { AUTH, readSse, serverContext } from "./helpers/server.ts";
import { tmpDir } from "./helpers/tmp.ts";

async function setup(logSink?: (line: string) => void) {
  const t = await makeRuntime({ mode: "dev", logSink });
  const created = await t.call("session.create", {
    app_slug: "notes",
    manifest: manifest({ storage: ["get", "set"] }),
  });
  const session_id = created.session_id as string;
  const token = created.token as string;
  assert.match(token, /^dev1\.[\w-]+\.[\w-]+$/);
  const call = (ns: string, method: string, args: unknown) =>
    t.call("session.call", { session_id, ns, method, args });
  return { t, session_id, token, call };
}

/** The signature part: the secret of a token (its claims are plain base64url JSON). */
const secret = (token: string) => token.split(".")[2];

Deno.test("log: auth.refresh events and tokens an app passes are redacted in /api/log and its stream", async () => {
  const { t, session_id, token, call } = await setup();
  await using _t = t;
  const refreshed = await t.call("session.refresh_token", { session_id });
  const fresh = refreshed.token as string;
  await call("storage", "set", { key: "mine", value: `token=${token}` });
  await call("window", "report_error", { message: `boom at /anna-apps/notes/dev/?t=${fresh}` });

  // the log's own copy of the event: the envelope the SSE and the host page use keeps its token
  const events = t.rt.log.entries().filter((e) => e.type === "event");
  const push = events.find((e) => (e.event as { kind: string }).kind === "auth.refresh");
  assert.deepEqual((push?.event as { payload: unknown }).payload, {
    token: "dev1.[redacted]",
    expires_at: refreshed.expires_at,
  });
  const drained = await t.call("session.drain_events", { session_id });
  const pushed = (drained.events as { kind: string; payload: { token?: string } }[])
    .find((e) => e.kind === "auth.refresh");
  assert.equal(pushed?.payload.token, fresh, "the event itself is untouched");

  const main = createMainApp(serverContext(t.rt));
  const log = await (await main.request("/api/log", { headers: AUTH })).text();
  const res = await main.request("/api/log/stream?after=0", { headers: AUTH });
  const stream = await readSse(res.body!, (s) => s.includes('"report_error"'));
  for (const [where, text] of [["/api/log", log], ["/api/log/stream", stream]]) {
    for (const tok of [token, fresh]) {
      assert.ok(!text.includes(secret(tok)), `${where} holds a token`);
    }
    assert.ok(text.includes("token=dev1.[redacted]"), where);
    assert.ok(text.includes("?t=dev1.[redacted]"), where);
  }
});

Deno.test("log: a token in an app's error message is redacted on stderr", async () => {
  const lines: string[] = [];
  const { t, token, call } = await setup((l) => lines.push(l));
  await using _t = t;
  await call("window", "report_error", {
    message: `failed at http://127.0.0.1:5181/anna-apps/notes/dev/?wid=w&t=${token}`,
    stack: `Error\n    at ${token}`,
  });
  const line = lines.find((l) => l.includes("app reported an error"));
  assert.ok(line, lines.join("\n"));
  assert.ok(!line.includes(secret(token)), line);
  assert.ok(line.includes("&t=dev1.[redacted]"), line);
});

Deno.test("dev --record: token-push lines and tokens in args carry no token", async () => {
  await using dir = await tmpDir();
  const { t, session_id, token, call } = await setup();
  await using _t = t;
  const file = join(dir.path, "rec.jsonl");
  const rec = await startRecording(t.rt, session_id, file);
  const fresh = (await t.call("session.refresh_token", { session_id })).token as string;
  await call("storage", "set", { key: "mine", value: token });
  await rec.stop();
  const text = await Deno.readTextFile(file);
  for (const tok of [token, fresh]) assert.ok(!text.includes(secret(tok)), text);
  const lines = text.trim().split("\n").map((l) => JSON.parse(l));
  const push = lines.filter((l) => l.kind === "auth.refresh");
  assert.deepEqual(push.map((l) => l.token), ["dev1.[redacted]"]);
  const set = lines.find((l) => l.kind === "req" && l.method === "set");
  assert.equal(set.args.value, "dev1.[redacted]");
});
