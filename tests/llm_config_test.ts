/** LLM settings precedence (CONTRACT §2.3, §10.5): flags > env > defaults; config errors. */
import assert from "node:assert/strict";
import { join } from "node:path";
import { LlmConfigError, MockFileError, resolveLlmConfig } from "../lib/llm/mod.ts";
import { tmpDir } from "./helpers/tmp.ts";

Deno.test("defaults: mock mode, no mocks, no openai settings", async () => {
  assert.deepEqual(await resolveLlmConfig({}, {}), { mode: "mock", mocks: [] });
});

Deno.test("--no-llm means off, even next to --llm", async () => {
  assert.equal((await resolveLlmConfig({ noLlm: true }, {})).mode, "off");
  assert.equal((await resolveLlmConfig({ noLlm: true, llm: "openai" }, {})).mode, "off");
  assert.equal((await resolveLlmConfig({ llm: "off" }, {})).mode, "off");
});

Deno.test("an unknown --llm value is a config error", async () => {
  await assert.rejects(resolveLlmConfig({ llm: "claude" }, {}), (e: unknown) => {
    assert.ok(e instanceof LlmConfigError);
    assert.match(e.message, /mock, off or openai/);
    return true;
  });
});

Deno.test("openai: flags win over env, env over defaults; trailing / removed", async () => {
  const env = {
    OPENAI_BASE_URL: "http://env.example/v1/",
    OPENAI_API_KEY: "sk-env",
    OPENAI_MODEL: "env-model",
  };
  const fromEnv = await resolveLlmConfig({ llm: "openai" }, env);
  assert.deepEqual(fromEnv.openai, {
    baseUrl: "http://env.example/v1",
    apiKey: "sk-env",
    model: "env-model",
    embedModel: "text-embedding-3-small",
    timeoutMs: 120000,
  });
  const fromFlags = await resolveLlmConfig({
    llm: "openai",
    baseUrl: "http://127.0.0.1:8080/v1//",
    model: "flag-model",
    embedModel: "flag-embed",
    timeoutMs: 5000,
  }, env);
  assert.deepEqual(fromFlags.openai, {
    baseUrl: "http://127.0.0.1:8080/v1",
    apiKey: "sk-env",
    model: "flag-model",
    embedModel: "flag-embed",
    timeoutMs: 5000,
  });
  const defaults = await resolveLlmConfig({ llm: "openai" }, { OPENAI_API_KEY: "k" });
  assert.equal(defaults.openai?.baseUrl, "https://api.openai.com/v1");
  assert.equal(defaults.openai?.model, "gpt-4o-mini");
});

Deno.test("openai: the default base URL without a key is an error; a custom URL needs none", async () => {
  for (
    const env of [{}, { OPENAI_API_KEY: "" }, { OPENAI_BASE_URL: "https://api.openai.com/v1/" }]
  ) {
    await assert.rejects(resolveLlmConfig({ llm: "openai" }, env), (e: unknown) => {
      assert.ok(e instanceof LlmConfigError);
      assert.match(e.message, /OPENAI_API_KEY/);
      return true;
    });
  }
  const local = await resolveLlmConfig({ llm: "openai", baseUrl: "http://127.0.0.1:11434/v1" }, {});
  assert.equal(local.openai?.apiKey, undefined);
  // the key is only needed in openai mode
  assert.equal((await resolveLlmConfig({}, {})).mode, "mock");
});

Deno.test("openai: bad base URLs and timeouts are config errors", async () => {
  for (const flags of [{ baseUrl: "not a url" }, { baseUrl: "ftp://x/v1" }, { timeoutMs: 0 }]) {
    await assert.rejects(
      resolveLlmConfig({ llm: "openai", ...flags }, { OPENAI_API_KEY: "k" }),
      LlmConfigError,
      JSON.stringify(flags),
    );
  }
});

