/**
 * Which window and view a replayed call meets (CONTRACT §14.1 step 5, §14.5): calls go to the
 * fixture session's primary window, except those for a window the replay itself opened (with
 * window.open_view, or again after a host `open_view` event line); a fixture
 * with no view of its own runs in the default view even under `--view`.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { explain, SMOKE_FIXTURES, smokeJson } from "./fixtures/smoke/harness.ts";
import { writeAppDir } from "./helpers/app_dir.ts";
import { tmpDir } from "./helpers/tmp.ts";

/** Two views whose minimum sizes tell them apart: `window.resize` to 1×1 answers the minimum. */
async function twoViewApp(dir: string) {
  await writeAppDir(
    dir,
    {
      schema: 2,
      ui: {
        views: [
          { name: "main", title: "Main", min_size: { w: 200, h: 200 } },
          { name: "side", title: "Side", min_size: { w: 300, h: 300 } },
        ],
        host_api: { storage: ["get", "set"] },
      },
    },
    "<!doctype html><title>t</title>",
  );
}

const resize = { ns: "window", method: "resize", args: { w: 1, h: 1 } };

async function writeLines(file: string, lines: unknown[]) {
  await Deno.writeTextFile(file, lines.map((l) => JSON.stringify(l)).join("\n") + "\n");
}

Deno.test("smoke: a call recorded for a window the host opened is replayed on the primary window", async () => {
  await using dir = await tmpDir();
  await twoViewApp(dir.path);
  const file = join(dir.path, "rec.jsonl");
  // recorded in dev: the dashboard opened w-host (not through a call of the app), then the app
  // called from it; replay cannot recreate that window
  await writeLines(file, [
    { t: 0, kind: "meta", session_id: "ses_r", window_uuid: "w-main", view: "main" },
    { t: 1, kind: "req", id: 1, ...resize, window_uuid: "w-host" },
    { t: 2, kind: "res", id: 1, ok: true, result: { ok: true, w: 200, h: 200 } },
    {
      t: 3,
      kind: "req",
      id: 2,
      ns: "storage",
      method: "set",
      args: { key: "k", value: 1 },
      window_uuid: "w-host",
    },
    { t: 4, kind: "res", id: 2, ok: true, result: { ok: true } },
    { t: 5, kind: "req", id: 3, ns: "storage", method: "get", args: { key: "k" } },
    { t: 6, kind: "res", id: 3, ok: true, result: { value: 1 } },
  ]);
  const r = await smokeJson([dir.path, "--fixtures", file]);
  assert.equal(r.code, 0, explain(r));
  assert.deepEqual(r.report!.fixtures[0].cases.map((c) => [c.method, c.status]), [
    ["resize", "pass"],
    ["set", "pass"],
    ["get", "pass"],
  ]);
});

/** The `open_view` event line of a window the host (the dashboard's "open view") opened. */
const hostOpened = (t: number, wid: string, view: string, entry_payload: unknown) => ({
  t,
  kind: "event",
  event: "open_view",
  payload: { window_uuid: wid, view, entry_payload, source: "host", reopened: false },
});

Deno.test("smoke: a window the host opened while recording is opened again; its calls go to it", async () => {
  await using dir = await tmpDir();
  await twoViewApp(dir.path);
  const file = join(dir.path, "rec.jsonl");
  // exported from the dashboard: "open view" side, the app resizes it, the dashboard closes it,
  // then the app goes on in the primary window
  await writeLines(file, [
    { t: 0, kind: "meta", session_id: "ses_r", window_uuid: "w-main", view: "main" },
    hostOpened(1, "w-host", "side", { article: 7 }),
    { t: 2, kind: "req", id: 1, ...resize, window_uuid: "w-host" },
    { t: 3, kind: "res", id: 1, ok: true, result: { ok: true, w: 300, h: 300 } },
    {
      t: 4,
      kind: "req",
      id: 2,
      ns: "window",
      method: "close",
      args: { reason: "host" },
      window_uuid: "w-host",
    },
    { t: 5, kind: "res", id: 2, ok: true, result: { ok: true } },
    { t: 6, kind: "req", id: 3, ...resize },
    { t: 7, kind: "res", id: 3, ok: true, result: { ok: true, w: 200, h: 200 } },
  ]);
  for (const extra of [[], ["--check-events"]]) {
    const r = await smokeJson([dir.path, "--fixtures", file, ...extra]);
    assert.equal(r.code, 0, explain(r));
    assert.deepEqual(r.report!.fixtures[0].cases.map((c) => [c.method, c.status]), [
      ["open_view", extra.length ? "pass" : "skip"],
      ["resize", "pass"],
      ["close", "pass"],
      ["resize", "pass"],
    ]);
  }

  // a view the manifest no longer has: the event line fails and says why
  await writeLines(file, [
    { t: 0, kind: "meta", window_uuid: "w-main", view: "main" },
    hostOpened(1, "w-host", "gone", {}),
  ]);
  const r = await smokeJson([dir.path, "--fixtures", file]);
  assert.equal(r.code, 1, explain(r));
  assert.match(
    r.report!.fixtures[0].cases[0].message!,
    /the host opened view 'gone' here; opening it again failed: .*unknown_view/,
  );
});

