// A first executa's command that cannot start (CONTRACT §9.3, §9.9 spawn_failed) says which
// executa it is and how to start the file instead: no shell runs it, so a script needs its exec
// bit or its interpreter, and a bare name is looked up on PATH only, never in the executa folder.
import assert from "node:assert/strict";
import { join } from "node:path";
import { resolveCommand } from "../lib/executa/command.ts";
import type { ExecutaSpec } from "../lib/executa/types.ts";
import { tmpDir } from "./helpers/tmp.ts";

const spec = (dir: string, over: Partial<ExecutaSpec>): ExecutaSpec => ({
  tool_id: "tool-echo",
  project_dir: dir,
  command: null,
  type: null,
  env: {},
  handle: "echo",
  app_slug: null,
  ...over,
});

async function failure(dir: string, over: Partial<ExecutaSpec>): Promise<string> {
  const r = await resolveCommand(spec(dir, over), { env: { PATH: "" } });
  assert.ok("error" in r, JSON.stringify(r));
  assert.equal(r.error.reason, "spawn_failed");
  return r.error.message;
}

Deno.test(
  {
    name: "a script without its exec bit: chmod +x, or its interpreter",
    ignore: Deno.build.os === "windows",
  },
  async () => {
    await using tmp = await tmpDir();
    const dir = tmp.path;
    await Deno.writeTextFile(join(dir, "main.py"), "#!/usr/bin/env python3\n");
    await Deno.chmod(join(dir, "main.py"), 0o644);
    const m = await failure(dir, { command: ["./main.py"] });
    assert.equal(
      m,
      `executa tool-echo: command ${join(dir, "main.py")} is not executable: chmod +x it ` +
        `(with a #! line), or start it with its interpreter: ["python3", "./main.py"]`,
    );
    await Deno.mkdir(join(dir, "bin"));
    await Deno.writeTextFile(join(dir, "bin", "tool-echo"), "#!/bin/sh\n");
    const bin = await failure(dir, { type: "binary" });
    assert.match(bin, /; .*bin\/tool-echo has no exec bit: chmod \+x it$/);
  },
);

Deno.test("a path that does not exist says it is taken from the executa folder", async () => {
  await using tmp = await tmpDir();
  const dir = tmp.path;
  const rel = await failure(dir, { command: ["./echo/index.js"] });
  assert.equal(
    rel,
    `executa tool-echo: command ${join(dir, "echo", "index.js")} does not exist (a relative ` +
      `path is taken from the executa folder ${dir}, the process's working directory)`,
  );
});

Deno.test("a bare file name of the executa folder is named with the way to start it", async () => {
  await using tmp = await tmpDir();
  const dir = tmp.path;
  await Deno.writeTextFile(join(dir, "index.js"), "");
  const m = await failure(dir, { command: ["index.js"] });
  assert.equal(
    m,
    `executa tool-echo: command 'index.js' was not found on PATH; index.js in the executa ` +
      `folder is found only with a path: ["node", "index.js"] or "./index.js"`,
  );
  // a program that is simply missing keeps the short message
  assert.equal(
    await failure(dir, { command: ["nodejs", "index.js"] }),
    "executa tool-echo: command 'nodejs' was not found on PATH",
  );
});

Deno.test("a command string split through a path with spaces names the array form", async () => {
  await using tmp = await tmpDir("spaced é "); // a directory name with spaces
  const dir = tmp.path;
  await Deno.mkdir(join(dir, "bin dir"));
  await Deno.writeTextFile(join(dir, "bin dir", "rün é.py"), "#!/usr/bin/env python3\n");
  // what executa.json "command": "./bin dir/rün é.py --v" or --command gives after the split
  const m = await failure(dir, { command: ["./bin", "dir/rün", "é.py", "--v"] });
  assert.ok(
    m.endsWith(
      `; a command string is split on whitespace, so the path './bin dir/rün é.py' became 3 ` +
        `words: give the command as a JSON array, e.g. ["./bin dir/rün é.py","--v"]`,
    ),
    m,
  );
  // a bare first word (a PATH lookup) gets the same hint
  await Deno.writeTextFile(join(dir, "my tool"), "#!/bin/sh\n");
  const bare = await failure(dir, { command: ["my", "tool"] });
  assert.match(
    bare,
    /not found on PATH; .* the path 'my tool' became 2 words: .*\["\.\/my tool"\]$/,
  );
});
