/** The executa handshake (CONTRACT §9.6): `initialize` (5 s, v1/v2 negotiation), then `describe`. */
import type { Logger } from "../util/log.ts";
import { isPlainObject } from "../util/json.ts";
import type { ExecutaProcess, ExitInfo, Reply } from "./process.ts";
import { TIMEOUT, withTimeout } from "./async.ts";
import { DESCRIBE_TIMEOUT_MS, INITIALIZE_TIMEOUT_MS } from "./limits.ts";
import { stdoutNoiseHint } from "./stdout_noise.ts";

export type Protocol = "v1" | "v2";

export function initializeParams(version: string) {
  return {
    protocolVersion: "2.0",
    clientInfo: { name: "anna-app-runtime", version },
    capabilities: {
      sampling: { modalities: ["text"], maxTokensPerCall: 8192, maxCallsPerInvoke: 8 },
      fileTransport: true,
    },
    host_capabilities: { "llm.sample": true, "llm.embed": true },
  };
}

/** v2 iff a result object without an `error` key whose protocolVersion is absent or "2…". */
export function initResultIfV2(reply: Reply): Record<string, unknown> | null {
  if (reply.kind !== "response" || reply.msg.error != null) return null;
  const r = reply.msg.result;
  if (!isPlainObject(r) || "error" in r) return null;
  const pv = r.protocolVersion;
  if (pv === undefined) return r;
  return (typeof pv === "string" || typeof pv === "number") && String(pv).startsWith("2")
    ? r
    : null;
}

/** What the executa declares (§9.6): from describe.host_capabilities and the initialize result. */
export function declaredCapabilities(init: unknown, describe: unknown) {
  const hc = isPlainObject(describe) && Array.isArray(describe.host_capabilities)
    ? describe.host_capabilities
    : [];
  const maps = isPlainObject(init)
    ? [init.capabilities, init.client_capabilities].filter(isPlainObject)
    : [];
  return {
    sample: hc.includes("llm.sample") || maps.some((m) => "sampling" in m),
    embed: hc.includes("llm.embed") || maps.some((m) => "embeddings" in m),
  };
}

export type HandshakeResult =
  | {
    ok: true;
    protocol: Protocol;
    init: Record<string, unknown> | null;
    describe: Record<string, unknown> | null;
    /** Why describe is null: the JSON-RPC error, a non-object result, or a timeout. */
    describe_error: { code: number | string; message: string; data?: unknown } | null;
    /** initialize did not answer within 5 s (protocol v1 then, unless a late v2 reply came) */
    initialize_late: boolean;
  }
  | { ok: false; exit: ExitInfo };

/**
 * Runs the handshake. `onLateV2` is called when a v2 initialize reply arrives after the 5 s
 * timeout (the caller upgrades the process).
 */
export async function handshake(
  proc: ExecutaProcess,
  toolId: string,
  version: string,
  log: Logger,
  onLateV2: (init: Record<string, unknown>) => void,
): Promise<HandshakeResult> {
  // these lines log under component "executa", shared by every executa: name the one meant
  const who = { tool_id: toolId, pid: proc.pid };
  const init = proc.request("initialize", initializeParams(version));
  const first = await withTimeout(init.reply, INITIALIZE_TIMEOUT_MS);
  let protocol: Protocol = "v1";
  let initResult: Record<string, unknown> | null = null;
  if (first === TIMEOUT) {
    // a reply that cannot arrive (stdout_noise.ts) is the plugin's bug: said now, not after the
    // 60 s describe wait and the first invoke's timeout
    const hint = stdoutNoiseHint(proc.stdoutDiagnosis());
    if (hint) log.warn(`no initialize reply within 5 s; using protocol v1${hint}`, who);
    else log.info("no initialize reply within 5 s; using protocol v1", who);
    init.reply.then((late) => {
      const r = initResultIfV2(late);
      if (r) onLateV2(r);
    });
  } else if (first.kind === "exit") {
    return { ok: false, exit: first.exit };
  } else {
    if (initResultIfV2(first)) protocol = "v2";
    else log.debug("initialize answered without v2; using protocol v1", who);
    // capability maps count whatever the negotiated version (§9.6)
    if (first.kind === "response" && isPlainObject(first.msg.result)) initResult = first.msg.result;
  }

  const d = proc.request("describe");
  const dr = await withTimeout(d.reply, DESCRIBE_TIMEOUT_MS);
  let describe: Record<string, unknown> | null = null;
  let describe_error: Extract<HandshakeResult, { ok: true }>["describe_error"] = null;
  if (dr === TIMEOUT) {
    proc.abandon(d.id);
    describe_error = { code: "timeout", message: "describe did not answer within 60 s" };
  } else if (dr.kind === "exit") {
    return { ok: false, exit: dr.exit };
  } else if (dr.kind === "response" && isPlainObject(dr.msg.result) && dr.msg.error == null) {
    describe = dr.msg.result;
  } else if (dr.kind === "response" && isPlainObject(dr.msg.error)) {
    const e = dr.msg.error;
    describe_error = {
      code: typeof e.code === "number" ? e.code : String(e.code),
      message: String(e.message ?? "describe failed"),
      ...(e.data !== undefined ? { data: e.data } : {}),
    };
  } else {
    describe_error = { code: "bad_result", message: "describe did not answer an object" };
  }
  if (describe_error) {
    // `error` is a message string in every log line; a plugin's numeric code is said as text
    log.warn("describe failed; continuing without it", {
      ...who,
      error: describe_error.message,
      error_code: String(describe_error.code),
    });
  }
  if (proc.exitInfo) return { ok: false, exit: proc.exitInfo };
  return {
    ok: true,
    protocol,
    init: initResult,
    describe,
    describe_error,
    initialize_late: first === TIMEOUT,
  };
}
