/** `token mint|verify` through the real entrypoint (CONTRACT §2.11, §8.1, §2.1 exit codes). */
import { fileURLToPath as fromFileUrl } from "node:url";
import assert from "node:assert/strict";
import { join } from "node:path";
import { run as runToken } from "../lib/cli/token.ts";
import { loadOrCreateKey, mintToken } from "../lib/token/mod.ts";
import { silentLogger } from "../lib/util/log.ts";
import { tmpDir } from "./helpers/tmp.ts";

const MAIN = fromFileUrl(new URL("../main.ts", import.meta.url));
const WID = "0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d";

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** The Deno cache in use, so children with a temp HOME reuse it instead of downloading. */
const denoDir: Promise<string> = new Deno.Command(Deno.execPath(), { args: ["info", "--json"] })
  .output()
  .then((o) => JSON.parse(new TextDecoder().decode(o.stdout)).denoDir);

async function cli(home: string, args: string[], env: Record<string, string> = {}): Promise<Run> {
  // the parent's env minus our own ANNA_APP_* settings, with HOME pointed at the temp dir
  const base = Object.fromEntries(
    Object.entries(Deno.env.toObject()).filter(([k]) => !k.startsWith("ANNA_APP_")),
  );
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", MAIN, "token", ...args],
    env: { ...base, DENO_DIR: await denoDir, HOME: home, USERPROFILE: home, NO_COLOR: "1", ...env },
    clearEnv: true,
    stdout: "piped",
    stderr: "piped",
  }).output();
  const dec = new TextDecoder();
  return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
}

async function withHome(fn: (home: string) => Promise<void>) {
  await using tmp = await tmpDir("anna-token-cli-");
  const home = tmp.path;
  await fn(home);
}

Deno.test("mint prints only the token and creates the default key file", () =>
  withHome(async (home) => {
    const r = await cli(home, ["mint"]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^dev1\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{43}\n$/);
    const keyPath = join(home, ".anna-app", "dev.key");
    assert.match(await Deno.readTextFile(keyPath), /^[0-9a-f]{64}\n$/);
    if (Deno.build.os !== "windows") {
      assert.equal((await Deno.stat(keyPath)).mode! & 0o777, 0o600);
    }
    const v = await cli(home, ["verify", r.stdout.trim()]);
    assert.equal(v.code, 0, v.stderr);
    const m = /^valid \(wid [0-9a-f-]{36}, expires in (\d+)s\)\n$/.exec(v.stdout);
    assert.ok(m, v.stdout);
    assert.ok(Number(m[1]) > 0 && Number(m[1]) <= 30);
    // the default TTL is 30 s (§2.2, §8.3); `--token-ttl` sets it for mint too
    const claims = async (args: string[]) => {
      const j = await cli(home, ["mint", "--format", "json", ...args]);
      assert.equal(j.code, 0, j.stderr);
      return JSON.parse(j.stdout).claims;
    };
    const dflt = await claims([]);
    assert.equal(dflt.exp - dflt.iat, 30);
    const set = await claims(["--token-ttl", "45"]);
    assert.equal(set.exp - set.iat, 45);
  }));

Deno.test("mint json carries the given claims; verify json round-trips them", () =>
  withHome(async (home) => {
    const r = await cli(home, [
      "mint",
      "--wid",
      WID,
      "--uid",
      "42",
      "--app",
      "notes",
      "--view",
      "editor",
      "--scopes",
      "storage.get, window.*",
      "--ttl",
      "600",
      "--format",
      "json",
    ]);
    assert.equal(r.code, 0, r.stderr);
    const minted = JSON.parse(r.stdout);
    assert.deepEqual(Object.keys(minted), ["token", "claims", "expires_at"]);
    const c = minted.claims;
    assert.equal(c.wid, WID);
    assert.equal(c.uid, 42);
    assert.equal(c.app, "notes");
    assert.equal(c.view, "editor");
    assert.deepEqual(c.scopes, ["storage.get", "window.*"]);
    assert.equal(c.exp - c.iat, 600);
    assert.equal(minted.expires_at, c.exp * 1000);

    const v = await cli(home, ["verify", minted.token, "--wid", WID, "--format=json"]);
    assert.equal(v.code, 0, v.stderr);
    assert.deepEqual(JSON.parse(v.stdout), { valid: true, claims: c });

    const w = await cli(home, [
      "verify",
      minted.token,
      "--wid",
      "11111111-1111-4111-8111-111111111111",
      "--format",
      "json",
    ]);
    assert.equal(w.code, 1);
    assert.deepEqual(JSON.parse(w.stdout), { valid: false, claims: c, reason: "wrong_window" });
  }));

