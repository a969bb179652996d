/** Default commands (CONTRACT §9.3), the uv-missing python fallback, and the child env (§9.4). */
import { fileURLToPath as fromFileUrl } from "node:url";
import assert from "node:assert/strict";
import { join } from "node:path";
import {
  childEnv,
  type CommandResult,
  programSuffixes,
  pythonStandIns,
  resetCommandStateForTests,
  resolveCommand,
  whichOnPath,
} from "../lib/executa/command.ts";
import type { ExecutaSpec } from "../lib/executa/types.ts";
import { uvRunAsPython } from "../lib/executa/uv_run.ts";
import { Logger } from "../lib/util/log.ts";
import { type TmpDir, tmpDir } from "./helpers/tmp.ts";

const APPS = fromFileUrl(new URL("./fixtures/apps/", import.meta.url));
const PY = join(APPS, "py-app", "executas");
const DISC = join(APPS, "disc-app", "executas");
const IS_WINDOWS = Deno.build.os === "windows";

const spec = (over: Partial<ExecutaSpec>): ExecutaSpec => ({
  tool_id: "t",
  project_dir: "/",
  command: null,
  type: null,
  env: {},
  handle: "t",
  app_slug: null,
  ...over,
});
function argvOf(r: CommandResult): string[] {
  assert.ok("argv" in r, JSON.stringify(r));
  return r.argv;
}
function errorOf(r: CommandResult): { reason: string; message: string } {
  assert.ok("error" in r, JSON.stringify(r));
  return r.error;
}
function capture(): { logger: Logger; lines: string[] } {
  const lines: string[] = [];
  return {
    logger: new Logger({ level: "debug", format: "json", sink: (l) => lines.push(l) }),
    lines,
  };
}

/** A PATH directory holding the given programs (executable shell stubs or symlinks). */
async function pathDir(programs: Record<string, string>): Promise<TmpDir> {
  const tmp = await tmpDir();
  const dir = tmp.path;
  for (const [name, target] of Object.entries(programs)) {
    const p = join(dir, name);
    if (target.startsWith("/")) await Deno.symlink(target, p);
    else {
      await Deno.writeTextFile(p, target);
      await Deno.chmod(p, 0o755);
    }
  }
  return tmp;
}

const realPython = await (async () => {
  const found = await whichOnPath("python3", Deno.env.toObject());
  if (!found) return null;
  const out = await new Deno.Command(found, { args: ["-c", "import sys; print(sys.executable)"] })
    .output();
  return out.success ? new TextDecoder().decode(out.stdout).trim() : null;
})();

/** A test run with PATH holding only python3 (no uv), the per-process uv state reset first. */
function withoutUv(name: string, fn: (bin: string) => Promise<void>) {
  Deno.test({
    name,
    ignore: IS_WINDOWS || realPython === null,
    async fn() {
      resetCommandStateForTests();
      await using binDir = await pathDir({ python3: realPython! });
      const bin = binDir.path;
      await fn(bin);
    },
  });
}

withoutUv(
  "python without uv: -c launcher calls [project.scripts][tool_id] (src layout) and exits with its value",
  async (bin) => {
    const { logger, lines } = capture();
    const s = spec({ tool_id: "hello-py", type: "python", project_dir: join(PY, "hello-py") });
    const argv = argvOf(await resolveCommand(s, { env: { PATH: bin }, logger }));
    assert.deepEqual(argv.slice(0, 2), [join(bin, "python3"), "-c"]);
    assert.match(argv[2], /import_module\("hello_pkg\.cli"\)/);
    assert.equal(lines.length, 1);
    assert.equal(
      JSON.parse(lines[0]).msg,
      "uv not found on PATH; starting python executas with python3 directly (dependencies are not installed)",
    );
    const out = await new Deno.Command(argv[0], {
      args: argv.slice(1),
      cwd: s.project_dir,
      env: { ...childEnv(s), PYTHONDONTWRITEBYTECODE: "1" }, // keep fixtures clean
      clearEnv: true,
      stdout: "piped",
      stderr: "piped",
    }).output();
    const stdout = new TextDecoder().decode(out.stdout);
    assert.equal(out.code, 3, new TextDecoder().decode(out.stderr));
    assert.match(stdout, /^hello from hello_pkg\.cli:entry\.main argv0=hello-py$/m);
    assert.match(stdout, /^unbuffered=1$/m);
    // one warning per process
    await resolveCommand(s, { env: { PATH: bin }, logger });
    assert.equal(lines.length, 1);
  },
);

