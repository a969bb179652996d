/**
 * The recorded-session format (CONTRACT §14.3): `meta`, `req`, `res`, `auth.refresh` and `event`
 * lines into replay steps, a `res` paired with the latest open `req` of its id.
 */
import {
  errorExpectation,
  type EventStep,
  FixtureError,
  type MetaStep,
  need,
  nonEmpty,
  type RawLine,
  type RequestStep,
  type Step,
} from "./fixture_steps.ts";
import { unknownKeys } from "./fixture_keys.ts";

/** The `kind`s of §14.3. */
const KINDS = "meta, req, res, auth.refresh, event";

/**
 * Why a response pairs with no request, naming the near miss a hand-written file has: the same id
 * of another JSON type (`"2"` vs `2`), or an id whose request was already answered.
 */
function orphanResponse(
  file: string,
  l: RawLine,
  pending: Map<string, RequestStep>,
  answered: RequestStep | undefined,
): string {
  const id = l.v.id;
  const head = `${file}:${l.n}: response id ${JSON.stringify(id)} has no request`;
  const typeOf = (v: unknown) => (typeof v === "string" ? "a string" : `a ${typeof v}`);
  const other = [...pending.values()].find((r) => r.id !== id && String(r.id) === String(id));
  if (other) {
    return `${head} (line ${other.line} has id ${JSON.stringify(other.id)}, ${
      typeOf(other.id)
    }, and this one ${
      typeOf(id)
    }: a response pairs only with the same id); ignored, so line ${other.line} is not checked`;
  }
  if (answered) {
    return `${file}:${l.n}: response id ${JSON.stringify(id)} answers no open request: the ` +
      `request of line ${answered.line} with this id was answered on line ${answered.resLine} ` +
      "(give each request its own id); ignored";
  }
  return `${head}; ignored`;
}

export function parseRecorded(file: string, lines: RawLine[], warnings: string[]): Step[] {
  unknownKeys(file, lines, warnings, "kind");
  const steps: Step[] = [];
  let pending = new Map<string, RequestStep>(); // id → latest unanswered request of this segment
  let answered = new Map<string, RequestStep>(); // id → its last answered request
  const key = (id: unknown) => `${typeof id}:${String(id)}`;
  for (const l of lines) {
    const kind = l.v.kind;
    if (!nonEmpty(kind)) {
      // the format is fixed by the first line (§14.2): a docs line pasted below recorded lines
      const other = Object.hasOwn(l.v, "dir")
        ? ' (this line has "dir": a docs-format line; each file holds one format, so move it ' +
          "to a file of its own)"
        : "";
      throw new FixtureError(file, l.n, `recorded-session lines need "kind" (${KINDS})${other}`);
    }
    switch (kind) {
      case "meta": {
        pending = new Map();
        answered = new Map();
        const m: MetaStep = { type: "meta", line: l.n };
        if (nonEmpty(l.v.session_id)) m.session_id = l.v.session_id;
        if (nonEmpty(l.v.window_uuid)) m.window_uuid = l.v.window_uuid;
        if (nonEmpty(l.v.view)) m.view = l.v.view;
        if (nonEmpty(l.v.app_slug)) m.app_slug = l.v.app_slug;
        steps.push(m);
        break;
      }
      case "req": {
        const id = l.v.id;
        if (typeof id !== "string" && typeof id !== "number") {
          throw new FixtureError(file, l.n, 'a "req" line needs "id" (a number or string)');
        }
        const r: RequestStep = {
          type: "req",
          line: l.n,
          id,
          ns: need(file, l, "ns", 'a "req" line'),
          method: need(file, l, "method", 'a "req" line'),
          args: Object.hasOwn(l.v, "args") ? l.v.args : {},
          expect: { ok: "missing" },
        };
        if (nonEmpty(l.v.window_uuid)) r.window_uuid = l.v.window_uuid;
        const open = pending.get(key(id));
        if (open) {
          warnings.push(
            `${file}:${l.n}: request id ${
              JSON.stringify(id)
            } repeats the id of line ${open.line}, ` +
              `which has no response yet; a response pairs with the latest request of its id, so ` +
              `line ${open.line} is replayed unchecked (give each request its own id)`,
          );
        }
        pending.set(key(id), r);
        steps.push(r);
        break;
      }
      case "res": {
        const r = pending.get(key(l.v.id));
        if (!r) {
          warnings.push(orphanResponse(file, l, pending, answered.get(key(l.v.id))));
          break;
        }
        pending.delete(key(l.v.id));
        answered.set(key(l.v.id), r);
        r.resLine = l.n;
        // requests sent while this one ran: replay sends them one after the other
        for (let i = steps.length - 1; i >= 0 && steps[i].line > r.line; i--) {
          const o = steps[i];
          if (o.type !== "req") continue;
          (r.concurrent ??= []).unshift(o.line);
          (o.concurrent ??= []).push(r.line);
        }
        if (typeof l.v.ok !== "boolean") {
          const got = Object.hasOwn(l.v, "ok") ? `, got ${JSON.stringify(l.v.ok)}` : "";
          const quoted = l.v.ok === "true" || l.v.ok === "false"
            ? `: write ${l.v.ok} without quotes`
            : "";
          throw new FixtureError(
            file,
            l.n,
            `a "res" line needs "ok" (true or false)${got}${quoted}`,
          );
        }
        r.expect = l.v.ok
          ? { ok: true, hasResult: Object.hasOwn(l.v, "result"), result: l.v.result }
          : errorExpectation(file, l, l.v.error);
        break;
      }
      case "auth.refresh":
        break; // token pushes are ignored by replay (§14.3)
      case "event": {
        const e: EventStep = {
          type: "event",
          line: l.n,
          name: need(file, l, "event", 'an "event" line'),
          payload: l.v.payload ?? {},
        };
        if (l.v.by_client_id === null) e.byHost = true;
        steps.push(e);
        break;
      }
      default:
        warnings.push(
          `${file}:${l.n}: unknown kind ${JSON.stringify(kind)}; ignored (kinds: ${KINDS})`,
        );
    }
  }
  return steps;
}
