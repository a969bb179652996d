/**
 * A page whose window has crashed or closed keeps running, and its SDK keeps sending
 * `window.heartbeat` every 10 s (§12.2); each is refused (`invalid_token`, §8.3) and would be an
 * RPC log row (§11.11) for as long as the page stays open, thousands a day per window. Nothing
 * asks for a row per refusal, so the same refusal (window, reason) is logged at its 1st, 2nd,
 * 4th, 8th… occurrence, each with `repeat: n`: the log shows it goes on, in a handful of rows.
 */

/** Windows (and reasons) remembered; the oldest is forgotten first (its next refusal is a 1st). */
const MAX_KEYS = 1024;

export class RefusedHeartbeats {
  private counts = new Map<string, number>();

  /** This refusal's number when it is to be logged, else null. */
  next(wid: string | undefined, reason: string): number | null {
    const key = `${wid ?? ""}\n${reason}`;
    const n = (this.counts.get(key) ?? 0) + 1;
    this.counts.delete(key); // re-inserted: the map's order is the order of last use
    this.counts.set(key, n);
    if (this.counts.size > MAX_KEYS) this.counts.delete(this.counts.keys().next().value!);
    return (n & (n - 1)) === 0 ? n : null;
  }

  /** Keys held (tests). */
  get size(): number {
    return this.counts.size;
  }
}
