/**
 * Record mode (CONTRACT §14.7, `dev --record FILE`): the recorded-session format (§14.3) for one
 * session, written line by line as things happen (each line is one synchronous write, so nothing
 * sits in a buffer of ours when the process dies).
 *
 * - a meta line `{t:0, kind:"meta", harness_version, session_id, window_uuid, app_slug, view}`;
 * - every host-API call of the session, from any transport, as a `req` line when the call starts
 *   (the dispatcher's start hooks) and a `res` line when it ends (its observers), with sequential
 *   numeric ids — so concurrent calls interleave as the vendor harness records them, and a call
 *   cut short by a crash still leaves its `req`; `req` carries `window_uuid` for non-primary windows;
 * - `auth.refresh` events as token-push lines (token redacted, util/redact.ts), other events as
 *   `event` lines. An event caused by a call still in flight is written right after that call's
 *   `res`, so replay sees it after its request;
 *   one the host caused (dashboard, control methods) carries `by_client_id: null` (§7.1), so replay
 *   can redo the host's storage edit (host_actions.ts).
 *
 * `startRecording(runtime, session, path)` is what `dev` calls; `beginStop()` as `dev` starts
 * stopping, so errors the shutdown gives calls it cuts short leave their `req` without a `res` (a
 * replay would fail on them whatever the app does); `stop()` after the runtime shut down detaches
 * and closes.
 */
import type { Runtime } from "../core/runtime.ts";
import type { CallObserver, CallRecord, CallStart } from "../dispatcher/mod.ts";
import type { EventEnvelope } from "../session/events.ts";
import type { Session } from "../session/session.ts";
import { VERSION } from "../version.ts";
import { deepEqual, toJson } from "../util/json.ts";
import { REDACTED_TOKEN, redactTokens } from "../util/redact.ts";

/** How long `stop()` waits for calls still running (dev stops it after the runtime shut down). */
const STOP_GRACE_MS = 2000;

export type RecordedLine = Record<string, unknown> & { t: number; kind: string };

/** Turns calls and events of one session into recorded-session lines (no I/O). */
export class RecordingEncoder {
  private nextId = 0;
  private lastT = 0;
  private readonly t0 = performance.now();

  constructor(private readonly session: Session) {}

  private t(at = performance.now()): number {
    this.lastT = Math.max(this.lastT, Math.max(0, Math.round(at - this.t0)));
    return this.lastT;
  }

  meta(): RecordedLine {
    const s = this.session;
    const primary = s.windows.get(s.primary_window_uuid);
    return {
      t: 0,
      kind: "meta",
      harness_version: VERSION,
      session_id: s.id,
      window_uuid: s.primary_window_uuid,
      app_slug: s.app_slug,
      view: primary?.view ?? null,
    };
  }

  /**
   * When the session's storage is not what replay seeds (`dev.seed_storage`, else `{}`: §14.1
   * step 5) — `dev --seed-storage`, or an edit before recording began — a host-caused
   * `runtime_state_synced` line with it, which replay sets again (host_actions.ts); else null.
   */
  seed(): RecordedLine | null {
    const state = this.session.runtime_state;
    if (deepEqual(state, this.session.manifest.dev.seed_storage ?? {})) return null;
    const payload = { runtime_state: state };
    return { t: 0, kind: "event", event: "runtime_state_synced", payload, by_client_id: null };
  }

  /** The `req` line of a call that starts now, with its new id. */
  request(start: CallStart, at = performance.now()): RecordedLine {
    const req: RecordedLine = {
      t: this.t(at),
      kind: "req",
      id: ++this.nextId,
      ns: start.ns,
      method: start.method,
      args: start.args === undefined ? {} : start.args,
    };
    if (start.window_uuid !== this.session.primary_window_uuid) req.window_uuid = start.window_uuid;
    return req;
  }

  /** The `res` line for request `id`, from the finished call. */
  response(id: number, rec: CallRecord): RecordedLine {
    const t = this.t();
    return rec.outcome === "ok"
      ? { t, kind: "res", id, ok: true, result: rec.result ?? null }
      : { t, kind: "res", id, ok: false, error: rec.error };
  }

  /** Both lines of a finished call whose start was not seen (it began before recording). */
  call(rec: CallRecord): RecordedLine[] {
    const req = this.request(rec, performance.now() - rec.ms);
    return [req, this.response(req.id as number, rec)];
  }

  event(e: EventEnvelope): RecordedLine {
    if (e.kind === "auth.refresh") {
      // the line says when the token changed; the token itself is no use to replay (§14.3)
      return { t: this.t(), kind: "auth.refresh", token: REDACTED_TOKEN };
    }
    const line: RecordedLine = { t: this.t(), kind: "event", event: e.kind, payload: e.payload };
    // §7.1: the host caused it (dashboard, control methods), no request did: replay redoes it
    if (e.by_client_id === null) line.by_client_id = null;
    return line;
  }
}

