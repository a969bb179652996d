/** Binding rules (CONTRACT §11.1): loopback only, busy default → port 0, busy explicit → exit 3. */
import assert from "node:assert/strict";
import { bindListener, ListenError, resolveBindHost } from "../lib/server/listen.ts";
import { Logger } from "../lib/util/log.ts";

const handler = () => new Response("ok");

Deno.test("listen: loopback hosts, localhost = 127.0.0.1, remote needs --allow-remote", () => {
  assert.equal(resolveBindHost("127.0.0.1", false, false), "127.0.0.1");
  assert.equal(resolveBindHost("localhost", false, false), "127.0.0.1");
  assert.equal(resolveBindHost("::1", false, false), "::1");
  assert.equal(resolveBindHost("[::1]", false, false), "::1");
  for (const h of ["0.0.0.0", "192.168.1.4", "::", "example.com", "127.0.0.2"]) {
    assert.throws(
      () => resolveBindHost(h, false, false),
      (e: unknown) =>
        e instanceof ListenError && e.exitCode === 2 &&
        e.message === `refusing to bind ${h} without --allow-remote`,
    );
  }
  assert.equal(resolveBindHost("0.0.0.0", true, false), "0.0.0.0");
  assert.throws(
    () => resolveBindHost("0.0.0.0", true, true),
    (e: unknown) =>
      e instanceof ListenError && e.exitCode === 2 && /--no-control-token/.test(e.message),
  );
});

Deno.test("listen: a busy default port falls back to a free one with a warning", async () => {
  const lines: string[] = [];
  const logger = new Logger({ level: "info", sink: (l) => lines.push(l) });
  const blocker = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, handler);
  const busy = blocker.addr.port;
  try {
    const b = bindListener({
      hostname: "127.0.0.1",
      port: busy,
      fromDefault: true,
      handler,
      logger,
    });
    try {
      assert.notEqual(b.port, busy);
      assert.equal(b.busyPort, busy);
      assert.equal(lines.length, 1);
      assert.match(lines[0], new RegExp(`WARN .*port ${busy} busy, using ${b.port}$`));
      const res = await fetch(`http://127.0.0.1:${b.port}/`);
      assert.equal(await res.text(), "ok");
    } finally {
      await b.server.shutdown();
    }
    assert.throws(
      () =>
        bindListener({ hostname: "127.0.0.1", port: busy, fromDefault: false, handler, logger }),
      (e: unknown) =>
        e instanceof ListenError && e.exitCode === 3 &&
        e.message === `port ${busy} is in use (try --port 0)`,
    );
  } finally {
    await blocker.shutdown();
  }
});
