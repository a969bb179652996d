// Values quoted short in messages (manifest diagnostics, smoke diffs, executa stdout hints, the
// provider's words) are cut between characters, never inside a surrogate pair: half an emoji
// printed U+FFFD and went into JSON reports as a lone "\ud83d", which strict JSON readers refuse.
import assert from "node:assert/strict";
import { show } from "../lib/manifest/diag.ts";
import { shownPair } from "../lib/smoke/report_pretty.ts";
import { stdoutNoiseHint } from "../lib/executa/stdout_noise.ts";
import { providerSays } from "../lib/llm/openai_hints.ts";
import { headChars } from "../lib/util/text.ts";

const LONE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

function assertWhole(s: string, what: string) {
  assert.ok(!LONE.test(s), `${what} has a lone surrogate: ${JSON.stringify(s)}`);
  // quoted as JSON, half a pair is escaped instead: the same fault, spelt \ud83d
  assert.ok(!/\\ud[89ab]/i.test(s), `${what} quotes half a pair: ${s}`);
  assert.ok(s.includes("\u{1F600}"), `${what} still shows the emoji`);
}

Deno.test("headChars never ends inside a surrogate pair", () => {
  assert.equal(headChars("a\u{1F600}b", 2), "a");
  assert.equal(headChars("a\u{1F600}b", 3), "a\u{1F600}");
  assert.equal(headChars("ab", 5), "ab");
});

Deno.test("every short quote of a long emoji text cuts between characters", () => {
  // each cut falls inside a pair with one leading character, whatever the limit's parity
  for (const lead of ["", "x"]) {
    const long = lead + "\u{1F600}".repeat(400);
    assertWhole(show(long), `show(${lead})`);
    const [e, a] = shownPair(long, 5);
    assertWhole(e, "diff expected");
    assert.equal(a, "5");
    const hint = stdoutNoiseHint({
      ignored: { count: 1, first: long },
      stray: { count: 0, first: null },
      partial: { bytes: 0, head: "" },
    });
    assertWhole(hint, "stdout hint");
    assertWhole(providerSays(JSON.stringify({ error: { message: long } })) ?? "", "provider");
  }
});