Deno.test("verify of a bad token exits 1 with the reason on stderr", () =>
  withHome(async (home) => {
    const r = await cli(home, ["verify", "dev1.nope"]);
    assert.equal(r.code, 1);
    assert.equal(r.stdout, "");
    assert.match(r.stderr, /malformed/);
    const j = await cli(home, ["verify", "dev1.nope", "--format", "json"]);
    assert.equal(j.code, 1);
    assert.deepEqual(JSON.parse(j.stdout), { valid: false, reason: "malformed" });
  }));

Deno.test("--token-ttl sets the default ttl; out-of-range ttls are usage errors", () =>
  withHome(async (home) => {
    const r = await cli(home, ["mint", "--token-ttl", "60", "--format", "json"]);
    assert.equal(r.code, 0, r.stderr);
    const { claims } = JSON.parse(r.stdout);
    assert.equal(claims.exp - claims.iat, 60);
    for (const args of [["--token-ttl", "4"], ["--ttl", "86401"], ["--ttl", "abc"]]) {
      const bad = await cli(home, ["mint", ...args]);
      assert.equal(bad.code, 2, args.join(" "));
      assert.equal(bad.stdout, "");
    }
    assert.equal((await cli(home, ["frobnicate"])).code, 2);
    assert.equal((await cli(home, ["verify"])).code, 2);
    assert.equal((await cli(home, ["mint", "--wid", "not-a-uuid"])).code, 2);
  }));

Deno.test("--key-file and ANNA_APP_DEV_KEY_FILE choose the key; the flag wins", () =>
  withHome(async (home) => {
    const flagKey = join(home, "flag.key");
    const envKey = join(home, "env.key");
    const a = await cli(home, ["mint", "--key-file", flagKey], { ANNA_APP_DEV_KEY_FILE: envKey });
    assert.equal(a.code, 0, a.stderr);
    await Deno.stat(flagKey);
    await assert.rejects(Deno.stat(envKey), Deno.errors.NotFound);
    const b = await cli(home, ["mint"], { ANNA_APP_DEV_KEY_FILE: envKey });
    assert.equal(b.code, 0, b.stderr);
    await Deno.stat(envKey);
    // a token from one key does not verify with the other
    const v = await cli(home, ["verify", a.stdout.trim()], { ANNA_APP_DEV_KEY_FILE: envKey });
    assert.equal(v.code, 1);
    assert.match(v.stderr, /unknown_key/);
  }));

Deno.test({
  name: "a group-readable key file exits 2 with the message (pretty and json)",
  ignore: Deno.build.os === "windows",
  fn: () =>
    withHome(async (home) => {
      const keyPath = join(home, "dev.key");
      await Deno.writeTextFile(keyPath, "ab".repeat(32) + "\n");
      await Deno.chmod(keyPath, 0o644);
      const msg =
        `dev key file ${keyPath} is readable by group/others (mode 0644); run: chmod 600 ${keyPath}`;
      const p = await cli(home, ["mint", "--key-file", keyPath]);
      assert.equal(p.code, 2);
      assert.equal(p.stdout, "");
      assert.ok(p.stderr.includes(msg), p.stderr);
      const j = await cli(home, ["mint", "--key-file", keyPath, "--format", "json"]);
      assert.equal(j.code, 2);
      const line = JSON.parse(j.stderr.trim().split("\n").at(-1)!);
      assert.equal(line.error.message, msg);
      assert.equal(typeof line.error.code, "string");
    }),
});