export class Recorder {
  private readonly enc = new TextEncoder();
  private readonly encoder: RecordingEncoder;
  private readonly held: EventEnvelope[] = [];
  private readonly unsubscribe: () => void;
  private readonly unwatch: () => void;
  /** ids of the `req` lines written for calls still running */
  private readonly open = new Map<CallStart, number>();
  private settled: (() => void) | null = null;
  private stopped = false;
  private stopping = false;
  private failed = false;

  private constructor(
    private readonly runtime: Runtime,
    private readonly session: Session,
    private readonly file: Deno.FsFile,
    readonly path: string,
  ) {
    this.encoder = new RecordingEncoder(session);
    this.write([this.encoder.meta()]);
    const seed = this.encoder.seed();
    if (seed) this.write([seed]);
    const start = (start: CallStart) => {
      if (start.session_id !== this.session.id) return;
      const req = this.encoder.request(start);
      this.open.set(start, req.id as number);
      this.write([req]);
    };
    const end: CallObserver = (rec, _transport, start) => {
      if (rec.session_id !== this.session.id) return;
      const id = start && this.open.get(start);
      if (id !== undefined) this.open.delete(start!);
      if (this.stopping && rec.outcome !== "ok") {
        // the shutdown's doing (an executa stopped under the call), not the app's: a `res` with
        // it would fail every replay; a `req` alone is replayed and checked only for a crash
        if (id !== undefined) {
          const call = `${rec.ns}.${rec.method}`;
          this.runtime.logger.warn(
            "recording: a call was cut short by stopping dev; its req has no res",
            { file: this.path, id, call },
          );
        }
      } else if (id === undefined) this.write(this.encoder.call(rec));
      else this.write([this.encoder.response(id, rec)]);
      if (id !== undefined && this.open.size === 0) this.settled?.();
      this.release(rec.window_uuid);
    };
    this.unwatch = runtime.watchCalls({ start, end });
    this.unsubscribe = session.events.subscribe((e) => {
      if (this.inFlight(e.by_client_id)) this.held.push(e);
      else {
        this.release(null);
        this.write([this.encoder.event(e)]);
      }
    });
  }

  /** Truncates `path` and starts recording `session` (an object or its id). */
  static start(runtime: Runtime, session: Session | string, path: string): Recorder {
    const s = typeof session === "string" ? runtime.session(session) : session;
    if (!s) throw new Error(`cannot record: no session ${String(session)}`);
    const file = Deno.openSync(path, { write: true, create: true, truncate: true });
    return new Recorder(runtime, s, file, path);
  }

  /** True while the window that caused an event still has a call in flight. */
  private inFlight(wid: string | null): boolean {
    if (wid === null) return false;
    const w = this.session.windows.get(wid);
    return (w?.inflight ?? 0) > 0;
  }

  /**
   * Writes held events in order: those caused by `finished` (the window whose call just ended),
   * those whose window has nothing in flight any more, or all of them when `finished` is true.
   */
  private release(finished: string | null | true) {
    const keep: EventEnvelope[] = [];
    for (const e of this.held.splice(0)) {
      if (finished === true || e.by_client_id === finished || !this.inFlight(e.by_client_id)) {
        this.write([this.encoder.event(e)]);
      } else keep.push(e);
    }
    this.held.push(...keep);
  }

  private write(lines: Record<string, unknown>[]) {
    if (this.stopped || this.failed) return;
    // recordings get committed as fixtures: no token an app put in its args or storage either
    const bytes = this.enc.encode(redactTokens(lines.map((l) => toJson(l) + "\n").join("")));
    try {
      let off = 0;
      while (off < bytes.length) off += this.file.writeSync(bytes.subarray(off));
    } catch (e) {
      this.failed = true;
      this.runtime.logger.warn("recording stopped: cannot write", {
        file: this.path,
        error: String(e),
      });
    }
  }

  /**
   * `dev` is stopping (before its runtime shuts down): calls that end with an error from now on
   * keep their `req` without a `res`; answers that still arrive are recorded as usual.
   */
  beginStop(): void {
    this.stopping = true;
  }

  /**
   * Waits up to `graceMs` for calls still running to end (their `res` lines), then detaches from
   * the runtime, writes what is held and closes the file (idempotent).
   */
  async stop(graceMs = STOP_GRACE_MS): Promise<void> {
    if (this.stopped) return;
    if (this.open.size > 0 && graceMs > 0) {
      let timer: ReturnType<typeof setTimeout> | undefined;
      await new Promise<void>((resolve) => {
        this.settled = resolve;
        timer = setTimeout(resolve, graceMs);
      });
      clearTimeout(timer);
      this.settled = null;
    }
    if (this.stopped) return;
    this.unwatch();
    // calls still running keep their `req` without a `res`: replay reports them as unanswered
    this.unsubscribe();
    this.release(true);
    this.stopped = true;
    try {
      this.file.close();
    } catch { /* already closed */ }
  }
}

/** What `dev --record FILE` calls (§14.7). */
export function startRecording(
  runtime: Runtime,
  session: Session | string,
  path: string,
): Promise<{ beginStop(): void; stop(): Promise<void> }> {
  try {
    return Promise.resolve(Recorder.start(runtime, session, path));
  } catch (e) {
    return Promise.reject(e);
  }
}
