/** The plain-JS SHA-256 used for short etag inputs agrees with the native digest everywhere. */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { sha256HexJs } from "../lib/util/sha256.ts";
import { sha256Hex } from "../lib/util/hash.ts";
import { seededInt } from "./helpers/rng.ts";

const native = (d: string | Uint8Array) => createHash("sha256").update(d).digest("hex");

Deno.test("known vectors (FIPS 180-4 examples)", () => {
  assert.equal(
    sha256HexJs(""),
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
  );
  assert.equal(
    sha256HexJs("abc"),
    "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
  );
  assert.equal(
    sha256HexJs("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
    "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1",
  );
});

Deno.test("every length across block and padding boundaries, ASCII and beyond", () => {
  const rnd = seededInt(7);
  const ranges = [0x80, 0x800, 0x10000];
  for (let len = 0; len <= 200; len++) {
    for (const range of ranges) {
      let s = "";
      for (let i = 0; i < len; i++) {
        let c = rnd(range);
        if (c >= 0xd800 && c <= 0xdfff) c = 0x41; // lone surrogates are not JSON output
        s += String.fromCharCode(c);
      }
      assert.equal(sha256HexJs(s), native(s), `len ${len} range ${range}`);
    }
    const bytes = Uint8Array.from({ length: len }, () => rnd(256));
    assert.equal(sha256HexJs(bytes), native(bytes), `bytes len ${len}`);
  }
});

Deno.test("a surrogate pair is hashed as its 4-byte UTF-8 form", () => {
  const s = "note 😀 é";
  assert.equal(sha256HexJs(s), native(s));
});

Deno.test("prefixes, and the dispatching wrapper on both sides of its cut-over", () => {
  const s = '{"n":1,"text":"hello world"}';
  assert.equal(sha256HexJs(s, 16), native(s).slice(0, 16));
  for (const len of [1, 55, 56, 5000]) {
    const v = "y".repeat(len);
    assert.equal(sha256Hex(v), native(v));
    assert.equal(sha256Hex(v, 16), native(v).slice(0, 16));
  }
  // a large buffer after small ones: the scratch buffer grows and stays correct
  const big = new Uint8Array(70_000).map((_, i) => i & 255);
  assert.equal(sha256HexJs(big), native(big));
  assert.equal(sha256HexJs("abc"), native("abc"));
});

Deno.test("prefix and suffix around the digest, on both paths, with lengths that share a buffer", () => {
  const s = '{"n":1,"text":"hello world"}';
  const long = "z".repeat(300);
  assert.equal(sha256HexJs(s, 16, 'W/"1-', '"'), `W/"1-${native(s).slice(0, 16)}"`);
  // 58 digits + 6 affix characters is as long as a plain 64-digit digest: one reused buffer
  assert.equal(sha256HexJs(s, 58, "<<<", ">>>"), `<<<${native(s).slice(0, 58)}>>>`);
  assert.equal(sha256HexJs(s), native(s));
  assert.equal(sha256HexJs(long, 16, 'W/"7-', '"'), `W/"7-${native(long).slice(0, 16)}"`);
  assert.equal(sha256Hex(long, 16, 'W/"7-', '"'), `W/"7-${native(long).slice(0, 16)}"`);
  assert.equal(sha256Hex(s, 16, 'W/"1-', '"'), `W/"1-${native(s).slice(0, 16)}"`);
  assert.equal(sha256Hex(s, 16), native(s).slice(0, 16));
});
