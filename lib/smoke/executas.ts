/**
 * Executa checks (CONTRACT §14.1 step 3), through the pool like every other use: spawn + handshake
 * (`ensureStarted`), `describe` must have returned an object with a `tools` array (empty → warning),
 * then `health` (`error`/`unhealthy` → failure, `initializing` → warning, -32601 → skipped).
 * A spawn failure, an exit or a timeout here is a runtime fault (status `error`, exit 3).
 */
import type { ExecutaPool } from "../executa/mod.ts";
import { DESCRIBE_TIMEOUT_MS, INITIALIZE_TIMEOUT_MS } from "../executa/limits.ts";
import { healthShapeHint, healthTimeoutHint } from "../executa/health.ts";
import { isPlainObject } from "../util/json.ts";
import { stripAnsi } from "../util/text.ts";
import { type ExecutaResult, since, type StepResult, worst } from "./report.ts";

export interface ExecutaChecks {
  steps: StepResult[];
  executas: ExecutaResult[];
}

function toolNames(describe: Record<string, unknown> | null): string[] {
  const tools = describe?.tools;
  if (!Array.isArray(tools)) return [];
  return tools.map((
    t,
  ) => (isPlainObject(t) && typeof t.name === "string" ? t.name : JSON.stringify(t)));
}

const ERROR_LINE = /error|exception|traceback|panic/i;

/**
 * The stderr lines a report shows: the last 5, plus the first line naming an error when those
 * miss it (Node ends a crash with stack frames and its version, so the cause comes earlier).
 * Without terminal escapes: an executa run with FORCE_COLOR must not put them in a CI log or the
 * junit file (where the XML-invalid ESC is dropped and `[31m` is left behind).
 */
export function stderrExcerpt(raw: string[]): string {
  const lines = raw.map((l) => stripAnsi(l));
  const tail = lines.slice(-5);
  if (!tail.some((l) => ERROR_LINE.test(l))) {
    const cause = lines.slice(0, -5).find((l) => ERROR_LINE.test(l));
    if (cause !== undefined) return [cause, "…", ...tail].join("\n");
  }
  return tail.join("\n");
}

/** `message (code N); stderr: …` from an executa_unavailable / exit outcome error. */
function describeFault(e: { message: string; details?: Record<string, unknown> }): string {
  const d = e.details ?? {};
  const how = d.signal
    ? `signal ${d.signal}`
    : d.exit_code !== undefined && d.exit_code !== null
    ? `code ${d.exit_code}`
    : null;
  const tail = Array.isArray(d.stderr_tail) ? stderrExcerpt(d.stderr_tail.map(String)) : "";
  return `${e.message}${how ? ` (${how})` : ""}${tail ? `; stderr:\n${tail}` : ""}`;
}

function exited(pool: ExecutaPool, tool_id: string): string | null {
  const info = pool.list().find((e) => e.tool_id === tool_id);
  if (!info || (info.status !== "crashed" && info.status !== "failed")) return null;
  const x = info.last_exit;
  const how = x ? (x.signal ? `signal ${x.signal}` : `code ${x.code}`) : "unknown status";
  const tail = stderrExcerpt(info.stderr_tail);
  return `executa exited (${how})${tail ? `; stderr:\n${tail}` : ""}`;
}

