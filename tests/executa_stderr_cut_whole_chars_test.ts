/**
 * §9.11 cuts stderr lines at 8 KiB. A cut through a multi-byte character must not leave U+FFFD
 * at the end of the kept line (which also took it past 8 KiB): the split character is dropped.
 */
import assert from "node:assert/strict";
import { makePool, nodeSpec } from "./fixtures/executas/harness.ts";
import { trimPartialUtf8 } from "../lib/executa/framing.ts";
import { shownLine } from "../lib/util/text.ts";
import type { Outcome } from "../lib/core/outcome.ts";

const enc = new TextEncoder();
const bytes = (s: string) => enc.encode(s).length;

Deno.test("trimPartialUtf8 drops only a sequence the cut left incomplete", () => {
  const cut = (s: string, n: number) =>
    new TextDecoder().decode(trimPartialUtf8(enc.encode(s).subarray(0, n)));
  assert.equal(cut("ab€", 3), "ab"); // € = 3 bytes, 1 kept
  assert.equal(cut("ab€", 4), "ab"); // 2 of 3 kept
  assert.equal(cut("ab€", 5), "ab€"); // whole
  assert.equal(cut("a😀", 4), "a"); // 4-byte sequence, 3 kept
  assert.equal(cut("a😀", 5), "a😀");
  assert.equal(cut("é", 1), "");
  assert.equal(cut("plain", 3), "pla");
});

Deno.test("a stderr line cut at 8 KiB keeps whole characters within 8192 bytes", async () => {
  const { pool } = makePool();
  await pool.register([nodeSpec("talker")]);
  try {
    const euro = "€".repeat(3000); // 9000 bytes: 8192 falls inside the 2731st €
    const emoji = "a" + "😀".repeat(2100); // 8401 bytes: 8192 falls inside the 2048th 😀
    const r: Outcome = await pool.invoke("talker", "crash", { code: 5, stderr: [euro, emoji] }, {});
    if (r.ok) throw new Error("the crash answered ok");
    const tail = r.error.details?.stderr_tail as string[];
    assert.deepEqual(tail, ["€".repeat(2730), "a" + "😀".repeat(2047)]);
    for (const line of tail) {
      assert.ok(!line.includes("\ufffd"));
      assert.ok(bytes(line) <= 8192, `${bytes(line)} bytes`);
    }
  } finally {
    await pool.shutdown();
  }
});

Deno.test("stderr lines as a terminal shows them: no CR left from CRLF, progress redraws give their last state", async () => {
  const { pool } = makePool();
  await pool.register([nodeSpec("talker")]);
  try {
    const stderr = [
      "windows line\r",
      "Downloading:  10%|#    |\rDownloading:  60%|###  |\rDownloading: 100%|#####|",
      "cleared bar 50%\r                \r",
      "plain",
    ];
    const r: Outcome = await pool.invoke("talker", "crash", { code: 5, stderr }, {});
    if (r.ok) throw new Error("the crash answered ok");
    assert.deepEqual(r.error.details?.stderr_tail, [
      "windows line",
      "Downloading: 100%|#####|",
      "cleared bar 50%",
      "plain",
    ]);
  } finally {
    await pool.shutdown();
  }
});

Deno.test("shownLine keeps lines without CR as they are", () => {
  assert.equal(shownLine("a\tb  "), "a\tb  ");
  assert.equal(shownLine(""), "");
  assert.equal(shownLine("\r"), "");
  assert.equal(shownLine(" \r \r"), "");
  assert.equal(shownLine("a\r\r"), "a");
});
