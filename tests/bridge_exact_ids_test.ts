/**
 * Responses are matched by id (CONTRACT §4.2). A numeric id a JS number cannot hold exactly (a
 * 64-bit random id, as Go and Python clients draw them, or one that overflows) comes back as it
 * was sent, byte for byte, on the real bridge: a rounded id would never match its request.
 */
import assert from "node:assert/strict";
import { BridgeProcess } from "./helpers/bridge_process.ts";
import { handleText } from "../lib/bridge/jsonrpc.ts";
import { silentLogger } from "../lib/util/log.ts";

Deno.test("bridge: ids past 2^53 and overflowing ids are echoed as sent", async () => {
  await using b = new BridgeProcess();
  const idOf = (line: string) => /^\{"jsonrpc":"2\.0","id":([^,]+),/.exec(line)?.[1];

  await b.writeRaw('{"jsonrpc":"2.0","id":9007199254740993,"method":"session.list"}\n');
  const big = await b.nextLine();
  assert.equal(idOf(big), "9007199254740993", big);
  assert.deepEqual(JSON.parse(big).result, { sessions: [] });

  await b.writeRaw('{"jsonrpc":"2.0","id":1e400,"method":"session.list"}\n');
  const overflow = await b.nextLine();
  assert.equal(idOf(overflow), "1e400", "an overflowing id is an id, not invalid_request");
  assert.equal(JSON.parse(overflow).error, undefined);

  // errors carry it too; an "id" inside params is not the envelope's
  await b.writeRaw(
    '[{"jsonrpc":"2.0","id":18446744073709551615,"method":"nope","params":{"id":1}},' +
      '{"jsonrpc":"2.0","id":-9007199254740995,"method":"session.get",' +
      '"params":{"id":9007199254740993}}]\n',
  );
  const batch = await b.nextLine();
  assert.match(batch, /^\[\{"jsonrpc":"2\.0","id":18446744073709551615,"error":\{"code":-32601/);
  assert.match(batch, /\},\{"jsonrpc":"2\.0","id":-9007199254740995,"error":\{"code":-32602/);

  // ordinary ids keep their ordinary form
  const ok = await b.call("session.list");
  assert.deepEqual(ok, { sessions: [] });
});

Deno.test("jsonrpc: safe integers, fractions and strings are not re-parsed or rewritten", () => {
  const calls: string[] = [];
  const call = (method: string) => {
    calls.push(method);
    return 1;
  };
  const log = silentLogger();
  for (const id of ["9007199254740991", "1.5", "-0", '"9007199254740993"', "null"]) {
    const out = handleText(call, `{"jsonrpc":"2.0","id":${id},"method":"m"}`, log) as string;
    assert.equal(out, `{"jsonrpc":"2.0","id":${id === "-0" ? "0" : id},"result":1}`);
  }
  assert.equal(calls.length, 5);
});
