/**
 * The one-pass check for plain ASCII storage keys (lib/executa/storage_keys.ts) accepts exactly the
 * plain keys the full §5.5 rules accept, so the shortcut never lets a bad key through.
 */
import assert from "node:assert/strict";
import { checkStorageKey, keyRuleViolation, plainValidKey } from "../lib/executa/storage_keys.ts";
import { seededInt } from "./helpers/rng.ts";

const PLAIN = "ab./-_~:Z09";
const ODD = [
  " ",
  "\\",
  "\t",
  "\u0000",
  "\u007f",
  "\u0085",
  "\u200b",
  "\u202e",
  "\ufeff",
  "é",
  "😀",
];

Deno.test("random keys: the shortcut agrees with the full rules", () => {
  const r = seededInt(11);
  let accepted = 0;
  for (let i = 0; i < 20_000; i++) {
    const len = r(12);
    let k = "";
    for (let j = 0; j < len; j++) {
      k += r(20) === 0 ? ODD[r(ODD.length)] : PLAIN[r(PLAIN.length)];
    }
    const full = keyRuleViolation(k);
    assert.equal(checkStorageKey(k), full, JSON.stringify(k));
    const plain = [...k].every((c) => c > " " && c < "\u007f" && c !== "\\");
    if (plain) assert.equal(plainValidKey(k), full === null, JSON.stringify(k));
    else assert.equal(plainValidKey(k), false, JSON.stringify(k));
    if (plainValidKey(k)) accepted++;
  }
  assert.ok(accepted > 1000, `the shortcut takes the common case (${accepted})`);
});

Deno.test("segment and length edges", () => {
  const cases: [string, boolean][] = [
    ["a", true],
    ["notes/today", true],
    [".", false],
    ["..", false],
    ["...", true],
    ["a/./b", false],
    ["a/../b", false],
    ["a/.../b", true],
    [".a/b.", true],
    ["/a", false],
    ["a/", false],
    ["a//b", false],
    ["x".repeat(128), true],
    ["x".repeat(129), false],
    [`${"x".repeat(128)}/${"y".repeat(128)}`, true],
    [("x".repeat(100) + "/").repeat(10) + "x".repeat(13), true], // 1023 characters
    [("x".repeat(100) + "/").repeat(10) + "x".repeat(15), false], // 1025 characters
  ];
  for (const [k, ok] of cases) {
    assert.equal(keyRuleViolation(k) === null, ok, `full rules on ${k.slice(0, 20)}…`);
    assert.equal(checkStorageKey(k) === null, ok, `checkStorageKey on ${k.slice(0, 20)}…`);
  }
  assert.equal(checkStorageKey(7), "key must be a string");
  assert.equal(checkStorageKey(""), "key must not be empty");
});
