/**
 * The dashboard redacts dev tokens (an opened Events row, dash_log.js) with lib/util/redact.ts's
 * own pattern, not a copy of it: scripts/gen_assets.ts writes DEV_TOKEN and REDACTED_TOKEN into
 * the dashboard.js it embeds, so a change to the server's pattern reaches the page too.
 */
import assert from "node:assert/strict";
import { DASH_FILES } from "../lib/dashboard/assets.gen.ts";
import { fillDashboardJs, renderDashAssets } from "../scripts/gen_assets.ts";
import { DEV_TOKEN, REDACTED_TOKEN, redactTokens } from "../lib/util/redact.ts";

/** The `redact` helper of a dashboard.js text, run on its own (its three declarations). */
function dashRedact(js: string): (s: string) => string {
  const decl = (name: string) => {
    const m = new RegExp(`^ *const ${name} = .*;$`, "m").exec(js);
    assert.ok(m, `dashboard.js declares ${name} on one line`);
    return m[0];
  };
  const body = ["DEV_TOKEN", "REDACTED_TOKEN", "redact"].map(decl).join("\n");
  return new Function(`${body}\nreturn redact;`)() as (s: string) => string;
}

const TOKEN = "dev1.eyJzaWQiOiJzZXNfMSJ9.c2lnbmF0dXJlX2J5dGVz-_";
const SAMPLES = [
  TOKEN, // the whole string
  `token: ${TOKEN}`, // at the end
  `${TOKEN} was refused`, // at the start
  `http://127.0.0.1:5181/anna-apps/notes/index.html?t=${TOKEN}&v=1`, // a frame URL's t=
  `http://127.0.0.1:5181/anna-apps/notes/#t=${TOKEN}`,
  `"${TOKEN}",(${TOKEN}).${TOKEN};`, // punctuation on both sides, several in a row
  `{"token":"${TOKEN}","expires_at":1}`,
  "dev1.[redacted]", // already redacted: unchanged
  "dev1.onlyonepart", // look-alikes that are not token shaped
  "dev1..empty",
  "dev2.abc.def",
  "DEV1.abc.def",
  "dev1.a b.c",
  "xdev1.abc.def.ghi", // a token inside a longer run
  "dev1.abc.d+e/f=",
  "no token at all",
  "",
];

Deno.test("the embedded dashboard.js redacts exactly as lib/util/redact.ts", () => {
  const redact = dashRedact(DASH_FILES["dashboard.js"]);
  for (const s of SAMPLES) assert.equal(redact(s), redactTokens(s), JSON.stringify(s));
  assert.equal(redact(`a ${TOKEN}`), "a dev1.[redacted]");
});

/** dashboard.js as a rendering of lib/dashboard/assets.gen.ts holds it. */
function dashboardJsOf(gen: string): string {
  const m = /^ {2}"dashboard\.js": (".*"),$/m.exec(gen);
  assert.ok(m, "dashboard.js in the output");
  return JSON.parse(m[1]);
}

Deno.test("gen_assets takes the dashboard's token pattern from lib/util/redact.ts", async () => {
  assert.equal(DEV_TOKEN.flags, "g");
  const mine = dashRedact(dashboardJsOf(await renderDashAssets()));
  assert.equal(mine(`a ${TOKEN}.`), `a ${REDACTED_TOKEN}.`);
  // another pattern given to the generator is the one the page uses
  const other = { devToken: /tok_[0-9]+/g, redactedToken: "tok_[gone]" };
  const theirs = dashRedact(dashboardJsOf(await renderDashAssets(other)));
  assert.equal(theirs("a tok_42 b dev1.x.y"), "a tok_[gone] b dev1.x.y");
  // a source without its placeholders is refused, not embedded with a pattern of its own
  assert.throws(
    () => fillDashboardJs("const DEV_TOKEN = /dev1\\.x/g;", other),
    /must hold \/__DEV_TOKEN__\/g exactly once/,
  );
});
