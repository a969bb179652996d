/** Mock table (CONTRACT §10.2): JSONL loading and errors, manifest mocks, match rules. */
import assert from "node:assert/strict";
import { join } from "node:path";
import {
  LlmConfigError,
  loadMockFile,
  matchMock,
  matchTextFor,
  type MockEntry,
  MockFileError,
  mocksFromManifest,
} from "../lib/llm/mod.ts";
import { tmpDir } from "./helpers/tmp.ts";

async function withFile(text: string, fn: (path: string) => Promise<void>) {
  await using dirTmp = await tmpDir("anna-llm-mocks-");
  const dir = dirTmp.path;
  const path = join(dir, "mocks.jsonl");
  await Deno.writeTextFile(path, text);
  await fn(path);
}

Deno.test("loads entries in line order, skipping blank, # and // lines, with sources", () =>
  withFile(
    [
      "# mock table",
      "",
      '{"ns":"llm","method":"complete","match":{"contentIncludes":"weather"},"result":{"text":"sunny"}}',
      "   // a comment",
      '{"ns":"image","method":"generate","error":{"code":"quota_exceeded","message":"no more"}}',
      '\t{"ns":"tools","method":"invoke","events":[{"kind":"x"}]}\r',
      "",
    ].join("\n"),
    async (path) => {
      const entries = await loadMockFile(path);
      assert.equal(entries.length, 3);
      assert.deepEqual(entries[0], {
        ns: "llm",
        method: "complete",
        match: { contentIncludes: "weather" },
        result: { text: "sunny" },
        source: `${path}:3`,
      });
      assert.deepEqual(entries[1].error, { code: "quota_exceeded", message: "no more" });
      assert.equal(entries[1].source, `${path}:5`);
      assert.deepEqual(entries[2].events, [{ kind: "x" }]);
      assert.equal(entries[2].source, `${path}:6`);
    },
  ));

Deno.test("a null result is a result", () =>
  withFile('{"ns":"a","method":"b","result":null}\n', async (path) => {
    const [e] = await loadMockFile(path);
    assert.ok(Object.hasOwn(e, "result"));
    assert.equal(matchMock([e], ["a/b"], {}, ""), e);
  }));

Deno.test("load errors name file:line", async () => {
  const cases: [string, number, RegExp][] = [
    ['# ok\n{"ns":"a","method":"b","result":1}\n{not json}\n', 3, /invalid JSON/],
    ['{"method":"b","result":1}\n', 1, /missing "ns"/],
    ['\n\n{"ns":"a","result":1}\n', 3, /missing "method"/],
    ['{"ns":"a","method":"b"}\n', 1, /result.*error.*events/],
    ['{"ns":"a","method":"b","match":{}}\n', 1, /result.*error.*events/],
    ["[1,2]\n", 1, /JSON object/],
    ['{"ns":"a","method":"b","error":"boom"}\n', 1, /"error" must be an object/],
    ['{"ns":"a","method":"b","match":"x","result":1}\n', 1, /"match" must be an object/],
    [
      '{"ns":"a","method":"b","match":{"contentIncludes":42},"result":1}\n',
      1,
      /"match\.contentIncludes" must be a string \(got 42\): write "contentIncludes":"42"/,
    ],
    [
      '{"ns":"a","method":"b","match":{"promptIncludes":["x"]},"result":1}\n',
      1,
      /"match\.promptIncludes" must be a string \(got \["x"\]\)/,
    ],
    // the usual mistakes get the fix: a dotted method, a recording or docs line in a mock table
    [
      '{"method":"llm.complete","result":1}\n',
      1,
      /missing "ns" .*: write "ns":"llm", "method":"complete"/,
    ],
    // and the other way round: the whole dev.mocks key put in "ns"
    [
      '{"ns":"llm.complete","result":1}\n',
      1,
      /missing "method" .*: write "ns":"llm", "method":"complete"/,
    ],
    ['{"t":0,"kind":"meta","view":"main"}\n', 1, /recorded-session fixture.*smoke --fixtures/],
    ['{"t":1,"dir":"out","ns":"a","method":"b"}\n', 1, /docs fixture.*smoke --fixtures/],
    [
      '{"t":5,"dir":"out","ns":"storage","method":"set","args":{},"result":{"ok":true}}\n',
      1,
      /docs fixture/,
    ],
    ['{"t":6,"kind":"res","id":1,"ok":true,"result":{}}\n', 1, /recorded-session fixture/],
  ];
  for (const [text, line, re] of cases) {
    await withFile(text, async (path) => {
      await assert.rejects(loadMockFile(path), (e: unknown) => {
        assert.ok(e instanceof MockFileError, String(e));
        assert.ok(e instanceof LlmConfigError);
        assert.equal(e.file, path);
        assert.equal(e.line, line);
        assert.ok(e.message.startsWith(`${path}:${line}: `), e.message);
        assert.match(e.message, re);
        return true;
      });
    });
  }
});

