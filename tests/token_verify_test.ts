/** Dev token format and verification (CONTRACT §8.2, §8.3). */
import assert from "node:assert/strict";
import { join } from "node:path";
import {
  b64urlDecode,
  b64urlEncode,
  type DevKey,
  loadOrCreateKey,
  mintToken,
  type TokenClaims,
  verifyToken,
} from "../lib/token/mod.ts";
import { b64urlEncodeJs } from "../lib/token/b64url.ts";
import { tmpDir } from "./helpers/tmp.ts";

const WID = "6f1c2a3b-4d5e-4f60-8a7b-9c0d1e2f3a4b";
const NOW = 1_700_000_000_000; // ms, a whole second

async function withKeys<T>(fn: (a: DevKey, b: DevKey) => Promise<T>): Promise<T> {
  await using tmp = await tmpDir("anna-token-verify-");
  const dir = tmp.path;
  return await fn(
    await loadOrCreateKey(join(dir, "a.key")),
    await loadOrCreateKey(join(dir, "b.key")),
  );
}

const mint = (key: DevKey, over: Partial<{ ttl: number; now: number; wid: string }> = {}) =>
  mintToken(key, {
    wid: over.wid ?? WID,
    uid: 7,
    app: "notes",
    view: "main",
    scopes: ["storage.get", "window.*"],
    ttl: over.ttl ?? 30,
    now: over.now ?? NOW,
  });

/** Signs arbitrary claim text with the key, independently of mintToken. */
async function forge(key: DevKey, claimsJson: string, version = "dev1"): Promise<string> {
  const head = `${version}.${b64urlEncode(claimsJson)}`;
  const k = await crypto.subtle.importKey(
    "raw",
    key.bytes,
    { name: "HMAC", hash: "SHA-256" },
    false,
    [
      "sign",
    ],
  );
  const sig = new Uint8Array(await crypto.subtle.sign("HMAC", k, new TextEncoder().encode(head)));
  return `${head}.${b64urlEncode(sig)}`;
}

function b64ToStd(s: string): string {
  const std = s.replace(/-/g, "+").replace(/_/g, "/");
  return std + "=".repeat((4 - (std.length % 4)) % 4);
}

Deno.test("minted token has the exact dev1 layout, key order and HMAC signature", () =>
  withKeys(async (key) => {
    const { token, claims, expires_at } = await mint(key);
    const parts = token.split(".");
    assert.equal(parts.length, 3);
    assert.equal(parts[0], "dev1");
    assert.match(parts[1], /^[A-Za-z0-9_-]+$/);
    assert.match(parts[2], /^[A-Za-z0-9_-]{43}$/); // 32 bytes, no padding
    const json = new TextDecoder().decode(
      Uint8Array.from(atob(b64ToStd(parts[1])), (c) => c.charCodeAt(0)),
    );
    assert.equal(
      json,
      `{"wid":"${WID}","uid":7,"app":"notes","view":"main","scopes":["storage.get","window.*"],` +
        `"iat":1700000000,"exp":1700000030,"kid":"${key.kid}"}`,
    );
    assert.deepEqual(Object.keys(JSON.parse(json)), [
      "wid",
      "uid",
      "app",
      "view",
      "scopes",
      "iat",
      "exp",
      "kid",
    ]);
    assert.deepEqual(claims, JSON.parse(json));
    assert.equal(expires_at, 1700000030 * 1000);
    // recompute the signature with WebCrypto from the raw key bytes
    assert.equal(token, await forge(key, json));
  }));

Deno.test("iat is floored to whole seconds", () =>
  withKeys(async (key) => {
    const { claims } = await mint(key, { now: NOW + 999, ttl: 5 });
    assert.equal(claims.iat, 1700000000);
    assert.equal(claims.exp, 1700000005);
  }));

Deno.test("mintToken rejects a ttl outside 5..86400", () =>
  withKeys(async (key) => {
    for (const ttl of [4, 86401, 0, 30.5]) await assert.rejects(mint(key, { ttl }), RangeError);
    await mint(key, { ttl: 5 });
    await mint(key, { ttl: 86400 });
  }));

