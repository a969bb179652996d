/**
 * A storage edit the host makes while a session is recorded (the dashboard's storage panel, i.e.
 * `session.set_runtime_state`, CONTRACT §4.4.7) has no request line, only its
 * `runtime_state_synced` event: the recorder marks that event `by_client_id: null` (§7.1, the
 * host caused it) and replay replaces the storage again at that point, so the app's later reads
 * replay green instead of failing on a value no request wrote.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { makeRuntime } from "./helpers/runtime.ts";
import { tmpDir } from "./helpers/tmp.ts";
import { explain, SMOKE_FIXTURES, smokeJson } from "./fixtures/smoke/harness.ts";
import { startRecording } from "../lib/smoke/recorder.ts";
import { parseFixtureText } from "../lib/smoke/fixtures.ts";

const BASIC = join(SMOKE_FIXTURES, "basic-app");

Deno.test("record + replay: a host storage edit mid-session is marked as the host's and done again by replay", async () => {
  await using dir = await tmpDir();
  await using t = await makeRuntime({ mode: "dev" });
  const file = join(dir.path, "recorded.jsonl");
  const { session_id } = await t.call("session.create", { app_dir: BASIC }) as {
    session_id: string;
  };
  const rec = await startRecording(t.rt, session_id, file);
  const call = (ns: string, method: string, args: unknown) =>
    t.call("session.call", { session_id, ns, method, args });
  assert.equal((await call("storage", "set", { key: "draft", value: "mine" })).ok, true);
  await t.call("session.set_runtime_state", { session_id, runtime_state: { draft: "edited" } });
  const got = await call("storage", "get", { key: "draft" });
  assert.equal((got.result as { value: unknown }).value, "edited");
  await rec.stop();

  const text = await Deno.readTextFile(file);
  const events = text.trim().split("\n").map((l) => JSON.parse(l)).filter((l) =>
    l.kind === "event"
  );
  assert.deepEqual(events.map((e) => [e.payload.runtime_state.draft, e.by_client_id]), [
    ["mine", undefined], // the app's storage.set: caused by a request
    ["edited", null],
  ]);
  const steps = parseFixtureText(text, file).steps.filter((s) => s.type === "event");
  assert.deepEqual(steps.map((s) => s.type === "event" && s.byHost === true), [false, true]);

  const r = await smokeJson([BASIC, "--fixtures", file, "--check-events"]);
  assert.equal(r.code, 0, explain(r));
  const cases = r.report!.fixtures[0].cases;
  assert.deepEqual(cases.map((c) => [c.ns, c.method, c.status]), [
    ["storage", "set", "pass"],
    ["event", "runtime_state_synced", "pass"],
    ["event", "runtime_state_synced", "pass"],
    ["storage", "get", "pass"],
  ]);
});

Deno.test("record + replay: storage seeded other than the manifest seeds it (dev --seed-storage) is set again by replay", async () => {
  await using dir = await tmpDir();
  await using t = await makeRuntime({ mode: "dev" });
  const file = join(dir.path, "recorded.jsonl");
  const call = (session_id: string, ns: string, method: string, args: unknown) =>
    t.call("session.call", { session_id, ns, method, args });

  // basic-app has no dev.seed_storage: replay starts from {}, the recording did not
  const seeded = await t.call("session.create", {
    app_dir: BASIC,
    seed_storage: { draft: "seeded" },
  }) as { session_id: string };
  const rec = await startRecording(t.rt, seeded.session_id, file);
  assert.equal((await call(seeded.session_id, "storage", "get", { key: "draft" })).ok, true);
  await rec.stop();
  const lines = (await Deno.readTextFile(file)).trim().split("\n").map((l) => JSON.parse(l));
  assert.deepEqual(lines[1], {
    t: 0,
    kind: "event",
    event: "runtime_state_synced",
    payload: { runtime_state: { draft: "seeded" } },
    by_client_id: null,
  });
  const r = await smokeJson([BASIC, "--fixtures", file, "--check-events"]);
  assert.equal(r.code, 0, explain(r));

  // the storage replay seeds anyway: no such line
  const plain = await t.call("session.create", { app_dir: BASIC }) as { session_id: string };
  const again = await startRecording(t.rt, plain.session_id, file);
  await call(plain.session_id, "storage", "get", { key: "draft" });
  await again.stop();
  const kinds = (await Deno.readTextFile(file)).trim().split("\n").map((l) => JSON.parse(l).kind);
  assert.deepEqual(kinds, ["meta", "req", "res"]);
});
