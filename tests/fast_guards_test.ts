/**
 * The hand-written fast guards of hot-path schemas (lib/dispatcher/validate.ts `withFastGuard`)
 * accept only what their zod schema accepts, and an accepted object reads exactly like zod's
 * parse of it. Fuzzed over members with edge values, absent members and extra keys.
 */
import assert from "node:assert/strict";
import { z } from "zod";
import { registeredFastGuards } from "../lib/dispatcher/validate.ts";
import { seededInt } from "./helpers/rng.ts";
// importing these registers their guards
import "../lib/bridge/session_methods.ts";
import "../lib/dispatcher/storage.ts";

const ABSENT = Symbol("absent");
const EDGE_VALUES: unknown[] = [
  ABSENT,
  undefined,
  null,
  "",
  "a",
  "x".repeat(64),
  "x".repeat(65),
  "x".repeat(128),
  "x".repeat(129),
  "notes/today",
  0,
  1.5,
  -1,
  Number.NaN,
  true,
  false,
  [],
  ["a"],
  {},
  { a: 1 },
];

function generator(seed: number) {
  const next = seededInt(seed);
  return (keys: string[]): Record<string, unknown> => {
    const o: Record<string, unknown> = {};
    for (const k of keys) {
      const v = EDGE_VALUES[next(EDGE_VALUES.length)];
      if (v !== ABSENT) o[k] = v;
    }
    if (next(4) === 0) o[`extra_${next(3)}`] = EDGE_VALUES[next(EDGE_VALUES.length)];
    return o;
  };
}

Deno.test("the hot-path schemas have guards (storage get/set args, session.call params)", () => {
  const shapes = [...registeredFastGuards().keys()].map((s) =>
    Object.keys((s as z.ZodObject).shape).sort().join(",")
  );
  assert.ok(shapes.includes("args,method,ns,params,session_id,window_uuid"), shapes.join(" | "));
  assert.ok(
    shapes.includes("if_match,key,metadata,owner,scope,tags,ttl_seconds,value"),
    shapes.join(" | "),
  );
});

Deno.test("a guard accepts only what its schema accepts, with the same field values", () => {
  const gen = generator(11);
  for (const [schema, guard] of registeredFastGuards()) {
    assert.ok(schema instanceof z.ZodObject, "guards are for object schemas");
    const keys = Object.keys(schema.shape);
    let accepted = 0, rejected = 0;
    for (let i = 0; i < 60_000; i++) {
      const v = gen(keys);
      if (!guard(v)) {
        rejected++;
        continue;
      }
      accepted++;
      const r = schema.safeParse(v);
      if (!r.success) assert.fail(`guard accepted what zod rejects: ${Deno.inspect(v)}`);
      const data = r.data as Record<string, unknown>;
      for (const k of keys) {
        if (!Object.is(data[k], v[k])) assert.fail(`field ${k} differs for ${Deno.inspect(v)}`);
      }
    }
    // neither side is vacuous: the fuzz both takes and refuses the fast path
    assert.ok(accepted > 100 && rejected > 100, `accepted ${accepted}, rejected ${rejected}`);
  }
});

Deno.test("the everyday shapes take the fast path", () => {
  const byShape = new Map(
    [...registeredFastGuards()].map(([s, g]) => [Object.keys((s as z.ZodObject).shape)[0], g]),
  );
  const call = byShape.get("session_id")!;
  assert.ok(call({ session_id: "s", ns: "storage", method: "get", args: { key: "k" } }));
  assert.ok(call({ session_id: "s", ns: "window", method: "set_title", window_uuid: "w" }));
  assert.ok(!call({ session_id: "s", ns: "", method: "get" }), "empty ns goes to zod");
  assert.ok(!call({ session_id: 7, ns: "storage", method: "get" }), "bad session_id goes to zod");
  const key = byShape.get("key")!;
  assert.ok(key({ key: "notes/today", value: { n: 1 } }));
  assert.ok(!key({ value: 1 }), "a missing key goes to zod (and its error)");
});
