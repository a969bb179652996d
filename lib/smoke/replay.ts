/**
 * Replay of one fixture file (CONTRACT §14.5): requests in file order, one at a time, with
 * `session.call` on the fixture's session (a new session per meta line; a meta line naming a
 * session already seen in the file continues it). Tool ids are aliased, volatile values carried
 * over, responses checked, and expected events matched (with `--check-events`) against the events
 * emitted from the start of the preceding request to the end of the next one.
 */
import { compareSubset, type Diff } from "./compare.ts";
import { checkResponse, envelopeFailure, executaFault } from "./check.ts";
import { CarryOver } from "./alias.ts";
import type { EventStep, FixtureFile, RequestStep, Step } from "./fixtures.ts";
import {
  callWithTimeout,
  closeSession,
  type OpenedSession,
  openSession,
  type SmokeContext,
} from "./context.ts";
import { type CaseResult, type FixtureResult, since, worst } from "./report.ts";
import { stderrExcerpt } from "./executas.ts";
import { redoHostAction } from "./host_actions.ts";
import { isPlainObject } from "../util/json.ts";
import type { EventEnvelope } from "../session/events.ts";
import { RpcError } from "../core/rpc_error.ts";

interface Segment {
  session: OpenedSession;
  events: EventEnvelope[];
  unsubscribe: () => void;
  /** [events.length at start, at end] of each replayed request */
  spans: [number, number][];
  /** the replayed request steps, parallel to `spans` */
  reqs: RequestStep[];
  /** expected events waiting for the next request: case, step, index of the preceding request */
  pending: { c: CaseResult; step: EventStep; prev: number }[];
  /** events already matched by an expected event */
  used: Set<number>;
}

function newCase(index: number, line: number, ns: string, method: string): CaseResult {
  return { index, line, ns, method, status: "pass", duration_ms: 0 };
}

function failCase(
  c: CaseResult,
  message: string,
  diff?: Diff[],
  expected?: unknown,
  actual?: unknown,
) {
  c.status = "fail";
  c.message = message;
  if (diff) c.diff = diff;
  if (expected !== undefined) c.expected = expected;
  if (actual !== undefined) c.actual = actual;
}

/** How the executa ended and what it last said on stderr, for an executa fault's message. */
function faultCause(o: { error?: { details?: unknown } }): string {
  const d = (o.error?.details ?? {}) as Record<string, unknown>;
  const how = d.signal
    ? `signal ${d.signal}`
    : d.exit_code != null
    ? `exit code ${d.exit_code}`
    : "";
  const tail = Array.isArray(d.stderr_tail) ? stderrExcerpt(d.stderr_tail.map(String)) : "";
  return (how ? `; ${how}` : "") + (tail ? `; stderr:\n${tail}` : "");
}

function expectedOf(step: RequestStep): unknown {
  const e = step.expect;
  if (e.ok === true) return e.hasResult ? { ok: true, result: e.result } : { ok: true };
  if (e.ok === false) {
    return {
      ok: false,
      error: e.message === undefined ? { code: e.code } : { code: e.code, message: e.message },
    };
  }
  return e.ok === null ? { ok: "any but internal_error" } : { ok: "not recorded" };
}

