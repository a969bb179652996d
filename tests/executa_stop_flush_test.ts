/**
 * Stopping an executa closes its stdin after the lines already queued for it (CONTRACT §9.10 "close
 * stdin", §5.11 `_cancel_invoke`): a job cancelled by a session close right before a restart or a
 * runtime stop still tells the plugin. Before, stdin was closed at once and queued lines were lost.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { ExecutaProcess } from "../lib/executa/process.ts";
import { silentLogger } from "../lib/util/log.ts";
import { tmpDir } from "./helpers/tmp.ts";

// appends every stdin line to the file it is given, and exits when stdin ends
const RECORDER = `
const fs = require("fs");
const out = process.argv[1];
let buf = "";
process.stdin.on("data", (c) => {
  buf += c;
  let i;
  while ((i = buf.indexOf("\\n")) >= 0) {
    fs.appendFileSync(out, buf.slice(0, i) + "\\n");
    buf = buf.slice(i + 1);
  }
});
process.stdin.on("end", () => process.exit(0));
`;

Deno.test("executa stop: lines queued before stop() reach the plugin, then stdin closes", async () => {
  await using dir = await tmpDir();
  const out = join(dir.path, "received.jsonl");
  const proc = new ExecutaProcess({
    argv: ["node", "-e", RECORDER, out],
    cwd: dir.path,
    env: { PATH: Deno.env.get("PATH") ?? "" },
    logger: silentLogger(),
    hooks: { request() {}, notification() {}, stderr() {}, exit() {} },
  });
  const big = "x".repeat(256 * 1024); // more than a pipe holds at once: the writes really queue
  for (let i = 0; i < 20; i++) proc.notify("note", { i, big });
  proc.notify("_cancel_invoke", { invoke_id: "tjob_" + "0".repeat(32) });
  const exit = await proc.stop();
  assert.equal(exit.code, 0, "it ended on its own when stdin closed, not by a signal");
  const lines = (await Deno.readTextFile(out)).trim().split("\n").map((l) => JSON.parse(l));
  assert.equal(lines.length, 21);
  assert.deepEqual(lines.at(-1), {
    jsonrpc: "2.0",
    method: "_cancel_invoke",
    params: { invoke_id: "tjob_" + "0".repeat(32) },
  });
});
