/**
 * Drives the real `main.ts bridge` as a child process: send lines, await responses by id.
 * Every stdout line is kept so tests can assert that only JSON-RPC responses ever appear.
 */
import { fileURLToPath as fromFileUrl } from "node:url";
import { tmpPrefix } from "./tmp.ts";

export const MAIN_TS = fromFileUrl(new URL("../../main.ts", import.meta.url));
export const REPO_ROOT = fromFileUrl(new URL("../../", import.meta.url));

/** Children get a temp HOME; keep them on the parent's Deno cache so nothing is downloaded again. */
export function denoDirEnv(): Record<string, string> {
  const dir = Deno.env.get("DENO_DIR") ??
    (Deno.env.get("HOME") ? `${Deno.env.get("HOME")}/.cache/deno` : undefined);
  return dir ? { DENO_DIR: dir } : {};
}

/**
 * Runs `main.ts <args>` to the end with HOME = `home` on the parent's Deno cache (`env` added;
 * `clearEnv` drops everything else); returns the exit code and the decoded stdout and stderr.
 */
export async function runMain(
  args: string[],
  opts: { home: string; env?: Record<string, string>; clearEnv?: boolean },
): Promise<{ code: number; stdout: string; stderr: string }> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", MAIN_TS, ...args],
    env: { HOME: opts.home, ...denoDirEnv(), ...(opts.env ?? {}) },
    clearEnv: opts.clearEnv ?? false,
    stdout: "piped",
    stderr: "piped",
  }).output();
  const dec = new TextDecoder();
  return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
}

export interface BridgeOptions {
  args?: string[];
  env?: Record<string, string>;
  cwd?: string;
}

export class BridgeProcess implements AsyncDisposable {
  readonly child: Deno.ChildProcess;
  readonly home: string;
  readonly stdoutLines: string[] = [];
  stderrText = "";
  private writer: WritableStreamDefaultWriter<Uint8Array>;
  private waiters = new Map<string, (v: Record<string, unknown>) => void>();
  private lineWaiters: ((line: string) => void)[] = [];
  private nextId = 1;
  private enc = new TextEncoder();
  readonly exited: Promise<Deno.CommandStatus>;
  private readers: Promise<void>[] = [];

  constructor(opts: BridgeOptions = {}) {
    this.home = Deno.makeTempDirSync({ prefix: tmpPrefix("bridge-home") });
    this.child = new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", MAIN_TS, "bridge", ...(opts.args ?? [])],
      cwd: opts.cwd ?? REPO_ROOT,
      env: { HOME: this.home, NO_COLOR: "1", ...denoDirEnv(), ...(opts.env ?? {}) },
      stdin: "piped",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    this.writer = this.child.stdin.getWriter();
    this.readers.push(this.readStdout(), this.readStderr());
    this.exited = this.child.status;
  }

  private async readStdout() {
    const dec = new TextDecoder();
    let buf = "";
    for await (const chunk of this.child.stdout) {
      buf += dec.decode(chunk, { stream: true });
      let nl;
      while ((nl = buf.indexOf("\n")) >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        this.stdoutLines.push(line);
        this.onLine(line);
      }
    }
    if (buf) this.stdoutLines.push(buf);
  }

  private async readStderr() {
    const dec = new TextDecoder();
    for await (const chunk of this.child.stderr) {
      this.stderrText += dec.decode(chunk, { stream: true });
    }
  }

  private onLine(line: string) {
    const lw = this.lineWaiters.shift();
    if (lw) lw(line);
    let msg: unknown;
    try {
      msg = JSON.parse(line);
    } catch {
      return;
    }
    const items = Array.isArray(msg) ? msg : [msg];
    for (const m of items) {
      const key = JSON.stringify((m as Record<string, unknown>)?.id ?? null);
      const w = this.waiters.get(key);
      if (w) {
        this.waiters.delete(key);
        w(m as Record<string, unknown>);
      }
    }
  }

  async writeRaw(data: string | Uint8Array) {
    await this.writer.write(typeof data === "string" ? this.enc.encode(data) : data);
  }

  /** Resolves with the next stdout line (for responses with id null). */
  nextLine(): Promise<string> {
    return new Promise((r) => this.lineWaiters.push(r));
  }

  waitFor(id: unknown): Promise<Record<string, unknown>> {
    return new Promise((r) => this.waiters.set(JSON.stringify(id), r));
  }

  /** Sends a request and returns the whole response envelope. */
  async request(
    method: string,
    params?: unknown,
    id?: string | number,
  ): Promise<Record<string, unknown>> {
    const rid = id ?? this.nextId++;
    const p = this.waitFor(rid);
    await this.writeRaw(JSON.stringify({ jsonrpc: "2.0", id: rid, method, params }) + "\n");
    return await p;
  }

  /** Sends a request and returns `result`, throwing on a JSON-RPC error. */
  async call(method: string, params?: unknown): Promise<Record<string, unknown>> {
    const res = await this.request(method, params);
    if (res.error) throw new Error(`${method} failed: ${JSON.stringify(res.error)}`);
    return res.result as Record<string, unknown>;
  }

  async closeStdin() {
    try {
      await this.writer.close();
    } catch { /* already closed */ }
  }

  private disposed?: Promise<void>;

  /** Ends the bridge (stdin EOF, SIGKILL after 10 s) and removes its HOME; safe to call twice. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.disposed ??= this.dispose();
  }

  private async dispose() {
    await this.closeStdin();
    const timer = setTimeout(() => {
      try {
        this.child.kill("SIGKILL");
      } catch { /* gone */ }
    }, 10_000);
    await this.exited;
    clearTimeout(timer);
    await Promise.all(this.readers);
    await Deno.remove(this.home, { recursive: true }).catch(() => {});
  }
}
