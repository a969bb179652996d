/**
 * CSP reports (CONTRACT §11.4, §11.3, §11.11) keep no dev token (§8.2) and say their app is only
 * claimed: every app shares the app origin, so any page there can file a report under any app.
 */
import assert from "node:assert/strict";
import { createAppOriginApp, createMainApp } from "../lib/server/app.ts";
import { appDirSession, APPH, AUTH, serverContext } from "./helpers/server.ts";
import { redactJson, redactTokens } from "../lib/util/redact.ts";

async function setup() {
  const { t, s } = await appDirSession("notes-app");
  const ctx = serverContext(t.rt);
  return {
    t,
    ctx,
    app: createAppOriginApp(ctx),
    main: createMainApp(ctx),
    slug: s.app_slug as string,
    wid: s.window_uuid as string,
    token: s.token as string,
  };
}

Deno.test("csp reports: the dev token of the frame URL is kept out of the store, /api/csp-reports and /api/log", async () => {
  const { t, app, main, slug, wid, token } = await setup();
  await using _t = t;
  assert.match(token, /^dev1\./);
  const frame = `http://127.0.0.1:5181/anna-apps/${slug}/dev/index.html?wid=${wid}&t=${token}` +
    `&host=http%3A%2F%2F127.0.0.1%3A5180`;
  // what Chromium sends for a blocked image: the frame URL, token and all, in three fields
  const report = {
    "csp-report": {
      "document-uri": frame,
      referrer: frame,
      "blocked-uri": "https://cdn.example.com/x.png?t=123",
      "source-file": frame,
      "violated-directive": "img-src",
    },
  };
  const r = await app.request("/_anna/csp-report", {
    method: "POST",
    headers: { ...APPH, "content-type": "application/csp-report", "sec-fetch-dest": "report" },
    body: JSON.stringify(report),
  });
  assert.equal(r.status, 204);
  // a cut token is no longer token-shaped: the app URL's `t` goes whatever it holds
  const cut = {
    "csp-report": { "document-uri": `http://127.0.0.1:5181/anna-apps/${slug}/dev/?t=dev1.abc` },
  };
  await (await app.request("/_anna/csp-report", {
    method: "POST",
    headers: APPH,
    body: JSON.stringify(cut),
  })).body?.cancel();

  const listed = await (await main.request("/api/csp-reports", { headers: AUTH })).text();
  const logged = await (await main.request("/api/log", { headers: AUTH })).text();
  for (const [where, text] of [["/api/csp-reports", listed], ["/api/log", logged]]) {
    assert.ok(!text.includes(token), `${where} holds the token`);
    assert.ok(!text.includes(token.split(".")[2]), `${where} holds the signature`);
    assert.ok(!text.includes("t=dev1.abc"), `${where} holds the cut token`);
  }
  const stored = JSON.parse(listed).reports;
  assert.equal(stored.length, 2);
  const body = stored[0].report["csp-report"];
  const redacted = `http://127.0.0.1:5181/anna-apps/${slug}/dev/index.html?wid=${wid}` +
    `&t=[redacted]&host=http%3A%2F%2F127.0.0.1%3A5180`;
  assert.equal(body["document-uri"], redacted);
  assert.equal(body.referrer, redacted);
  assert.equal(body["source-file"], redacted);
  // a third party's own `t` is not the runtime's token
  assert.equal(body["blocked-uri"], "https://cdn.example.com/x.png?t=123");
  assert.equal(
    stored[1].report["csp-report"]["document-uri"],
    `http://127.0.0.1:5181/anna-apps/${slug}/dev/?t=[redacted]`,
  );
  assert.equal(stored[0].slug, slug, "still filed under its app: the path is kept");
});

Deno.test("csp reports: the app is a claim, with the field that named it and who sent it", async () => {
  const { t, app, main, slug } = await setup();
  await using _t = t;
  const post = async (body: unknown, headers: Record<string, string> = {}) => {
    const r = await app.request("/_anna/csp-report", {
      method: "POST",
      headers: { ...APPH, ...headers },
      body: JSON.stringify(body),
    });
    assert.equal(r.status, 204);
  };
  const doc = `http://127.0.0.1:5181/anna-apps/${slug}/dev/`;
  await post({ "csp-report": { "document-uri": doc } }, { "sec-fetch-dest": "report" });
  // any page on the app origin can post this (fetch sets Sec-Fetch-Dest: empty)
  await post({ "csp-report": { "document-uri": doc } }, { "sec-fetch-dest": "empty" });
  await post([{ type: "csp-violation", body: { documentURL: doc } }]);
  await post({ "csp-report": {} }, { referer: doc });
  await post({ "csp-report": {} });
  const { reports } = await (await main.request("/api/csp-reports", { headers: AUTH })).json();
  assert.deepEqual(
    reports.map((r: Record<string, unknown>) => [r.slug, r.claimed_in, r.sender]),
    [
      [slug, "csp-report.document-uri", "browser"],
      [slug, "csp-report.document-uri", "page"],
      [slug, "body.documentURL", "page"],
      [slug, "Referer", "page"],
      ["unknown", null, "page"],
    ],
  );
  const logged = t.rt.log.entries().filter((e) => e.type === "csp");
  assert.deepEqual(
    logged.map((e) => [e.slug, e.claimed_in, e.sender]),
    reports.map((r: Record<string, unknown>) => [r.slug, r.claimed_in, r.sender]),
  );
});

Deno.test("redact: token-shaped runs anywhere; JSON walked without recursion or __proto__ writes", () => {
  const tok = "dev1.eyJ3aWQiOiJ3In0.AAAAbbbb-_cc";
  assert.equal(redactTokens(`a ${tok}, b`), "a dev1.[redacted], b");
  assert.equal(redactTokens(redactTokens(tok)), "dev1.[redacted]");
  assert.equal(redactTokens("dev1.only-one-part"), "dev1.only-one-part");
  let deep: unknown = `/anna-apps/x/dev/?t=${tok}`;
  for (let i = 0; i < 40_000; i++) deep = [deep];
  let inner = redactJson(deep);
  for (let i = 0; i < 40_000; i++) inner = (inner as unknown[])[0];
  assert.equal(inner, "/anna-apps/x/dev/?t=[redacted]");
  assert.equal(redactJson("/anna-apps/x/dev/#wid=w&t=x"), "/anna-apps/x/dev/#wid=w&t=[redacted]");
  assert.equal(redactJson("/anna-apps/x/dev/#t=x"), "/anna-apps/x/dev/#t=[redacted]");
  const proto = redactJson(JSON.parse(`{"__proto__":"/anna-apps/x/dev/?t=abc"}`)) as object;
  assert.equal(Object.getPrototypeOf(proto), Object.prototype);
  assert.deepEqual(
    Object.getOwnPropertyDescriptor(proto, "__proto__")?.value,
    "/anna-apps/x/dev/?t=[redacted]",
  );
});
