/** `--executa` specs (CONTRACT §2.10) and `executas.register` params (§4.4.8). */
import { fileURLToPath as fromFileUrl } from "node:url";
import assert from "node:assert/strict";
import { join } from "node:path";
import { UsageError } from "../lib/cli/flags.ts";
import { RpcError } from "../lib/core/rpc_error.ts";
import { parseExecutaFlag, parseExecutaFlags } from "../lib/executa/spec.ts";
import { validateRegisterParams } from "../lib/bridge/executa_methods.ts";

const MAIN_TS = fromFileUrl(new URL("../main.ts", import.meta.url));
const DISC = fromFileUrl(new URL("./fixtures/apps/disc-app/", import.meta.url)).replace(/\/$/, "");
const ex = (n: string) => join(DISC, "executas", n);
/** A spec that must come out (not a skipped skill). */
async function parse(spec: string, base: string) {
  const s = await parseExecutaFlag(spec, base);
  assert.ok(s, `${spec} gave no spec`);
  return s;
}

Deno.test("--executa: dir alone derives tool_id, type, command and handle", async () => {
  assert.deepEqual(await parse("dir=executas/b-py", DISC), {
    tool_id: "tool-b",
    project_dir: ex("b-py"),
    command: null,
    type: "python",
    env: {},
    handle: "bee",
    app_slug: null,
  });
  const n = await parse("dir=executas/n-transport", DISC);
  assert.deepEqual([n.tool_id, n.type, n.command], ["tool-n", "node", [
    "node",
    "srv.js",
    "--stdio",
  ]]);
  // enabled:false is ignored for an explicit --executa
  const j = await parse("dir=executas/j-disabled", DISC);
  assert.deepEqual([j.tool_id, j.type, j.handle], ["tool-j", "node", "j-disabled"]);
});

Deno.test("--executa: explicit keys win; command as JSON array (with commas) or split on spaces", async () => {
  const a = await parse(
    'dir=executas/a-json,tool_id=my-tool,handle=h,type=binary,command=["python3","x.py","a,b"]',
    DISC,
  );
  assert.deepEqual(
    [a.tool_id, a.handle, a.type, a.command],
    ["my-tool", "h", "binary", ["python3", "x.py", "a,b"]],
  );
  const b = await parse(
    "dir=executas/g-go,tool_id=g,type=go,command=go run ./cmd",
    DISC,
  );
  assert.deepEqual([b.tool_id, b.type, b.command], ["g", "go", ["go", "run", "./cmd"]]);
  // a different type than the directory describes drops the directory's command
  const c = await parse("dir=executas/n-transport,type=binary", DISC);
  assert.deepEqual([c.type, c.command], ["binary", null]);
  const abs = await parse(`dir=${ex("c-node-obj")}`, "/nonexistent-base");
  assert.equal(abs.tool_id, "tool-c");
});

Deno.test("--executa: a skill folder runs no process (§9.1): skipped with a warning naming it", async () => {
  const warnings: string[] = [];
  assert.equal(await parseExecutaFlag("dir=executas/i-skill,type=node", DISC, warnings), null);
  assert.deepEqual(warnings, [
    `--executa 'dir=executas/i-skill,type=node': executas/i-skill is a skill (executa_type "skill" in its executa.json); skills run no process, so it is skipped`,
  ]);
  // through the real CLI: validate lists no executa and reports the warning
  const out = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      MAIN_TS,
      "validate",
      DISC,
      "--executa",
      "dir=executas/i-skill",
      "--format",
      "json",
    ],
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
  const report = JSON.parse(new TextDecoder().decode(out.stdout));
  assert.deepEqual(report.executas, []);
  assert.ok(
    report.diagnostics.some((d: { severity: string; message: string }) =>
      d.severity === "warning" && d.message.includes("executas/i-skill is a skill")
    ),
    JSON.stringify(report.diagnostics),
  );
});

Deno.test("--executa: a tool_id given twice keeps the first, with a warning naming both flags (as §9.2)", async () => {
  const warnings: string[] = [];
  const specs = await parseExecutaFlags(
    ["dir=executas/b-py", "dir=executas/n-transport,tool_id=tool-b", "dir=executas/n-transport"],
    DISC,
    warnings,
  );
  assert.deepEqual(specs.map((s) => [s.tool_id, s.project_dir]), [
    ["tool-b", ex("b-py")],
    ["tool-n", ex("n-transport")],
  ]);
  assert.deepEqual(warnings, [
    `skipping --executa 'dir=executas/n-transport,tool_id=tool-b': tool_id "tool-b" already ` +
    `provided by --executa 'dir=executas/b-py'`,
  ]);
});

