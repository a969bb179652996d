/**
 * View checks (CONTRACT §14.1 step 4): for every usable view (or `--view`), `session.create`,
 * `window.hello` and `window.ready`, each of which must be `ok`.
 */
import { RpcError } from "../core/rpc_error.ts";
import { callWithTimeout, closeSession, openSession, type SmokeContext } from "./context.ts";
import { since, type StepResult } from "./report.ts";

async function checkView(ctx: SmokeContext, view: string): Promise<StepResult> {
  const t0 = performance.now();
  const step: StepResult = { suite: "views", name: view, status: "pass", duration_ms: 0 };
  let session_id: string | null = null;
  try {
    const s = await openSession(ctx, view);
    session_id = s.session_id;
    for (const method of ["hello", "ready"]) {
      const r = await callWithTimeout(ctx, { session_id, ns: "window", method, args: {} });
      if (r.kind === "outcome" && r.outcome.ok) continue;
      if (r.kind === "timeout" || r.kind === "crash") {
        step.status = "error";
        step.message = r.kind === "timeout"
          ? `window.${method}: no answer within ${r.ms} ms`
          : r.message;
      } else {
        step.status = "fail";
        const detail = r.kind === "outcome" ? r.outcome.error : r.error;
        step.message = `window.${method} did not answer ok: ${JSON.stringify(detail)}`;
        step.details = detail;
      }
      break;
    }
  } catch (e) {
    step.status = "fail";
    step.message = `session.create failed: ${
      e instanceof RpcError ? `${e.message} ${JSON.stringify(e.data ?? {})}` : String(e)
    }`;
  } finally {
    if (session_id) await closeSession(ctx, session_id);
  }
  step.duration_ms = since(t0);
  return step;
}

export async function checkViews(ctx: SmokeContext): Promise<StepResult[]> {
  const names = ctx.view !== undefined ? [ctx.view] : ctx.manifest.ui.views.map((v) => v.name);
  const out: StepResult[] = [];
  for (const v of names) out.push(await checkView(ctx, v));
  return out;
}
