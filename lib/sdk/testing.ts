/**
 * Test support: runs the real classic SDK build inside Deno against a fake iframe window whose
 * parent records `postMessage` calls and answers requests asynchronously, like a host page would
 * (CONTRACT §12.7). Used by tests/sdk_*_test.ts; no browser needed.
 */
import { sdkClassic } from "./mod.ts";

// deno-lint-ignore no-explicit-any
export type Any = any;
export const HOST = "http://127.0.0.1:5180";
export const WID = "9b2e0c1e-0000-4000-8000-000000000001";
export const HELLO = {
  window_uuid: WID,
  app_id: "notes-demo",
  app_slug: "notes-demo",
  version_id: "dev",
  user_id: 1,
  view: "main",
  view_meta: { name: "main", entry: "index.html" },
  capabilities: { host_api_version: "0.1.0", scopes: ["storage.get", "window.*"] },
  entry_payload: { note: 1 },
  runtime_state: { k: "v" },
  geometry: { x: 0, y: 0, w: 480, h: 640 },
  is_resume: false,
  token_expires_at: 1,
};

export interface FakeOptions {
  search?: string;
  hash?: string;
  ancestorOrigins?: string[];
  referrer?: string;
  /** `window.parent === window`, as in a top-level page. */
  topLevel?: boolean;
  /** Answers a request: an outcome `{ok, result|error}`, or undefined to leave it pending. */
  answer?: (req: Any) => Any;
}

/** Answers window.hello with HELLO and other window.* with {ok:true}; leaves the rest pending. */
export function windowAnswers(req: Any): Any {
  if (req.ns === "window" && req.method === "hello") return { ok: true, result: HELLO };
  if (req.ns === "window") return { ok: true, result: { ok: true } };
  return undefined;
}

/** An iframe window holding a fresh SDK instance (`sdk` = its window.AnnaAppRuntime). */
export function fakeFrame(opts: FakeOptions = {}) {
  const listeners = new Set<(ev: Any) => void>();
  const posts: Array<{ msg: Any; origin: string }> = [];
  const delays: number[] = [];
  const intervals: number[] = [];
  const errors: unknown[][] = [];
  const answer = opts.answer ?? windowAnswers;
  const parent = {
    postMessage(msg: Any, origin: string) {
      posts.push({ msg: structuredClone(msg), origin }); // like the real one: throws on functions
      const out = answer(msg);
      if (out !== undefined) {
        setTimeout(() => deliver({ channel: "anna-app/1", kind: "res", id: msg.id, ...out }), 0);
      }
    },
  };
  const win: Any = {
    location: {
      search: opts.search ?? `?wid=${WID}&t=tok1&host=${encodeURIComponent(HOST)}`,
      hash: opts.hash ?? "",
      ancestorOrigins: opts.ancestorOrigins,
    },
    document: { referrer: opts.referrer ?? "" },
    addEventListener: (_t: string, fn: (ev: Any) => void) => listeners.add(fn),
    removeEventListener: (_t: string, fn: (ev: Any) => void) => listeners.delete(fn),
    setTimeout: (fn: () => void, ms: number) => (delays.push(ms), setTimeout(fn, ms)),
    clearTimeout: (id: number) => clearTimeout(id),
    setInterval: (fn: () => void, ms: number) => (intervals.push(ms), setInterval(fn, ms)),
    clearInterval: (id: number) => clearInterval(id),
    console: { error: (...a: unknown[]) => errors.push(a), warn: () => {} },
  };
  win.parent = opts.topLevel ? win : parent;
  /** Delivers a message event to the SDK, by default from the parent on the host origin. */
  function deliver(data: Any, from: { source?: Any; origin?: string } = {}) {
    const ev = { data, source: from.source ?? parent, origin: from.origin ?? HOST };
    for (const fn of [...listeners]) fn(ev);
  }
  new Function("window", sdkClassic())(win);
  const sdk = win.AnnaAppRuntime;
  const requests = (method?: string) =>
    posts.map((p) => p.msg).filter((m) => !method || `${m.ns}.${m.method}` === method);
  const event = (kind: string, payload: Any, windowUuid: string | null = WID, extra: Any = {}) =>
    deliver({
      channel: "anna-app/1",
      kind: "event",
      event: kind,
      payload,
      seq: 1,
      window_uuid: windowUuid,
      ...extra,
    });
  return {
    win,
    sdk,
    parent,
    posts,
    delays,
    intervals,
    errors,
    listeners,
    deliver,
    requests,
    event,
  };
}

/** Lets queued timers and messages run. */
export const tick = (): Promise<void> => new Promise((r) => setTimeout(r, 0));

/** Waits (a bounded number of macrotasks) for `cond`; throws when it never holds. */
export async function until(cond: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !cond(); i++) await tick();
  if (!cond()) throw new Error("condition not reached");
}