withoutUv(
  "python without uv: a script value without ':' runs as -m; ANNA_APP_PYTHON is used",
  async (bin) => {
    const { logger } = capture();
    const s = spec({ tool_id: "mod-py", type: "python", project_dir: join(PY, "mod-py") });
    const argv = argvOf(await resolveCommand(s, { env: { PATH: bin }, logger }));
    assert.deepEqual(argv, [join(bin, "python3"), "-m", "mod_pkg.run"]);
    const out = await new Deno.Command(argv[0], {
      args: argv.slice(1),
      cwd: s.project_dir,
      env: { PYTHONDONTWRITEBYTECODE: "1" },
    }).output();
    assert.equal(new TextDecoder().decode(out.stdout).trim(), "ran mod_pkg.run as __main__");
    const custom = argvOf(
      await resolveCommand(s, {
        env: { PATH: "/nonexistent", ANNA_APP_PYTHON: realPython! },
        logger,
      }),
    );
    assert.equal(custom[0], realPython);
  },
);

Deno.test("python without uv: no usable entry → no_python_entry", async () => {
  resetCommandStateForTests();
  const { logger } = capture();
  const cases: [string, RegExp][] = [
    [join(PY, "noentry-py"), /pyproject\.toml has no \[project\.scripts\] entry/],
    [join(DISC, "a-json"), /has no pyproject\.toml; give it a command instead/],
  ];
  for (const [dir, why] of cases) {
    const e = errorOf(
      await resolveCommand(spec({ type: "python", project_dir: dir }), {
        env: { PATH: "" },
        logger,
      }),
    );
    assert.equal(e.reason, "no_python_entry");
    assert.match(e.message, why);
  }
});

Deno.test("no_python_entry without a pyproject.toml names the executa.json field, not a flag only `executa` has", async () => {
  resetCommandStateForTests();
  const { logger } = capture();
  // this message reaches dev, smoke and bridge users too, where there is no --command flag
  const e = errorOf(
    await resolveCommand(spec({ type: "python", project_dir: join(DISC, "a-json") }), {
      env: { PATH: "" },
      logger,
    }),
  );
  assert.match(e.message, /"command": \["python3", "main\.py"\] in its executa\.json/);
  assert.doesNotMatch(e.message, /--command/);
});

Deno.test({
  name: "python with uv on PATH: uv run --project <dir> <tool_id>; PATH checked once",
  ignore: IS_WINDOWS,
  async fn() {
    resetCommandStateForTests();
    await using binDir = await pathDir({ uv: "#!/bin/sh\nexit 0\n" });
    const bin = binDir.path;
    const s = spec({ tool_id: "hello-py", type: "python", project_dir: join(PY, "hello-py") });
    const want = [join(bin, "uv"), "run", "--project", s.project_dir, "hello-py"];
    assert.deepEqual(argvOf(await resolveCommand(s, { env: { PATH: bin } })), want);
    await Deno.remove(join(bin, "uv"));
    assert.deepEqual(argvOf(await resolveCommand(s, { env: { PATH: bin } })), want, "cached");
  },
});

Deno.test({
  name: "node, go, binary defaults and explicit commands resolve argv[0]",
  ignore: IS_WINDOWS,
  async fn() {
    await using binDir = await pathDir({
      node: "#!/bin/sh\n",
      go: "#!/bin/sh\n",
      tool: "#!/bin/sh\n",
    });
    const bin = binDir.path;
    await using appDir = await tmpDir();
    const app = appDir.path;
    const env = { PATH: bin };
    const node = spec({ tool_id: "tool-c", type: "node", project_dir: join(DISC, "c-node-obj") });
    assert.deepEqual(argvOf(await resolveCommand(node, { env })), [
      join(bin, "node"),
      "./bin/c.js",
    ]);
    const bare = spec({ type: "node", project_dir: app });
    assert.deepEqual(argvOf(await resolveCommand(bare, { env })), [
      join(bin, "node"),
      "index.js",
    ]);
    const go = spec({ type: "go", project_dir: app });
    assert.deepEqual(argvOf(await resolveCommand(go, { env })), [join(bin, "go"), "run", "."]);
    assert.equal(
      errorOf(await resolveCommand(go, { env: { PATH: app } })).reason,
      "spawn_failed",
    );

    const dirName = app.split("/").pop()!;
    await Deno.mkdir(join(app, "bin"));
    const binary = spec({ tool_id: "my-tool", type: "binary", project_dir: app });
    assert.equal(errorOf(await resolveCommand(binary, { env })).reason, "spawn_failed");
    await Deno.writeTextFile(join(app, "bin", dirName), "#!/bin/sh\n", { mode: 0o755 });
    assert.deepEqual(argvOf(await resolveCommand(binary, { env })), [join(app, "bin", dirName)]);
    await Deno.writeTextFile(join(app, "bin", "my-tool"), "#!/bin/sh\n", { mode: 0o755 });
    assert.deepEqual(argvOf(await resolveCommand(binary, { env })), [
      join(app, "bin", "my-tool"),
    ]);

    // explicit command: a path separator resolves against project_dir, else PATH
    const rel = spec({ project_dir: app, command: ["bin/my-tool", "--x"] });
    assert.deepEqual(argvOf(await resolveCommand(rel, { env })), [
      join(app, "bin", "my-tool"),
      "--x",
    ]);
    const onPath = spec({ project_dir: app, command: ["tool", "a b"], type: "python" });
    assert.deepEqual(argvOf(await resolveCommand(onPath, { env })), [join(bin, "tool"), "a b"]);
    const missing = spec({ project_dir: app, command: ["./nope"] });
    assert.equal(errorOf(await resolveCommand(missing, { env })).reason, "spawn_failed");
    assert.equal(
      errorOf(await resolveCommand(spec({ project_dir: app }), { env })).reason,
      "no_command",
    );
  },
});