async function checkOne(
  pool: ExecutaPool,
  tool_id: string,
  warnings: string[],
): Promise<{ steps: StepResult[]; executa: ExecutaResult }> {
  const steps: StepResult[] = [];
  const executa: ExecutaResult = { tool_id, protocol: null, status: "pass", tools: [] };
  const suite = "executas";
  let t0 = performance.now();
  const started = await pool.ensureStarted(tool_id);
  if (!started.ok) {
    steps.push({
      suite,
      name: `${tool_id} start+describe`,
      status: "error",
      duration_ms: since(t0),
      message: `could not start: ${describeFault(started.error)}`,
      details: started.error,
    });
    executa.status = "error";
    return { steps, executa };
  }
  executa.protocol = started.protocol;
  executa.tools = toolNames(started.describe);
  if (started.initialize_late) {
    // it works here, but a host that waits 5 s has already settled on v1 (§9.6); a reply the
    // host could not read is the likelier cause than a slow start when stdout had other lines
    const noise = pool.stdoutNoiseHint(tool_id);
    warnings.push(
      `executa ${tool_id}: no initialize reply within ${INITIALIZE_TIMEOUT_MS / 1000} s, so ` +
        `the host uses protocol v1` +
        (started.protocol === "v2" ? " until its late v2 reply arrives" : "") +
        (noise || "; answer initialize at once and do slow set-up afterwards"),
    );
  }
  const describeMs = since(t0);
  const d = started.describe;
  const describeStep: StepResult = {
    suite,
    name: `${tool_id} start+describe`,
    status: "pass",
    duration_ms: describeMs,
    details: { protocol: started.protocol, tools: executa.tools },
  };
  if (d === null) {
    // describe that timed out is a runtime fault; an error or a non-object answer a failure
    const e = (started.describe_error ?? {}) as { code?: unknown; message?: unknown };
    const timedOut = e.code === "timeout";
    describeStep.status = timedOut ? "error" : "fail";
    describeStep.message = timedOut
      ? `describe did not answer within ${DESCRIBE_TIMEOUT_MS / 1000} s` +
        pool.stdoutNoiseHint(tool_id)
      : `describe did not return an object: ${
        e.message !== undefined ? `[${String(e.code)}] ${String(e.message)}` : "no answer"
      }`;
    if (started.describe_error != null) describeStep.details = { error: started.describe_error };
  } else if (!Array.isArray(d.tools)) {
    describeStep.status = "fail";
    describeStep.message = "describe result has no 'tools' array";
  } else if (d.tools.length === 0) {
    describeStep.message = "describe returned an empty tools array";
    warnings.push(`executa ${tool_id}: describe returned an empty tools array`);
  }
  steps.push(describeStep);

  t0 = performance.now();
  const h = await pool.health(tool_id);
  const healthStep: StepResult = {
    suite,
    name: `${tool_id} health`,
    status: "pass",
    duration_ms: 0,
  };
  if (!h.ok) {
    healthStep.status = "error";
    healthStep.message = `could not start: ${describeFault(h.error)}`;
    healthStep.details = h.error;
  } else if (h.status === "not_implemented") {
    healthStep.status = "skip";
    healthStep.message = "health is not implemented (-32601)";
  } else if (h.status === "unhealthy") {
    const res = h.result;
    const err = h.error as { code?: unknown; message?: unknown } | undefined;
    const gone = exited(pool, tool_id);
    if (isPlainObject(res) && res.status === "initializing") {
      healthStep.message = "executa reports 'initializing'";
      warnings.push(`executa ${tool_id}: health reports 'initializing'`);
    } else if (gone) {
      healthStep.status = "error";
      healthStep.message = gone;
    } else if (err?.code === "timeout") {
      healthStep.status = "error";
      healthStep.message = String(err.message ?? "health timed out") +
        healthTimeoutHint(pool.stdoutNoiseHint(tool_id));
    } else {
      healthStep.status = "fail";
      healthStep.message = `unhealthy: ${JSON.stringify(res ?? err ?? null)}` +
        (err ? "" : healthShapeHint(res));
    }
    healthStep.details = { result: res ?? null, error: err ?? null };
  } else healthStep.details = { result: h.result };
  healthStep.duration_ms = since(t0);
  // an executa that died right after answering is a fault too
  const gone = healthStep.status === "pass" || healthStep.status === "skip"
    ? exited(pool, tool_id)
    : null;
  if (gone) {
    healthStep.status = "error";
    healthStep.message = gone;
  }
  steps.push(healthStep);
  executa.status = worst(steps.map((s) => s.status));
  return { steps, executa };
}

/** Checks every registered executa, one at a time (registration order). */
export async function checkExecutas(
  pool: ExecutaPool,
  toolIds: string[],
  warnings: string[],
): Promise<ExecutaChecks> {
  const out: ExecutaChecks = { steps: [], executas: [] };
  for (const id of toolIds) {
    const r = await checkOne(pool, id, warnings);
    out.steps.push(...r.steps);
    out.executas.push(r.executa);
  }
  return out;
}