Deno.test("smoke: a call for a window the replay opened with window.open_view goes to that window", async () => {
  await using dir = await tmpDir();
  await twoViewApp(dir.path);
  const file = join(dir.path, "rec.jsonl");
  await writeLines(file, [
    { t: 0, kind: "meta", window_uuid: "w-main", view: "main" },
    { t: 1, kind: "req", id: 1, ns: "window", method: "open_view", args: { view: "side" } },
    { t: 2, kind: "res", id: 1, ok: true, result: { ok: true, window_uuid: "w-side" } },
    { t: 3, kind: "req", id: 2, ...resize, window_uuid: "w-side" },
    { t: 4, kind: "res", id: 2, ok: true, result: { ok: true, w: 300, h: 300 } },
    { t: 5, kind: "req", id: 3, ...resize, window_uuid: "w-main" },
    { t: 6, kind: "res", id: 3, ok: true, result: { ok: true, w: 200, h: 200 } },
  ]);
  const r = await smokeJson([dir.path, "--fixtures", file]);
  assert.equal(r.code, 0, explain(r));
  assert.ok(r.report!.fixtures[0].cases.every((c) => c.status === "pass"), explain(r));
});

Deno.test("smoke --view: only the views step is narrowed; a fixture naming no view runs in the default one", async () => {
  await using dir = await tmpDir();
  await twoViewApp(dir.path);
  const docs = join(dir.path, "docs.jsonl");
  await writeLines(docs, [{ t: 0, dir: "out", ...resize, result: { ok: true, w: 200 } }]);
  const named = join(dir.path, "named.jsonl");
  await writeLines(named, [
    { t: 0, kind: "meta", view: "side" },
    { t: 1, kind: "req", id: 1, ...resize },
    { t: 2, kind: "res", id: 1, ok: true, result: { ok: true, w: 300 } },
  ]);
  const r = await smokeJson([dir.path, "--view", "side", "--fixtures", docs, "--fixtures", named]);
  assert.equal(r.code, 0, explain(r));
  assert.deepEqual(
    r.report!.steps.filter((s) => s.name.startsWith("views")).map((s) => s.name),
    ["views: side"],
  );
  assert.deepEqual(r.report!.fixtures.map((f) => [f.file, f.status]), [
    ["docs.jsonl", "pass"],
    ["named.jsonl", "pass"],
  ]);
});

Deno.test("smoke: an executa dying where a {success:false} result was recorded says so", async () => {
  await using dir = await tmpDir();
  const file = join(dir.path, "docs.jsonl");
  await writeLines(file, [{
    t: 0,
    dir: "out",
    ns: "tools",
    method: "invoke",
    args: { tool_id: "tool-smoke-echo", method: "exit" },
    result: { success: false, error: "nope" },
  }]);
  const r = await smokeJson([join(SMOKE_FIXTURES, "basic-app"), "--fixtures", file]);
  assert.equal(r.code, 3, explain(r));
  const c = r.report!.fixtures[0].cases[0];
  assert.equal(c.status, "error");
  assert.match(
    c.message!,
    /; the recording has a \{success:false\} tool result from a running executa; exit code 9/,
  );
});
