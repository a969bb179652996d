/**
 * `/api/log` and `/api/log/stream` take `session_id` (that session's entries only) and `/api/log`
 * takes `after` (entries newer than a seq): a test among parallel ones reads its own entries, not
 * every worker's 2000. Both take `type` (entries of those types only): a `/dev/:wid` page reloads
 * from the log and wants none of its storage buckets. The contract is silent on query filters
 * (§11.3, §11.11).
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { buildRuntime } from "../lib/cli/server_launch.ts";
import { createMainApp } from "../lib/server/app.ts";
import { silentLogger } from "../lib/util/log.ts";
import { manifest } from "./helpers/runtime.ts";
import { AUTH, serverContext } from "./helpers/server.ts";
import { tmpDir } from "./helpers/tmp.ts";

// deno-lint-ignore no-explicit-any
type Entry = Record<string, any>;

async function setup(dir: string) {
  const rt = await buildRuntime({ "key-file": join(dir, "dev.key") }, "serve", silentLogger(), "t");
  const main = createMainApp(serverContext(rt));
  const post = async (path: string, body: unknown) =>
    await (await main.request(path, { method: "POST", headers: AUTH, body: JSON.stringify(body) }))
      .json();
  const create = async () =>
    (await post("/api/session/create", {
      app_slug: "a",
      manifest: manifest({ storage: ["get", "set"] }),
    })).session_id as string;
  const set = (sid: string, value: number) =>
    post("/api/session/call", {
      session_id: sid,
      ns: "storage",
      method: "set",
      args: { key: "k", value },
    });
  return { rt, main, create, set };
}

Deno.test("/api/log?session_id=&after=: one session's entries, newer than a seq", async () => {
  await using dir = await tmpDir();
  const { rt, main, create, set } = await setup(dir.path);
  try {
    const mine = await create();
    const other = await create();
    await set(mine, 1);
    await set(other, 1);
    const get = async (q: string) => {
      const r = await main.request(`/api/log${q}`, { headers: AUTH });
      assert.equal(r.status, 200, q);
      return (await r.json()).entries as Entry[];
    };
    const all = await get("");
    const own = await get(`?session_id=${mine}`);
    assert.ok(own.length >= 3, JSON.stringify(own)); // created, the rpc, its event
    assert.ok(own.every((e) => e.session_id === mine));
    assert.deepEqual(own, all.filter((e) => e.session_id === mine));

    const seen = own.at(-1)!.seq;
    await set(other, 2);
    await set(mine, 2);
    const fresh = await get(`?session_id=${mine}&after=${seen}`);
    assert.ok(fresh.length >= 2);
    assert.ok(fresh.every((e) => e.session_id === mine && e.seq > seen));
    assert.ok(fresh.some((e) => e.type === "rpc" && e.args.value === 2));
    assert.equal((await get(`?after=${all.at(-1)!.seq + 100}`)).length, 0);

    const bad = await main.request("/api/log?after=last", { headers: AUTH });
    assert.equal(bad.status, 400);
    const err = (await bad.json()).error;
    assert.equal(err.code, "invalid_params");
    assert.match(err.message, /^after: must be a log seq/);
  } finally {
    await rt.shutdown();
  }
});

Deno.test("/api/log/stream?session_id=: the replay and live entries of that session only", async () => {
  await using dir = await tmpDir();
  const { rt, main, create, set } = await setup(dir.path);
  try {
    const mine = await create();
    const other = await create();
    await set(other, 1);
    await set(mine, 1);
    const ac = new AbortController();
    const res = await main.request(`/api/log/stream?after=0&session_id=${mine}`, {
      headers: AUTH,
      signal: ac.signal,
    });
    assert.equal(res.status, 200);
    const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
    let text = "";
    const until = async (pred: () => boolean) => {
      while (!pred()) {
        const r = await reader.read();
        if (r.done) break;
        text += r.value;
      }
    };
    const entries = () =>
      text.split("\n").filter((l) => l.startsWith("data: ")).map((l) => JSON.parse(l.slice(6)));
    await until(() => entries().some((e) => e.type === "rpc"));
    await set(other, 2);
    await set(mine, 2);
    await until(() => entries().some((e) => e.type === "rpc" && e.args.value === 2));
    ac.abort();
    await reader.cancel().catch(() => {});
    assert.ok(entries().length >= 4);
    assert.deepEqual(entries().filter((e) => e.session_id !== mine), []);
  } finally {
    await rt.shutdown();
  }
});

Deno.test("/api/log?type= and /api/log/stream?type=: entries of the listed types only", async () => {
  await using dir = await tmpDir();
  const { rt, main, create, set } = await setup(dir.path);
  try {
    const sid = await create();
    await set(sid, 1);
    rt.log.push({ type: "reload", paths: ["/b/app.js"] });
    rt.log.push({ type: "manifest", diagnostics: [] });
    const types = async (q: string) => {
      const r = await main.request(`/api/log${q}`, { headers: AUTH });
      assert.equal(r.status, 200, q);
      return ((await r.json()).entries as Entry[]).map((e) => e.type);
    };
    const all = await types("");
    assert.ok(all.includes("rpc") && all.includes("event") && all.includes("session"), `${all}`);
    assert.deepEqual(await types("?type=reload,manifest"), ["reload", "manifest"]);
    assert.deepEqual(await types("?type=reload%2C%20manifest"), ["reload", "manifest"]);
    assert.deepEqual(await types(`?type=rpc&session_id=${sid}`), ["rpc"]);
    assert.deepEqual(await types("?type="), all); // empty: no filter

    const ac = new AbortController();
    const res = await main.request("/api/log/stream?after=0&type=reload,manifest", {
      headers: AUTH,
      signal: ac.signal,
    });
    const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
    let text = "";
    const entries = () =>
      text.split("\n").filter((l) => l.startsWith("data: ")).map((l) => JSON.parse(l.slice(6)));
    const until = async (pred: () => boolean) => {
      while (!pred()) {
        const r = await reader.read();
        if (r.done) break;
        text += r.value;
      }
    };
    await until(() => entries().length >= 2); // the replay
    await set(sid, 2); // live: an rpc and an event, neither sent
    rt.log.push({ type: "reload", paths: ["/b/style.css"] });
    await until(() => entries().length >= 3);
    ac.abort();
    await reader.cancel().catch(() => {});
    assert.deepEqual(entries().map((e) => e.type), ["reload", "manifest", "reload"]);
    assert.deepEqual(entries()[2].paths, ["/b/style.css"]);
  } finally {
    await rt.shutdown();
  }
});