Deno.test("--executa: usage errors name the problem", async () => {
  const cases: [string, RegExp][] = [
    ["tool_id=x", /'dir' is required/],
    ["dir=executas/nope", /is not a directory/],
    ["dir=executas/a-json,type=rust", /type must be one of python\|node\|go\|binary/],
    ["dir=executas/a-json,colour=red", /unknown key 'colour'/],
    ["dir=executas/a-json,dir=x", /given twice/],
    ["dir=executas/a-json,tool_id=", /empty value/],
    ['dir=executas/a-json,command=["x",', /not a valid JSON array/],
    ["dir=executas/a-json,command=[1]", /non-empty array of strings/],
    ["dir=executas/m-skillmd", /cannot derive a tool_id/],
    ["dir=executas/m-skillmd,tool_id=s", /cannot derive how to start/],
    ["justtext", /expected key=value/],
  ];
  for (const [spec, re] of cases) {
    await assert.rejects(parseExecutaFlag(spec, DISC), (e: unknown) => {
      assert.ok(e instanceof UsageError, spec);
      assert.match(e.message, re, spec);
      return true;
    });
  }
});

async function rpcError(p: Promise<unknown>): Promise<RpcError> {
  try {
    await p;
  } catch (e) {
    assert.ok(e instanceof RpcError);
    assert.equal(e.code, -32602);
    assert.equal(e.message, "invalid_params");
    return e;
  }
  assert.fail("expected an RpcError");
}

Deno.test("executas.register: one spec or a list; relative dirs, string commands, env, app_slug", async () => {
  const one = await validateRegisterParams(
    {
      tool_id: "t1",
      project_dir: "executas/a-json",
      command: " python3  -u run.py ",
      env: { A: "1" },
    },
    DISC,
  );
  assert.deepEqual(one, [{
    tool_id: "t1",
    project_dir: ex("a-json"),
    command: ["python3", "-u", "run.py"],
    type: null,
    env: { A: "1" },
    handle: "alpha",
    app_slug: null,
  }]);
  const list = await validateRegisterParams({
    executas: [
      { tool_id: "t2", project_dir: ex("b-py") },
      {
        tool_id: "t3",
        project_dir: ex("c-node-obj"),
        type: "binary",
        handle: "hh",
        app_slug: "notes",
      },
    ],
    extra: "ignored",
  }, "/");
  assert.deepEqual(list.map((s) => [s.tool_id, s.type, s.command, s.handle, s.app_slug]), [
    ["t2", "python", null, "b-py", null], // type derived from pyproject.toml
    ["t3", "binary", null, "hh", "notes"],
  ]);
  assert.deepEqual(await validateRegisterParams({ executas: [] }, DISC), []);
  const derivedCmd = await validateRegisterParams(
    { tool_id: "x", project_dir: ex("n-transport") },
    "/",
  );
  assert.deepEqual(derivedCmd[0].command, ["node", "srv.js", "--stdio"]);
});

Deno.test("executas.register: zod issues with paths", async () => {
  const e = await rpcError(validateRegisterParams({
    executas: [{ tool_id: "", project_dir: 3, type: "rust", env: { A: 1 } }],
  }, DISC));
  const issues = e.data?.issues as { path: string; message: string }[];
  assert.deepEqual(issues.map((i) => i.path).sort(), [
    "executas[0].env.A",
    "executas[0].project_dir",
    "executas[0].tool_id",
    "executas[0].type",
  ]);
  // worded like every other method's issues, not zod's own text
  const byPath = Object.fromEntries(issues.map((i) => [i.path, i.message]));
  assert.equal(byPath["executas[0].tool_id"], "must have at least 1 character");
  assert.equal(byPath["executas[0].project_dir"], "must be a string, not a number");
  const single = await rpcError(validateRegisterParams({ project_dir: "." }, DISC));
  assert.deepEqual(single.data?.issues, [{ path: "tool_id", message: "is required (a string)" }]);
  const empty = await rpcError(
    validateRegisterParams({ tool_id: "x", project_dir: ".", command: [] }, DISC),
  );
  assert.deepEqual((empty.data?.issues as { path: string }[]).map((i) => i.path), ["command"]);
  await rpcError(validateRegisterParams("nope", DISC));
});

Deno.test("executas.register: a command of the wrong shape says which shapes are accepted", async () => {
  for (const command of [[1, 2], ["python3", 3], { argv: ["x"] }, 7]) {
    const e = await rpcError(
      validateRegisterParams({ tool_id: "x", project_dir: ".", command }, DISC),
    );
    const issues = e.data?.issues as { path: string; message: string }[];
    assert.equal(issues.length, 1, JSON.stringify(issues));
    assert.equal(issues[0].path, "command");
    assert.match(
      issues[0].message,
      /argv array of strings .* or one string/,
      JSON.stringify(command),
    );
  }
});

Deno.test("executas.register: missing project_dir and no derivable command have reasons", async () => {
  const missing = await rpcError(
    validateRegisterParams({ tool_id: "x", project_dir: "nope" }, DISC),
  );
  assert.equal(missing.data?.reason, "project_dir_not_found");
  assert.equal(missing.data?.project_dir, join(DISC, "nope"));
  const noCmd = await rpcError(
    validateRegisterParams({ tool_id: "x", project_dir: ex("m-skillmd") }, DISC),
  );
  assert.equal(noCmd.data?.reason, "no_command");
  assert.match((noCmd.data?.issues as { message: string }[])[0].message, /pass "type"/);
});
