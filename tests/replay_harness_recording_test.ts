/**
 * Replays the storage and window calls of the vendor harness recording (CONTRACT §17) through the
 * real bridge and compares them under the rules of §14.5.
 */
import assert from "node:assert/strict";
import { BridgeProcess } from "./helpers/bridge_process.ts";
import { compareSubset } from "../lib/smoke/compare.ts";
import { RECORDINGS_DIR } from "./helpers/corpus.ts";

const CORPUS = new URL(`file://${RECORDINGS_DIR}/`);

interface Line {
  kind: string;
  id?: string | number;
  ns?: string;
  method?: string;
  args?: unknown;
  ok?: boolean;
  result?: unknown;
  error?: { code: string };
}

/** Splits the recording into sessions at each meta line; pairs responses with requests. */
function sessions(text: string) {
  const out: { req: Line; res: Line }[][] = [];
  let cur: Line[] = [];
  const flush = () => {
    const res = new Map(cur.filter((l) => l.kind === "res").map((l) => [l.id, l]));
    out.push(
      cur.filter((l) => l.kind === "req").map((req) => ({ req, res: res.get(req.id)! })).filter((
        p,
      ) => p.res),
    );
  };
  for (const raw of text.split("\n")) {
    if (!raw.trim()) continue;
    const l = JSON.parse(raw) as Line;
    if (l.kind === "meta") {
      if (cur.length) flush();
      cur = [];
    } else cur.push(l);
  }
  if (cur.length) flush();
  return out;
}

Deno.test("harness recording: storage and window calls replay green through the bridge", async () => {
  const text = await Deno.readTextFile(new URL("harness-session-no-llm.jsonl", CORPUS));
  const manifest = JSON.parse(
    await Deno.readTextFile(new URL("harness-session-no-llm.manifest.json", CORPUS)),
  );
  const segs = sessions(text);
  assert.ok(segs.length >= 2, "the recording holds several sessions");
  await using b = new BridgeProcess();
  let compared = 0;
  for (const seg of segs) {
    const s = await b.call("session.create", { app_slug: "mini-notes", manifest });
    for (const { req, res } of seg) {
      if (req.ns !== "storage" && req.ns !== "window") continue;
      const outcome = await b.call("session.call", {
        session_id: s.session_id,
        ns: req.ns,
        method: req.method,
        args: req.args,
      }) as { ok: boolean; result?: unknown; error?: { code: string } };
      const where = `${req.ns}.${req.method} id=${req.id}`;
      assert.equal(outcome.ok, res.ok, where);
      if (!res.ok) {
        assert.equal(outcome.error?.code, res.error?.code, where);
      } else if (!(req.ns === "window" && req.method === "hello")) {
        const diffs = compareSubset(res.result, outcome.result);
        assert.deepEqual(diffs, [], `${where}: ${JSON.stringify(diffs).slice(0, 500)}`);
      }
      compared++;
    }
  }
  assert.ok(compared > 80, `compared ${compared} calls`);
});

// The recorded scopes list the same grants in the §3.4 table order (tools, llm, storage) while the
// recording's manifest file lists host_api as storage, tools, llm; CONTRACT §5.4 says manifest
// order, which we follow, so the set is compared here and the order is pinned in the unit tests.
Deno.test("harness recording: the recorded window.hello capabilities.scopes match ours", async () => {
  const text = await Deno.readTextFile(new URL("harness-session-no-llm.jsonl", CORPUS));
  const manifest = JSON.parse(
    await Deno.readTextFile(new URL("harness-session-no-llm.manifest.json", CORPUS)),
  );
  const hello = text.split("\n").filter(Boolean).map((l) => JSON.parse(l))
    .find((l) => l.kind === "res" && l.result?.capabilities);
  assert.ok(hello, "recording contains a hello result");
  await using b = new BridgeProcess();
  const s = await b.call("session.create", { app_slug: "mini-notes", manifest });
  const out = await b.call("session.call", {
    session_id: s.session_id,
    ns: "window",
    method: "hello",
    args: {},
  });
  const ours = out.result as { capabilities: { scopes: string[] }; view_meta: unknown };
  assert.deepEqual(
    [...ours.capabilities.scopes].sort(),
    [...hello.result.capabilities.scopes].sort(),
  );
  assert.equal(ours.capabilities.scopes.at(-1), "window.*");
  assert.deepEqual(compareSubset(hello.result.view_meta, ours.view_meta), []);
});