Deno.test("a fresh token verifies and returns its claims", () =>
  withKeys(async (key) => {
    const { token, claims } = await mint(key);
    assert.deepEqual(await verifyToken(key, token, { now: NOW }), { ok: true, claims });
    const res = await verifyToken(key, token, { now: NOW + 10_000, expectedWid: WID });
    assert.equal(res.ok, true);
  }));

Deno.test("expiry honours the 5 s leeway and reports how long ago", () =>
  withKeys(async (key) => {
    const { token } = await mint(key); // exp = NOW/1000 + 30
    const expMs = NOW + 30_000;
    assert.equal((await verifyToken(key, token, { now: expMs + 5000 })).ok, true);
    const late = await verifyToken(key, token, { now: expMs + 5001 });
    assert.equal(late.ok, false);
    if (!late.ok) {
      assert.equal(late.reason, "expired");
      assert.equal(late.message, "dev token expired 5s ago");
      assert.equal(late.claims?.wid, WID);
    }
    const later = await verifyToken(key, token, { now: expMs + 12_000 });
    assert.equal(!later.ok && later.message, "dev token expired 12s ago");
  }));

Deno.test("a token from the future is not_yet_valid beyond the leeway", () =>
  withKeys(async (key) => {
    const { token } = await mint(key, { now: NOW + 60_000 });
    assert.equal((await verifyToken(key, token, { now: NOW + 55_000 })).ok, true);
    const early = await verifyToken(key, token, { now: NOW + 54_999 });
    assert.equal(!early.ok && early.reason, "not_yet_valid");
  }));

Deno.test("wrong_window when an expected wid differs", () =>
  withKeys(async (key) => {
    const { token } = await mint(key);
    const other = "00000000-0000-4000-8000-000000000000";
    const res = await verifyToken(key, token, { now: NOW, expectedWid: other });
    assert.equal(res.ok, false);
    if (!res.ok) {
      assert.equal(res.reason, "wrong_window");
      assert.ok(res.message.includes(other) && res.message.includes(WID));
    }
  }));

Deno.test("expired wins over wrong_window (first failure wins)", () =>
  withKeys(async (key) => {
    const { token } = await mint(key);
    const res = await verifyToken(key, token, { now: NOW + 60_000, expectedWid: "x" });
    assert.equal(!res.ok && res.reason, "expired");
  }));

Deno.test("tampered claims or signature fail with bad_signature", () =>
  withKeys(async (key) => {
    const { token } = await mint(key);
    const [v, c, s] = token.split(".");
    const json = new TextDecoder().decode(b64urlDecode(c)!);
    const tamperedClaims = `${v}.${b64urlEncode(json.replace('"uid":7', '"uid":8'))}.${s}`;
    const r1 = await verifyToken(key, tamperedClaims, { now: NOW });
    assert.equal(!r1.ok && r1.reason, "bad_signature");
    assert.equal(!r1.ok && r1.claims?.uid, 8);
    const sig = b64urlDecode(s)!;
    sig[0] ^= 1;
    const r2 = await verifyToken(key, `${v}.${c}.${b64urlEncode(sig)}`, { now: NOW });
    assert.equal(!r2.ok && r2.reason, "bad_signature");
  }));

Deno.test("a token from another key is unknown_key; same kid with a bad signature is bad_signature", () =>
  withKeys(async (a, b) => {
    assert.notEqual(a.kid, b.kid);
    const { token } = await mint(b);
    const res = await verifyToken(a, token, { now: NOW });
    assert.equal(!res.ok && res.reason, "unknown_key");
    // key b signs claims that claim key a's kid: the signature fails, the kid matches
    const claims: TokenClaims = { ...(await mint(a)).claims };
    const forged = await forge(b, JSON.stringify(claims));
    const res2 = await verifyToken(a, forged, { now: NOW });
    assert.equal(!res2.ok && res2.reason, "bad_signature");
  }));

Deno.test("unsupported_version for a well-formed token with another version", () =>
  withKeys(async (key) => {
    const { claims } = await mint(key);
    const token = await forge(key, JSON.stringify(claims), "dev2");
    const res = await verifyToken(key, token, { now: NOW });
    assert.equal(!res.ok && res.reason, "unsupported_version");
  }));

