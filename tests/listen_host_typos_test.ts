/**
 * `--host` given as a URL, with a port glued on, or as no address at all is told what to write;
 * "refusing to bind … without --allow-remote" (§11.1) stays for real non-loopback addresses, and
 * was misleading for these: adding --allow-remote only moved the failure to the bind.
 */
import assert from "node:assert/strict";
import { ListenError, resolveBindHost } from "../lib/server/listen.ts";

const refused = (host: string, allowRemote = false) => {
  try {
    resolveBindHost(host, allowRemote, false);
  } catch (e) {
    assert.ok(e instanceof ListenError && e.exitCode === 2, String(e));
    return e.message;
  }
  assert.fail(`${host} was accepted`);
};

Deno.test("--host: a URL, a host:port or a non-address says what to write instead", () => {
  for (const allowRemote of [false, true]) {
    assert.equal(
      refused("http://127.0.0.1:5180/", allowRemote),
      "--host 'http://127.0.0.1:5180/' is a URL; give only its host: --host 127.0.0.1 --port 5180",
    );
    assert.equal(
      refused("https://example.com", allowRemote),
      "--host 'https://example.com' is a URL; give only its host: --host example.com",
    );
    assert.equal(
      refused("127.0.0.1:5180", allowRemote),
      "--host '127.0.0.1:5180' includes a port; give it apart: --host 127.0.0.1 --port 5180",
    );
    assert.equal(
      refused("[::1]:80", allowRemote),
      "--host '[::1]:80' includes a port; give it apart: --host [::1] --port 80",
    );
    assert.equal(
      refused("local host", allowRemote),
      "--host 'local host' is not an address or host name (e.g. 127.0.0.1, ::1 or localhost)",
    );
  }
});

Deno.test("--host: addresses keep the §11.1 rules and wording", () => {
  for (const h of ["127.0.0.1", "localhost", "::1", "[::1]", "LOCALHOST"]) {
    assert.ok(["127.0.0.1", "::1"].includes(resolveBindHost(h, false, false)), h);
  }
  for (const h of ["0.0.0.0", "::", "example.com", "::ffff:127.0.0.1", "fe80::1%eth0"]) {
    assert.equal(refused(h), `refusing to bind ${h} without --allow-remote`);
    assert.equal(resolveBindHost(h, true, false), h);
  }
});
