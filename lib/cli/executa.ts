/** `executa describe|health|invoke DIR` (CONTRACT §2.9): one executa, spawned, used, shut down. */
import { basename, dirname, join, resolve } from "node:path";
import { bool, type FlagSpec, int, parseFlags, str, UsageError } from "./flags.ts";
import { llmHelp, logHelp } from "./flag_help.ts";
import { ConfigError, LLM_FLAGS, makeLlm, makeLogger } from "./common.ts";
import { EXIT, printFatal, writeStdout } from "./output.ts";
import { ExecutaPool } from "../executa/mod.ts";
import { healthShapeHint, healthTimeoutHint } from "../executa/health.ts";
import { commandArgv, deriveExecuta, splitCommand } from "../executa/discovery.ts";
import { EXECUTA_TYPES, type ExecutaSpec, type ExecutaType } from "../executa/types.ts";
import type { Outcome, OutcomeError } from "../core/outcome.ts";
import { decodeUserFile, isPlainObject, NOT_UTF8, parseJsonText } from "../util/json.ts";
import { VERSION } from "../version.ts";
import { fileProblem, isFile } from "../util/fs.ts";
import { didYouMean } from "../util/text.ts";

export const help = `Usage: anna-app-runtime executa describe|health|invoke DIR [flags]

Spawns the executa in DIR (derived as in discovery: executa.json, pyproject.toml, package.json,
bin/<dir>), handshakes, runs one action and shuts it down.

  describe DIR                 print name, version, protocol and tools
  health DIR                   send health: healthy | not_implemented | unhealthy
  invoke DIR TOOL              invoke TOOL like tools.invoke (no ACL)
      --args JSON|@FILE        arguments object (default {})
      --timeout-ms N           invoke timeout (clamped to 1000..90000, default 65000)
      --raw                    print the plugin's raw invoke result
    LLM for the executa's reverse sampling and embeddings:
${llmHelp(6)}

Flags:
  --tool-id ID             the executa's tool_id (default: derived from DIR)
  --type python|node|go|binary
                           how to start it (default: derived from DIR)
  --command "ARGV"         the command to run, split on spaces or a JSON array (no shell)
  --format pretty|json     output format (default pretty)
${logHelp("info", "json")}
Exit: 0 ok, 1 the check or call failed, 2 usage, 3 the executa could not start or died.`;

const INVOKE_FLAGS = {
  ...LLM_FLAGS,
  args: { type: "string" as const },
  "timeout-ms": { type: "string" as const },
  raw: { type: "boolean" as const },
};
export const flags: FlagSpec = {
  ...INVOKE_FLAGS,
  "tool-id": { type: "string" as const },
  type: { type: "string" as const },
  command: { type: "string" as const },
};

/** Errors that mean the process could not be started or died: exit 3. */
const isSpawnFault = (e: OutcomeError) =>
  e.code === "executa_unavailable" ||
  (e.code === "tool_failed" && e.message === "executa process exited");

async function specFor(dir: string, v: Record<string, unknown>): Promise<ExecutaSpec> {
  const st = await Deno.stat(dir).catch(() => null);
  if (st?.isFile) {
    // `executa describe tool/executa.json`: the project directory holds that file
    throw new UsageError(`${dir} is a file; give the executa's project directory: ${dirname(dir)}`);
  }
  if (!st?.isDirectory) throw new UsageError(`${dir} does not exist`);
  const d = await deriveExecuta(dir);
  const type = (v.type as string | undefined) ?? d.type;
  if (type !== null && !EXECUTA_TYPES.includes(type as ExecutaType)) {
    throw new UsageError(`--type must be one of ${EXECUTA_TYPES.join("|")} (got '${type}')`);
  }
  if (d.skill) {
    throw new UsageError(
      `${dir} is a skill (executa_type "skill" in its executa.json): skills run no process`,
    );
  }
  const cmdFlag = v.command as string | undefined;
  // as with --executa (§2.10): the folder's own command only for the type it describes
  let command = v.type === undefined || v.type === d.type ? d.command : null;
  if (cmdFlag !== undefined) {
    command = cmdFlag.trim().startsWith("[")
      ? commandArgv((() => {
        try {
          return JSON.parse(cmdFlag);
        } catch {
          throw new UsageError("--command is not a valid JSON array");
        }
      })())
      : splitCommand(cmdFlag);
    if (!command) throw new UsageError("--command must name a program");
  }
  const tool_id = (v["tool-id"] as string | undefined) ?? d.tool_id;
  if (!tool_id) {
    // an app directory is the usual mix-up: its executas are in executas/<name>/
    const appHint = await isFile(join(dir, "manifest.json"))
      ? `; ${dir} is an app: point at one of its executas/ folders`
      : `; pass --tool-id ID${command ? "" : " with --command CMD (or --type)"}`;
    throw new UsageError(
      `cannot derive a tool_id from ${dir}${
        d.warning ? ` (${d.warning})` : ""
      } — it has no executa.json, pyproject.toml [project.scripts], package.json or bin/` +
        appHint,
    );
  }
  if (!type && !command) {
    throw new UsageError(
      `cannot derive how to start ${dir}; pass --command CMD (e.g. --command "python3 main.py") ` +
        `or --type python|node|go|binary`,
    );
  }
  return {
    tool_id,
    project_dir: dir,
    command,
    type: type as ExecutaType | null,
    env: {},
    handle: d.slug ?? basename(dir),
    app_slug: null,
  };
}

