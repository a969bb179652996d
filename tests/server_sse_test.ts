/** SSE (CONTRACT §11.5, §11.11): replay after Last-Event-ID / after, live events, close, headers. */
import assert from "node:assert/strict";
import { createMainApp } from "../lib/server/app.ts";
import { makeRuntime, manifest, type TestRuntime } from "./helpers/runtime.ts";
import { AUTH, MAIN, readSse, serverContext, sseEvents, TOKEN } from "./helpers/server.ts";
import { SSE_KEEPALIVE_MS } from "../lib/server/context.ts";

async function sessionWithTitles(t: TestRuntime, n: number) {
  const s = await t.call("session.create", { app_slug: "notes", manifest: manifest() });
  const setTitle = (title: string) =>
    t.call("session.call", {
      session_id: s.session_id,
      ns: "window",
      method: "set_title",
      args: { title },
    });
  for (let i = 1; i <= n; i++) await setTitle(`T${i}`);
  return { id: s.session_id as string, setTitle };
}

Deno.test("sse: headers, retry, replay after Last-Event-ID, live events, session_closed", async () => {
  await using t = await makeRuntime({ mode: "serve" });
  const ctx = serverContext(t.rt);
  const app = createMainApp(ctx);
  const { id, setTitle } = await sessionWithTitles(t, 3);

  const res = await app.request(`/sessions/${id}/events?ct=${TOKEN}`, {
    headers: { ...MAIN, "last-event-id": "1" },
  });
  assert.equal(res.status, 200);
  assert.equal(res.headers.get("content-type"), "text/event-stream");
  assert.equal(res.headers.get("cache-control"), "no-store");
  assert.equal(res.headers.get("x-accel-buffering"), "no");
  for (const h of res.headers.keys()) assert.ok(!h.startsWith("access-control-"), h);

  const reading = readSse(res.body!, (text) => text.includes("event: session_closed"));
  // the stream subscribed before the response was returned: this event arrives live
  await setTitle("live");
  await t.call("session.close", { session_id: id });
  const text = await reading;

  assert.ok(text.startsWith("retry: 2000\n\n"), text.slice(0, 40));
  const events = sseEvents(text);
  const kinds = events.map((e) => [e.id, e.event]);
  assert.deepEqual(kinds, [
    ["2", "data_model.AnnaAppEvent"],
    ["3", "data_model.AnnaAppEvent"],
    ["4", "data_model.AnnaAppEvent"],
    [undefined, "session_closed"],
  ]);
  const d = events[2].data as { kind: string; seq: number; payload: { title: string } };
  assert.equal(d.kind, "title_changed");
  assert.equal(d.seq, 4);
  assert.equal(d.payload.title, "live");
  assert.deepEqual(events[3].data, { session_id: id });
  // the contract's field order: id, event, data
  assert.match(text, /id: 2\nevent: data_model\.AnnaAppEvent\ndata: \{/);
  assert.equal(ctx.closers.size, 0, "the stream unregistered itself");
});

Deno.test("sse: a session closed while a slow client is still catching up sends every event, then session_closed", async () => {
  await using t = await makeRuntime({ mode: "serve" });
  // a small backlog: the replay waits for the client after a few events
  const app = createMainApp(serverContext(t.rt, { sseBacklogMax: 2048 }));
  const { id } = await sessionWithTitles(t, 40);
  const res = await app.request(`/sessions/${id}/events?ct=${TOKEN}`, { headers: MAIN });
  assert.equal(res.status, 200);
  // nothing read yet: the replay is paused (or not even started) when the session closes
  await t.call("session.close", { session_id: id });
  const events = sseEvents(await readSse(res.body!, (x) => x.includes("event: session_closed")));
  assert.deepEqual(
    events.map((e) => e.id ?? e.event),
    [...Array.from({ length: 40 }, (_, i) => String(i + 1)), "session_closed"],
  );
});

Deno.test("sse: `after` query, no position replays everything, drain cursor untouched", async () => {
  await using t = await makeRuntime({ mode: "serve" });
  const app = createMainApp(serverContext(t.rt));
  const { id } = await sessionWithTitles(t, 3);
  const ids = async (query: string, headers: Record<string, string> = {}) => {
    const res = await app.request(`/sessions/${id}/events?ct=${TOKEN}${query}`, {
      headers: { ...MAIN, ...headers },
    });
    const text = await readSse(
      res.body!,
      (x) => (x.match(/\nid: |^id: /g) ?? []).length >= 1 && x.includes('seq":3'),
    );
    return sseEvents(text).map((e) => e.id);
  };
  assert.deepEqual(await ids(""), ["1", "2", "3"]);
  assert.deepEqual(await ids("&after=2"), ["3"]);
  // the header wins over the query
  assert.deepEqual(await ids("&after=0", { "last-event-id": "2" }), ["3"]);
  // garbage positions count as absent; spaces around a number do not make it garbage
  assert.deepEqual(await ids("&after=-5"), ["1", "2", "3"]);
  assert.deepEqual(await ids("&after=%202%20"), ["3"]);
  const drained = await t.call("session.drain_events", { session_id: id });
  assert.equal((drained.events as unknown[]).length, 3);
});

Deno.test("sse: after eviction, a new reader gets what is retained; a resuming one gets events_dropped", async () => {
  await using t = await makeRuntime({ mode: "serve" });
  const app = createMainApp(serverContext(t.rt));
  const { id } = await sessionWithTitles(t, 3);
  const queue = t.rt.sessions.get(id)!.events;
  // push the ring past its 10 000 events: the first titles are evicted
  for (let i = 0; i < 10_000; i++) queue.push("title_changed", null, null, { title: `x${i}` });
  const first = queue.firstRetainedSeq;
  assert.ok(first > 3, `first retained seq ${first}`);
  const head = async (query: string, headers: Record<string, string> = {}) => {
    const res = await app.request(`/sessions/${id}/events?ct=${TOKEN}${query}`, {
      headers: { ...MAIN, ...headers },
    });
    const text = await readSse(res.body!, (x) => (x.match(/\nid: /g) ?? []).length >= 2);
    return sseEvents(text).slice(0, 2).map((e) => {
      const d = e.data as { kind: string; seq: number; payload: Record<string, unknown> };
      return [e.id, d.kind, d.seq];
    });
  };
  assert.deepEqual(await head(""), [
    [String(first), "title_changed", first],
    [String(first + 1), "title_changed", first + 1],
  ]);
  assert.deepEqual(await head("", { "last-event-id": "2" }), [
    [String(first - 1), "events_dropped", first - 1],
    [String(first), "title_changed", first],
  ]);
});

Deno.test("sse: unknown session → 404, keep-alive pings, control token required", async () => {
  await using t = await makeRuntime({ mode: "serve" });
  const app = createMainApp(serverContext(t.rt, { keepAliveMs: 5 }));
  const r = await app.request(`/sessions/ses_nope/events`, { headers: AUTH });
  assert.equal(r.status, 404);
  assert.deepEqual(await r.json(), { error: { code: "unknown_session" } });
  assert.equal((await app.request(`/sessions/ses_nope/events`, { headers: MAIN })).status, 401);

  const { id } = await sessionWithTitles(t, 0);
  const res = await app.request(`/sessions/${id}/events`, { headers: AUTH });
  const text = await readSse(res.body!, (x) => x.includes(": ping\n\n"));
  assert.ok(text.includes(": ping\n\n"));
});

Deno.test("sse: /api/log/stream sends `event: log` with the log seq as id", async () => {
  await using t = await makeRuntime({ mode: "serve" });
  const app = createMainApp(serverContext(t.rt));
  await sessionWithTitles(t, 1);
  const replay = await app.request(`/api/log/stream?after=0`, { headers: AUTH });
  const text = await readSse(replay.body!, (x) => x.includes('"type":"rpc"'));
  const evs = sseEvents(text);
  assert.ok(evs.length >= 2);
  for (const e of evs) {
    assert.equal(e.event, "log");
    assert.equal(Number(e.id), (e.data as { seq: number }).seq);
  }

  // without a position only live entries arrive
  const live = await app.request(`/api/log/stream`, { headers: AUTH });
  const reading = readSse(live.body!, (x) => x.includes("event: log"));
  t.rt.log.push({ type: "reload", paths: ["/x/index.html"] });
  const liveEvents = sseEvents(await reading);
  assert.deepEqual((liveEvents[0].data as { type: string; paths: string[] }).paths, [
    "/x/index.html",
  ]);
});

Deno.test("sse: every log stream sends an entry as the same message, serialised once", async () => {
  await using t = await makeRuntime({ mode: "serve" });
  const app = createMainApp(serverContext(t.rt));
  const streams = await Promise.all(
    [0, 1, 2].map(() => app.request(`/api/log/stream`, { headers: AUTH })),
  );
  const readings = streams.map((r) => readSse(r.body!, (x) => x.includes("event: log")));
  let serialised = 0;
  const counted = { toJSON: () => (serialised++, "counted") };
  t.rt.log.push({ type: "reload", paths: ["/x/index.html"], probe: counted });
  const texts = await Promise.all(readings);
  const messages = texts.map((x) => x.slice(x.indexOf("id: ")));
  assert.equal(messages[0], messages[1]);
  assert.equal(messages[1], messages[2]);
  assert.match(messages[0], /^id: \d+\nevent: log\ndata: \{.*"probe":"counted"/);
  assert.equal(serialised, 1, "one serialisation for three streams");
});

Deno.test("sse: HEAD on either stream answers the headers and leaves no stream behind", async () => {
  await using t = await makeRuntime({ mode: "serve" });
  const ctx = serverContext(t.rt);
  const app = createMainApp(ctx);
  const { id } = await sessionWithTitles(t, 1);
  for (const path of [`/sessions/${id}/events`, "/api/log/stream"]) {
    const res = await app.request(`${path}?ct=${TOKEN}`, { method: "HEAD", headers: MAIN });
    assert.equal(res.status, 200, path);
    assert.equal(res.headers.get("content-type"), "text/event-stream");
    assert.equal(res.headers.get("cache-control"), "no-store");
    assert.equal(await res.text(), "");
  }
  assert.equal(ctx.closers.size, 0, "no subscriber, timer or closer was left running");
});

Deno.test("sse: the default keep-alive period is the contract's 15 s (§11.5, §15)", () => {
  // the ping test above shortens it; this pins the value a real stream uses
  assert.equal(SSE_KEEPALIVE_MS, 15_000);
});
