/**
 * CONTRACT §8.3 "first failure wins", for tokens that fail more than one check at once: each pair
 * of neighbouring steps, through lib/token and through the runtime's app-token check (app.call).
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import {
  b64urlEncode,
  type DevKey,
  loadOrCreateKey,
  mintToken,
  verifyToken,
} from "../lib/token/mod.ts";
import { makeRuntime, manifest, openSession } from "./helpers/runtime.ts";
import { tmpDir } from "./helpers/tmp.ts";

const UNKNOWN = "00000000-0000-4000-8000-00000000abcd";
const MIN = 60_000;

const mint = (key: DevKey, o: { wid?: string; app?: string; now?: number } = {}) =>
  mintToken(key, {
    wid: o.wid ?? UNKNOWN,
    uid: 1,
    app: o.app ?? "test-app",
    view: "main",
    scopes: [],
    ttl: 30,
    now: o.now,
  });

/** Claims signed as given (any version, any iat/exp), independently of mintToken. */
async function forge(key: DevKey, claims: Record<string, unknown>, version = "dev1") {
  const head = `${version}.${b64urlEncode(JSON.stringify(claims))}`;
  const sig = await crypto.subtle.sign("HMAC", key.cryptoKey, new TextEncoder().encode(head));
  return `${head}.${b64urlEncode(new Uint8Array(sig))}`;
}

/** `token` with its signature's first byte flipped (still 32 bytes of valid base64url). */
function tampered(token: string): string {
  const [v, c, s] = token.split(".");
  const bin = Uint8Array.from(
    atob(s.replace(/-/g, "+").replace(/_/g, "/")),
    (x) => x.charCodeAt(0),
  );
  bin[0] ^= 1;
  return `${v}.${c}.${b64urlEncode(bin)}`;
}

async function reason(key: DevKey, token: string, expectedWid?: string) {
  const r = await verifyToken(key, token, { expectedWid });
  return r.ok ? "ok" : r.reason;
}

Deno.test("§8.3 order in lib/token: version before key/signature, key/signature before time, expired before not_yet_valid", async () => {
  await using tmp = await tmpDir("anna-token-order-");
  const a = await loadOrCreateKey(join(tmp.path, "a.key"));
  const b = await loadOrCreateKey(join(tmp.path, "b.key"));
  const now = Date.now();
  const claims = (await mint(a)).claims as unknown as Record<string, unknown>;

  // another version, signed by a foreign key under a foreign kid: the version is checked first
  assert.equal(
    await reason(a, await forge(b, { ...claims, kid: b.kid }, "dev2")),
    "unsupported_version",
  );
  // another version with a broken signature under our own kid: still the version
  assert.equal(await reason(a, tampered(await forge(a, claims, "dev2"))), "unsupported_version");

  // expired long ago and from another key: unknown_key, not expired
  const oldForeign = (await mint(b, { now: now - 10 * MIN })).token;
  assert.equal(await reason(a, oldForeign), "unknown_key");
  // expired and tampered: bad_signature, not expired
  const oldOwn = (await mint(a, { now: now - 10 * MIN })).token;
  assert.equal(await reason(a, tampered(oldOwn)), "bad_signature");
  // not yet valid and from another key / tampered: the signature checks still come first
  assert.equal(await reason(a, (await mint(b, { now: now + 10 * MIN })).token), "unknown_key");
  assert.equal(
    await reason(a, tampered((await mint(a, { now: now + 10 * MIN })).token)),
    "bad_signature",
  );

  // signed by us with iat in the future and exp in the past: expired is checked first
  const sec = Math.floor(now / 1000);
  const both = await forge(a, { ...claims, iat: sec + 600, exp: sec - 600 });
  assert.equal(await reason(a, both), "expired");

  // expired / not yet valid with a caller-expected wid that differs: the time wins
  assert.equal(await reason(a, oldOwn, "11111111-1111-4111-8111-111111111111"), "expired");
  const future = (await mint(a, { now: now + 10 * MIN })).token;
  assert.equal(await reason(a, future, "11111111-1111-4111-8111-111111111111"), "not_yet_valid");
});

Deno.test("§8.3 order in the runtime: token-level reasons before unknown_window", async () => {
  await using t = await makeRuntime();
  const key = t.rt.key;
  const now = Date.now();
  // each token names a window no session holds
  const cases: [string, string][] = [
    [(await mint(key, { now: now - 10 * MIN })).token, "expired"],
    [(await mint(key, { now: now + 10 * MIN })).token, "not_yet_valid"],
    [tampered((await mint(key)).token), "bad_signature"],
    [(await mint(key)).token, "unknown_window"],
  ];
  for (const [token, want] of cases) {
    const v = await t.rt.verifyAppToken(token);
    assert.equal(v.ok ? "ok" : v.reason, want);
    // the same through app.call, the path a page's calls take (§8.4)
    const out = await t.call("app.call", { token, ns: "window", method: "heartbeat" }) as {
      ok: boolean;
      error?: { code: string; details?: { reason?: string } };
    };
    assert.equal(out.ok, false);
    assert.deepEqual([out.error?.code, out.error?.details?.reason], ["invalid_token", want]);
  }
});

Deno.test("§8.3 order in the runtime: unknown_window / window_closed / wrong_window before wrong_app", async () => {
  await using t = await makeRuntime();
  const key = t.rt.key;
  const s = await openSession(t, manifest({ storage: ["get"] }));
  const other = "11111111-1111-4111-8111-111111111111";
  // validly signed for the session's open window, but for another app
  const foreign = (await mint(key, { wid: s.window_uuid, app: "other-app" })).token;
  const r = async (token: string, expected?: string) => {
    const v = await t.rt.verifyAppToken(token, expected);
    return v.ok ? "ok" : v.reason;
  };
  assert.equal(await r((await mint(key, { wid: s.window_uuid })).token), "ok");
  assert.equal(await r(foreign), "wrong_app");
  assert.equal(await r(foreign, other), "wrong_window");
  assert.equal(await r(foreign, s.window_uuid), "wrong_app");
  await s.call("window", "close", {});
  assert.equal(await r(foreign), "window_closed");
  assert.equal(await r(foreign, other), "window_closed");
  await t.call("session.close", { session_id: s.session_id });
  assert.equal(await r(foreign), "unknown_window");
  assert.equal(await r(foreign, other), "unknown_window");
});