/** `--args JSON` or `--args @FILE` (a UTF-8 JSON file). */
export async function readArgs(v: string | undefined): Promise<unknown> {
  if (v === undefined) return {};
  let text = v;
  if (v.startsWith("@")) {
    let bytes: Uint8Array;
    try {
      bytes = await Deno.readFile(v.slice(1));
    } catch (e) {
      throw new UsageError(
        `--args ${v}: cannot read file (${fileProblem(e)}); give inline JSON, or @ and a JSON file`,
      );
    }
    const read = decodeUserFile(bytes);
    // the plugin would get U+FFFD where the file has other text
    if (read.badLine) throw new UsageError(`--args ${v}:${read.badLine}: ${NOT_UTF8}`);
    text = read.text;
  }
  const r = parseJsonText(text);
  if ("error" in r) {
    // with @FILE, the file is what to open and fix
    throw new UsageError(
      `--args${v.startsWith("@") ? ` ${v}` : ""} is not valid JSON (${r.error})`,
    );
  }
  return r.value;
}

/** Prints an invoke outcome (json: the outcome; pretty: the result, or the error on stderr). */
function printInvokeOutcome(format: string, out: Outcome): number {
  if (format === "json") writeStdout(JSON.stringify(out));
  else if (out.ok) writeStdout(JSON.stringify(out.result, null, 2));
  else {
    printFatal(
      format,
      out.error.code,
      `${out.error.code}: ${out.error.message}`,
      out.error.details,
    );
  }
  if (out.ok) return EXIT.OK;
  return isSpawnFault(out.error) ? EXIT.FAULT : EXIT.FAILED;
}

export async function run(argv: string[]): Promise<number> {
  const { values, positionals } = parseFlags(argv, flags, { positionals: 3 });
  const [action, dirArg, tool] = positionals;
  if (!["describe", "health", "invoke"].includes(action ?? "")) {
    const got = action
      ? `, not '${action}'` + didYouMean(action, ["describe", "health", "invoke"])
      : "";
    throw new UsageError(`expected 'describe', 'health' or 'invoke'${got}`);
  }
  if (!dirArg) throw new UsageError(`missing DIR for 'executa ${action}'`);
  if (action === "invoke" && !tool) throw new UsageError("missing TOOL for 'executa invoke'");
  if (action !== "invoke" && tool) throw new UsageError(`unexpected argument '${tool}'`);
  if (action !== "invoke") {
    // §2.3/§2.9: LLM flags and the invoke options belong to `invoke` only
    const stray = Object.keys(INVOKE_FLAGS).find((f) => values[f] !== undefined);
    if (stray) {
      throw new UsageError(`--${stray} applies to 'executa invoke' only, not '${action}'`);
    }
  }
  const format = str(values, "format") ?? "pretty";
  const json = format === "json";
  const logger = makeLogger(values, { level: "info" });
  const spec = await specFor(resolve(dirArg), values);
  const args = action === "invoke" ? await readArgs(str(values, "args")) : undefined;
  const timeoutMs = int(values, "timeout-ms");
  if (action === "invoke" && !isPlainObject(args)) {
    // as tools.invoke answers it (§5.6 step 1), before any process starts
    return printInvokeOutcome(format, {
      ok: false,
      error: {
        code: "invalid_arg",
        message: `invalid argument 'args': --args must be a JSON object, e.g. '{"text":"hi"}'`,
        details: { issues: [{ path: "args", message: "expected an object" }] },
      },
    });
  }
  let llm;
  try {
    // describe and health never sample: no provider to configure (an openai key is not needed)
    llm = action === "invoke"
      ? await makeLlm(values, logger)
      : await makeLlm({ llm: "off" }, logger);
  } catch (e) {
    if (e instanceof ConfigError) {
      printFatal(format, "config", e.message);
      return EXIT.USAGE;
    }
    throw e;
  }
  const pool = new ExecutaPool({ logger, llm, version: VERSION });
  try {
    await pool.register([spec]);
    const started = await pool.ensureStarted(spec.tool_id);
    if (!started.ok) {
      printFatal(format, started.error.code, started.error.message, started.error.details);
      return EXIT.FAULT;
    }
    const noise = () => pool.stdoutNoiseHint(spec.tool_id);
    if (action === "describe") return describe(spec.tool_id, started, format, noise);
    if (action === "health") {
      const h = await pool.health(spec.tool_id);
      if (!h.ok) {
        printFatal(format, h.error.code, h.error.message, h.error.details);
        return isSpawnFault(h.error) ? EXIT.FAULT : EXIT.FAILED;
      }
      if (json) {
        writeStdout(JSON.stringify({ tool_id: spec.tool_id, status: h.status, result: h.result }));
      } else {writeStdout(
          `${spec.tool_id}: ${h.status}${
            h.result !== null && h.result !== undefined ? ` ${JSON.stringify(h.result)}` : ""
          }${h.status === "unhealthy" ? healthWhy(h.error, h.result, noise) : ""}`,
        );}
      if (h.status !== "unhealthy") return EXIT.OK;
      // an executa that died while answering is a runtime fault (§2.1), not an unhealthy answer
      const err = h.error as OutcomeError | undefined;
      return err && typeof err === "object" && isSpawnFault(err) ? EXIT.FAULT : EXIT.FAILED;
    }
    const raw = bool(values, "raw");
    const opts = { timeoutMs, app: null };
    const out = raw
      ? await pool.invokeRaw(spec.tool_id, tool!, args, opts)
      : await pool.invoke(spec.tool_id, tool!, args, opts);
    return printInvokeOutcome(format, out);
  } finally {
    await pool.shutdown();
  }
}

