/**
 * Every corpus manifest (CONTRACT §17) through the real `main.ts validate` (§2.8): exit 0, exactly
 * the warnings §3 implies, each message naming its field and, where there is one, a hint with the fix.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { fileURLToPath as fromFileUrl } from "node:url";
import { CORPUS_EXPECTED, MANIFESTS_DIR } from "./helpers/corpus.ts";
import { denoDirEnv } from "./helpers/bridge_process.ts";

const ROOT = fromFileUrl(new URL("../", import.meta.url));

async function validate(file: string, ...args: string[]) {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", join(ROOT, "main.ts"), "validate", file, ...args],
    cwd: ROOT,
    env: { NO_COLOR: "1", ...denoDirEnv() },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const dec = new TextDecoder();
  return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
}

interface Diag {
  severity: string;
  code: string;
  path: string;
  message: string;
  hint?: string;
}

const files = [...Deno.readDirSync(MANIFESTS_DIR)].map((e) => e.name)
  .filter((n) => n.endsWith(".json")).sort();

Deno.test("validate CLI over the corpus: exit 0 and exactly the expected warnings, each naming its field", async (t) => {
  assert.equal(files.length, 43);
  for (const name of files) {
    await t.step(name, async () => {
      const file = join(MANIFESTS_DIR, name);
      const raw = JSON.parse(await Deno.readTextFile(file));
      const r = await validate(file, "--format", "json");
      assert.equal(r.code, 0, r.stderr);
      const doc = JSON.parse(r.stdout);
      const expected = CORPUS_EXPECTED[name] ?? [];
      assert.equal(doc.valid, true);
      assert.equal(doc.errors, 0);
      assert.equal(doc.warnings, expected.length);
      assert.equal(doc.manifest_path, file);
      assert.deepEqual(doc.views, raw.ui.views.map((v: { name: string }) => v.name));
      const diags = doc.diagnostics as Diag[];
      assert.deepEqual(diags.map((d) => `${d.code}@${d.path}`), expected);
      for (const d of diags) {
        assert.equal(d.severity, "warning");
        // the message names the field it is about (a list item by its list)
        assert.ok(d.message.includes(d.path.replace(/\[\d+\]$/, "")), `${d.path}: ${d.message}`);
        // it says what happens, and (but for a plain unknown key) the hint says what to do
        assert.match(d.message, /ignored|kept literally|running with|must /);
        if (d.code !== "unknown_key") assert.ok(d.hint && d.hint.length > 5, d.code);
      }
      // --strict turns the warnings into a failure (§2.8); a bare manifest has no bundle to scan
      const strict = await validate(file, "--strict", "--format", "json");
      assert.equal(strict.code, expected.length ? 1 : 0, strict.stderr);
    });
  }
});

Deno.test("validate CLI: a host capability listed under permissions points to host_capabilities", async () => {
  const file = join(
    MANIFESTS_DIR,
    "whtcjdtc2007__anna-executa-examples__anna-app-visual-brand.json",
  );
  const doc = JSON.parse((await validate(file, "--format", "json")).stdout);
  const hints = (doc.diagnostics as Diag[]).map((d) => [d.path, d.hint]);
  // the app lists llm.image, llm.image.edit and host.upload under both fields
  assert.deepEqual(hints, [
    [
      "permissions[5]",
      '"llm.image" is a host_capabilities value and is already listed there; remove it from permissions',
    ],
    [
      "permissions[6]",
      '"llm.image.edit" is a host_capabilities value and is already listed there; remove it from ' +
      "permissions",
    ],
    [
      "permissions[7]",
      '"host.upload" is a host_capabilities value and is already listed there; remove it from ' +
      "permissions",
    ],
  ]);
});
