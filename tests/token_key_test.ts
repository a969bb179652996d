/** The dev key file (CONTRACT §8.1): creation modes, refusal, malformed content, races, kid. */
import assert from "node:assert/strict";
import { join } from "node:path";
import { KeyFileError, loadOrCreateKey } from "../lib/token/mod.ts";
import { Logger } from "../lib/util/log.ts";
import { tmpDir } from "./helpers/tmp.ts";

const POSIX = Deno.build.os !== "windows";

function hex(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

Deno.test("a missing key is created: dir 0700, file 0600, lowercase hex + newline", async () => {
  await using tmp = await tmpDir();
  const dir = tmp.path;
  const path = join(dir, "nested", ".anna-app", "dev.key");
  const key = await loadOrCreateKey(path);
  const text = await Deno.readTextFile(path);
  assert.match(text, /^[0-9a-f]{64}\n$/);
  assert.equal(text.slice(0, 64), hex(key.bytes));
  assert.equal(key.bytes.length, 32);
  assert.equal(key.path, path);
  if (POSIX) {
    assert.equal((await Deno.stat(path)).mode! & 0o777, 0o600);
    assert.equal((await Deno.stat(join(dir, "nested", ".anna-app"))).mode! & 0o777, 0o700);
  }
  // nothing but the key is left in the directory (no temp files)
  const names = [];
  for await (const e of Deno.readDir(join(dir, "nested", ".anna-app"))) names.push(e.name);
  assert.deepEqual(names, ["dev.key"]);
  // loading again returns the same key
  const again = await loadOrCreateKey(path);
  assert.equal(hex(again.bytes), hex(key.bytes));
  assert.equal(again.kid, key.kid);
});

Deno.test({
  name: "an existing directory keeps its mode",
  ignore: !POSIX,
  fn: async () => {
    await using tmp = await tmpDir();
    const dir = tmp.path;
    await Deno.chmod(dir, 0o755);
    await loadOrCreateKey(join(dir, "dev.key"));
    assert.equal((await Deno.stat(dir)).mode! & 0o777, 0o755);
  },
});

Deno.test("kid is the first 16 hex chars of SHA-256 of the key bytes", async () => {
  await using tmp = await tmpDir();
  const dir = tmp.path;
  const path = join(dir, "dev.key");
  await Deno.writeTextFile(path, "00".repeat(31) + "ff\n", { mode: 0o600 });
  const key = await loadOrCreateKey(path);
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", key.bytes));
  assert.equal(key.kid, hex(digest).slice(0, 16));
  assert.equal(key.bytes[31], 0xff);
});

Deno.test("64 hex chars without a newline and in upper case are accepted", async () => {
  await using tmp = await tmpDir();
  const dir = tmp.path;
  const path = join(dir, "dev.key");
  await Deno.writeTextFile(path, "AB".repeat(32), { mode: 0o600 });
  const key = await loadOrCreateKey(path);
  assert.ok(key.bytes.every((b) => b === 0xab));
});

Deno.test("malformed key files are refused with the contract message", async () => {
  await using tmp = await tmpDir();
  const dir = tmp.path;
  const path = join(dir, "dev.key");
  const bad = [
    "",
    "abc\n",
    "0".repeat(63) + "\n",
    "0".repeat(64) + "\n\n",
    "0".repeat(64) + " ",
    "g".repeat(64),
    "0".repeat(65),
    "0".repeat(64) + "\r\n",
  ];
  for (const content of bad) {
    await Deno.writeTextFile(path, content, { mode: 0o600 });
    if (POSIX) await Deno.chmod(path, 0o600);
    await assert.rejects(
      loadOrCreateKey(path),
      (e: unknown) => {
        assert.ok(e instanceof KeyFileError);
        assert.equal(e.message, `dev key file ${path} is malformed`);
        return true;
      },
      `content ${JSON.stringify(content)}`,
    );
  }
});

Deno.test({
  name: "a group/other-readable key file is refused with the chmod hint",
  ignore: !POSIX,
  fn: async () => {
    await using tmp = await tmpDir();
    const dir = tmp.path;
    const path = join(dir, "dev.key");
    await loadOrCreateKey(path);
    for (const [mode, shown] of [[0o644, "0644"], [0o640, "0640"], [0o604, "0604"]] as const) {
      await Deno.chmod(path, mode);
      await assert.rejects(loadOrCreateKey(path), (e: unknown) => {
        assert.ok(e instanceof KeyFileError);
        assert.equal(
          e.message,
          `dev key file ${path} is readable by group/others (mode ${shown}); run: chmod 600 ${path}`,
        );
        return true;
      });
    }
  },
});

Deno.test({
  name: "other group/other bits only warn",
  ignore: !POSIX,
  fn: async () => {
    await using tmp = await tmpDir();
    const dir = tmp.path;
    const path = join(dir, "dev.key");
    const first = await loadOrCreateKey(path);
    await Deno.chmod(path, 0o620);
    const lines: string[] = [];
    const logger = new Logger({ level: "warn", format: "json", sink: (l) => lines.push(l) });
    const key = await loadOrCreateKey(path, logger);
    assert.equal(key.kid, first.kid);
    assert.equal(lines.length, 1);
    const entry = JSON.parse(lines[0]);
    assert.equal(entry.level, "warn");
    assert.equal(entry.path, path);
    assert.equal(entry.mode, "0620");
  },
});

Deno.test("concurrent creators all end up with the same key", async () => {
  await using tmp = await tmpDir();
  const dir = tmp.path;
  const path = join(dir, "sub", "dev.key");
  const keys = await Promise.all(Array.from({ length: 12 }, () => loadOrCreateKey(path)));
  const kids = new Set(keys.map((k) => k.kid));
  assert.equal(kids.size, 1);
  const text = await Deno.readTextFile(path);
  assert.equal(text.slice(0, 64), hex(keys[0].bytes));
  const names = [];
  for await (const e of Deno.readDir(join(dir, "sub"))) names.push(e.name);
  assert.deepEqual(names, ["dev.key"]);
});

Deno.test("a directory where the key file should be is refused", async () => {
  await using tmp = await tmpDir();
  const dir = tmp.path;
  await assert.rejects(loadOrCreateKey(dir), KeyFileError);
});

Deno.test({
  name:
    "a key path that is a symlink to a missing file says so, not 'vanished while being created'",
  ignore: !POSIX,
  fn: async () => {
    await using tmp = await tmpDir();
    const target = join(tmp.path, "synced", "dev.key");
    const path = join(tmp.path, "dev.key");
    await Deno.symlink(target, path);
    await assert.rejects(loadOrCreateKey(path), (e: unknown) => {
      assert.ok(e instanceof KeyFileError);
      assert.equal(
        e.message,
        `dev key file ${path} is a symlink to ${target}, which does not exist; ` +
          `put the key there, or remove the link to have a new key created`,
      );
      return true;
    });
    // nothing was created at either end, and no temp file is left
    await assert.rejects(Deno.stat(target), Deno.errors.NotFound);
    const names = [];
    for await (const e of Deno.readDir(tmp.path)) names.push(e.name);
    assert.deepEqual(names, ["dev.key"]);
    // a link to an existing key is followed
    await Deno.mkdir(join(tmp.path, "synced"));
    await Deno.writeTextFile(target, "cd".repeat(32) + "\n", { mode: 0o600 });
    await Deno.chmod(target, 0o600);
    assert.ok((await loadOrCreateKey(path)).bytes.every((b) => b === 0xcd));
  },
});

Deno.test("creating a key logs its path and kid once, at info; loading one or losing the race logs nothing", async () => {
  await using tmp = await tmpDir();
  const path = join(tmp.path, "sub", "dev.key");
  const lines: string[] = [];
  const logger = new Logger({ level: "info", format: "json", sink: (l) => lines.push(l) });
  const keys = await Promise.all(Array.from({ length: 6 }, () => loadOrCreateKey(path, logger)));
  assert.equal(lines.length, 1, lines.join("\n"));
  const entry = JSON.parse(lines[0]);
  assert.equal(entry.level, "info");
  assert.equal(entry.msg, "created a new dev key file");
  assert.equal(entry.path, path);
  assert.equal(entry.kid, keys[0].kid);
  // the key itself is never logged
  assert.ok(!lines[0].includes(hex(keys[0].bytes)));
  await loadOrCreateKey(path, logger);
  assert.equal(lines.length, 1);
});

Deno.test({
  name:
    "a key path that never ends (/dev/zero, a pipe kept open) is read only so far: malformed, no hang",
  ignore: !POSIX,
  fn: async () => {
    await using tmp = await tmpDir();
    const fifo = join(tmp.path, "key.pipe");
    assert.equal((await new Deno.Command("mkfifo", { args: [fifo] }).output()).code, 0);
    // the writer sends more than any key file holds and stays open: reading to EOF never ends
    // handled from the start: the read may end (and refuse the key) before the write returns
    const loading = loadOrCreateKey(fifo).then(() => "loaded", (e) => e);
    const writer = await Deno.open(fifo, { write: true });
    try {
      await writer.write(new TextEncoder().encode("0".repeat(2048)));
      let timer: ReturnType<typeof setTimeout> | undefined;
      const timeout = new Promise((r) => timer = setTimeout(() => r("still reading"), 5000));
      const outcome = await Promise.race([loading, timeout]);
      clearTimeout(timer);
      assert.ok(outcome instanceof KeyFileError, String(outcome));
      assert.equal(outcome.message, `dev key file ${fifo} is malformed`);
    } finally {
      writer.close();
      await loading;
    }
  },
});
