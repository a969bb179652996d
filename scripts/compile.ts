/**
 * `deno task compile [--target T]… [--out-dir DIR]`: single-file binaries with `deno compile` for
 * every release target, each with a `.sha256` file, plus `SHA256SUMS` for all of them.
 *
 * `deno compile` needs the Deno runtime (denort) of each target, downloaded from dl.deno.land.
 * When that download is unreachable and `DENORT_BIN` is unset, this says so and exits 2. With
 * `DENORT_BIN` (a denort binary for one target) only the host target is built unless `--target`
 * names the one that binary is for.
 *
 * The host target's binary is run once (`version`) before it counts as built: `deno compile` takes
 * any file as DENORT_BIN, and the deno CLI itself gives a binary that is just deno.
 *
 * Exit codes: 0 built, 1 a compile failed, 2 usage error, the denort download is unreachable, or
 * DENORT_BIN is not a denort that runs here.
 */
import { basename, dirname, join, resolve } from "node:path";
import { fileURLToPath as fromFileUrl } from "node:url";
import { sha256Hex } from "../lib/util/hash.ts";
import { VERSION } from "../lib/version.ts";

const ROOT = resolve(dirname(fromFileUrl(import.meta.url)), "..");
export const TARGETS = [
  "x86_64-unknown-linux-gnu",
  "aarch64-unknown-linux-gnu",
  "x86_64-apple-darwin",
  "aarch64-apple-darwin",
  "x86_64-pc-windows-msvc",
];
const NAME = "anna-app-runtime";

function usage(msg: string): never {
  console.error(
    `error: ${msg}\nUsage: deno task compile [--target TARGET]… [--out-dir DIR]\nTargets: ${
      TARGETS.join(", ")
    }`,
  );
  Deno.exit(2);
}

function parse(args: string[]) {
  const targets: string[] = [];
  let outDir = join(ROOT, "dist");
  for (let i = 0; i < args.length; i++) {
    const [flag, inline] = args[i].includes("=") ? args[i].split(/=(.*)/s) : [args[i], undefined];
    const value = () => inline ?? args[++i] ?? usage(`${flag} needs a value`);
    if (flag === "--target") targets.push(value());
    else if (flag === "--out-dir") outDir = resolve(value());
    else usage(`unknown argument '${args[i]}'`);
  }
  for (const t of targets) if (!TARGETS.includes(t)) usage(`unknown target '${t}'`);
  return { targets, outDir };
}

function hostTarget(): string {
  const { arch, os } = Deno.build;
  if (os === "linux") return `${arch}-unknown-linux-gnu`;
  if (os === "darwin") return `${arch}-apple-darwin`;
  return `${arch}-pc-windows-msvc`;
}

const isDownloadFailure = (stderr: string) =>
  /dl\.deno\.land|denort|error sending request|dns error|Setting up base binary/i.test(stderr);

/** Null when `file version --format json` names this runtime and version, else what it printed. */
async function runsAsRuntime(file: string): Promise<string | null> {
  let printed: string;
  try {
    const r = await new Deno.Command(file, {
      args: ["version", "--format", "json"],
      env: { NO_COLOR: "1" },
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
      signal: AbortSignal.timeout(60_000),
    }).output();
    const dec = new TextDecoder();
    const out = dec.decode(r.stdout).trim();
    try {
      const v = JSON.parse(out);
      if (r.success && v.name === NAME && v.version === VERSION) return null;
    } catch { /* reported below */ }
    printed = (out || dec.decode(r.stderr).trim()).split("\n")[0] || `nothing (exit ${r.code})`;
  } catch (e) {
    printed = `nothing: ${(e as Error).message}`;
  }
  return printed.slice(0, 200);
}

async function sha256(path: string): Promise<string> {
  return sha256Hex(await Deno.readFile(path));
}

async function main(): Promise<number> {
  const opts = parse(Deno.args);
  const denort = Deno.env.get("DENORT_BIN");
  let targets = opts.targets.length ? opts.targets : TARGETS;
  if (denort && opts.targets.length === 0) {
    targets = [hostTarget()];
    console.error(
      `note: DENORT_BIN is set; building only the host target ${
        targets[0]
      } (pass --target for another)`,
    );
  }
  await Deno.mkdir(opts.outDir, { recursive: true });
  const sums: string[] = [];
  for (const target of targets) {
    const file = join(opts.outDir, `${NAME}-${target}${target.includes("windows") ? ".exe" : ""}`);
    console.error(`compiling ${basename(file)} …`);
    const r = await new Deno.Command(Deno.execPath(), {
      args: ["compile", "-A", "--target", target, "--output", file, join(ROOT, "main.ts")],
      cwd: ROOT,
      stdout: "inherit",
      stderr: "piped",
    }).output();
    const stderr = new TextDecoder().decode(r.stderr);
    if (!r.success) {
      if (!denort && isDownloadFailure(stderr)) {
        const cause = stderr.split("\n").find((l) =>
          /error sending request|dns error|Connect/.test(l)
        )?.trim();
        console.error(
          `error: cannot download the Deno runtime (denort) for ${target} from https://dl.deno.land` +
            (cause ? ` (${cause})` : "") + ".\n" +
            `deno compile needs it to build a binary. Allow access to dl.deno.land, or set DENORT_BIN ` +
            `to a denort binary for the target and pass --target <that target>. Nothing was built for ${target}.`,
        );
        return 2;
      }
      console.error(stderr);
      console.error(`error: deno compile failed for ${target} (exit ${r.code})`);
      return 1;
    }
    if (target === hostTarget()) {
      const wrong = await runsAsRuntime(file);
      if (wrong !== null) {
        await Deno.remove(file).catch(() => {});
        console.error(
          `error: the built ${basename(file)} does not run as ${NAME} ${VERSION}: ` +
            `'${basename(file)} version' printed ${JSON.stringify(wrong)}. ` +
            (denort
              ? `DENORT_BIN (${denort}) must be denort, the Deno runtime that deno compile ` +
                `embeds (denort-${target}.zip of Deno ${Deno.version.deno}), not the deno CLI ` +
                `or another program.`
              : `deno compile produced a broken binary.`) +
            ` Nothing was kept for ${target}.`,
        );
        return denort ? 2 : 1;
      }
    }
    const hex = await sha256(file);
    const line = `${hex}  ${basename(file)}`;
    await Deno.writeTextFile(`${file}.sha256`, line + "\n");
    sums.push(line);
    console.error(`  ${line}`);
  }
  await Deno.writeTextFile(join(opts.outDir, "SHA256SUMS"), sums.join("\n") + "\n");
  console.log(
    `built ${sums.length} binar${
      sums.length === 1 ? "y" : "ies"
    } in ${opts.outDir} (checksums in SHA256SUMS)`,
  );
  return 0;
}

if (import.meta.main) Deno.exit(await main());