export async function replayFixture(ctx: SmokeContext, file: FixtureFile): Promise<FixtureResult> {
  const result: FixtureResult = { file: file.name, format: file.format, status: "pass", cases: [] };
  const carry = new CarryOver();
  const segments = new Map<string, Segment>(); // recorded session id (or a synthetic key) → segment
  let seg: Segment | null = null;
  let index = 0;
  const opts = { ignore: ctx.ignore, onVolatile: (e: string, a: unknown) => carry.set(e, a) };

  const start = async (view: string | undefined, line: number): Promise<Segment | null> => {
    const t0 = performance.now();
    try {
      const session = await openSession(ctx, view);
      const s = ctx.rt.session(session.session_id)!;
      const events: EventEnvelope[] = [];
      const unsubscribe = s.events.subscribe((e) => events.push(e));
      return { session, events, unsubscribe, spans: [], reqs: [], pending: [], used: new Set() };
    } catch (e) {
      const c = newCase(++index, line, "session", "create");
      c.duration_ms = since(t0);
      const why = e instanceof RpcError
        ? `${e.message} ${JSON.stringify(e.data ?? {})}`
        : String(e);
      failCase(
        c,
        `cannot create the fixture's session${view ? ` (view '${view}')` : ""}: ${why}`,
        [{ path: "session.create", expected: "ok", actual: why }],
      );
      result.cases.push(c);
      return null;
    }
  };

  const settleEvents = (s: Segment, upTo: number) => {
    for (const p of s.pending) {
      const from = p.prev >= 0 ? s.spans[p.prev][0] : 0;
      matchEvent(ctx, s, p, from, upTo, opts);
    }
    s.pending = [];
  };

  const finishSegment = (s: Segment) => settleEvents(s, s.events.length);

  // the line of a meta whose session could not be created: its steps are listed as skipped
  let deadFrom: number | null = null;
  for (const step of file.steps as Step[]) {
    if (ctx.signal?.aborted) break;
    if (step.type === "meta") {
      const known = step.session_id !== undefined ? segments.get(step.session_id) : undefined;
      if (known) {
        seg = known;
        deadFrom = null;
        continue;
      }
      if (seg) finishSegment(seg);
      seg = await start(step.view, step.line);
      deadFrom = seg ? null : step.line;
      if (!seg) continue;
      segments.set(step.session_id ?? `#${step.line}`, seg);
      if (step.session_id) carry.set(step.session_id, seg.session.session_id);
      if (step.window_uuid) carry.set(step.window_uuid, seg.session.window_uuid);
      continue;
    }
    if (!seg && deadFrom === null) {
      seg = await start(undefined, step.line);
      if (seg) segments.set(`#${step.line}`, seg);
      else deadFrom = step.line;
    }
    if (!seg) {
      // every request stays a case (§14.5), even one that could not run
      const c = step.type === "event"
        ? newCase(++index, step.line, "event", step.name)
        : newCase(++index, step.line, step.ns, step.method);
      c.status = "skip";
      c.message = `not replayed: the session for line ${deadFrom} could not be created`;
      result.cases.push(c);
      continue;
    }
    if (step.type === "event") {
      const c = newCase(++index, step.line, "event", step.name);
      result.cases.push(c);
      const failed = await redoHostAction(ctx, seg.session.session_id, step, carry);
      if (failed) failCase(c, failed);
      else if (!ctx.checkEvents) {
        c.status = "skip";
        c.message = "events are checked with --check-events";
      } else seg.pending.push({ c, step, prev: firstOpenRequest(seg, step.line) });
      continue;
    }
    // expected events since the previous request are judged now, before this request can emit
    // anything: their window ends where the next request starts (§14.5)
    if (seg.pending.length) settleEvents(seg, seg.events.length);
    const c = newCase(++index, step.line, step.ns, step.method);
    result.cases.push(c);
    await replayRequest(ctx, seg, step, c, carry, opts);
  }
  for (const s of new Set(segments.values())) {
    finishSegment(s);
    s.unsubscribe();
    await closeSession(ctx, s.session.session_id);
  }
  if (file.steps.length === 0) result.message = "no fixture lines";
  result.status = worst(result.cases.map((c) => c.status));
  if (result.cases.length > 0 && result.cases.every((c) => c.status === "skip")) {
    result.status = "skip";
  }
  return result;
}

async function replayRequest(
  ctx: SmokeContext,
  seg: Segment,
  step: RequestStep,
  c: CaseResult,
  carry: CarryOver,
  opts: { ignore: ReadonlySet<string>; onVolatile: (e: string, a: unknown) => void },
) {
  const args = ctx.aliaser.rewriteArgs(carry.apply(step.args));
  const params: {
    session_id: string;
    ns: string;
    method: string;
    args: unknown;
    window_uuid?: string;
  } = {
    session_id: seg.session.session_id,
    ns: step.ns,
    method: step.method,
    args,
  };
  // a window this replay opened (an open_view result or the host's open_view event carried the
  // id over) gets the call; any other recorded window is not recreated: the primary one answers
  if (step.window_uuid !== undefined && carry.has(step.window_uuid)) {
    params.window_uuid = carry.value(step.window_uuid);
  }
  const t0 = performance.now();
  const spanStart = seg.events.length;
  ctx.inFlight = { title: `#${c.index} ${step.ns}.${step.method} (line ${step.line})`, since: t0 };
  const r = await callWithTimeout(ctx, params).finally(() => (ctx.inFlight = null));
  c.duration_ms = since(t0);
  seg.spans.push([spanStart, seg.events.length]);
  seg.reqs.push(step);
  switch (r.kind) {
    case "timeout":
      c.status = "error";
      c.message = `no answer within ${r.ms} ms (--call-timeout-ms)`;
      return;
    case "crash":
      c.status = "error";
      c.message = `the runtime failed on this call: ${r.message}`;
      return;
    case "rpc_error": {
      const actual = { rpc_error: r.error };
      const expected = expectedOf(step);
      const diff = [{ path: "ok", expected: (expected as { ok: unknown }).ok, actual }];
      failCase(c, `session.call was rejected: ${r.error.message}`, diff, expected, actual);
      return;
    }
  }
  const actual = r.outcome;
  if (
    step.ns === "window" && step.method === "hello" && step.expect.ok === true &&
    step.expect.hasResult
  ) {
    compareSubset(step.expect.result, actual.result, opts); // only for value carry-over
  }
  const diff = checkResponse(step.ns, step.method, step.expect, actual, opts);
  const recordedFault = step.expect.ok === false && step.expect.fault === true;
  if (diff.length === 0 && executaFault(actual) && !recordedFault) {
    // a crash answers tool_failed too: an expected tool error must not hide a dying executa
    c.status = "error";
    c.message = `the executa failed during this call (${String(actual.error?.code)}: ${
      String(actual.error?.message)
    }); the recording has ${
      step.expect.ok === false
        ? `${step.expect.code ?? "an error"} from a running executa`
        : step.expect.ok === true // only a {success:false} envelope lets a tool_failed pass
        ? "a {success:false} tool result from a running executa"
        : step.expect.ok === null
        ? "no expectation for it"
        : "no response for it"
    }${faultCause(actual)}`;
    c.expected = expectedOf(step);
    c.actual = actual;
    return;
  }
  if (step.expect.ok === "missing" && diff.length === 0) {
    c.status = "skip";
    c.message = "no recorded response; replayed only";
    return;
  }
  if (diff.length) {
    let message = diff.map((d) => d.path).join(", ") + " differ";
    if (diff.some((d) => d.path === "ok")) {
      const e = envelopeOf(step) ?? step.expect;
      if (!actual.ok) {
        message += ` (got ${String(actual.error?.code)}: ${String(actual.error?.message)})`;
      } else if (e.ok === false) {
        // the recorded error often names the cause (a flag, a missing service): show it
        message += ` (expected ${e.code ?? "an error"}${
          e.message ? `: ${e.message}` : ""
        }; got ok)`;
      }
    }
    if (step.ns === "tools" && step.method === "list" && diff.every(describedLater)) {
      message += "; recorded before the executa had started (dev starts one on first use, so " +
        "tools.list had no describe yet; smoke starts every executa first): re-record after a " +
        "tools.invoke, or --ignore-key plugin_name --ignore-key display_name …";
    }
    if (!actual.ok) message += ctx.aliaser.unmappedHint(step.args);
    if (step.concurrent) {
      const lines = [...step.concurrent].sort((a, b) => a - b).join(", ");
      const s = step.concurrent.length > 1 ? "s" : "";
      message += `; recorded while the request${s} of line${s} ${lines} ran too: replay sends ` +
        "one request at a time in file order, so a value that depends on which concurrent call " +
        "went first can differ without the app changing";
    }
    failCase(c, message, diff, expectedOf(step), actual);
    if (executaFault(actual)) {
      c.status = "error";
      c.message = `the executa failed during this call: ${message}${faultCause(actual)}`;
    }
  }
}

