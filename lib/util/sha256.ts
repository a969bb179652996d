/**
 * SHA-256 (FIPS 180-4) in plain JavaScript, for short inputs on hot paths.
 *
 * Why: a storage etag hashes the stored value's JSON on every read after a write. The native
 * `node:crypto` hash costs three op calls and an object per digest (about 0.6 µs), several times
 * the arithmetic for a one-block message. `lib/util/hash.ts` picks this for short inputs.
 */

// first 32 bits of the fractional parts of the cube roots of the first 64 primes
const ROUND = new Int32Array([
  0x428a2f98,
  0x71374491,
  0xb5c0fbcf,
  0xe9b5dba5,
  0x3956c25b,
  0x59f111f1,
  0x923f82a4,
  0xab1c5ed5,
  0xd807aa98,
  0x12835b01,
  0x243185be,
  0x550c7dc3,
  0x72be5d74,
  0x80deb1fe,
  0x9bdc06a7,
  0xc19bf174,
  0xe49b69c1,
  0xefbe4786,
  0x0fc19dc6,
  0x240ca1cc,
  0x2de92c6f,
  0x4a7484aa,
  0x5cb0a9dc,
  0x76f988da,
  0x983e5152,
  0xa831c66d,
  0xb00327c8,
  0xbf597fc7,
  0xc6e00bf3,
  0xd5a79147,
  0x06ca6351,
  0x14292967,
  0x27b70a85,
  0x2e1b2138,
  0x4d2c6dfc,
  0x53380d13,
  0x650a7354,
  0x766a0abb,
  0x81c2c92e,
  0x92722c85,
  0xa2bfe8a1,
  0xa81a664b,
  0xc24b8b70,
  0xc76c51a3,
  0xd192e819,
  0xd6990624,
  0xf40e3585,
  0x106aa070,
  0x19a4c116,
  0x1e376c08,
  0x2748774c,
  0x34b0bcb5,
  0x391c0cb3,
  0x4ed8aa4a,
  0x5b9cca4f,
  0x682e6ff3,
  0x748f82ee,
  0x78a5636f,
  0x84c87814,
  0x8cc70208,
  0x90befffa,
  0xa4506ceb,
  0xbef9a3f7,
  0xc67178f2,
]);
// first 32 bits of the fractional parts of the square roots of the first 8 primes
const H0 = [
  0x6a09e667,
  0xbb67ae85,
  0x3c6ef372,
  0xa54ff53a,
  0x510e527f,
  0x9b05688c,
  0x1f83d9ab,
  0x5be0cd19,
];

const SCHEDULE = new Int32Array(64);
const STATE = new Int32Array(8);
const DIGITS = new TextEncoder().encode("0123456789abcdef");
// one reusable char-code array per output length (an etag's is 22, a plain digest's 64)
const CODES: number[][] = [];
const encoder = new TextEncoder();
let scratch = new Uint8Array(256);

