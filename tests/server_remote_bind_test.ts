/**
 * A wildcard bind (`--allow-remote --host 0.0.0.0` or `::`) names the machine's other addresses in
 * the pretty startup output, IPv4 first (CONTRACT §2.13), and the Host check accepts each of them
 * (§11.2 step 1). The json startup line keeps exactly the fields §2.13 lists.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { wildcardAddresses } from "../lib/server/listen.ts";
import { REPO_ROOT } from "./helpers/bridge_process.ts";
import { spawnCli } from "./helpers/server_process.ts";

const VALID_APP = join(REPO_ROOT, "tests/fixtures/apps/valid-app");
const FREE_PORTS = ["--port", "0", "--app-port", "0"];

/** This machine's addresses as the runtime should list them for a bind to `host`. */
function expectedAddresses(host: "0.0.0.0" | "::"): string[] {
  const all = Deno.networkInterfaces().filter((i) =>
    !/^(127\.|::1$|fe[89ab][0-9a-f]:)/i.test(i.address)
  );
  const v4 = all.filter((i) => i.family === "IPv4").map((i) => i.address);
  const v6 = all.filter((i) => i.family === "IPv6").map((i) => `[${i.address.toLowerCase()}]`);
  return host === "::" ? [...new Set([...v4, ...v6])] : [...new Set(v4)];
}

/** Runs a server command until its pretty startup block is out, then stops it (exit 0). */
async function startupText(args: string[]): Promise<string> {
  const p = spawnCli(args);
  try {
    return await p.stdoutWhen((o) => /\n {2}executas .*\n/.test(o));
  } finally {
    p.child.kill("SIGTERM");
    assert.equal((await p.status).code, 0, p.stderr());
  }
}

Deno.test("remote bind: wildcard addresses are the non-loopback ones, IPv4 first", () => {
  const addrs = ["127.0.0.1", "::1", "fd00::2", "192.0.2.2", "FE80::1", "10.0.0.7", "192.0.2.2"];
  assert.deepEqual(wildcardAddresses("::", addrs), ["192.0.2.2", "10.0.0.7", "fd00::2"]);
  // 0.0.0.0 listens on IPv4 only
  assert.deepEqual(wildcardAddresses("0.0.0.0", addrs), ["192.0.2.2", "10.0.0.7"]);
  // a named address is already the one printed; loopback needs nothing more
  for (const host of ["192.0.2.2", "127.0.0.1", "::1"]) {
    assert.deepEqual(wildcardAddresses(host, addrs), [], host);
  }
});

Deno.test("remote bind: dev on 0.0.0.0 lists the machine's IPv4 addresses under the dashboard line", async () => {
  const out = await startupText([
    "dev",
    VALID_APP,
    "--no-executas",
    "--no-watch",
    "--allow-remote",
    "--host",
    "0.0.0.0",
    ...FREE_PORTS,
  ]);
  const port = /dashboard\s+http:\/\/127\.0\.0\.1:(\d+)\/\n/.exec(out)?.[1];
  assert.ok(port, out);
  const listed = [...out.matchAll(/^ +also reachable at http:\/\/(\S+):(\d+)\/$/gm)];
  assert.deepEqual(listed.map((m) => m[1]), expectedAddresses("0.0.0.0"), out);
  assert.ok(listed.every((m) => m[2] === port), "the main port");
  // the extra lines sit right under the dashboard, before the window line
  const lines = out.split("\n").map((l) => l.trim().split(/\s{2,}/)[0]);
  assert.equal(
    lines.indexOf("window"),
    lines.findIndex((l) => l.startsWith("dashboard")) + 1 +
      listed.length,
  );
});

Deno.test("remote bind: serve on :: adds IPv6 addresses after IPv4; the Host check takes each one", async () => {
  const p = spawnCli(["serve", "--allow-remote", "--host", "::", ...FREE_PORTS]);
  try {
    const out = await p.stdoutWhen((o) => /\n {2}executas .*\n/.test(o));
    const listed = [...out.matchAll(/also reachable at (http:\/\/(\S+):\d+)\/(.*)$/gm)];
    assert.deepEqual(listed.map((m) => m[2]), expectedAddresses("::"), out);
    for (const [, origin, host, note] of listed) {
      // a page at an IPv6 literal cannot frame the app (no IPv6 literal in a CSP source)
      assert.equal(note !== "", host.startsWith("["), note);
      const r = await fetch(`${origin}/`);
      const body = await r.text();
      assert.equal(r.status, 200, `${origin}: ${body}`);
    }
  } finally {
    p.child.kill("SIGTERM");
  }
  assert.equal((await p.status).code, 0, p.stderr());
});

Deno.test("remote bind: the json startup line keeps the contract's fields only", async () => {
  const p = spawnCli([
    "serve",
    "--allow-remote",
    "--host",
    "0.0.0.0",
    ...FREE_PORTS,
    "--format",
    "json",
  ]);
  try {
    const line = JSON.parse((await p.stdoutWhen((o) => o.includes("\n"))).split("\n")[0]);
    assert.deepEqual(Object.keys(line).sort(), [
      "app_origin",
      "control_token",
      "dashboard_url",
      "event",
      "executas",
      "main_origin",
      "mode",
      "version",
      "warnings",
    ]);
  } finally {
    p.child.kill("SIGTERM");
  }
  assert.equal((await p.status).code, 0, p.stderr());
});
