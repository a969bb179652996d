/**
 * Reverse RPC, plugin → host (CONTRACT §9.8): invoke-context routing, `sampling/createMessage` and
 * `embeddings/create` through the LLM provider with authorisation and per-invoke limits, `storage/*`
 * and -32601 for everything else.
 */
import type { Logger } from "../util/log.ts";
import type { LlmProvider, LlmResult } from "../llm/types.ts";
import { isPlainObject, utf8Length } from "../util/json.ts";
import type { InvokeContext } from "./process.ts";
import { ReverseError, ReverseStorage, type StorageOwner } from "./reverse_storage.ts";
import {
  EMBED_MAX_BYTES,
  EMBED_MAX_INPUTS,
  SAMPLING_DEFAULT_MAX_TOKENS,
  SAMPLING_MAX_CALLS,
  SAMPLING_MAX_MESSAGES,
  SAMPLING_MAX_TOKENS_PER_CALL,
  SAMPLING_MAX_TOKENS_PER_INVOKE,
} from "./limits.ts";

export const SAMPLING_ERR = {
  NOT_GRANTED: -32001,
  PROVIDER: -32003,
  INVALID: -32004,
  TIMEOUT: -32005,
  MAX_CALLS: -32006,
  MAX_TOKENS: -32007,
} as const;
export const EMBED_NOT_GRANTED = -32501;
const NO_LLM = "harness started with --no-llm";

/** What the router needs to know about the calling executa. */
export interface ReverseCaller {
  tool_id: string;
  invokes: Map<string, InvokeContext>;
  declares: { sample: boolean; embed: boolean };
}

const STORAGE_OPS = ["get", "set", "delete", "list"];

/** §9.8 invoke context: explicit id (4 places), else the only invoke in flight. */
export function routeInvoke(invokes: Map<string, InvokeContext>, params: unknown): InvokeContext {
  const p = isPlainObject(params) ? params : {};
  const ctx = isPlainObject(p.context) ? p.context : {};
  const meta = isPlainObject(p.metadata) ? p.metadata : {};
  const id = [ctx.invoke_id, p.invoke_id, meta.executa_invoke_id, meta.invoke_id]
    .find((v) => v !== undefined && v !== null && v !== "");
  if (id !== undefined) {
    const found = invokes.get(String(id));
    if (found) return found;
    throw new ReverseError(-32602, "UNKNOWN_INVOKE_CONTEXT", {
      reason: "invoke_id is not in flight on this executa",
      invoke_id: id,
    });
  }
  if (invokes.size === 1) return invokes.values().next().value!;
  throw new ReverseError(-32602, "MISSING_INVOKE_CONTEXT", {
    reason: "no invoke_id given and not exactly one invoke in flight",
    in_flight: invokes.size,
  });
}

export class ReverseRpc {
  constructor(
    private readonly llm: LlmProvider,
    private readonly log: Logger,
    readonly storage = new ReverseStorage(),
  ) {}

  /** Answers one reverse request; never throws. */
  async handle(
    caller: ReverseCaller,
    method: string,
    params: unknown,
  ): Promise<{ result: unknown } | { error: unknown }> {
    try {
      return { result: await this.dispatch(caller, method, params) };
    } catch (e) {
      if (e instanceof ReverseError) return { error: e.toJSON() };
      this.log.error("reverse request failed", { method, error: String((e as Error)?.stack ?? e) });
      return { error: { code: -32603, message: "internal error" } };
    }
  }

  private dispatch(caller: ReverseCaller, method: string, params: unknown): Promise<unknown> {
    const op = method.startsWith("storage/") ? method.slice(8) : null;
    const known = method === "sampling/createMessage" || method === "embeddings/create" ||
      (op !== null && STORAGE_OPS.includes(op));
    if (!known) {
      throw new ReverseError(-32601, `method not available in this runtime: ${method}`);
    }
    const ctx = routeInvoke(caller.invokes, params);
    if (method === "sampling/createMessage") return this.sample(caller, ctx, params);
    if (method === "embeddings/create") return this.embed(caller, ctx, params);
    const owner = {
      app_slug: ctx.app?.app_slug ?? null,
      user_id: ctx.app?.user_id ?? null,
      tool_id: caller.tool_id,
    };
    return Promise.resolve(this.storeOp(op!, params, owner, caller.tool_id));
  }

  /** Said once in the log when the store fills up (again after a delete made room). */
  private fullLogged = false;

