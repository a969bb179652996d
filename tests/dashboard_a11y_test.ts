/**
 * Dashboard accessibility that the served sources show without a browser (CONTRACT §13, §12.8):
 * - every text colour of dashboard.css reaches WCAG AA 4.5:1 on every background it declares;
 * - every form control and table of the page has an accessible name (a placeholder is none), and
 *   the status texts (errors, connection, live reload, "not connected") sit in live regions;
 * - `/dev/:wid`: its faded Reload bar is opaque while focused or showing a status, which is a
 *   live region.
 */
import assert from "node:assert/strict";
import { DASH_FILES } from "../lib/dashboard/assets.gen.ts";

// both stylesheets of the page: the panels' backgrounds count too
const CSS = DASH_FILES["dashboard.css"] + DASH_FILES["dashboard_panels.css"];

/** WCAG 2 relative luminance of `#rgb` / `#rrggbb`. */
function luminance(hex: string): number {
  let h = hex.replace("#", "");
  if (h.length === 3) h = [...h].map((c) => c + c).join("");
  const [r, g, b] = [0, 2, 4].map((i) => {
    const c = parseInt(h.slice(i, i + 2), 16) / 255;
    return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
  });
  return 0.2126 * r + 0.7152 * g + 0.0722 * b;
}
function contrast(a: string, b: string): number {
  const [hi, lo] = [luminance(a), luminance(b)].sort((x, y) => y - x);
  return (hi + 0.05) / (lo + 0.05);
}
function rootVar(name: string): string {
  const m = CSS.match(new RegExp(`--${name}:\\s*(#[0-9a-fA-F]{3,6})`));
  assert.ok(m, `dashboard.css defines --${name}`);
  return m[1];
}

Deno.test("dashboard.css: every text colour reaches 4.5:1 on every background of the page", () => {
  const backgrounds = new Set(
    [...CSS.matchAll(/background:\s*(#[0-9a-fA-F]{3,6})\b/g)].map((m) => m[1]),
  );
  backgrounds.add(rootVar("bg"));
  backgrounds.add(rootVar("card"));
  assert.ok(backgrounds.size >= 8, "the backgrounds were found");
  const weak: string[] = [];
  for (const fg of ["text", "muted", "accent", "ok", "denied", "error"]) {
    for (const bg of backgrounds) {
      const ratio = contrast(rootVar(fg), bg);
      if (ratio < 4.5) weak.push(`--${fg} ${rootVar(fg)} on ${bg}: ${ratio.toFixed(2)}:1`);
    }
  }
  assert.deepEqual(weak, []);
});

const HTML = DASH_FILES["dashboard.html"];
const named = (tag: string) => /\s(aria-label|aria-labelledby|title)="[^"]+"/.test(tag);

Deno.test("dashboard.html: every control and table has an accessible name", () => {
  // a control inside a <label> is named by it
  const outside = HTML.replace(/<label[\s\S]*?<\/label>/g, "");
  const tags = [...outside.matchAll(/<(input|select|textarea|table)\b[^>]*>/g)].map((m) => m[0]);
  assert.ok(tags.length >= 10, "the controls were found");
  assert.deepEqual(tags.filter((t) => !named(t)), []);
});

Deno.test("dashboard.html: status texts are live regions, errors an alert", () => {
  const role = (testid: string) => {
    const tag = HTML.match(new RegExp(`<[a-z]+\\b[^>]*data-testid="${testid}"[^>]*>`));
    assert.ok(tag, testid);
    return tag[0].match(/\srole="([a-z]+)"/)?.[1];
  };
  assert.equal(role("dash-error"), "alert");
  for (const id of ["ws-state", "live-reload-state", "window-not-connected"]) {
    assert.equal(role(id), "status", id);
  }
  // a countdown that changes every second must not be read out every second
  assert.equal(role("token-expiry"), undefined);
});

Deno.test("devpage.html: the Reload bar is opaque when focused or showing a status", () => {
  const page = DASH_FILES["devpage.html"];
  const rule = page.match(/([^{}]*)\{\s*opacity:\s*1;?\s*\}/);
  assert.ok(rule, "an opacity: 1 rule");
  const selectors = rule[1].split(",").map((s) => s.trim());
  assert.ok(selectors.includes("#bar:focus-within"), selectors.join(" | "));
  assert.ok(selectors.includes("#bar:has(#status:not(:empty))"), selectors.join(" | "));
  assert.match(page, /<span id="status" role="status"/);
});
