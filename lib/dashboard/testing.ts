/**
 * Test support: runs the real host page scripts (host_link.js, host_log.js, host_relay.js,
 * host_frames.js, host.js; §12.8) inside Deno against a fake page — meta tags, iframes whose
 * contentWindow records posts, a WebSocket answered by a scripted bridge, EventSources the test
 * pushes events into, and fetch.
 */
import { DASH_FILES } from "./assets.gen.ts";

// deno-lint-ignore no-explicit-any
export type Any = any;
export const MAIN = "http://127.0.0.1:5180";
export const APP = "http://127.0.0.1:5181";

export interface FakeHostOptions {
  metas?: Record<string, string>;
  /** Answers a bridge call: a result, or throws `{code, message, data}` for a JSON-RPC error. */
  bridge: (method: string, params: Any) => Any;
  /** What `GET /api/log` answers (whatever its query). */
  logEntries?: Any[];
  /** Also load devpage.js, the `/dev/:wid` page script (give the session and window metas). */
  devpage?: boolean;
  /** The page's monotonic clock (`performance.now()`, ms); the real one when absent. */
  monotonic?: () => number;
  /** The page's hostname (`127.0.0.1` when absent); the main origin keeps port 5180. */
  hostname?: string;
}

class FakeIframe {
  attrs = new Map<string, string>();
  style: Record<string, string> = {};
  title = "";
  src = "";
  removed = false;
  posts: Array<{ msg: Any; origin: string }> = [];
  contentWindow = {
    postMessage: (msg: Any, origin: string) =>
      this.posts.push({ msg: structuredClone(msg), origin }),
  };
  setAttribute(k: string, v: string) {
    this.attrs.set(k, v);
  }
  getAttribute(k: string) {
    return this.attrs.get(k) ?? null;
  }
  /** Element event listeners (`load`), kept so that a test may fire them. */
  listeners: Array<{ type: string; fn: () => void }> = [];
  addEventListener(type: string, fn: () => void) {
    this.listeners.push({ type, fn });
  }
  toggleAttribute(k: string, on: boolean) {
    if (on) this.attrs.set(k, "");
    else this.attrs.delete(k);
  }
  /** The fake container the iframe was appended to. */
  parent: { children: FakeIframe[] } | null = null;
  remove() {
    this.removed = true;
  }
  /** DOM `replaceWith`: `f` takes this iframe's place in its container; this one is removed. */
  replaceWith(f: FakeIframe) {
    const kids = this.parent?.children;
    if (kids) {
      const from = kids.indexOf(f);
      if (from >= 0) kids.splice(from, 1);
      kids.splice(kids.indexOf(this), 1, f);
      f.parent = this.parent;
    }
    this.remove();
  }
  /** Messages of one kind posted to this iframe. */
  sent(kind: "res" | "event") {
    return this.posts.map((p) => p.msg).filter((m) => m.kind === kind);
  }
}

class FakeEventSource {
  static all: FakeEventSource[] = [];
  listeners = new Map<string, Array<(ev: Any) => void>>();
  closed = false;
  /** 1 open, 2 closed (as the browser's; a refused stream is 2 too). */
  readyState = 1;
  constructor(public url: string) {
    FakeEventSource.all.push(this);
  }
  addEventListener(type: string, fn: (ev: Any) => void) {
    this.listeners.set(type, [...(this.listeners.get(type) ?? []), fn]);
  }
  close() {
    this.closed = true;
    this.readyState = 2;
  }
  push(type: string, data: Any) {
    for (const fn of this.listeners.get(type) ?? []) fn({ data: JSON.stringify(data) });
  }
}

