/**
 * `--ignore-key` takes a key name ignored at any depth (CONTRACT §14.5); the diff lines show paths,
 * and a path passed as a key quietly matched nothing.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { SMOKE_FIXTURES } from "./fixtures/smoke/harness.ts";
import { tmpDir } from "./helpers/tmp.ts";
import { runSmoke } from "../lib/smoke/runner.ts";
import { smokeOptions } from "./helpers/smoke_options.ts";

Deno.test("smoke --ignore-key: a path copied from a diff line that matched no key is a warning naming the key to pass", async () => {
  await using dir = await tmpDir();
  const file = join(dir.path, "f.jsonl");
  await Deno.writeTextFile(
    file,
    [
      '{"t":1,"dir":"out","ns":"storage","method":"set","args":{"key":"k","value":{"v":1,"a.b":2}},"result":{"ok":true}}',
      '{"t":2,"dir":"out","ns":"storage","method":"get","args":{"key":"k"},"result":{"value":{"v":2,"a.b":3}}}',
    ].join("\n"),
  );
  const { report } = await runSmoke(smokeOptions(join(SMOKE_FIXTURES, "basic-app"), dir.path, {
    fixtures: [file],
    noFixtures: false,
    // a real key with a dot is met, so it is no path
    ignoreKeys: ["result.value.v", "value[0].v", "a.b"],
  }));
  assert.equal(report.exit_code, 1);
  assert.deepEqual(report.fixtures[0].cases[1].diff?.map((d) => d.path), ["result.value.v"]);
  assert.deepEqual(report.warnings.filter((w) => w.startsWith("--ignore-key")), [
    "--ignore-key 'result.value.v' matched no key: it takes a key name, ignored at any depth, " +
    "not a path (--ignore-key v)",
    "--ignore-key 'value[0].v' matched no key: it takes a key name, ignored at any depth, not a " +
    "path (--ignore-key v)",
  ]);
});