Deno.test("childEnv: runtime env + spec env + python variables, never the control token", () => {
  const base = { PATH: "/bin", KEEP: "1", ANNA_APP_CONTROL_TOKEN: "secret", PYTHONUNBUFFERED: "0" };
  const py = childEnv(spec({ type: "python", env: { KEEP: "2", EXTRA: "x" } }), base);
  assert.deepEqual(py, {
    PATH: "/bin",
    KEEP: "2",
    EXTRA: "x",
    PYTHONUNBUFFERED: "1",
    PYTHONIOENCODING: "utf-8",
  });
  const node = childEnv(spec({ type: "node" }), base);
  assert.deepEqual(node, { PATH: "/bin", KEEP: "1", PYTHONUNBUFFERED: "0" });
  assert.ok(!("ANNA_APP_CONTROL_TOKEN" in childEnv(spec({}))));
});

Deno.test("Windows: PATHEXT extensions come before, and instead of, a bare program name", () => {
  const env = { PATHEXT: ".COM;.EXE;.BAT;.CMD" };
  // Node's folder has an sh script `npx` next to `npx.cmd`; only the latter can be spawned
  assert.deepEqual(programSuffixes("npx", env, "windows"), [".COM", ".EXE", ".BAT", ".CMD"]);
  assert.deepEqual(programSuffixes("python3.11", env, "windows"), [".COM", ".EXE", ".BAT", ".CMD"]);
  assert.deepEqual(programSuffixes("python.exe", env, "windows"), [""]);
  assert.deepEqual(programSuffixes("run.Cmd", env, "windows"), [""]);
  assert.deepEqual(programSuffixes("uvx", {}, "windows"), [".COM", ".EXE", ".BAT", ".CMD"]);
  assert.deepEqual(programSuffixes("npx", env, "linux"), [""]);
  assert.deepEqual(programSuffixes("npx", env, "darwin"), [""]);
});

Deno.test({
  name:
    "an executa.json command naming `python` runs python3 where there is no `python` (macOS, Debian)",
  ignore: IS_WINDOWS,
  async fn() {
    resetCommandStateForTests();
    await using binDir = await pathDir({ python3: "#!/bin/sh\n" });
    const bin = binDir.path;
    const { logger, lines } = capture();
    const s = spec({ command: ["python", "tool.py"], type: "binary", project_dir: bin });
    const argv = argvOf(await resolveCommand(s, { env: { PATH: bin }, logger }));
    assert.deepEqual(argv, [join(bin, "python3"), "tool.py"]);
    await resolveCommand(s, { env: { PATH: bin }, logger });
    assert.deepEqual(lines.map((l) => JSON.parse(l).msg), [
      `'python' is not on PATH; starting executas that name it with ${join(bin, "python3")}`,
    ]);
    // ANNA_APP_PYTHON comes first; a name found on PATH is never replaced
    const custom = join(bin, "custom-python");
    await Deno.writeTextFile(custom, "#!/bin/sh\n");
    await Deno.chmod(custom, 0o755);
    const withEnv = { PATH: bin, ANNA_APP_PYTHON: custom };
    assert.equal(argvOf(await resolveCommand(s, { env: withEnv, logger }))[0], custom);
    const py3 = spec({ command: ["python3", "tool.py"], project_dir: bin });
    assert.equal(
      argvOf(await resolveCommand(py3, { env: withEnv, logger }))[0],
      join(bin, "python3"),
    );
    // other programs are not guessed at
    const node = spec({ command: ["nodejs", "x.js"], project_dir: bin });
    assert.equal(
      errorOf(await resolveCommand(node, { env: { PATH: bin }, logger })).reason,
      "spawn_failed",
    );
  },
});

