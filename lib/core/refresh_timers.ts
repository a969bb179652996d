/** One token-refresh interval per open window in `dev`/`serve` (CONTRACT §8.4), by window uuid. */
export class RefreshTimers {
  private readonly timers = new Map<string, ReturnType<typeof setInterval>>();

  /** Runs `tick` every `everyMs` for window `wid`; `tick` may call `stop(wid)`. */
  start(wid: string, everyMs: number, tick: () => void) {
    this.stop(wid);
    this.timers.set(wid, setInterval(tick, everyMs));
  }

  stop(wid: string) {
    const id = this.timers.get(wid);
    if (id !== undefined) clearInterval(id);
    this.timers.delete(wid);
  }

  stopAll() {
    for (const id of this.timers.values()) clearInterval(id);
    this.timers.clear();
  }

  /** Timers running (tests check that ended windows leave none). */
  get size(): number {
    return this.timers.size;
  }
}
