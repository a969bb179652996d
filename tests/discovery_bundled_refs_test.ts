/**
 * A `bundled:<h>` ref naming no executa folder of the app is reported (an `executa_discovery`
 * warning with the likely handle) by `validate`, `smoke` and `session.create {app_dir}`; refs that
 * a folder, a `<h>-…` folder or a skill explains are not.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { explain, runCli } from "./fixtures/smoke/harness.ts";
import { writeAppDir } from "./helpers/app_dir.ts";
import { tmpDir } from "./helpers/tmp.ts";
import { makeRuntime } from "./helpers/runtime.ts";

const PLUGIN = `import json, sys

def main():
    for line in sys.stdin:
        msg = json.loads(line)
        if msg.get("id") is None:
            continue
        if msg["method"] == "describe":
            result = {"name": "x", "tools": [{"name": "t"}]}
        elif msg["method"] == "initialize":
            result = {"protocolVersion": "2.0"}
        else:
            print(json.dumps({"jsonrpc": "2.0", "id": msg["id"], "error": {"code": -32601, "message": "no"}}), flush=True)
            continue
        print(json.dumps({"jsonrpc": "2.0", "id": msg["id"], "result": result}), flush=True)
`;

async function app(dir: string, refs: string[]): Promise<string> {
  const root = join(dir, "app");
  const py = (name: string, id: string) =>
    Deno.mkdir(join(root, "executas", name), { recursive: true }).then(() =>
      Deno.writeTextFile(
        join(root, "executas", name, "pyproject.toml"),
        `[project]\nname = "${name}"\n[project.scripts]\n${id} = "main:main"\n`,
      )
    ).then(() => Deno.writeTextFile(join(root, "executas", name, "main.py"), PLUGIN));
  await py("py-greet", "tool-py-greet");
  await py("notes-summary", "tool-notes");
  // a skill folder: skipped on purpose by discovery, and a legitimate target of a bundled ref
  await Deno.mkdir(join(root, "executas", "writing-skill"), { recursive: true });
  await Deno.writeTextFile(join(root, "executas", "writing-skill", "SKILL.md"), "# skill\n");
  return await writeAppDir(
    root,
    {
      schema: 2,
      required_executas: refs.map((tool_id) => ({ tool_id })),
      ui: { bundle: {}, views: [{ name: "main", title: "M" }] },
    },
    "<!doctype html><title>x</title>",
  );
}

type Diag = { code: string; path: string; message: string; hint?: string };
const refWarnings = (ds: Diag[]) =>
  ds.filter((d) => d.code === "executa_discovery" && d.path.startsWith("required_executas"));

Deno.test("bundled refs: a typo in the handle is a warning naming the likely one; matched refs are not", async () => {
  await using dir = await tmpDir();
  const root = await app(dir.path, [
    "bundled:greet", // too far from every handle: the hint lists them
    "bundled:py-gret",
    "bundled:py-greet",
    "bundled:notes", // notes-summary: the <h>-… folder rule
    "bundled:writing-skill",
  ]);
  const r = await runCli(["validate", root, "--format", "json"]);
  assert.equal(r.code, 0, explain(r));
  const found = refWarnings(JSON.parse(r.stdout).diagnostics);
  assert.deepEqual(found.map((d) => d.path), [
    "required_executas[0].tool_id",
    "required_executas[1].tool_id",
  ]);
  assert.match(found[0].message, /^bundled:greet names no executa folder of this app/);
  assert.equal(
    found[0].hint,
    "bundled executas here: bundled:notes-summary, bundled:py-greet, bundled:writing-skill",
  );
  assert.equal(found[1].hint, 'did you mean "bundled:py-greet"?');

  const smoke = await runCli(["smoke", root, "--format", "json", "--no-fixtures"]);
  const rep = JSON.parse(smoke.stdout);
  assert.ok(
    rep.warnings.some((w: string) => w.includes("bundled:py-gret names no executa folder")),
    JSON.stringify(rep.warnings),
  );
});

Deno.test("bundled refs: session.create {app_dir} reports them with the discovery warnings", async () => {
  await using dir = await tmpDir();
  const root = await app(dir.path, ["bundled:py-gret"]);
  await using t = await makeRuntime();
  const s = await t.call("session.create", { app_dir: root }) as { warnings: Diag[] };
  const found = refWarnings(s.warnings);
  assert.equal(found.length, 1, JSON.stringify(s.warnings));
  assert.equal(found[0].hint, 'did you mean "bundled:py-greet"?');
});