Deno.test("a mock entry may carry its own kind or dir keys (§10.2 asks only ns, method, result)", async () => {
  const text = [
    '{"ns":"image","method":"generate","kind":"png","result":{"ok":1}}',
    '{"ns":"fs","method":"list","dir":"/tmp","result":[]}',
    '{"t":3,"ns":"a","method":"b","kind":"custom","result":1}',
  ].join("\n");
  await withFile(text + "\n", async (path) => {
    const entries = await loadMockFile(path);
    assert.deepEqual(entries.map((e) => [e.ns, e.method]), [
      ["image", "generate"],
      ["fs", "list"],
      ["a", "b"],
    ]);
  });
});

Deno.test("a missing mock file is a MockFileError naming the file", async () => {
  await assert.rejects(loadMockFile("/nonexistent/anna/mocks.jsonl"), (e: unknown) => {
    assert.ok(e instanceof MockFileError);
    assert.equal(e.file, "/nonexistent/anna/mocks.jsonl");
    assert.match(e.message, /^\/nonexistent\/anna\/mocks\.jsonl: /);
    return true;
  });
});

Deno.test("manifest dev.mocks become entries without match", () => {
  const entries = mocksFromManifest({
    "tools.invoke": { result: "mocked text" },
    "image.generate": { error: { code: "quota_exceeded", message: "later" } },
    "llm.complete": { role: "assistant", content: { type: "text", text: "hi" } },
    "agent.session.list": [1, 2],
    "web.search": { result: 1, extra: true },
    "nodot": 1,
  });
  assert.deepEqual(entries, [
    { ns: "tools", method: "invoke", result: "mocked text", source: "manifest.dev.mocks" },
    {
      ns: "image",
      method: "generate",
      error: { code: "quota_exceeded", message: "later" },
      source: "manifest.dev.mocks",
    },
    {
      ns: "llm",
      method: "complete",
      result: { role: "assistant", content: { type: "text", text: "hi" } },
      source: "manifest.dev.mocks",
    },
    { ns: "agent", method: "session.list", result: [1, 2], source: "manifest.dev.mocks" },
    {
      ns: "web",
      method: "search",
      result: { result: 1, extra: true },
      source: "manifest.dev.mocks",
    },
  ]);
});

Deno.test("match text per call kind", () => {
  const args = {
    systemPrompt: "be brief",
    messages: [
      { role: "user", content: "first" },
      { role: "assistant", content: { type: "text", text: "second" } },
      {
        role: "user",
        content: [{ type: "text", text: "a" }, { type: "image", url: "x" }, {
          type: "text",
          text: "b",
        }],
      },
    ],
  };
  assert.equal(matchTextFor("complete", args), "be brief\nfirst\nsecond\na\nb");
  assert.equal(
    matchTextFor("complete", { system: "S", messages: [{ role: "user", content: "u" }] }),
    "S\nu",
  );
  assert.equal(matchTextFor("embed", { input: ["x", "y"] }), "x\ny");
  assert.equal(matchTextFor("embed", { input: "solo" }), "solo");
  assert.equal(matchTextFor("other", { prompt: "logo" }), '{"prompt":"logo"}');
});