  private storeOp(op: string, params: unknown, owner: StorageOwner, tool_id: string): unknown {
    try {
      const r = this.storage.handle(op, params, owner);
      if (op === "delete") this.fullLogged = false;
      return r;
    } catch (e) {
      if (e instanceof ReverseError && e.data?.reason === "store_full" && !this.fullLogged) {
        this.fullLogged = true;
        this.log.warn(`executa ${tool_id}: ${e.message}`, { ...e.data, tool_id });
      }
      throw e;
    }
  }

  private async sample(caller: ReverseCaller, ctx: InvokeContext, params: unknown) {
    const app = ctx.app;
    if (app && !caller.declares.sample && !app.allows("llm", "complete")) {
      throw new ReverseError(
        SAMPLING_ERR.NOT_GRANTED,
        "sampling not granted: executa does not declare llm.sample and the app does not grant llm.complete",
      );
    }
    const args = samplingArgs(params);
    const tokens = (args.maxTokens as number | undefined) ?? SAMPLING_DEFAULT_MAX_TOKENS;
    if (ctx.sampling_calls >= SAMPLING_MAX_CALLS) {
      throw new ReverseError(
        SAMPLING_ERR.MAX_CALLS,
        `at most ${SAMPLING_MAX_CALLS} sampling calls per invoke`,
        { max_calls: SAMPLING_MAX_CALLS },
      );
    }
    if (ctx.sampling_tokens + tokens > SAMPLING_MAX_TOKENS_PER_INVOKE) {
      throw new ReverseError(
        SAMPLING_ERR.MAX_TOKENS,
        `at most ${SAMPLING_MAX_TOKENS_PER_INVOKE} sampling tokens per invoke`,
        { requested: ctx.sampling_tokens + tokens, max_tokens: SAMPLING_MAX_TOKENS_PER_INVOKE },
      );
    }
    ctx.sampling_calls++;
    ctx.sampling_tokens += tokens;
    let mocked = false;
    const r = await this.withDeadline(ctx, (signal) =>
      this.llm.complete(args, {
        lookupKeys: ["sampling/createMessage", "llm/complete"],
        matchArgs: params,
        extraMocks: app?.mocks,
        signal,
        onMockHit: () => (mocked = true),
      }));
    if (r.ok) return r.result;
    // a matching mock `error` entry answers -32003 with its message, whatever its code (§10.2)
    if (!mocked && r.error.code === "llm_disabled") throw new ReverseError(-32603, NO_LLM);
    if (!mocked && r.error.code === "invalid_arg") {
      // refused before sampling, like the checks of samplingArgs: it spends none of the budget
      ctx.sampling_calls--;
      ctx.sampling_tokens -= tokens;
      throw new ReverseError(SAMPLING_ERR.INVALID, r.error.message, r.error.details);
    }
    throw new ReverseError(SAMPLING_ERR.PROVIDER, r.error.message, {
      code: r.error.code,
      ...(r.error.details ? { details: r.error.details } : {}),
    });
  }

  private async embed(caller: ReverseCaller, ctx: InvokeContext, params: unknown) {
    const app = ctx.app;
    if (app && !caller.declares.embed && !app.allows("llm", "embed")) {
      throw new ReverseError(
        EMBED_NOT_GRANTED,
        "embeddings not granted: executa does not declare llm.embed and the app does not grant llm.embed",
      );
    }
    const args = embedArgs(params);
    let r: LlmResult;
    try {
      r = await this.withDeadline(ctx, (signal) =>
        this.llm.embed(args, {
          lookupKeys: ["embeddings/create", "llm/embed"],
          matchArgs: params,
          extraMocks: app?.mocks,
          signal,
        }));
    } catch (e) {
      // -32005 is sampling's code; for embeddings every failure is -32603 (§9.8)
      if (e instanceof ReverseError && e.code === SAMPLING_ERR.TIMEOUT) {
        throw new ReverseError(-32603, e.message, e.data);
      }
      throw e;
    }
    if (r.ok) return r.result;
    if (r.error.code === "llm_disabled") throw new ReverseError(-32603, NO_LLM);
    // as sampling's -32003: the plugin sees why (reason, status), e.g. to back off on a 429
    throw new ReverseError(-32603, r.error.message, {
      code: r.error.code,
      ...(r.error.details ? { details: r.error.details } : {}),
    });
  }

