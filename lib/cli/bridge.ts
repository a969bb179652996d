/** `bridge` (CONTRACT §2.4): the core served as JSON-RPC over stdin/stdout. */
import { type FlagSpec, parseFlags } from "./flags.ts";
import { llmHelp, logHelp, TOKEN_HELP } from "./flag_help.ts";
import {
  ConfigError,
  LLM_FLAGS,
  loadKey,
  makeLlm,
  makeLogger,
  TOKEN_FLAGS,
  tokenTtl,
} from "./common.ts";
import { EXIT, printFatal } from "./output.ts";
import { Runtime } from "../core/runtime.ts";
import { ExecutaPool } from "../executa/mod.ts";
import { LineWriter, MAX_FRAME_BYTES, serveLines } from "../bridge/stdio.ts";
import { withTimeout } from "../executa/async.ts";
import { drainAfterEof } from "../bridge/eof_drain.ts";
import { untilSignal } from "./signals.ts";
import { VERSION } from "../version.ts";
import { flushStderr } from "../util/stderr_queue.ts";

export const help = `Usage: anna-app-runtime bridge [flags]

Serves the bridge protocol (JSON-RPC 2.0, one envelope per line) on stdin/stdout.
stdout carries protocol only; logs go to stderr. EOF on stdin shuts down gracefully.

LLM flags:
${llmHelp()}
Token flags:
${TOKEN_HELP}
Output:
${logHelp("warn", null)}`;

/** After a shutdown signal and the executas' stop, how long answers still in flight may take. */
const ANSWER_GRACE_MS = 5000;

/** bridge prints no results, only the protocol: it has no `--format` (§2.1, §2.4). */
export const formats = null;

export const flags: FlagSpec = { ...LLM_FLAGS, ...TOKEN_FLAGS };

export async function run(argv: string[]): Promise<number> {
  const { values } = parseFlags(argv, flags, { formats: null });
  const logger = makeLogger(values, { level: "warn", format: "pretty" });
  let rt: Runtime;
  try {
    const ttl = tokenTtl(values);
    const key = await loadKey(values, logger);
    const llm = await makeLlm(values, logger);
    const executas = new ExecutaPool({ logger: logger.child("executa"), llm, version: VERSION });
    rt = new Runtime({
      mode: "bridge",
      key,
      tokenTtl: ttl,
      llm,
      executas,
      logger: logger.child("bridge"),
    });
  } catch (e) {
    if (e instanceof ConfigError) {
      printFatal(undefined, "config", e.message);
      return EXIT.USAGE;
    }
    throw e;
  }
  const writer = new LineWriter(Deno.stdout.writable.getWriter());
  const runtime = rt;
  const stopReading = new AbortController();
  let pending = 0;
  const settled = () => void pending--;
  let inputEnded!: () => void;
  const ended = new Promise<void>((r) => (inputEnded = r));
  const served = serveLines(
    Deno.stdin.readable,
    writer,
    (t) => {
      const out = runtime.handleTextNow(t, "stdio");
      if (out instanceof Promise) {
        pending++;
        out.then(settled, settled);
      }
      return out;
    },
    logger,
    MAX_FRAME_BYTES,
    stopReading.signal,
    inputEnded,
  );
  untilSignal(async (signal) => {
    // no new requests; stopping the executas ends the invokes in flight (§9.7), and every request
    // read before the signal has its answer written before the exit (bounded: an LLM call may not
    // end soon)
    stopReading.abort();
    logger.info(`${signal}: stopping; answering the requests already read`, { pending });
    await runtime.shutdown();
    await withTimeout(served, ANSWER_GRACE_MS);
  }, () => runtime.executas.killAll()).then(async (code) => {
    await flushStderr();
    Deno.exit(code);
  });
  await ended;
  if (!stopReading.signal.aborted) {
    // EOF: bounded, unlike a hung call's own timeout (a shutdown signal has its own path above)
    const how = await drainAfterEof({
      answered: served,
      pending: () => pending,
      stop: () => runtime.shutdown(),
      log: logger,
      graceMs: ANSWER_GRACE_MS,
    });
    if (how === "dropped") await withTimeout(writer.flush(), ANSWER_GRACE_MS);
  } else await served;
  await rt.shutdown();
  return EXIT.OK;
}