const entry = (over: Partial<MockEntry>): MockEntry => ({
  ns: "llm",
  method: "complete",
  result: 1,
  ...over,
});

Deno.test("contentIncludes / promptIncludes are case-sensitive substring checks on the match text", () => {
  const a = entry({ match: { contentIncludes: "weather" }, result: "A" });
  const b = entry({ match: { promptIncludes: "Weather" }, result: "B" });
  assert.equal(matchMock([a, b], ["llm/complete"], {}, "what's the weather"), a);
  assert.equal(matchMock([a, b], ["llm/complete"], {}, "Weather report"), b);
  assert.equal(matchMock([a, b], ["llm/complete"], {}, "WEATHER"), undefined);
});

Deno.test("modeEquals compares args.submode ?? args.mode", () => {
  const e = entry({ ns: "tools", method: "invoke", match: { modeEquals: "fast" } });
  assert.equal(matchMock([e], ["tools/invoke"], { mode: "fast" }, ""), e);
  assert.equal(matchMock([e], ["tools/invoke"], { submode: "fast", mode: "slow" }, ""), e);
  assert.equal(matchMock([e], ["tools/invoke"], { submode: "slow", mode: "fast" }, ""), undefined);
  assert.equal(matchMock([e], ["tools/invoke"], {}, ""), undefined);
});

Deno.test("other match keys deep-equal args[k]", () => {
  const e = entry({
    ns: "tools",
    method: "invoke",
    match: { tool_id: "t1", args: { q: [1, { x: 2 }] } },
  });
  assert.equal(
    matchMock([e], ["tools/invoke"], { tool_id: "t1", args: { q: [1, { x: 2 }] }, extra: 1 }, ""),
    e,
  );
  assert.equal(
    matchMock([e], ["tools/invoke"], { tool_id: "t1", args: { q: [1, { x: 3 }] } }, ""),
    undefined,
  );
  assert.equal(
    matchMock([e], ["tools/invoke"], { tool_id: "t2", args: { q: [1, { x: 2 }] } }, ""),
    undefined,
  );
  assert.equal(matchMock([e], ["tools/invoke"], "not an object", ""), undefined);
});

Deno.test("first match wins, entries are not consumed, events-only entries are skipped", () => {
  const eventsOnly: MockEntry = { ns: "llm", method: "complete", events: [{}] };
  const first = entry({ result: "first" });
  const second = entry({ result: "second" });
  const table = [eventsOnly, first, second];
  assert.equal(matchMock(table, ["llm/complete"], {}, ""), first);
  assert.equal(matchMock(table, ["llm/complete"], {}, ""), first);
  assert.equal(matchMock([eventsOnly], ["llm/complete"], {}, ""), undefined);
});

Deno.test("lookup keys are tried in order, each over the whole table", () => {
  const complete = entry({ result: "complete" });
  const sampling = entry({ ns: "sampling", method: "createMessage", result: "sampling" });
  const keys = ["sampling/createMessage", "llm/complete"];
  assert.equal(matchMock([complete, sampling], keys, {}, ""), sampling);
  assert.equal(matchMock([complete], keys, {}, ""), complete);
  assert.equal(matchMock([complete, sampling], ["llm/embed"], {}, ""), undefined);
});

Deno.test("an ns or method of the wrong type is named as such, not as missing", async () => {
  const cases: [string, RegExp][] = [
    ['{"ns":7,"method":"b","result":1}\n', /"ns" must be a non-empty string \(got 7\)/],
    ['{"ns":"a","method":"","result":1}\n', /"method" must be a non-empty string \(got ""\)/],
    ['{"ns":"a","method":null,"result":1}\n', /"method" must be a non-empty string \(got null\)/],
  ];
  for (const [text, re] of cases) {
    await withFile(text, async (path) => {
      await assert.rejects(loadMockFile(path), (e: unknown) => {
        assert.ok(e instanceof MockFileError, String(e));
        assert.equal(e.line, 1);
        assert.match(e.message, re);
        assert.doesNotMatch(e.message, /missing/);
        return true;
      });
    });
  }
});
