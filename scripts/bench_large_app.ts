/**
 * Large-app benchmark (not a test): builds a big app in a temp dir — thousands of bundle files in
 * nested folders, some with long names, a few large media assets, a manifest with many views and
 * tool grants — and measures what such an app makes slow, each against a baseline in the same run:
 *
 * - `validate` (and `validate --strict`, which reads the bundle) and `dev` startup to its json
 *   line, vs the same on a one-file app;
 * - serving the largest asset, whole and as a `Range` tail, and 200 small files, from the real
 *   `dev` app origin vs a bare `Deno.serve` streaming `Deno.open` in this process; plus the dev
 *   process's peak RSS growth while serving (a file read whole would show its size here);
 * - a burst of file changes in the bundle: how many reloads the log gets (one is right), how many
 *   paths it names, and the dev process's CPU time for the burst (Linux only).
 *
 * Rounds alternate the order of each pair; ratios are the median of per-round ratios. Keep runs
 * short on a shared machine: the defaults take well under a minute. Writes
 * .artifacts/bench_large_app.json.
 *
 *   deno run -A scripts/bench_large_app.ts [--files N] [--assets-mb 20,35,50] [--views N]
 *        [--tools N] [--burst N] [--rounds N] [--out FILE]
 */
import { parseArgs } from "node:util";
import { dirname, fromFileUrl, join } from "./bench/paths.ts";

const ROOT = join(dirname(fromFileUrl(import.meta.url)), "..");
const MAIN_TS = join(ROOT, "main.ts");
const { values } = parseArgs({
  args: Deno.args,
  options: {
    files: { type: "string", default: "5000" },
    "assets-mb": { type: "string", default: "20,35,50" },
    views: { type: "string", default: "40" },
    tools: { type: "string", default: "100" },
    burst: { type: "string", default: "1000" },
    rounds: { type: "string", default: "3" },
    out: { type: "string", default: join(ROOT, ".artifacts/bench_large_app.json") },
  },
});
const FILES = Number(values.files);
const ASSETS_MB = values["assets-mb"]!.split(",").map(Number).filter((n) => n > 0);
const VIEWS = Number(values.views);
const TOOLS = Number(values.tools);
const BURST = Number(values.burst);
const ROUNDS = Number(values.rounds);

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[s.length >> 1] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const round = (x: number, d = 2) => +x.toFixed(d);

// ---- the apps ------------------------------------------------------------------------------
const work = await Deno.makeTempDir({ prefix: "anna-bench-large-" });
const home = join(work, "home");
await Deno.mkdir(home);

/** Bundle-relative paths of the generated small files, in creation order. */
const smallFiles: string[] = [];

async function writeManifest(dir: string, views: number, tools: number) {
  await Deno.writeTextFile(
    join(dir, "manifest.json"),
    JSON.stringify({
      schema: 2,
      ui: {
        bundle: { format: "static-spa", entry: "index.html" },
        views: Array.from({ length: views }, (_, i) => ({
          name: `view-${i}`,
          title: `View ${i}`,
          entry: `index.html#v${i}`,
        })),
        host_api: {
          storage: ["get", "set", "delete", "list"],
          tools: Array.from({ length: tools }, (_, i) => `tool-${i}`),
        },
      },
    }),
  );
}

async function writeEntry(bundle: string) {
  await Deno.mkdir(bundle, { recursive: true });
  await Deno.writeTextFile(
    join(bundle, "index.html"),
    '<!doctype html><html><body><script src="app.js"></script></body></html>\n',
  );
  await Deno.writeTextFile(join(bundle, "app.js"), 'anna.storage.set("k", 1);\n');
}