/**
 * Why `health` came out unhealthy when the answer itself does not show it (a timeout, a JSON-RPC
 * error, the process exiting): pretty output only, since json's keys are fixed by §2.9.
 */
function healthWhy(error: unknown, result: unknown, noise: () => string): string {
  if (error === undefined) return healthShapeHint(result);
  if (!isPlainObject(error) || typeof error.message !== "string") return "";
  return typeof error.code === "number"
    ? ` ([${error.code}] ${error.message})`
    : ` (${error.message}${error.code === "timeout" ? healthTimeoutHint(noise()) : ""})`;
}

/**
 * §2.9 describe: the result (exit 0); exit 1 when describe answered an error or no object, 3 when
 * it timed out (a timeout is a runtime fault like a spawn failure).
 */
function describe(
  tool_id: string,
  s: { protocol: string; describe: Record<string, unknown> | null; describe_error: unknown },
  format: string,
  /** the ignored-stdout hint, for a describe that timed out */
  noise: () => string,
): number {
  const json = format === "json";
  if (json) writeStdout(JSON.stringify({ tool_id, protocol: s.protocol, describe: s.describe }));
  else if (s.describe) {
    const d = s.describe;
    const tools = Array.isArray(d.tools) ? d.tools as Record<string, unknown>[] : [];
    writeStdout([
      `name      ${d.name ?? tool_id}`,
      `version   ${d.version ?? "-"}`,
      `protocol  ${s.protocol}`,
      `tools     ${tools.length ? "" : "(none)"}`,
      ...tools.map((t) => `  ${t?.name}${t?.description ? `  — ${t.description}` : ""}`),
    ].join("\n"));
  }
  const code = describeExitCode(s.describe, s.describe_error);
  if (code === EXIT.OK) return code;
  const e = (s.describe_error ?? {}) as { code?: unknown; message?: unknown; data?: unknown };
  const timedOut = code === EXIT.FAULT;
  const message = `describe of ${tool_id} ${timedOut ? "timed out" : "failed"}: ${
    String(e.message ?? "describe did not return an object")
  }${timedOut ? noise() : ""}`;
  const details: Record<string, unknown> = { tool_id, protocol: s.protocol };
  if (e.code !== undefined) details.describe_code = e.code;
  if (e.data !== undefined) details.data = e.data;
  printFatal(format, timedOut ? "timeout" : "describe_failed", message, details);
  return code;
}

/** §2.9 describe exit code: 0 an object, 3 a timeout (runtime fault), 1 an error or no object. */
export function describeExitCode(describe: unknown, describe_error: unknown): number {
  if (describe && describe_error == null) return EXIT.OK;
  const e = describe_error as { code?: unknown } | null;
  return e?.code === "timeout" ? EXIT.FAULT : EXIT.FAILED;
}
