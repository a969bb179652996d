/**
 * The real `main.ts dev APP_DIR` as a child process for browser and socket tests: spawned in its
 * own process group with a temp HOME (its own dev key) on the parent's Deno cache, `--port 0
 * --format json`, the control token left on. `DevProcess.start()` resolves with the parsed
 * startup line (CONTRACT §2.13); disposing sends SIGTERM, asserts exit 0 (§2.1) and then kills
 * whatever is left in the group.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { denoDirEnv, MAIN_TS, REPO_ROOT } from "./bridge_process.ts";
import { tmpPrefix } from "./tmp.ts";

/** The json startup line of `dev` (§2.13). */
export interface Listening {
  event: "listening";
  mode: "dev";
  version: string;
  main_origin: string;
  app_origin: string;
  dashboard_url: string;
  control_token: string;
  session_id: string;
  window_uuid: string;
  window_url: string;
  executas: string[];
  warnings: string[];
}

export type LogEntry = Record<string, unknown> & { seq: number; type: string };

export interface DevOptions {
  /** Extra flags after `dev APP_DIR --port 0 --format json`. */
  args?: string[];
  env?: Record<string, string>;
  /** How long to wait for the startup line (executas start before it). */
  startTimeoutMs?: number;
}

/** Polls `check` until it returns a value other than undefined/false, or throws after `timeoutMs`. */
export async function waitUntil<T>(
  what: string,
  check: () => Promise<T | undefined | false> | T | undefined | false,
  timeoutMs = 15_000,
  everyMs = 100,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (true) {
    try {
      const v = await check();
      if (v !== undefined && v !== false) return v as T;
    } catch (e) {
      last = e;
    }
    if (Date.now() > deadline) {
      throw new Error(
        `timed out after ${timeoutMs} ms waiting for ${what}${last ? `: ${last}` : ""}`,
      );
    }
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

export class DevProcess implements AsyncDisposable {
  private stdoutText = "";
  private stderrText = "";
  private readers: Promise<void>[] = [];
  private disposed = false;
  readonly status: Promise<Deno.CommandStatus>;

  private constructor(
    readonly child: Deno.ChildProcess,
    readonly home: string,
    public info: Listening,
  ) {
    this.status = child.status;
  }

  /** Spawns `dev` and waits for its startup line; throws (after cleaning up) if none comes. */
  static async start(appDir: string, opts: DevOptions = {}): Promise<DevProcess> {
    const home = await Deno.makeTempDir({ prefix: tmpPrefix("dev-home") });
    const child = new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "-A",
        MAIN_TS,
        "dev",
        appDir,
        "--port",
        "0",
        "--format",
        "json",
        ...(opts.args ?? []),
      ],
      cwd: REPO_ROOT,
      env: {
        HOME: home,
        NO_COLOR: "1",
        ANNA_APP_DEV_KEY_FILE: join(home, ".anna-app", "dev.key"),
        ...denoDirEnv(),
        ...(opts.env ?? {}),
      },
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
      detached: true, // its own process group: executas die with it on dispose
    }).spawn();
    const dev = new DevProcess(child, home, undefined as unknown as Listening);
    dev.readers.push(dev.pump(child.stdout, (t) => (dev.stdoutText += t)));
    dev.readers.push(dev.pump(child.stderr, (t) => (dev.stderrText += t)));
    let exited = false;
    child.status.then(() => (exited = true));
    try {
      const line = await waitUntil(
        "the json startup line",
        () => {
          if (exited) throw new Error(`dev exited before listening:\n${dev.stderrText}`);
          const nl = dev.stdoutText.indexOf("\n");
          return nl >= 0 ? dev.stdoutText.slice(0, nl) : undefined;
        },
        opts.startTimeoutMs ?? 60_000,
        50,
      );
      dev.info = JSON.parse(line) as Listening;
      assert.equal(dev.info.event, "listening", line);
      assert.ok(dev.info.control_token, "the control token stays on");
    } catch (e) {
      await dev.kill();
      throw e;
    }
    return dev;
  }

  private async pump(stream: ReadableStream<Uint8Array>, sink: (t: string) => void) {
    const dec = new TextDecoder();
    for await (const chunk of stream) sink(dec.decode(chunk, { stream: true }));
  }

  stdout(): string {
    return this.stdoutText;
  }
  stderr(): string {
    return this.stderrText;
  }

  /** A main-origin request with the control token. */
  api(path: string, init: RequestInit = {}): Promise<Response> {
    const headers = new Headers(init.headers);
    headers.set("x-anna-control-token", this.info.control_token);
    return fetch(`${this.info.main_origin}${path}`, { ...init, headers });
  }

  async log(): Promise<LogEntry[]> {
    const r = await this.api("/api/log");
    assert.equal(r.status, 200);
    return (await r.json()).entries as LogEntry[];
  }

  /** Waits for a log entry matching `pred` (§11.11). */
  async waitForLog(what: string, pred: (e: LogEntry) => boolean, timeoutMs = 15_000) {
    return await waitUntil(what, async () => (await this.log()).find(pred), timeoutMs, 100);
  }

  /** A bridge method over `POST /rpc` → its `result` (asserts the call did not fail). */
  // deno-lint-ignore no-explicit-any
  async rpc(method: string, params: Record<string, unknown>): Promise<any> {
    const r = await this.api("/rpc", {
      method: "POST",
      body: JSON.stringify({ jsonrpc: "2.0", id: 1, method, params }),
    });
    const body = await r.json();
    assert.ok("result" in body, `${method}: ${JSON.stringify(body)}`);
    return body.result;
  }

  /** `session.call` on the dev session over `/api/session/call` → the dispatcher outcome. */
  async call(ns: string, method: string, args: Record<string, unknown> = {}) {
    const r = await this.api("/api/session/call", {
      method: "POST",
      body: JSON.stringify({ session_id: this.info.session_id, ns, method, args }),
    });
    assert.equal(r.status, 200);
    return await r.json() as {
      ok: boolean;
      result?: Record<string, unknown>;
      error?: { code: string };
    };
  }

  private killGroup(signal: Deno.Signal) {
    try {
      Deno.kill(-this.child.pid, signal);
    } catch { /* the group is gone */ }
  }

  /** Hard stop without assertions (failed start). */
  private async kill() {
    this.killGroup("SIGKILL");
    await this.child.status;
    await Promise.allSettled(this.readers);
    await Deno.remove(this.home, { recursive: true }).catch(() => {});
  }

  /** SIGTERM → graceful shutdown; asserts exit 0 (§2.5), then clears the process group. */
  async [Symbol.asyncDispose]() {
    if (this.disposed) return;
    this.disposed = true;
    try {
      this.child.kill("SIGTERM");
    } catch { /* already gone */ }
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timedOut = new Promise<"timeout">((
      r,
    ) => (timer = setTimeout(() => r("timeout"), 15_000)));
    const st = await Promise.race([this.child.status, timedOut]);
    clearTimeout(timer);
    this.killGroup("SIGKILL"); // executas or anything else left behind
    await this.child.status;
    await Promise.allSettled(this.readers);
    await Deno.remove(this.home, { recursive: true }).catch(() => {});
    assert.notEqual(st, "timeout", `dev did not stop within 15 s of SIGTERM\n${this.stderrText}`);
    assert.equal(
      (st as Deno.CommandStatus).code,
      0,
      `dev exit status after SIGTERM\n${this.stderrText}`,
    );
  }
}

/** Copies a directory tree (for editing an example app in a temp dir). */
export async function copyDir(from: string, to: string): Promise<void> {
  await Deno.mkdir(to, { recursive: true });
  for await (const e of Deno.readDir(from)) {
    if (e.name === "node_modules" || e.name === "__pycache__" || e.name === ".venv") continue;
    const src = join(from, e.name);
    const dst = join(to, e.name);
    if (e.isDirectory) await copyDir(src, dst);
    else if (e.isFile) await Deno.copyFile(src, dst);
  }
}