Deno.test("unverified text in a message (version, kid) is cut and has control characters escaped", () =>
  withKeys(async (a, b) => {
    const { claims } = await mint(a);
    const esc = "\u001b[2J\u001b]0;owned\u0007";
    const v = await verifyToken(a, await forge(a, JSON.stringify(claims), esc), { now: NOW });
    assert.equal(
      !v.ok && v.message,
      "unsupported dev token version '\\u001b[2J\\u001b]0;owned\\u0007' (expected dev1)",
    );
    // signed by another key, with a kid that would rewrite the terminal and run on for a page
    const kid = "\u202e" + esc + "x".repeat(100);
    const k = await verifyToken(a, await forge(b, JSON.stringify({ ...claims, kid })), {
      now: NOW,
    });
    assert.equal(!k.ok && k.reason, "unknown_key");
    assert.equal(
      !k.ok && k.message,
      `dev token was signed with key \\u202e\\u001b[2J\\u001b]0;owned\\u0007${"x".repeat(17)}, ` +
        `not the current key ${a.kid}`,
    );
  }));

Deno.test("malformed tokens", () =>
  withKeys(async (key) => {
    const { token, claims } = await mint(key);
    const [v, c, s] = token.split(".");
    const sig31 = b64urlEncode(b64urlDecode(s)!.slice(0, 31));
    const full = claims as unknown as Record<string, unknown>;
    const without = (k: string) => JSON.stringify({ ...full, [k]: undefined });
    const cases: [string, unknown][] = [
      ["not a string", 42],
      ["null", null],
      ["too long", `${v}.${c}.${s}` + "A".repeat(4097 - token.length)],
      ["two parts", `${v}.${c}`],
      ["four parts", `${token}.x`],
      ["bad base64 claims", `${v}.${c.slice(0, -1)}*.${s}`],
      ["bad base64 signature", `${v}.${c}.${s.slice(0, -1)}=`],
      ["31-byte signature", `${v}.${c}.${sig31}`],
      ["empty", ""],
    ];
    for (const [name, t] of cases) {
      const res = await verifyToken(key, t, { now: NOW });
      assert.equal(!res.ok && res.reason, "malformed", name);
    }
    const badClaims: [string, string][] = [
      ["not JSON", "{nope"],
      ["array", "[1,2]"],
      ["string", '"x"'],
      ["missing wid", without("wid")],
      ["missing kid", without("kid")],
      ["missing scopes", without("scopes")],
      ["uid string", JSON.stringify({ ...full, uid: "7" })],
      ["uid fraction", JSON.stringify({ ...full, uid: 7.5 })],
      ["exp string", JSON.stringify({ ...full, exp: String(claims.exp) })],
      ["scopes not strings", JSON.stringify({ ...full, scopes: [1] })],
      ["app null", JSON.stringify({ ...full, app: null })],
    ];
    for (const [name, json] of badClaims) {
      // correctly signed, so only the claim shape can fail
      const res = await verifyToken(key, await forge(key, json), { now: NOW });
      assert.equal(!res.ok && res.reason, "malformed", name);
      assert.equal(!res.ok && res.claims, undefined, name);
    }
  }));

Deno.test("malformed messages say what is wrong: whitespace around, padding, standard base64, cut short", () =>
  withKeys(async (key) => {
    const { token } = await mint(key);
    const [v, c, s] = token.split(".");
    const around =
      "dev token has whitespace or a line break at its start or end; pass the token alone";
    const cases: [string, string, string][] = [
      ["trailing newline (a file read whole)", `${token}\n`, around],
      ["CRLF", `${token}\r\n`, around],
      // was unsupported_version " dev1": the token is fine, only the space is wrong
      ["leading space", ` ${token}`, around],
      [
        "wrapped over two lines",
        `${v}.${c.slice(0, 20)}\n${c.slice(20)}.${s}`,
        "dev token claims are not valid base64url: it has a line break (\\n) inside; " +
        "pass the token as one word",
      ],
      [
        "padded signature",
        `${v}.${c}.${s}=`,
        "dev token signature is not valid base64url: it has '=' padding (dev tokens are unpadded)",
      ],
      [
        "a '+' of standard base64",
        `${v}.+${c.slice(1)}.${s}`,
        "dev token claims are not valid base64url: it has '+': standard base64, not base64url " +
        "('-', '_')",
      ],
      [
        "cut short",
        `${v}.${c}.${s.slice(0, 41)}`,
        "dev token signature is not valid base64url: its length or last character is impossible " +
        "(cut short or edited?)",
      ],
      [
        "a stray character",
        `${v}.${c}.${s.slice(0, 42)}\u00e9`,
        'dev token signature is not valid base64url: it has the character "\u00e9"',
      ],
    ];
    for (const [name, t, message] of cases) {
      const res = await verifyToken(key, t, { now: NOW });
      assert.deepEqual(res, { ok: false, reason: "malformed", message }, name);
    }
  }));