const bigApp = join(work, "big-app");
const tinyApp = join(work, "tiny-app");
await Deno.mkdir(bigApp, { recursive: true });
await writeManifest(bigApp, VIEWS, TOOLS);
await writeEntry(join(bigApp, "bundle"));
await Deno.mkdir(tinyApp, { recursive: true });
await writeManifest(tinyApp, 1, 0);
await writeEntry(join(tinyApp, "bundle"));
{
  // pkg-A/mod-B/deep/er/file-C.js: 10 files a folder, 4 levels deep; every tenth name is long
  const pad = "/* " + "y".repeat(200) + " */\n";
  outer: for (let a = 0;; a++) {
    for (let b = 0; b < 10; b++) {
      const rel = `pkg-${a}/mod-${b}/deep/er`;
      await Deno.mkdir(join(bigApp, "bundle", rel), { recursive: true });
      for (let c = 0; c < 10; c++) {
        if (smallFiles.length >= FILES) break outer;
        const name = `${rel}/file-${c}${c === 0 ? "-" + "x".repeat(180) : ""}.js`;
        await Deno.writeTextFile(
          join(bigApp, "bundle", name),
          `export const v${smallFiles.length} = ${smallFiles.length};\n${pad}`,
        );
        smallFiles.push(name);
      }
    }
  }
  await Deno.mkdir(join(bigApp, "bundle", "assets"));
  const chunk = new Uint8Array(1 << 20).fill(7);
  for (const mb of ASSETS_MB) {
    using f = await Deno.open(join(bigApp, "bundle", "assets", `big-${mb}.mp4`), {
      write: true,
      create: true,
    });
    for (let i = 0; i < mb; i++) await f.write(chunk);
  }
}
const bigAsset = `assets/big-${Math.max(...ASSETS_MB)}.mp4`;
const bigAssetBytes = Math.max(...ASSETS_MB) * (1 << 20);

// ---- processes -----------------------------------------------------------------------------
const env = { HOME: home, NO_COLOR: "1", ANNA_APP_DEV_KEY_FILE: join(home, "dev.key") };

async function timedRun(args: string[]): Promise<number> {
  const t = performance.now();
  await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", MAIN_TS, ...args],
    env,
    stdout: "null",
    stderr: "null",
  }).output();
  return performance.now() - t;
}

interface Dev {
  child: Deno.ChildProcess;
  info: Record<string, string>;
  startupMs: number;
  stop(): Promise<void>;
}

async function startDev(app: string): Promise<Dev> {
  const t = performance.now();
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", MAIN_TS, "dev", app, "--port", "0", "--format", "json"],
    env,
    stdin: "null",
    stdout: "piped",
    stderr: "null",
  }).spawn();
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let text = "";
  while (!text.includes("\n")) {
    const r = await reader.read();
    if (r.done) throw new Error(`dev ${app} exited before its startup line`);
    text += r.value;
  }
  const startupMs = performance.now() - t;
  const info = JSON.parse(text.slice(0, text.indexOf("\n")));
  (async () => {
    while (!(await reader.read()).done) { /* keep stdout drained */ }
  })().catch(() => {});
  return {
    child,
    info,
    startupMs,
    async stop() {
      try {
        child.kill("SIGTERM");
      } catch { /* gone */ }
      await child.status;
    },
  };
}

/** utime+stime of a process in ms, or null off Linux. */
function cpuMs(pid: number): number | null {
  try {
    const f = Deno.readTextFileSync(`/proc/${pid}/stat`).split(") ")[1].split(" ");
    return (Number(f[11]) + Number(f[12])) * 10;
  } catch {
    return null;
  }
}
/** Peak RSS (VmHWM) of a process in MiB, or null off Linux. */
function peakRssMb(pid: number): number | null {
  try {
    const m = /VmHWM:\s+(\d+)/.exec(Deno.readTextFileSync(`/proc/${pid}/status`));
    return m ? round(Number(m[1]) / 1024, 1) : null;
  } catch {
    return null;
  }
}

