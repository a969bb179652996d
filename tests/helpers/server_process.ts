/**
 * `main.ts` as a child process that may keep running (`dev`, `serve`): stdout read as it arrives,
 * stderr collected, the dev key in a temp dir removed when the process ends.
 */
import { join } from "node:path";
import { MAIN_TS, REPO_ROOT } from "./bridge_process.ts";
import { tmpPrefix } from "./tmp.ts";

export interface Proc {
  child: Deno.ChildProcess;
  /** Resolves with stdout once `pred` holds for it (or with what there is at EOF). */
  stdoutWhen: (pred: (out: string) => boolean) => Promise<string>;
  stderr: () => string;
  status: Promise<Deno.CommandStatus>;
}

export function spawnCli(args: string[], env: Record<string, string> = {}): Proc {
  const keyDir = Deno.makeTempDirSync({ prefix: tmpPrefix("srv-key") });
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", MAIN_TS, ...args],
    cwd: REPO_ROOT,
    env: { NO_COLOR: "1", ANNA_APP_DEV_KEY_FILE: join(keyDir, "dev.key"), ...env },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  let err = "";
  let out = "";
  let ended = false;
  const watchers: (() => void)[] = [];
  const poke = () => watchers.splice(0).forEach((w) => w());
  const readErr = (async () => {
    const dec = new TextDecoder();
    for await (const c of child.stderr) err += dec.decode(c, { stream: true });
  })();
  (async () => {
    const dec = new TextDecoder();
    for await (const c of child.stdout) {
      out += dec.decode(c, { stream: true });
      poke();
    }
    ended = true;
    poke();
  })();
  const stdoutWhen = async (pred: (o: string) => boolean) => {
    while (!pred(out) && !ended) await new Promise<void>((r) => watchers.push(r));
    return out;
  };
  const status = child.status.then(async (s) => {
    await readErr;
    await Deno.remove(keyDir, { recursive: true }).catch(() => {});
    return s;
  });
  return { child, stdoutWhen, stderr: () => err, status };
}
