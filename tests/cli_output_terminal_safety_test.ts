/**
 * What the CLI prints for a developer's terminal (validate and smoke reports, dev diagnostics)
 * quotes text from the app: a third party's manifest must not reach the terminal as escape
 * sequences (window title, OSC 52 clipboard write, 8-bit CSI) or reordered (bidi) text. JSON
 * output keeps the same values, only escaped.
 */
import assert from "node:assert/strict";
import { MAIN_TS, REPO_ROOT } from "./helpers/bridge_process.ts";
import { writeAppDir } from "./helpers/app_dir.ts";
import { tmpDir } from "./helpers/tmp.ts";

const HOSTILE = "\x1b]52;c;Y3VybCBldmlsIHwgc2g=\x07\x1b[2J\u009b31m\u202e";
// deno-lint-ignore no-control-regex
const RAW = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u200e\u200f\u2028-\u202e\u2066-\u2069]/;

async function validate(dir: string, ...args: string[]) {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", MAIN_TS, "validate", dir, ...args],
    cwd: REPO_ROOT,
    stdout: "piped",
    stderr: "piped",
  }).output();
  const dec = new TextDecoder();
  return { stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
}

Deno.test("terminal safety: validate prints a hostile manifest's key names escaped, json keeps their value", async () => {
  await using tmp = await tmpDir("anna-term-");
  const manifest = {
    schema: 2,
    ui: {
      bundle: { format: "static-spa", entry: "index.html" },
      views: [{ name: "main", title: "T" }],
      // an unknown namespace: its warning quotes the key name
      host_api: { [`storage${HOSTILE}`]: ["get"] },
    },
  };
  await writeAppDir(tmp.path, manifest, "<!doctype html><p>x");

  const pretty = await validate(tmp.path);
  assert.match(pretty.stdout, /host_api_unknown_namespace/);
  assert.doesNotMatch(pretty.stdout, RAW, "raw control or bidi characters on stdout");
  assert.doesNotMatch(pretty.stderr, RAW, "raw control or bidi characters on stderr");
  assert.ok(pretty.stdout.includes("\\u001b]52;c;"), pretty.stdout);

  const json = await validate(tmp.path, "--format", "json");
  assert.doesNotMatch(json.stdout, RAW);
  const doc = JSON.parse(json.stdout);
  const d = doc.diagnostics.find((x: { code: string }) => x.code === "host_api_unknown_namespace");
  assert.ok(d.message.includes(`storage${HOSTILE}`), "the same text, escaped only on the wire");
});