  /** Runs a provider call bounded by the invoke's deadline (→ -32005) and its lifetime. */
  private async withDeadline(
    ctx: InvokeContext,
    call: (signal: AbortSignal) => Promise<LlmResult>,
  ): Promise<LlmResult> {
    const expired = () =>
      new ReverseError(SAMPLING_ERR.TIMEOUT, "the invoke deadline has passed", {
        deadline_ms: ctx.deadline_ms,
      });
    const remaining = ctx.deadline_ms - Date.now();
    if (remaining <= 0 || ctx.abort.signal.aborted) throw expired();
    const ac = new AbortController();
    const timer = setTimeout(() => ac.abort(), remaining);
    const onEnd = () => ac.abort();
    ctx.abort.signal.addEventListener("abort", onEnd, { once: true });
    // a provider that ignores the signal must not hold the plugin past the deadline
    const aborted = new Promise<never>((_, reject) =>
      ac.signal.addEventListener("abort", () => reject(expired()), { once: true })
    );
    aborted.catch(() => {});
    try {
      const r = await Promise.race([call(ac.signal), aborted]);
      if (ac.signal.aborted) throw expired();
      return r;
    } catch (e) {
      if (ac.signal.aborted) throw expired();
      throw e;
    } finally {
      clearTimeout(timer);
      ctx.abort.signal.removeEventListener("abort", onEnd);
    }
  }
}

const invalidSampling = (message: string) => new ReverseError(SAMPLING_ERR.INVALID, message);
const ROLES = ["user", "assistant", "system"];

/** Validates `sampling/createMessage` params as `llm.complete` args (§5.8) plus the §9.8 limits. */
function samplingArgs(params: unknown): Record<string, unknown> {
  if (!isPlainObject(params)) throw invalidSampling("params must be an object");
  const { messages } = params;
  if (!Array.isArray(messages) || messages.length < 1 || messages.length > SAMPLING_MAX_MESSAGES) {
    throw invalidSampling(`messages must be an array of 1..${SAMPLING_MAX_MESSAGES} items`);
  }
  messages.forEach((m, i) => {
    if (!isPlainObject(m) || !ROLES.includes(m.role as string)) {
      throw invalidSampling(`messages[${i}].role must be user, assistant or system`);
    }
    const c = m.content;
    if (typeof c !== "string" && !isPlainObject(c) && !Array.isArray(c)) {
      throw invalidSampling(`messages[${i}].content must be a string, a block or an array`);
    }
  });
  const pick = (a: string, b: string) => (params[a] !== undefined ? params[a] : params[b]);
  const args: Record<string, unknown> = { messages };
  const system = pick("systemPrompt", "system");
  if (system !== undefined && system !== null) {
    if (typeof system !== "string") throw invalidSampling("systemPrompt must be a string");
    args.systemPrompt = system;
  }
  const maxTokens = pick("maxTokens", "max_tokens");
  if (maxTokens !== undefined && maxTokens !== null) {
    if (!Number.isInteger(maxTokens) || (maxTokens as number) < 1) {
      throw invalidSampling("maxTokens must be an integer >= 1");
    }
    if ((maxTokens as number) > SAMPLING_MAX_TOKENS_PER_CALL) {
      throw new ReverseError(
        SAMPLING_ERR.MAX_TOKENS,
        `maxTokens must be at most ${SAMPLING_MAX_TOKENS_PER_CALL} per sampling call`,
        { max_tokens: SAMPLING_MAX_TOKENS_PER_CALL },
      );
    }
    args.maxTokens = maxTokens;
  }
  const t = params.temperature;
  if (t !== undefined && t !== null) {
    if (typeof t !== "number" || !(t >= 0 && t <= 2)) {
      throw invalidSampling("temperature must be a number 0..2");
    }
    args.temperature = t;
  }
  const stop = pick("stopSequences", "stop");
  if (stop !== undefined && stop !== null) {
    if (!Array.isArray(stop) || !stop.every((s) => typeof s === "string")) {
      throw invalidSampling("stopSequences must be an array of strings");
    }
    args.stopSequences = stop;
  }
  for (const k of ["modelPreferences", "metadata", "includeContext"]) {
    if (params[k] !== undefined) args[k] = params[k];
  }
  return args;
}

function embedArgs(params: unknown): Record<string, unknown> {
  const bad = (m: string) => new ReverseError(-32602, m);
  if (!isPlainObject(params)) throw bad("params must be an object");
  const { input, model } = params;
  const list = typeof input === "string" ? [input] : input;
  if (
    !Array.isArray(list) || list.length < 1 || list.length > EMBED_MAX_INPUTS ||
    !list.every((s) => typeof s === "string")
  ) {
    throw bad(`input must be a string or 1..${EMBED_MAX_INPUTS} strings`);
  }
  const total = list.reduce((n, s) => n + utf8Length(s), 0);
  if (total > EMBED_MAX_BYTES) throw bad(`input must total at most ${EMBED_MAX_BYTES} bytes`);
  if (model !== undefined && model !== null && typeof model !== "string") {
    throw bad("model must be a string");
  }
  return model === undefined || model === null ? { input } : { input, model };
}
