// The §9.7 reply mapping, the invoke request shape, timeout validation/clamping (§5.6 step 7),
// result_too_large, and ignored stdout lines (§9.11) — all on one warm executa.
// deno-lint-ignore-file no-explicit-any -- assertions walk plugin JSON
import assert from "node:assert/strict";
import { EXECUTA_LIST_ROW_KEYS } from "./helpers/contract_values.ts";
import { makePool, nodeSpec } from "./fixtures/executas/harness.ts";

Deno.test("invoke request shape, reply mapping table and ignored stdout lines", async (t) => {
  const { pool, logs } = makePool();
  await pool.register([nodeSpec("tool-replies")]);
  const inv = (method: string, args: unknown = {}, timeoutMs?: unknown) =>
    pool.invoke("tool-replies", method, args, { timeoutMs });
  try {
    await t.step("request carries invoke_id and context (§9.7)", async () => {
      const before = Date.now();
      const r = await inv("echo", { a: 1 });
      assert.equal(r.ok, true);
      const res = (r as { result: Record<string, any> }).result;
      assert.deepEqual(res.args, { a: 1 });
      assert.match(res.invoke_id, /^inv_[0-9a-f]{32}$/);
      assert.equal(res.context.invoke_id, res.invoke_id);
      assert.equal(res.context.plugin_name, "tool-replies");
      assert.deepEqual(res.context.credentials, {});
      // default timeout 65 000 ms
      assert.ok(
        res.context.deadline_ms >= before + 65000 && res.context.deadline_ms <= Date.now() + 65000,
      );
      assert.deepEqual(Object.keys(res.context).sort(), [
        "credentials",
        "deadline_ms",
        "invoke_id",
        "plugin_name",
      ]);
    });

    await t.step("timeoutMs is clamped to 1000..90000 after rounding", async () => {
      for (const [requested, effective] of [[1, 1000], [1500.6, 1501], [1e9, 90000]]) {
        const before = Date.now();
        const r = await inv("echo", {}, requested) as { result: Record<string, any> };
        const d = r.result.context.deadline_ms;
        assert.ok(
          d >= before + effective && d <= Date.now() + effective,
          `${requested} → ${effective}`,
        );
      }
    });

    await t.step("non-finite or non-number timeoutMs → invalid_arg", async () => {
      for (const bad of [NaN, Infinity, -Infinity, "5000"]) {
        const r = await inv("echo", {}, bad);
        assert.equal(r.ok, false);
        assert.equal((r as { error: { code: string } }).error.code, "invalid_arg");
      }
    });

    await t.step("result shapes map exactly as the §9.7 table", async () => {
      const cases: [unknown, unknown][] = [
        [{ success: true, data: { x: 1 } }, { ok: true, result: { x: 1 } }],
        [{ success: true, tool: "t" }, { ok: true, result: null }],
        [{ success: false, error: "boom" }, {
          ok: false,
          error: { code: "tool_failed", message: "boom" },
        }],
        [{ success: false, error: { code: "E1" } }, {
          ok: false,
          error: {
            code: "tool_failed",
            message: "tool reported failure",
            details: { error: { code: "E1" } },
          },
        }],
        [{ success: false }, {
          ok: false,
          error: {
            code: "tool_failed",
            message: "tool reported failure",
            details: { error: null },
          },
        }],
        [{ error: "Unknown method" }, {
          ok: false,
          error: { code: "tool_failed", message: "Unknown method" },
        }],
        [{ error: { why: 1 } }, {
          ok: false,
          error: {
            code: "tool_failed",
            message: "tool reported failure",
            details: { error: { why: 1 } },
          },
        }],
        [{ error: "" }, { ok: true, result: { error: "" } }],
        [{ value: 5 }, { ok: true, result: { value: 5 } }],
        [[1, 2], { ok: true, result: [1, 2] }],
        ["text", { ok: true, result: "text" }],
        [null, { ok: true, result: null }],
      ];
      for (const [raw, expected] of cases) {
        assert.deepEqual(await inv("reply", { result: raw }), expected, JSON.stringify(raw));
      }
    });

    await t.step('JSON-RPC error → tool_failed "[<code>] <message>"', async () => {
      assert.deepEqual(
        await inv("rpc_error", { code: -32603, message: "harness started with --no-llm" }),
        {
          ok: false,
          error: {
            code: "tool_failed",
            message: "[-32603] harness started with --no-llm",
            details: { jsonrpc_code: -32603, data: null },
          },
        },
      );
      assert.deepEqual(await inv("rpc_error", { code: -32602, message: "bad", data: { f: 1 } }), {
        ok: false,
        error: {
          code: "tool_failed",
          message: "[-32602] bad",
          details: { jsonrpc_code: -32602, data: { f: 1 } },
        },
      });
    });

    await t.step(
      "a bare value as JSON-RPC error (string, number, array) is kept as message and data",
      async () => {
        assert.deepEqual(await inv("raw_error", { error: "database missing" }), {
          ok: false,
          error: {
            code: "tool_failed",
            message: "[null] database missing",
            details: { jsonrpc_code: null, data: "database missing" },
          },
        });
        // any other bare value is kept too; it was "[null] null" with data null
        for (const [error, text] of [[503, "503"], [["disk", "full"], '["disk","full"]']]) {
          assert.deepEqual(await inv("raw_error", { error }), {
            ok: false,
            error: {
              code: "tool_failed",
              message: `[null] ${text}`,
              details: { jsonrpc_code: null, data: error },
            },
          });
        }
      },
    );

    await t.step("invokeRaw answers the plugin's raw result", async () => {
      const raw = await pool.invokeRaw("tool-replies", "reply", {
        result: { success: true, data: 7 },
      });
      assert.deepEqual(raw, { ok: true, result: { success: true, data: 7 } });
    });

    await t.step("unwrapped result over 4 MiB → result_too_large", async () => {
      const bytes = 4 * 1024 * 1024; // a JSON string adds 2 quote bytes
      const r = await inv("big_result", { bytes });
      assert.deepEqual(r, {
        ok: false,
        error: {
          code: "result_too_large",
          // names the call and the fix, not only the sizes
          message: `tool-replies.big_result returned ${bytes + 2} bytes of data, over the ` +
            "4194304-byte (4 MiB) limit of a tool result: return less per call, e.g. a page or a " +
            "summary",
          details: { size: bytes + 2, max: 4194304, retriable: false },
        },
      });
      const fits = await inv("big_result", { bytes: bytes - 2 });
      assert.equal(fits.ok, true);
    });

    await t.step(
      "non-JSON and non-RPC lines, unknown ids and notifications are ignored",
      async () => {
        assert.deepEqual(await inv("noise"), { ok: true, result: "after noise" });
        assert.deepEqual(await inv("unknown_id"), { ok: true, result: "real" });
        assert.deepEqual(await inv("notify"), { ok: true, result: "notified" });
        const debug = logs.filter((l) => l.level === "debug").map((l) =>
          `${l.msg} ${l.line ?? l.id ?? l.method}`
        );
        assert.ok(debug.includes("ignored stdout line (not JSON) this is not json"));
        assert.ok(debug.includes('ignored stdout line (not a JSON-RPC message) {"hello":"world"}'));
        assert.ok(debug.includes("ignored stdout line (not a JSON-RPC message) [1,2,3]"));
        assert.ok(debug.includes("ignored stdout line (not a JSON-RPC message) 42"));
        // the first 1 KiB (§1.3: 1024 bytes); the character cut in two decodes as U+FFFD
        const long = "x" + "é".repeat(511) + "\ufffd";
        assert.ok(debug.includes(`ignored stdout line (not JSON) ${long}`), debug.join("\n"));
        assert.ok(debug.includes("reply with unknown id ignored 987654"));
        assert.ok(debug.includes("plugin notification ignored progress"));
      },
    );

    await t.step("list row (§4.4.9) and registry views", () => {
      const [row] = pool.list();
      assert.deepEqual(Object.keys(row).sort(), EXECUTA_LIST_ROW_KEYS);
      assert.equal(row.status, "ready");
      assert.equal(row.protocol, "v2");
      assert.equal(typeof row.pid, "number");
      assert.equal(row.in_flight, 0);
      assert.equal(row.restarts, 0);
      assert.equal(row.last_exit, null);
      assert.equal(row.describe?.name, "fault-plugin");
      assert.equal(pool.get("tool-replies")?.status, "ready");
      assert.equal(pool.entriesFor("any-app").length, 1);
      assert.equal(pool.get("nope"), undefined);
    });

    await t.step("unknown tool_id → not_implemented", async () => {
      assert.deepEqual(await pool.invoke("nope", "x", {}, {}), {
        ok: false,
        error: {
          code: "not_implemented",
          message: "tools.invoke is not available in this runtime",
          details: { tool_id: "nope" },
        },
      });
    });
  } finally {
    await pool.shutdown();
  }
});

Deno.test("entriesFor filters by app_slug in registration order and register never spawns", async () => {
  const { pool, events } = makePool();
  await pool.register([
    nodeSpec("a", [], { app_slug: "one" }),
    nodeSpec("b"),
    nodeSpec("c", [], { app_slug: "two" }),
  ]);
  assert.deepEqual(pool.entriesFor("one").map((e) => e.spec.tool_id), ["a", "b"]);
  assert.deepEqual(pool.entriesFor("two").map((e) => e.spec.tool_id), ["b", "c"]);
  assert.deepEqual(pool.entriesFor(null).map((e) => e.spec.tool_id), ["b"]);
  assert.ok(pool.list().every((r) => r.status === "registered" && r.pid === null));
  assert.ok(events.every((e) => e.type === "executa" && e.status === "registered"));
  await pool.shutdown();
});
