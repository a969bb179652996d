/**
 * The Storage panel's key check (dash_storage.js) and the runtime's key rules (CONTRACT §5.5)
 * agree: the panel refuses exactly the keys the app's storage calls answer `invalid_path` for.
 */
import assert from "node:assert/strict";
import { DASH_FILES } from "../lib/dashboard/assets.gen.ts";
import { keyRuleViolation } from "../lib/executa/storage_keys.ts";

// deno-lint-ignore no-explicit-any
type Any = any;

function panelCheck(): (key: string) => string | null {
  const dash: Any = { register() {} };
  new Function("globalThis", DASH_FILES["dash_storage.js"])({ __annaDash: dash });
  return dash.storageKeyProblem;
}

Deno.test("storage panel: refuses the keys the runtime refuses, and only those", () => {
  const check = panelCheck();
  const keys = [
    "",
    "k",
    "notes/today",
    "a.b/c..d/...",
    "ünïcødé/键",
    "😀".repeat(128),
    "😀".repeat(129),
    `${"a".repeat(128)}/${"b".repeat(128)}`,
    "a".repeat(129),
    "x/".repeat(512) + "y",
    "/lead",
    "trail/",
    "a//b",
    ".",
    "a/./b",
    "..",
    " a",
    "a/b ",
    "a\u00a0",
    "tab\there",
    "del\u007f",
    "c1\u0085",
    "back\\slash",
    "zw\u200bsp",
    "bom\ufeff",
    "bidi\u202e",
    "lrm\u200e",
    "iso\u2066",
    "1024:" + "a".repeat(1019),
  ];
  for (const key of keys) {
    const runtime = keyRuleViolation(key);
    const panel = check(key);
    assert.equal(panel === null, runtime === null, `${JSON.stringify(key)}: ${runtime} / ${panel}`);
  }
});
