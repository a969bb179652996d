/**
 * The vendor harness recording (CONTRACT §17) replayed by the real `smoke` as a recorded-session
 * fixture (§14.3, §14.5), with its manifest and a stand-in for its Mini Notes Summary executa, under
 * `--no-llm` as recorded: every request — window, storage and the four `tools.invoke` calls that the
 * vendor answered `tool_failed` "[-32603] harness started with --no-llm" (§9.7) — replays green.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { RECORDINGS_DIR } from "./helpers/corpus.ts";
import { tmpDir } from "./helpers/tmp.ts";
import { BridgeProcess } from "./helpers/bridge_process.ts";
import { explain, SMOKE_FIXTURES, smokeJson } from "./fixtures/smoke/harness.ts";

const RECORDING = join(RECORDINGS_DIR, "harness-session-no-llm.jsonl");
const MANIFEST = join(RECORDINGS_DIR, "harness-session-no-llm.manifest.json");
const TRACE = join(RECORDINGS_DIR, "executa-protocol-smoke.jsonl");

/** The recording's app: its manifest, a one-file bundle and the stand-in executa. */
async function makeApp(root: string): Promise<string> {
  const app = join(root, "mini-notes");
  // the handle of the manifest's bundled:mini-notes-summary ref is the directory name (§9.2); the
  // recorded tool_id tool-test-mini-notes-summary-12345678 reaches it by aliasing (§14.5)
  const exe = join(app, "executas", "mini-notes-summary");
  await Deno.mkdir(exe, { recursive: true });
  await Deno.mkdir(join(app, "bundle"));
  await Deno.writeTextFile(join(app, "bundle", "index.html"), "<p>mini notes</p>");
  await Deno.copyFile(MANIFEST, join(app, "manifest.json"));
  await Deno.writeTextFile(
    join(exe, "executa.json"),
    JSON.stringify({
      tool_id: "mini-notes-summary-local",
      type: "node",
      command: ["node", join(SMOKE_FIXTURES, "notes_summary_plugin.mjs"), TRACE],
    }),
  );
  return app;
}

Deno.test("smoke: the vendor harness recording replays green under --no-llm, tools.invoke included", async () => {
  await using dir = await tmpDir();
  const app = await makeApp(dir.path);
  const r = await smokeJson([app, "--no-llm", "--fixtures", RECORDING]);
  assert.equal(r.code, 0, explain(r));
  const rep = r.report!;
  assert.deepEqual(rep.executas.map((e) => [e.tool_id, e.protocol, e.status, e.tools]), [
    ["mini-notes-summary-local", "v2", "pass", ["summarize_notes"]],
  ]);
  assert.equal(rep.fixtures.length, 1);
  const [fx] = rep.fixtures;
  assert.equal(fx.format, "recorded");
  const requests = (await Deno.readTextFile(RECORDING)).split("\n").filter(Boolean)
    .map((l) => JSON.parse(l)).filter((l) => l.kind === "req");
  assert.equal(fx.cases.length, requests.length);
  const notPassed = fx.cases.filter((c) => c.status !== "pass");
  assert.deepEqual(notPassed, [], JSON.stringify(notPassed).slice(0, 2000));
  const invokes = fx.cases.filter((c) => c.ns === "tools" && c.method === "invoke");
  assert.equal(invokes.length, 4);
});

// §14.5 ignores error messages, so the recorded tool_failed message is compared here, over the bridge
Deno.test("bridge --no-llm: the recorded tool_failed message, word for word (§9.7)", async () => {
  await using dir = await tmpDir();
  const app = await makeApp(dir.path);
  const lines = (await Deno.readTextFile(RECORDING)).split("\n").filter(Boolean)
    .map((l) => JSON.parse(l));
  const req = lines.find((l) => l.kind === "req" && l.ns === "tools");
  const res = lines.find((l) => l.kind === "res" && l.id === req.id);
  await using b = new BridgeProcess({ args: ["--no-llm"] });
  const s = await b.call("session.create", { app_dir: app });
  const out = await b.call("session.call", {
    session_id: s.session_id,
    ns: "tools",
    method: "invoke",
    // the bridge does no smoke aliasing: the registered id, the recorded method and args
    args: { ...req.args, tool_id: "mini-notes-summary-local" },
  }) as { ok: boolean; error: { code: string; message: string; details: unknown } };
  assert.equal(out.ok, false);
  assert.equal(out.error.code, res.error.code);
  assert.equal(out.error.message, res.error.message);
  // the contract adds {jsonrpc_code, data}; the vendor's details were {} (contract decisive)
  assert.deepEqual(out.error.details, { jsonrpc_code: -32603, data: null });
});
