/**
 * `--allowed-host` with a non-ASCII (IDN) name is refused as before, but says which spelling to
 * give: a browser's Host header carries the punycode form, so the Unicode one never matches.
 */
import assert from "node:assert/strict";
import { serverSettings } from "../lib/cli/server_launch.ts";
import { UsageError } from "../lib/cli/flags.ts";

const refusal = (host: string) => {
  try {
    serverSettings({ "allowed-host": [host] }, undefined);
  } catch (e) {
    assert.ok(e instanceof UsageError, String(e));
    return e.message;
  }
  assert.fail(`${host} was accepted`);
};

Deno.test("--allowed-host: an IDN is told its punycode form; other bad values get no such hint", () => {
  assert.match(
    refusal("bücher.local:8080"),
    /; browsers send a non-ASCII host name in its punycode form: --allowed-host xn--bcher-kva\.local:8080$/,
  );
  assert.match(refusal("例え.jp"), /--allowed-host xn--r8jz45g\.jp$/);
  assert.match(refusal("bü cher"), /\(a DNS name or IP literal, port 1-65535\)$/);
  assert.match(refusal("a b"), /\(a DNS name or IP literal, port 1-65535\)$/);
  // the punycode form is what the Host check accepts
  const ok = serverSettings({ "allowed-host": ["xn--bcher-kva.local"] }, undefined);
  assert.deepEqual(ok.allowedHosts, ["xn--bcher-kva.local"]);
});
