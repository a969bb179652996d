/**
 * `deno task bundle [--out FILE]`: one JavaScript file with every command, runnable anywhere with
 * `deno run -A --no-config dist/anna-app-runtime.js <command> …` (or run the file itself).
 *
 * - `deno bundle --platform deno main.ts`; the command table's dynamic `import("./x.ts")` calls
 *   are string literals, so esbuild inlines every command module (checked below).
 * - `playwright-core` (only loaded by `smoke --browser`) is CommonJS that needs `__dirname` and its
 *   own package files, so it is left external and its import rewritten to the exact `npm:`
 *   specifier of deno.json, computed so that Deno fetches it from npm (once, into DENO_DIR) only
 *   when `smoke --browser` runs, not whenever the bundle loads.
 * - The version is inlined from deno.json (lib/version.ts), still its one place.
 * - Run it with `--no-config` (the shebang does): Deno otherwise applies a deno.json or
 *   package.json found beside or above the file, whose lock file or `nodeModulesDir` setting
 *   would stop `npm:playwright-core` from loading, or write it into that project's lock file.
 */
import { dirname, join, resolve } from "node:path";
import { fileURLToPath as fromFileUrl } from "node:url";

const ROOT = resolve(dirname(fromFileUrl(import.meta.url)), "..");
const EXTERNAL = ["playwright-core"];

function usage(msg: string): never {
  console.error(`error: ${msg}\nUsage: deno task bundle [--out FILE]`);
  Deno.exit(2);
}

function outPath(args: string[]): string {
  let out = join(ROOT, "dist", "anna-app-runtime.js");
  for (let i = 0; i < args.length; i++) {
    const [flag, inline] = args[i].includes("=") ? args[i].split(/=(.*)/s) : [args[i], undefined];
    if (flag !== "--out") usage(`unknown argument '${args[i]}'`);
    const v = inline ?? args[++i];
    if (!v) usage("--out needs a file path");
    out = resolve(v);
  }
  return out;
}

/** A path as a shell word: quoted when it holds anything but safe characters. */
const shellWord = (p: string) => /^[\w@%+=:,./-]+$/.test(p) ? p : `'${p.replaceAll("'", `'\\''`)}'`;

async function main(): Promise<number> {
  const out = outPath(Deno.args);
  const config = JSON.parse(await Deno.readTextFile(join(ROOT, "deno.json")));
  const imports: Record<string, string> = config.imports ?? {};
  await Deno.mkdir(dirname(out), { recursive: true });

  const cmd = new Deno.Command(Deno.execPath(), {
    args: [
      "bundle",
      "--platform",
      "deno",
      ...EXTERNAL.flatMap((e) => ["--external", e]),
      "--output",
      out,
      join(ROOT, "main.ts"),
    ],
    cwd: ROOT,
    stdout: "inherit",
    stderr: "inherit",
  });
  const r = await cmd.output();
  if (!r.success) {
    console.error(`error: deno bundle failed (exit ${r.code})`);
    return 1;
  }

  let text = await Deno.readTextFile(out);
  for (const name of EXTERNAL) {
    const spec = imports[name];
    if (!spec?.startsWith("npm:")) {
      console.error(`error: deno.json imports has no npm: specifier for external '${name}'`);
      return 1;
    }
    const before = text;
    // a computed specifier: Deno prefetches literal dynamic imports when the bundle loads, which
    // would fetch playwright-core from npm on every command, even `version`; now only on use
    text = text.replaceAll(`import("${name}")`, `import(String(${JSON.stringify(spec)}))`)
      .replaceAll(`from "${name}"`, `from "${spec}"`);
    if (text === before) {
      console.error(
        `error: the bundle does not import '${name}' where expected; check scripts/bundle.ts`,
      );
      return 1;
    }
  }
  // every command module must be inside: no relative dynamic import may remain
  const leftovers = [...text.matchAll(/import\(\s*["'](\.{1,2}\/[^"']+)["']\s*\)/g)].map((m) =>
    m[1]
  );
  if (leftovers.length) {
    console.error(`error: the bundle still loads modules at run time: ${leftovers.join(", ")}`);
    return 1;
  }
  if (!text.startsWith("#!")) text = "#!/usr/bin/env -S deno run -A --no-config\n" + text;
  await Deno.writeTextFile(out, text);
  try {
    await Deno.chmod(out, 0o755);
  } catch { /* not on Windows */ }
  const kib = Math.round(new TextEncoder().encode(text).length / 1024);
  console.log(
    `bundled ${out} (${kib} KiB); run it with: deno run -A --no-config ${shellWord(out)} <command>`,
  );
  return 0;
}

Deno.exit(await main());
