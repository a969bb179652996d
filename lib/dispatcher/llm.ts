/** `llm.complete` / `llm.embed` (CONTRACT §5.8) through the provider layer (§10). */
import { DispatchError } from "../core/outcome.ts";
import { parseCompleteArgs, parseEmbedArgs } from "../llm/mod.ts";
import type { LlmResult } from "../llm/types.ts";
import { isPlainObject } from "../util/json.ts";
import type { CallContext, NamespaceHandlers } from "./context.ts";
import { invalidArg, parseArgs } from "./validate.ts";
import { z } from "zod";

type Parsed = { ok: true; value: Record<string, unknown> } | {
  ok: false;
  issues: { path: string; message: string }[];
};

function validated(parse: (a: unknown) => Parsed, args: unknown): Record<string, unknown> {
  if (!isPlainObject(args ?? {})) parseArgs(z.object({}), args); // standard non-object error
  const r = parse(args ?? {});
  if (!r.ok) {
    // same path style as every other invalid_arg: messages[0].role
    throw invalidArg(
      r.issues.map((i) => ({ ...i, path: i.path.replace(/\.(\d+)(?=\.|$)/g, "[$1]") })),
    );
  }
  return r.value;
}

function unwrap(r: LlmResult): unknown {
  if (r.ok) return r.result;
  throw new DispatchError(r.error.code, r.error.message, r.error.details);
}

/**
 * The args handed to the provider: as sent (mock `match` keys compare with them, §10.2), once
 * they validate — the provider derives its own defaulted copy. In `off` mode they are not
 * checked: the provider answers `llm_disabled` right after the ACL (§10.1), whatever the args, so
 * a `--no-llm` run gives one predictable answer for every llm call.
 */
function argsFor(ctx: CallContext, parse: (a: unknown) => Parsed, args: unknown) {
  if (ctx.services.llm.mode === "off") return {};
  validated(parse, args);
  return (args ?? {}) as Record<string, unknown>;
}

export const llmHandlers: NamespaceHandlers = {
  async complete(ctx: CallContext, args: unknown) {
    const sent = argsFor(ctx, parseCompleteArgs as (a: unknown) => Parsed, args);
    return unwrap(await ctx.services.llm.complete(sent, { extraMocks: ctx.session.mocks }));
  },
  async embed(ctx: CallContext, args: unknown) {
    const sent = argsFor(ctx, parseEmbedArgs as (a: unknown) => Parsed, args);
    return unwrap(await ctx.services.llm.embed(sent, { extraMocks: ctx.session.mocks }));
  },
};