/** The compression function over the 16 message words in `SCHEDULE[0..15]`, into `STATE`. */
function compress() {
  const W = SCHEDULE, K = ROUND, H = STATE;
  for (let t = 16; t < 64; t++) {
    const x = W[t - 15], y = W[t - 2];
    const s0 = ((x >>> 7) | (x << 25)) ^ ((x >>> 18) | (x << 14)) ^ (x >>> 3);
    const s1 = ((y >>> 17) | (y << 15)) ^ ((y >>> 19) | (y << 13)) ^ (y >>> 10);
    // pairwise `| 0` keeps every sum in int32 arithmetic (a wider sum falls back to doubles)
    W[t] = (((W[t - 16] + s0) | 0) + ((W[t - 7] + s1) | 0)) | 0;
  }
  let a = H[0], b = H[1], c = H[2], d = H[3], e = H[4], f = H[5], g = H[6], h = H[7];
  // eight rounds per pass, each naming the working variables one place further on, instead of
  // shifting all eight every round (about 12 % faster for a one-block etag)
  for (let t = 0; t < 64; t += 8) {
    {
      const S1 = ((e >>> 6) | (e << 26)) ^ ((e >>> 11) | (e << 21)) ^ ((e >>> 25) | (e << 7));
      const t1 = ((((h + S1) | 0) + ((e & f) ^ (~e & g))) | 0) + ((K[t + 0] + W[t + 0]) | 0) | 0;
      const S0 = ((a >>> 2) | (a << 30)) ^ ((a >>> 13) | (a << 19)) ^ ((a >>> 22) | (a << 10));
      d = (d + t1) | 0;
      h = (t1 + ((S0 + ((a & b) ^ (a & c) ^ (b & c))) | 0)) | 0;
    }
    {
      const S1 = ((d >>> 6) | (d << 26)) ^ ((d >>> 11) | (d << 21)) ^ ((d >>> 25) | (d << 7));
      const t1 = ((((g + S1) | 0) + ((d & e) ^ (~d & f))) | 0) + ((K[t + 1] + W[t + 1]) | 0) | 0;
      const S0 = ((h >>> 2) | (h << 30)) ^ ((h >>> 13) | (h << 19)) ^ ((h >>> 22) | (h << 10));
      c = (c + t1) | 0;
      g = (t1 + ((S0 + ((h & a) ^ (h & b) ^ (a & b))) | 0)) | 0;
    }
    {
      const S1 = ((c >>> 6) | (c << 26)) ^ ((c >>> 11) | (c << 21)) ^ ((c >>> 25) | (c << 7));
      const t1 = ((((f + S1) | 0) + ((c & d) ^ (~c & e))) | 0) + ((K[t + 2] + W[t + 2]) | 0) | 0;
      const S0 = ((g >>> 2) | (g << 30)) ^ ((g >>> 13) | (g << 19)) ^ ((g >>> 22) | (g << 10));
      b = (b + t1) | 0;
      f = (t1 + ((S0 + ((g & h) ^ (g & a) ^ (h & a))) | 0)) | 0;
    }
    {
      const S1 = ((b >>> 6) | (b << 26)) ^ ((b >>> 11) | (b << 21)) ^ ((b >>> 25) | (b << 7));
      const t1 = ((((e + S1) | 0) + ((b & c) ^ (~b & d))) | 0) + ((K[t + 3] + W[t + 3]) | 0) | 0;
      const S0 = ((f >>> 2) | (f << 30)) ^ ((f >>> 13) | (f << 19)) ^ ((f >>> 22) | (f << 10));
      a = (a + t1) | 0;
      e = (t1 + ((S0 + ((f & g) ^ (f & h) ^ (g & h))) | 0)) | 0;
    }
    {
      const S1 = ((a >>> 6) | (a << 26)) ^ ((a >>> 11) | (a << 21)) ^ ((a >>> 25) | (a << 7));
      const t1 = ((((d + S1) | 0) + ((a & b) ^ (~a & c))) | 0) + ((K[t + 4] + W[t + 4]) | 0) | 0;
      const S0 = ((e >>> 2) | (e << 30)) ^ ((e >>> 13) | (e << 19)) ^ ((e >>> 22) | (e << 10));
      h = (h + t1) | 0;
      d = (t1 + ((S0 + ((e & f) ^ (e & g) ^ (f & g))) | 0)) | 0;
    }
    {
      const S1 = ((h >>> 6) | (h << 26)) ^ ((h >>> 11) | (h << 21)) ^ ((h >>> 25) | (h << 7));
      const t1 = ((((c + S1) | 0) + ((h & a) ^ (~h & b))) | 0) + ((K[t + 5] + W[t + 5]) | 0) | 0;
      const S0 = ((d >>> 2) | (d << 30)) ^ ((d >>> 13) | (d << 19)) ^ ((d >>> 22) | (d << 10));
      g = (g + t1) | 0;
      c = (t1 + ((S0 + ((d & e) ^ (d & f) ^ (e & f))) | 0)) | 0;
    }
    {
      const S1 = ((g >>> 6) | (g << 26)) ^ ((g >>> 11) | (g << 21)) ^ ((g >>> 25) | (g << 7));
      const t1 = ((((b + S1) | 0) + ((g & h) ^ (~g & a))) | 0) + ((K[t + 6] + W[t + 6]) | 0) | 0;
      const S0 = ((c >>> 2) | (c << 30)) ^ ((c >>> 13) | (c << 19)) ^ ((c >>> 22) | (c << 10));
      f = (f + t1) | 0;
      b = (t1 + ((S0 + ((c & d) ^ (c & e) ^ (d & e))) | 0)) | 0;
    }
    {
      const S1 = ((f >>> 6) | (f << 26)) ^ ((f >>> 11) | (f << 21)) ^ ((f >>> 25) | (f << 7));
      const t1 = ((((a + S1) | 0) + ((f & g) ^ (~f & h))) | 0) + ((K[t + 7] + W[t + 7]) | 0) | 0;
      const S0 = ((b >>> 2) | (b << 30)) ^ ((b >>> 13) | (b << 19)) ^ ((b >>> 22) | (b << 10));
      e = (e + t1) | 0;
      a = (t1 + ((S0 + ((b & c) ^ (b & d) ^ (c & d))) | 0)) | 0;
    }
  }
  H[0] = (H[0] + a) | 0;
  H[1] = (H[1] + b) | 0;
  H[2] = (H[2] + c) | 0;
  H[3] = (H[3] + d) | 0;
  H[4] = (H[4] + e) | 0;
  H[5] = (H[5] + f) | 0;
  H[6] = (H[6] + g) | 0;
  H[7] = (H[7] + h) | 0;
}

