/** The session registry (CONTRACT §6): sessions in a Map, at most 1024 open, window → session index. */
import type { Session, WindowState } from "./session.ts";

export const MAX_SESSIONS = 1024;

export class SessionManager {
  private readonly sessions = new Map<string, Session>();
  /** window_uuid → session, for token verification (`unknown_window`). */
  private readonly windowIndex = new Map<string, Session>();
  private last: Session | undefined;

  get size(): number {
    return this.sessions.size;
  }
  isFull(): boolean {
    return this.sessions.size >= MAX_SESSIONS;
  }

  add(s: Session) {
    this.sessions.set(s.id, s);
    for (const wid of s.windows.keys()) this.windowIndex.set(wid, s);
  }

  indexWindow(s: Session, w: WindowState) {
    this.windowIndex.set(w.window_uuid, s);
  }

  /**
   * Open sessions only: a closed session is forgotten. The last one found is remembered: calls
   * come in runs for one session, and comparing a frame's fresh id string with it costs a fraction
   * of hashing that string for the Map.
   */
  get(id: unknown): Session | undefined {
    if (typeof id !== "string") return undefined;
    if (id === this.last?.id) return this.last;
    const s = this.sessions.get(id);
    if (s) this.last = s;
    return s;
  }

  /** Size of the window → session index (tests check that ended windows leave it). */
  get indexedWindows(): number {
    return this.windowIndex.size;
  }

  unindexWindow(wid: string) {
    this.windowIndex.delete(wid);
  }

  findWindow(wid: string): { session: Session; window: WindowState } | undefined {
    const s = this.windowIndex.get(wid);
    const w = s?.windows.get(wid);
    return s && w ? { session: s, window: w } : undefined;
  }

  list(): Session[] {
    return [...this.sessions.values()];
  }

  close(id: string): boolean {
    const s = this.sessions.get(id);
    if (!s) return false;
    s.close();
    this.sessions.delete(id);
    if (this.last === s) this.last = undefined;
    for (const wid of s.windows.keys()) this.windowIndex.delete(wid);
    return true;
  }

  closeAll() {
    for (const id of [...this.sessions.keys()]) this.close(id);
  }
}