Deno.test("pythonStandIns: python3 → python, then py on Windows; python → python3 elsewhere; ANNA_APP_PYTHON first", () => {
  assert.deepEqual(pythonStandIns("python3", {}, "windows"), ["python", "py"]);
  assert.deepEqual(pythonStandIns("python3.exe", {}, "windows"), ["python", "py"]);
  assert.deepEqual(pythonStandIns("python", {}, "windows"), ["py"]);
  assert.deepEqual(pythonStandIns("python", {}, "darwin"), ["python3"]);
  assert.deepEqual(pythonStandIns("python", {}, "linux"), ["python3"]);
  // python3 missing on a POSIX system: `python` may well be Python 2, so only an explicit choice
  assert.deepEqual(pythonStandIns("python3", {}, "linux"), []);
  const env = { ANNA_APP_PYTHON: "C:\\Py312\\python.exe" };
  assert.deepEqual(pythonStandIns("python3", env, "windows"), [
    "C:\\Py312\\python.exe",
    "python",
    "py",
  ]);
  assert.deepEqual(pythonStandIns("python3", { ANNA_APP_PYTHON: "/opt/py/bin/python3" }, "linux"), [
    "/opt/py/bin/python3",
  ]);
  assert.deepEqual(pythonStandIns("python3.11", {}, "windows"), []);
  assert.deepEqual(pythonStandIns("node", {}, "windows"), []);
});

Deno.test("uvRunAsPython: the plain-python form of executa.json `uv run` commands", () => {
  const py = (argv: string[]) => uvRunAsPython(argv, "py3");
  assert.deepEqual(py(["uv", "run", "--no-project", "python", "plug.py", "-x"]), [
    "py3",
    "plug.py",
    "-x",
  ]);
  assert.deepEqual(py(["uv", "run", "plug.py"]), ["py3", "plug.py"]);
  assert.deepEqual(py(["uv", "run", "--project", ".", "--with=requests", "python3", "a.py"]), [
    "py3",
    "a.py",
  ]);
  assert.deepEqual(py(["uv", "run", "--frozen", "-q", "--", "src/tool.py"]), [
    "py3",
    "src/tool.py",
  ]);
  assert.deepEqual(py(["uv", "run", "-m", "pkg.main", "--v"]), ["py3", "-m", "pkg.main", "--v"]);
  // no clear meaning without uv: left alone
  for (
    const argv of [
      ["uv", "run", "my-console-script"],
      ["uv", "run", "--directory", "sub", "plug.py"],
      ["uv", "run", "--some-new-flag", "plug.py"],
      ["uv", "run"],
      ["uv", "sync"],
      ["./uv", "run", "plug.py"],
      ["python3", "plug.py"],
    ]
  ) assert.equal(py(argv), null, argv.join(" "));
});

withoutUv(
  "an executa.json `uv run … python X.py` without uv runs X.py with python3, warned once",
  async (bin) => {
    const { logger, lines } = capture();
    const s = spec({
      tool_id: "rf",
      project_dir: "/tmp",
      command: ["uv", "run", "--no-project", "python", "plug.py", "--stdio"],
    });
    const argv = argvOf(await resolveCommand(s, { env: { PATH: bin }, logger }));
    assert.deepEqual(argv, [join(bin, "python3"), "plug.py", "--stdio"]);
    assert.equal(lines.length, 1);
    assert.match(JSON.parse(lines[0]).msg, /^uv not found on PATH; starting python executas/);
    await resolveCommand(s, { env: { PATH: bin }, logger });
    assert.equal(lines.length, 1, "one warning per process");

    // a form with no plain-python meaning still fails, naming uv and the way out
    const script = spec({ tool_id: "cs", command: ["uv", "run", "console-script"] });
    const e = errorOf(await resolveCommand(script, { env: { PATH: bin }, logger }));
    assert.equal(e.reason, "spawn_failed");
    assert.match(e.message, /command 'uv' was not found on PATH \(install uv, or give a command/);

    // with uv on PATH the command is kept as written
    resetCommandStateForTests();
    await using withUvDir = await pathDir({ uv: "#!/bin/sh\n", python3: realPython! });
    const withUv = withUvDir.path;
    const kept = argvOf(await resolveCommand(s, { env: { PATH: withUv }, logger }));
    assert.deepEqual(kept, [join(withUv, "uv"), ...s.command!.slice(1)]);
  },
);