Deno.test("a JWT or another kind of token is malformed with a message that says it is no dev token", () =>
  withKeys(async (key) => {
    const head = b64urlEncode('{"alg":"HS256","typ":"JWT"}');
    const body = b64urlEncode('{"sub":"1234567890","iat":1516239022}');
    const not = "; it does not start with 'dev1.' either (not a dev token?)";
    const hs256 = `${head}.${body}.${b64urlEncode(new Uint8Array(32))}`;
    const rs256 = `${head}.${body}.${b64urlEncode(new Uint8Array(256))}`;
    const cases: [string, string][] = [
      [hs256, "dev token claims field 'wid' must be a string" + not],
      [rs256, "dev token signature is not 32 bytes" + not],
      ["ghp_abcdef", "dev token must have three '.'-separated parts" + not],
    ];
    for (const [t, message] of cases) {
      assert.deepEqual(await verifyToken(key, t, { now: NOW }), {
        ok: false,
        reason: "malformed",
        message,
      });
    }
    // a dev1 token keeps the plain message
    const { token } = await mint(key);
    const res = await verifyToken(key, token.slice(0, token.lastIndexOf(".")), { now: NOW });
    assert.equal(!res.ok && res.message, "dev token must have three '.'-separated parts");
  }));

Deno.test("the length limit is 4096 chars: 4096 passes, 4097+ is malformed", () =>
  withKeys(async (key) => {
    const base = await mint(key);
    const json0 = JSON.stringify({ ...base.claims, view: "" });
    // token = "dev1." + ceil(4n/3) + "." + 43 chars; n = 3035 gives exactly 4096
    const view = "v".repeat(3035 - json0.length);
    const token = await forge(key, JSON.stringify({ ...base.claims, view }));
    assert.equal(token.length, 4096);
    assert.equal((await verifyToken(key, token, { now: NOW })).ok, true);
    const longer = await forge(key, JSON.stringify({ ...base.claims, view: view + "v" }));
    assert.ok(longer.length > 4096);
    const res = await verifyToken(key, longer, { now: NOW });
    assert.equal(!res.ok && res.reason, "malformed");
  }));

Deno.test("b64url round-trips and rejects padding, bad chars and non-canonical tails", () => {
  for (let n = 0; n < 40; n++) {
    const bytes = crypto.getRandomValues(new Uint8Array(n));
    const enc = b64urlEncode(bytes);
    assert.doesNotMatch(enc, /[=+/]/);
    assert.deepEqual(b64urlDecode(enc), bytes);
  }
  assert.equal(b64urlEncode("hi?"), "aGk_");
  assert.equal(b64urlDecode("aGk="), null);
  assert.equal(b64urlDecode("a+k_"), null);
  assert.equal(b64urlDecode("A"), null);
  assert.equal(b64urlDecode("AB"), null); // trailing bits set
  assert.deepEqual(b64urlDecode("AA"), new Uint8Array([0]));
});

Deno.test("the portable b64url encoder writes what the native one writes, at every tail length", () => {
  for (let n = 0; n < 64; n++) {
    const bytes = crypto.getRandomValues(new Uint8Array(n));
    assert.equal(b64urlEncodeJs(bytes), b64urlEncode(bytes), `length ${n}`);
    assert.deepEqual(b64urlDecode(b64urlEncodeJs(bytes)), bytes);
  }
  // every 6-bit value in every position of a 3-byte group
  const all = new Uint8Array(256).map((_, i) => i);
  assert.equal(b64urlEncodeJs(all), b64urlEncode(all));
  assert.equal(b64urlEncodeJs(new TextEncoder().encode("hi?")), "aGk_");
});