Deno.test("a malformed key file exits 2", () =>
  withHome(async (home) => {
    const keyPath = join(home, "dev.key");
    await Deno.writeTextFile(keyPath, "not a key\n", { mode: 0o600 });
    const r = await cli(home, ["verify", "x", "--key-file", keyPath]);
    assert.equal(r.code, 2);
    assert.ok(r.stderr.includes(`dev key file ${keyPath} is malformed`), r.stderr);
  }));

Deno.test("verify pretty keeps the §2.11 form inside the 5 s leeway: `valid (wid …, expires in -Ns)`", () =>
  withHome(async (home) => {
    const keyPath = join(home, "dev.key");
    const key = await loadOrCreateKey(keyPath, silentLogger());
    // exp one second ago: still valid within the leeway (in process, so the margin is 4 s)
    const { token } = await mintToken(key, {
      wid: WID,
      uid: 1,
      app: "dev",
      view: "main",
      scopes: [],
      ttl: 30,
      now: Date.now() - 31_000,
    });
    const chunks: string[] = [];
    const write = Deno.stdout.writeSync;
    Deno.stdout.writeSync = (p: Uint8Array) => {
      chunks.push(new TextDecoder().decode(p));
      return p.length;
    };
    let code: number;
    try {
      code = await runToken(["verify", token, "--key-file", keyPath]);
    } finally {
      Deno.stdout.writeSync = write;
    }
    assert.equal(code, 0);
    assert.match(chunks.join(""), new RegExp(`^valid \\(wid ${WID}, expires in -\\d+s\\)\\n$`));
  }));

Deno.test({
  name: "a key file whose directory cannot be made exits 2 with the fix, not a crash (exit 3)",
  // a dangling symlink where the key's directory should go: mkdir fails, as on a read-only HOME
  ignore: Deno.build.os === "windows",
  fn: () =>
    withHome(async (home) => {
      const parent = join(home, "dangling");
      await Deno.symlink(join(home, "missing"), parent);
      const keyPath = join(parent, "dev.key");
      const p = await cli(home, ["mint", "--key-file", keyPath]);
      assert.equal(p.code, 2, p.stderr);
      assert.equal(p.stdout, "");
      assert.match(p.stderr, new RegExp(`^error: cannot create dev key file ${keyPath}: .*`));
      assert.match(p.stderr, /point --key-file or ANNA_APP_DEV_KEY_FILE at a writable path\n$/);
      assert.doesNotMatch(p.stderr, /unexpected crash|\n\s+at /);
      const j = await cli(home, ["mint", "--format", "json"], { ANNA_APP_DEV_KEY_FILE: keyPath });
      assert.equal(j.code, 2, j.stderr);
      assert.equal(JSON.parse(j.stderr).error.code, "bad_key_file");
    }),
});

Deno.test("mint --app is normalised as session.create's app_slug is (§3.11), with a warning", () =>
  withHome(async (home) => {
    const r = await cli(home, ["mint", "--app", "My Notes_App", "--format", "json"]);
    assert.equal(r.code, 0, r.stderr);
    // "My Notes_App" could never pass the wrong_app check: every session's slug is normalised
    assert.equal(JSON.parse(r.stdout).claims.app, "my-notes-app");
    const warn = r.stderr.trim().split("\n").map((l) => JSON.parse(l)).find((e) =>
      e.level === "warn"
    );
    assert.equal(warn?.msg, "app slug 'My Notes_App' was normalised to 'my-notes-app'");
    const plain = await cli(home, ["mint", "--app", "notes", "--format", "json"]);
    assert.equal(JSON.parse(plain.stdout).claims.app, "notes");
    assert.equal(plain.stderr, "");
  }));