/** Loads the host scripts into a fake page; returns the page, its `__annaHost` and helpers. */
export function fakeHostPage(opts: FakeHostOptions) {
  const calls: Array<{ method: string; params: Any }> = [];
  const sockets: Any[] = [];
  const frames: FakeIframe[] = [];
  const windowListeners: Array<(ev: Any) => void> = [];
  const eventSources: FakeEventSource[] = [];
  /** The paths the page fetched, in order. */
  const fetched: string[] = [];
  const metas: Record<string, string> = {
    "anna-control-token": "CT",
    "anna-app-port": "5181",
    ...opts.metas,
  };
  class FakeWebSocket {
    onopen: (() => void) | null = null;
    onmessage: ((ev: Any) => void) | null = null;
    onclose: (() => void) | null = null;
    closed = false;
    constructor(public url: string) {
      sockets.push(this);
      setTimeout(() => this.onopen?.(), 0);
    }
    send(frame: string) {
      const req = JSON.parse(frame);
      calls.push({ method: req.method, params: req.params });
      setTimeout(() => {
        if (this.closed) return;
        let res: Any;
        try {
          res = { jsonrpc: "2.0", id: req.id, result: opts.bridge(req.method, req.params) };
        } catch (e) {
          res = { jsonrpc: "2.0", id: req.id, error: e };
        }
        this.onmessage?.({ data: JSON.stringify(res) });
      }, 0);
    }
    /** Simulates the server going away. */
    drop() {
      this.closed = true;
      this.onclose?.();
    }
  }
  class TrackedEventSource extends FakeEventSource {
    constructor(url: string) {
      super(url);
      eventSources.push(this);
    }
  }
  const container = {
    children: [] as FakeIframe[],
    appendChild: (f: FakeIframe) => {
      f.parent = container;
      container.children.push(f);
    },
  };
  const status = { textContent: "" };
  const docListeners: Array<[string, () => void]> = [];
  const doc = {
    readyState: "complete",
    visibilityState: "visible",
    body: container,
    title: "",
    querySelector(sel: string) {
      const m = /^meta\[name="(.+)"\]$/.exec(sel);
      if (m) return m[1] in metas ? { getAttribute: () => metas[m[1]] } : null;
      if (sel === "[data-anna-frames]") return container;
      if (sel === "[data-anna-status]") return status;
      return null;
    },
    createElement(tag: string) {
      if (tag !== "iframe") throw new Error(`unexpected element ${tag}`);
      const f = new FakeIframe();
      frames.push(f);
      return f;
    },
    addEventListener(type: string, fn: () => void) {
      docListeners.push([type, fn]);
    },
  };
  /** The page going to the background (another tab in front) or coming back. */
  function setHidden(hidden: boolean) {
    doc.visibilityState = hidden ? "hidden" : "visible";
    for (const [type, fn] of docListeners) if (type === "visibilitychange") fn();
  }
  const win: Any = {
    document: doc,
    location: {
      origin: `http://${opts.hostname ?? "127.0.0.1"}:5180`,
      protocol: "http:",
      hostname: opts.hostname ?? "127.0.0.1",
      host: `${opts.hostname ?? "127.0.0.1"}:5180`,
      port: "5180",
    },
    WebSocket: FakeWebSocket,
    EventSource: TrackedEventSource,
    fetch: (path: string) => {
      fetched.push(path);
      const log = path.split("?")[0] === "/api/log";
      return Promise.resolve({
        ok: true,
        status: 200,
        json: () => Promise.resolve(log ? { entries: opts.logEntries ?? [] } : {}),
      });
    },
    setTimeout: (fn: () => void) => setTimeout(fn, 0), // grace and backoff delays collapse in tests
    clearTimeout: (id: number) => clearTimeout(id),
    atob: (s: string) => atob(s),
    performance: { now: opts.monotonic ?? (() => performance.now()) },
    addEventListener: (type: string, fn: (ev: Any) => void) => {
      if (type === "message") windowListeners.push(fn);
    },
  };
  const scripts = ["host_link.js", "host_log.js", "host_relay.js", "host_frames.js", "host.js"];
  if (opts.devpage) scripts.push("devpage.js");
  for (const name of scripts) {
    new Function("globalThis", DASH_FILES[name])(win);
  }
  const host = win.__annaHost;
  /** A postMessage event from an iframe (or anything else) to the host page. */
  function fromFrame(frame: FakeIframe | null, data: Any, origin = APP) {
    const ev = { data, origin, source: frame ? frame.contentWindow : {} };
    for (const fn of windowListeners) fn(ev);
  }
  // the newest of each: a page reopens its streams after a drop or a hidden spell
  const sessionEvents = () => eventSources.findLast((e) => e.url.startsWith("/sessions/"))!;
  const logStream = () => eventSources.findLast((e) => e.url.startsWith("/api/log/stream"));
  const called = (method: string) => calls.filter((c) => c.method === method);
  return {
    win,
    host,
    /** Every iframe ever created, in creation order (removed ones included). */
    frames,
    /** The page's status line (`[data-anna-status]`). */
    status: () => status.textContent,
    /** The iframes in the page now, in document order. */
    shown: () => container.children.filter((f) => !f.removed),
    calls,
    called,
    sockets,
    eventSources,
    fetched,
    sessionEvents,
    logStream,
    fromFrame,
    setHidden,
  };
}

/** A session event envelope as the runtime streams it (§7.1), with the fields host.js reads. */
export const appEvent = (seq: number, kind: string, wid: string | null, payload: Any) => ({
  type: "data_model/AnnaAppEvent",
  kind,
  window_uuid: wid,
  seq,
  payload,
  by_client_id: null,
});

/** Lets queued timers and messages run. */
export const tick = (): Promise<void> => new Promise((r) => setTimeout(r, 0));

/** Waits (a bounded number of macrotasks) for `cond`; throws when it never holds. */
export async function until(cond: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !cond(); i++) await tick();
  if (!cond()) throw new Error("condition not reached");
}
