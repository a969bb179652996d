/**
 * Load generator for scripts/bench_server.ts, run as a Worker so the client has its own thread and
 * event loop (the server under test keeps the main thread). One message = one run:
 *   {kind:"http", url, headers, frames, concurrency} — POSTs each frame, `concurrency` in flight;
 *   {kind:"ws", url, frames, window} — one socket, `window` frames in flight.
 * Every response is checked (`expect`: "echo" = the request back verbatim, "ok" = a JSON-RPC
 * result whose outcome is ok); the reply is {ms, n, bad}.
 */
/// <reference lib="deno.worker" />

interface HttpRun {
  kind: "http";
  url: string;
  headers: Record<string, string>;
  frames: string[];
  concurrency: number;
  expect: "echo" | "ok";
}
interface WsRun {
  kind: "ws";
  url: string;
  frames: string[];
  window: number;
  expect: "echo" | "ok";
}

/** `got` as received, `m` as parsed (parsed once per response, on both paths alike). */
function good(expect: "echo" | "ok", sent: string, got: string, m: unknown): boolean {
  if (expect === "echo") return got === sent;
  return (m as { result?: { ok?: unknown } } | null)?.result?.ok === true;
}

function parsed(text: string): { id?: unknown } | null {
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}

async function http(run: HttpRun) {
  let next = 0;
  let bad = 0;
  const t0 = performance.now();
  const lane = async () => {
    while (next < run.frames.length) {
      const frame = run.frames[next++];
      const r = await fetch(run.url, { method: "POST", headers: run.headers, body: frame });
      const text = await r.text();
      if (r.status !== 200 || !good(run.expect, frame, text, parsed(text))) bad++;
    }
  };
  await Promise.all(Array.from({ length: run.concurrency }, lane));
  return { ms: performance.now() - t0, n: run.frames.length, bad };
}

async function ws(run: WsRun) {
  const sock = new WebSocket(run.url);
  await new Promise<void>((resolve, reject) => {
    sock.onopen = () => resolve();
    sock.onerror = () => reject(new Error(`cannot open ${run.url}`));
  });
  // responses may come back out of order (§11.6): match by id
  const ids = run.frames.map((f) => JSON.parse(f).id as number);
  const byId = new Map(ids.map((id, i) => [id, i]));
  let sent = 0;
  let done = 0;
  let bad = 0;
  const t0 = performance.now();
  await new Promise<void>((resolve) => {
    const pump = () => {
      while (sent < run.frames.length && sent - done < run.window) sock.send(run.frames[sent++]);
    };
    sock.onmessage = (e) => {
      const text = String(e.data);
      const m = parsed(text);
      const i = byId.get(m?.id as number);
      if (i === undefined || !good(run.expect, run.frames[i], text, m)) bad++;
      done++;
      if (done === run.frames.length) resolve();
      else pump();
    };
    pump();
  });
  const ms = performance.now() - t0;
  sock.close();
  return { ms, n: run.frames.length, bad };
}

self.onmessage = async (e: MessageEvent<HttpRun | WsRun>) => {
  try {
    const out = e.data.kind === "http" ? await http(e.data) : await ws(e.data);
    self.postMessage(out);
  } catch (err) {
    self.postMessage({ error: String(err) });
  }
};