function reset() {
  for (let i = 0; i < 8; i++) STATE[i] = H0[i];
}

/** Runs the compression function over every 64-byte block of `m` (already padded). */
function blocks(m: Uint8Array, len: number) {
  const W = SCHEDULE;
  reset();
  for (let off = 0; off < len; off += 64) {
    for (let t = 0; t < 16; t++) {
      const j = off + t * 4;
      W[t] = (m[j] << 24) | (m[j + 1] << 16) | (m[j + 2] << 8) | m[j + 3];
    }
    compress();
  }
}

/**
 * The common etag case: an ASCII string that fits one block (≤ 55 chars) goes straight from its
 * char codes into the message words, padding included, with no byte buffer. Returns false (having
 * changed nothing that matters) when the string is longer or not ASCII.
 */
function oneAsciiBlock(s: string): boolean {
  const n = s.length;
  if (n > 55) return false;
  const W = SCHEDULE;
  for (let t = 0; t < 16; t++) W[t] = 0;
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0x80) return false;
    W[i >> 2] |= c << (24 - ((i & 3) << 3));
  }
  W[n >> 2] |= 0x80 << (24 - ((n & 3) << 3));
  W[15] = n << 3;
  reset();
  compress();
  return true;
}

/** Copies the UTF-8 of `s` into the scratch buffer with room for padding; returns its length. */
function load(s: string): number {
  // UTF-8 is at most 3 bytes per UTF-16 unit; 72 more bytes cover the padding
  const need = s.length * 3 + 72;
  if (scratch.length < need) scratch = new Uint8Array(Math.max(need, scratch.length * 2));
  let n = 0;
  for (; n < s.length; n++) {
    const c = s.charCodeAt(n);
    if (c >= 0x80) break;
    scratch[n] = c;
  }
  if (n < s.length) n += encoder.encodeInto(s.slice(n), scratch.subarray(n)).written;
  return n;
}

/** Pads `n` message bytes in the scratch buffer (0x80, zeros, 64-bit bit length); returns the total. */
function pad(n: number): number {
  const total = (((n + 8) >> 6) + 1) << 6;
  scratch[n] = 0x80;
  scratch.fill(0, n + 1, total);
  const bits = n * 8;
  const hi = Math.floor(bits / 0x100000000);
  scratch[total - 8] = hi >>> 24;
  scratch[total - 7] = hi >>> 16;
  scratch[total - 6] = hi >>> 8;
  scratch[total - 5] = hi;
  scratch[total - 4] = bits >>> 24;
  scratch[total - 3] = bits >>> 16;
  scratch[total - 2] = bits >>> 8;
  scratch[total - 1] = bits;
  return total;
}

/**
 * SHA-256 of `s` (a string as UTF-8) as lowercase hex, the first `chars` digits (1..64), between
 * `prefix` and `suffix`. The whole text is made as one flat string: a `prefix + hex + suffix`
 * concatenation makes a rope that the storage etag, cached and serialised on every read after a
 * write, then has to flatten (measured: ~0.25 µs per `storage.get` in scripts/bench_core.ts).
 */
export function sha256HexJs(s: string | Uint8Array, chars = 64, prefix = "", suffix = ""): string {
  if (typeof s === "string") {
    if (!oneAsciiBlock(s)) {
      const total = pad(load(s)); // first: loading may replace the scratch buffer
      blocks(scratch, total);
    }
  } else {
    if (scratch.length < s.length + 72) scratch = new Uint8Array(s.length + 72);
    scratch.set(s);
    const total = pad(s.length);
    blocks(scratch, total);
  }
  const p = prefix.length;
  const c = codes(prefix, chars, suffix);
  for (let i = 0; i < chars; i++) c[p + i] = DIGITS[(STATE[i >> 3] >>> (28 - 4 * (i & 7))) & 15];
  return String.fromCharCode.apply(null, c);
}

/** The reusable char-code array for `prefix`, `middle` code units, `suffix`, affixes filled in. */
function codes(prefix: string, middle: number, suffix: string): number[] {
  const p = prefix.length;
  const n = p + middle + suffix.length;
  const c = CODES[n] ??= new Array<number>(n).fill(0);
  for (let i = 0; i < p; i++) c[i] = prefix.charCodeAt(i);
  for (let i = p + middle; i < n; i++) c[i] = suffix.charCodeAt(i - p - middle);
  return c;
}

/** `prefix + middle + suffix` as one flat string (why: see sha256HexJs); for short texts. */
export function flatConcat(prefix: string, middle: string, suffix: string): string {
  const p = prefix.length;
  const c = codes(prefix, middle.length, suffix);
  for (let i = 0; i < middle.length; i++) c[p + i] = middle.charCodeAt(i);
  return String.fromCharCode.apply(null, c);
}
