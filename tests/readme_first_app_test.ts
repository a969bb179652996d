/**
 * The README's "Your first app" works as written: its code blocks, saved as the files they name,
 * make an app that validates cleanly, whose Python executa (and its Node twin) answers
 * `executa invoke`, and whose smoke run (the mock table loaded, the page booted in Chromium) passes.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { explain, REPO_ROOT, runCli } from "./fixtures/smoke/harness.ts";
import { tmpDir } from "./helpers/tmp.ts";

/** The fenced blocks of the README section, by fence language, in order. */
async function firstAppBlocks(): Promise<Record<string, string[]>> {
  const readme = await Deno.readTextFile(join(REPO_ROOT, "README.md"));
  const from = readme.indexOf("## Your first app");
  assert.ok(from >= 0, "the README has a 'Your first app' section");
  const section = readme.slice(from, readme.indexOf("\n## ", from + 5));
  const blocks: Record<string, string[]> = {};
  for (const m of section.matchAll(/```(\w+)\n([\s\S]*?)```/g)) (blocks[m[1]] ??= []).push(m[2]);
  return blocks;
}

/** The README's greeter answers `greet` and reports a missing name as a tool failure. */
async function assertGreets(greeter: string) {
  const ok = await runCli(["executa", "invoke", greeter, "greet", "--args", '{"name":"Ada"}']);
  assert.equal(ok.code, 0, explain(ok));
  assert.deepEqual(JSON.parse(ok.stdout), { greeting: "Hello, Ada!" });
  const failed = await runCli(["executa", "invoke", greeter, "greet", "--args", "{}"]);
  assert.equal(failed.code, 1, explain(failed));
  assert.match(failed.stderr, /tool_failed: name is required/);
}

Deno.test("readme: the first app, built from the README's own blocks, validates, invokes and smokes", async () => {
  const b = await firstAppBlocks();
  await using dir = await tmpDir();
  const app = join(dir.path, "firstapp");
  await Deno.mkdir(join(app, "bundle"), { recursive: true });
  await Deno.mkdir(join(app, "executas/greeter"), { recursive: true });
  await Deno.mkdir(join(app, "fixtures"), { recursive: true });
  await Deno.writeTextFile(join(app, "manifest.json"), b.json[0]);
  await Deno.writeTextFile(join(app, "bundle/index.html"), b.html[0]);
  await Deno.writeTextFile(join(app, "bundle/app.js"), b.js[0]);
  await Deno.writeTextFile(join(app, "executas/greeter/pyproject.toml"), b.toml[0]);
  await Deno.writeTextFile(join(app, "executas/greeter/greeter.py"), b.python[0]);
  await Deno.writeTextFile(join(app, "fixtures/llm-mocks.jsonl"), b.jsonl[0]);

  const valid = await runCli(["validate", app]);
  assert.equal(valid.code, 0, explain(valid));
  assert.match(valid.stdout, /valid: .* — 0 errors, 0 warnings; app 'firstapp', 1 view, 1 executa/);

  const greeter = join(app, "executas/greeter");
  await assertGreets(greeter);

  // dev.fixtures holds only the mock table here: loaded, nothing to replay; the page boots
  const chromium = Deno.env.get("ANNA_APP_CHROMIUM") ?? "/usr/bin/chromium";
  const smoke = await runCli([
    "smoke",
    app,
    "--format",
    "json",
    "--browser",
    "--chromium",
    chromium,
  ]);
  assert.equal(smoke.code, 0, explain(smoke));
  assert.deepEqual(JSON.parse(smoke.stdout).executas.map((e: { tools: string[] }) => e.tools), [[
    "greet",
  ]]);
  assert.equal(JSON.parse(smoke.stdout).browser.status, "pass");
});

Deno.test("readme: the Node greeter, from the README's own blocks, invokes and answers -32601", async () => {
  const b = await firstAppBlocks();
  await using dir = await tmpDir();
  const greeter = join(dir.path, "greeter");
  await Deno.mkdir(greeter);
  await Deno.writeTextFile(join(greeter, "package.json"), b.json[1]);
  await Deno.writeTextFile(join(greeter, "index.js"), b.js[1]);
  await assertGreets(greeter);
  // what it does not implement it answers: smoke then skips health instead of timing out
  const health = await runCli(["executa", "health", greeter]);
  assert.equal(health.stdout.trim(), "tool-greeter: not_implemented", explain(health));
});
