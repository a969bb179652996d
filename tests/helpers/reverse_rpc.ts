/** Reverse calls (CONTRACT §9.8) straight into a `ReverseRpc`, as one executa with one invoke in flight. */
import type { ReverseRpc } from "../../lib/executa/reverse.ts";
import type { InvokeContext } from "../../lib/executa/process.ts";

/** `(method, params) → the JSON-RPC reply` for executa `toolId` while invoke `inv_1` runs. */
export function reverseCaller(rpc: ReverseRpc, toolId: string) {
  const ctx: InvokeContext = {
    invoke_id: "inv_1",
    app: null,
    deadline_ms: Date.now() + 60_000,
    sampling_calls: 0,
    sampling_tokens: 0,
    abort: new AbortController(),
  };
  const caller = {
    tool_id: toolId,
    invokes: new Map([[ctx.invoke_id, ctx]]),
    declares: { sample: false, embed: false },
  };
  // deno-lint-ignore no-explicit-any -- tests walk JSON-RPC replies
  return (method: string, params: unknown) => rpc.handle(caller, method, params) as Promise<any>;
}