Deno.test("--mock-llm files load in flag order (in every mode); a bad file is a MockFileError", async () => {
  await using tmp = await tmpDir("anna-llm-config-");
  const dir = tmp.path;
  const a = join(dir, "a.jsonl"), b = join(dir, "b.jsonl"), bad = join(dir, "bad.jsonl");
  await Deno.writeTextFile(a, '{"ns":"llm","method":"complete","result":"a1"}\n');
  await Deno.writeTextFile(
    b,
    '{"ns":"llm","method":"complete","result":"b1"}\n{"ns":"x","method":"y","result":2}\n',
  );
  await Deno.writeTextFile(bad, "# c\n{oops\n");
  const cfg = await resolveLlmConfig({ mockLlm: [b, a] }, {});
  assert.deepEqual(cfg.mocks.map((m) => m.source), [`${b}:1`, `${b}:2`, `${a}:1`]);
  const off = await resolveLlmConfig({ noLlm: true, mockLlm: [a] }, {});
  assert.equal(off.mocks.length, 1);
  await assert.rejects(resolveLlmConfig({ mockLlm: [a, bad] }, {}), (e: unknown) => {
    assert.ok(e instanceof MockFileError);
    assert.ok(e instanceof LlmConfigError);
    assert.equal(e.line, 2);
    assert.ok(e.message.startsWith(`${bad}:2: `));
    return true;
  });
});

Deno.test("openai: a key no HTTP header can carry is a config error that does not print it", async () => {
  for (const [key, pos] of [["sk-abc\n", 7], ["sk a", 3], ["sk-é", 4], ["\u0001sk", 1]] as const) {
    await assert.rejects(
      resolveLlmConfig({ llm: "openai", baseUrl: "http://127.0.0.1:1/v1" }, {
        OPENAI_API_KEY: key,
      }),
      (e: unknown) => {
        assert.ok(e instanceof LlmConfigError);
        assert.match(e.message, new RegExp(`OPENAI_API_KEY .* at position ${pos} `));
        assert.ok(!e.message.includes(key.trim()), e.message);
        return true;
      },
    );
  }
});

Deno.test("a bad base URL is named without the password of its user:password@ part", async () => {
  const cases = [
    "http://alice:s3cret-pw@127.0.0.1:99999/v1", // not a valid URL (port out of range)
    "ftp://alice:s3cret-pw@127.0.0.1/v1", // not http(s)
    "http://alice:s3c@ret-pw@127.0.0.1:99999/v1", // an unencoded @ in the password
    "alice:s3cret-pw@127.0.0.1:11434/v1", // no scheme: read as scheme "alice:"
  ];
  for (const baseUrl of cases) {
    await assert.rejects(resolveLlmConfig({ llm: "openai", baseUrl }, {}), (e: unknown) => {
      assert.ok(e instanceof LlmConfigError);
      assert.ok(!e.message.includes("s3c"), e.message);
      assert.match(e.message, /alice:\*\*\*@127\.0\.0\.1/);
      return true;
    });
  }
});

Deno.test("a base URL without http:// (as server docs print 'localhost:11434/v1') suggests the http:// form", async () => {
  const cases = [
    ["localhost:11434/v1", "must be http:// or https://", "http://localhost:11434/v1"],
    ["127.0.0.1:1234/v1/", "is not a valid URL", "http://127.0.0.1:1234/v1"],
  ];
  for (const [baseUrl, what, suggested] of cases) {
    await assert.rejects(resolveLlmConfig({ llm: "openai", baseUrl }, {}), (e: unknown) => {
      assert.ok(e instanceof LlmConfigError);
      assert.match(e.message, new RegExp(`'${baseUrl}' ${what.replace(/[/.]/g, "\\$&")}`));
      assert.ok(e.message.endsWith(` (did you mean '${suggested}'?)`), e.message);
      return true;
    });
  }
  // with a scheme, no guess
  await assert.rejects(
    resolveLlmConfig({ llm: "openai", baseUrl: "ftp://h/v1" }, {}),
    (e: unknown) => !(e as Error).message.includes("did you mean"),
  );
});