/** The expectation a recorded `tools.invoke` `{success:false}` envelope stands for, if it is one. */
function envelopeOf(step: RequestStep) {
  const e = step.expect;
  const env = e.ok === true && e.hasResult ? e.result : undefined;
  return step.ns === "tools" && step.method === "invoke" && isPlainObject(env) &&
      env.success === false
    ? envelopeFailure(env)
    : null;
}

/** A `tools.list` diff that only says the recording had no describe for a tool yet. */
const describedLater = (d: { path: string; expected: unknown }) =>
  d.expected === null &&
  /^result\.tools\[\d+\]\.(plugin_name|display_name|description|methods)$/.test(d.path);

/**
 * Where an expected event's window starts: at the earliest request whose recorded response comes
 * after the event's line (calls run concurrently, so the event may come from any call still open
 * when it was recorded), else at the preceding request.
 */
function firstOpenRequest(seg: Segment, eventLine: number): number {
  const last = seg.spans.length - 1;
  for (let k = 0; k < last; k++) {
    const res = seg.reqs[k].resLine;
    if (res !== undefined && res > eventLine) return k;
  }
  return last;
}

function matchEvent(
  ctx: SmokeContext,
  seg: Segment,
  p: { c: CaseResult; step: EventStep },
  from: number,
  to: number,
  opts: { ignore: ReadonlySet<string>; onVolatile: (e: string, a: unknown) => void },
) {
  const used = seg.used;
  let closest: { diff: Diff[]; actual: unknown } | null = null;
  for (let i = from; i < to; i++) {
    const e = seg.events[i];
    if (used.has(i) || e.kind !== p.step.name) continue;
    const diff = compareSubset(p.step.payload, e.payload, { ignore: ctx.ignore }, "payload");
    if (diff.length === 0) {
      compareSubset(p.step.payload, e.payload, opts); // carry-over
      used.add(i);
      return;
    }
    closest ??= { diff, actual: e.payload };
  }
  // events an earlier expected line already took are not "seen" here, only counted
  const seen: string[] = [];
  let taken = 0;
  for (let i = from; i < to; i++) {
    if (!used.has(i)) seen.push(seg.events[i].kind);
    else if (seg.events[i].kind === p.step.name) taken++;
  }
  if (closest) {
    failCase(
      p.c,
      `no matching '${p.step.name}' event`,
      closest.diff,
      p.step.payload,
      closest.actual,
    );
  } else {
    failCase(
      p.c,
      `no '${p.step.name}' event was emitted around this point (saw: ${seen.join(", ") || "none"}${
        taken ? `; ${taken} '${p.step.name}' already matched by earlier expected events` : ""
      })`,
      [{ path: "kind", expected: p.step.name, actual: seen }],
    );
  }
}