// ---- the bare baseline: Deno.serve + Deno.open, the same files -----------------------------
const bareRoot = join(bigApp, "bundle");
const bare = Deno.serve({ port: 0, hostname: "127.0.0.1", onListen() {} }, async (req) => {
  const path = decodeURIComponent(new URL(req.url).pathname.slice(1));
  const f = await Deno.open(join(bareRoot, path));
  const size = (await f.stat()).size;
  const m = /^bytes=(\d+)-$/.exec(req.headers.get("range") ?? "");
  if (!m) return new Response(f.readable, { headers: { "Content-Length": String(size) } });
  const first = Number(m[1]);
  await f.seek(first, Deno.SeekMode.Start);
  return new Response(f.readable, {
    status: 206,
    headers: {
      "Content-Length": String(size - first),
      "Content-Range": `bytes ${first}-${size - 1}/${size}`,
    },
  });
});
const bareBase = `http://127.0.0.1:${bare.addr.port}/`;

async function fetchAll(url: string, headers: Record<string, string> = {}) {
  const t = performance.now();
  const r = await fetch(url, { headers });
  let n = 0;
  for await (const chunk of r.body!) n += chunk.length;
  return { ms: performance.now() - t, bytes: n, status: r.status };
}

// ---- measurements ------------------------------------------------------------------------------
type Pair = { big: number[]; base: number[] };
const pair = (): Pair => ({ big: [], base: [] });
const validate = pair(), strict = pair(), startup = pair();
const full = pair(), tail = pair(), small = pair();
let bad = 0;
const rangeFirst = Math.floor(bigAssetBytes * 0.6);
let servePeakGrowthMb: number | null = null;

// warm-up: the first `deno run main.ts` of a run compiles and caches; no pair should pay for it
await timedRun(["validate", tinyApp]);
await (await startDev(tinyApp)).stop();

for (let r = 0; r < ROUNDS; r++) {
  const flip = r % 2 === 1;
  const both = async (p: Pair, big: () => Promise<number>, base: () => Promise<number>) => {
    if (flip) {
      p.base.push(await base());
      p.big.push(await big());
    } else {
      p.big.push(await big());
      p.base.push(await base());
    }
  };
  await both(validate, () => timedRun(["validate", bigApp]), () => timedRun(["validate", tinyApp]));
  await both(
    strict,
    () => timedRun(["validate", "--strict", bigApp]),
    () => timedRun(["validate", "--strict", tinyApp]),
  );
  let dev: Dev | undefined;
  await both(startup, async () => (dev = await startDev(bigApp)).startupMs, async () => {
    const d = await startDev(tinyApp);
    await d.stop();
    return d.startupMs;
  });
  const base = `${dev!.info.app_origin}/anna-apps/big-app/dev/`;
  const peakBefore = peakRssMb(dev!.child.pid);
  const serve = async (p: Pair, path: string, headers: Record<string, string>, want: number) => {
    await both(p, async () => {
      const x = await fetchAll(base + path, headers);
      if (x.bytes !== want) bad++;
      return x.ms;
    }, async () => {
      const x = await fetchAll(bareBase + path, headers);
      if (x.bytes !== want) bad++;
      return x.ms;
    });
  };
  await serve(full, bigAsset, {}, bigAssetBytes);
  await serve(tail, bigAsset, { range: `bytes=${rangeFirst}-` }, bigAssetBytes - rangeFirst);
  const peakAfter = peakRssMb(dev!.child.pid);
  if (peakBefore !== null && peakAfter !== null) servePeakGrowthMb = peakAfter - peakBefore;
  await both(small, async () => {
    const t = performance.now();
    for (let i = 0; i < 200; i++) {
      const res = await fetch(base + smallFiles[(i * 37) % smallFiles.length]);
      await res.arrayBuffer();
      if (res.status !== 200) bad++;
    }
    return performance.now() - t;
  }, async () => {
    const t = performance.now();
    for (let i = 0; i < 200; i++) {
      const res = await fetch(bareBase + smallFiles[(i * 37) % smallFiles.length]);
      await res.arrayBuffer();
      if (res.status !== 200) bad++;
    }
    return performance.now() - t;
  });
  await dev!.stop();
}

