/**
 * Values nested deeper than V8's JSON serializer recurses (JSON.parse takes any depth) are stored
 * and read back whole — through the same text path the bridge, /rpc and /ws use — and the
 * iterative fallback writes exactly what JSON.stringify writes.
 */
import assert from "node:assert/strict";
import { stringifyIteratively, toJson } from "../lib/util/json.ts";
import { makeRuntime, manifest, openSession } from "./helpers/runtime.ts";

const nested = (depth: number, leaf: string) =>
  "[".repeat(depth) + JSON.stringify(leaf) + "]".repeat(depth);

Deno.test("deep values: a 20 000-level value with escaped strings is stored and read back whole", async () => {
  await using t = await makeRuntime();
  const s = await openSession(t, manifest({ storage: ["*"] }));
  const value = nested(20_000, 'a "quoted" leaf');
  const frame = (id: number, method: string, args: string) =>
    `{"jsonrpc":"2.0","id":${id},"method":"session.call","params":{"session_id":"${s.session_id}",` +
    `"ns":"storage","method":"${method}","args":${args}}}`;
  const set = JSON.parse(
    (await t.rt.handleText(frame(1, "set", `{"key":"d","value":${value}}`), "stdio"))!,
  );
  assert.deepEqual(set.result, { ok: true, result: { ok: true } });
  const text = (await t.rt.handleText(frame(2, "get", '{"key":"d"}'), "stdio"))!;
  assert.ok(!text.includes('"error"'), text.slice(0, 300));
  // the reply carries the value's exact text (JSON.parse reads it back; our own check, no recursion)
  assert.ok(text.includes(`"value":${value}`), "the stored value comes back byte for byte");
  assert.match(text, /"exists":true,"etag":"W\/\\"1-[0-9a-f]{16}\\""/);
});

Deno.test("deep values: the iterative fallback matches JSON.stringify on every kind of value", () => {
  class Box {
    constructor(readonly x: number) {}
    toJSON(key: string) {
      return { boxed: this.x, key };
    }
  }
  const samples: unknown[] = [
    null,
    true,
    false,
    0,
    -0,
    1.5,
    1e21,
    -1e-7,
    NaN,
    Infinity,
    "",
    'é\u2028"\\\n\u0000😀',
    [],
    {},
    [undefined, () => 1, Symbol("s"), null],
    { a: undefined, b: () => 1, c: 1 },
    { 'k"ey': [1, { nested: [[], {}] }], "": "empty key", 2: "numeric key", 1: "order" },
    new Date(0),
    { d: new Date(86_400_000) },
    [new Box(3)],
    { box: new Box(4) },
    new Number(5),
    [new String("s"), new Boolean(false)],
    undefined,
    () => 1,
    Object.assign(Object.create({ inherited: 1 }), { own: 2 }),
  ];
  for (const v of samples) {
    assert.equal(stringifyIteratively(v), JSON.stringify(v), String(JSON.stringify(v)));
  }
  const cyclic: Record<string, unknown> = { a: 1 };
  cyclic.self = { back: cyclic };
  assert.throws(() => stringifyIteratively(cyclic), TypeError);
  assert.throws(() => toJson(cyclic), TypeError);
  assert.throws(() => stringifyIteratively({ n: 1n }), TypeError);
  // a shared (not cyclic) object is written twice, as JSON.stringify does
  const shared = { s: 1 };
  assert.equal(stringifyIteratively([shared, shared]), '[{"s":1},{"s":1}]');
  assert.equal(toJson(JSON.parse(nested(50_000, "x"))), nested(50_000, "x"));
});