// ---- a burst of changes (once: it is a count, not a speed) ------------------------------------
const dev = await startDev(bigApp);
const logUrl = `${dev.info.main_origin}/api/log?type=reload`;
const reloads = async () => ((await (await fetch(logUrl, {
  headers: { "X-Anna-Control-Token": dev.info.control_token },
}))
  .json()).entries as { paths: string[] }[]);
const before = (await reloads()).length;
const cpu0 = cpuMs(dev.child.pid);
const tBurst = performance.now();
const changed = Math.min(BURST, smallFiles.length);
for (let i = 0; i < changed; i++) {
  await Deno.writeTextFile(join(bigApp, "bundle", smallFiles[i]), `export const z${i} = ${i};\n`);
}
const burstWriteMs = performance.now() - tBurst;
await new Promise((r) => setTimeout(r, 1500)); // the debounce is 150 ms; this is plenty
const after = (await reloads()).slice(before);
const cpu1 = cpuMs(dev.child.pid);
await dev.stop();

await bare.shutdown();
await Deno.remove(work, { recursive: true }).catch(() => {});

const ratio = (p: Pair) => round(median(p.big.map((x, i) => x / p.base[i])), 3);
const ms = (xs: number[]) => round(median(xs), 1);
const mbps = (bytes: number, xs: number[]) => round(bytes / (1 << 20) / (median(xs) / 1000), 1);
const report = {
  benchmark: "large_app",
  deno: Deno.version.deno,
  started_at: new Date().toISOString(),
  rounds: ROUNDS,
  app: {
    bundle_files: smallFiles.length + 2 + ASSETS_MB.length,
    assets_mb: ASSETS_MB,
    views: VIEWS,
    tool_grants: TOOLS,
  },
  bad_responses: bad,
  // time ratios: big app ÷ one-file app (1 = the size costs nothing)
  validate_ms: { big: ms(validate.big), tiny: ms(validate.base), ratio: ratio(validate) },
  validate_strict_ms: { big: ms(strict.big), tiny: ms(strict.base), ratio: ratio(strict) },
  dev_startup_ms: { big: ms(startup.big), tiny: ms(startup.base), ratio: ratio(startup) },
  // time ratios: dev app origin ÷ bare Deno.serve + Deno.open (1 = no overhead)
  serve_full: {
    file_mb: Math.max(...ASSETS_MB),
    dev_mb_per_s: mbps(bigAssetBytes, full.big),
    bare_mb_per_s: mbps(bigAssetBytes, full.base),
    time_ratio: ratio(full),
    dev_peak_rss_growth_mb: servePeakGrowthMb,
  },
  serve_range_tail: {
    bytes: bigAssetBytes - rangeFirst,
    dev_mb_per_s: mbps(bigAssetBytes - rangeFirst, tail.big),
    bare_mb_per_s: mbps(bigAssetBytes - rangeFirst, tail.base),
    time_ratio: ratio(tail),
  },
  serve_200_small_ms: { dev: ms(small.big), bare: ms(small.base), ratio: ratio(small) },
  reload_burst: {
    files_written: changed,
    write_ms: round(burstWriteMs, 1),
    reload_entries: after.length,
    paths_per_entry: after.map((e) => e.paths.length),
    dev_cpu_ms: cpu0 === null || cpu1 === null ? null : cpu1 - cpu0,
  },
  targets: {
    one_reload_per_burst: after.length === 1,
    streamed_not_read_whole: servePeakGrowthMb === null ||
      servePeakGrowthMb < Math.max(...ASSETS_MB) / 2,
    no_bad_responses: bad === 0,
  },
};
await Deno.mkdir(dirname(values.out!), { recursive: true });
await Deno.writeTextFile(values.out!, JSON.stringify(report, null, 2) + "\n");
console.log(JSON.stringify(report, null, 2));
