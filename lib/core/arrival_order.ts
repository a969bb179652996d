/**
 * Bridge requests start in the order they arrive: an app that sends `storage.set` and then
 * `storage.get` without waiting reads its own write. `app.call` checks its token first, and those
 * checks (crypto.subtle) finish in any order, so each request waits until the ones that arrived
 * before it have started. Only the start is ordered: a slow call never holds up later ones, and
 * with no `app.call` pending a request starts at once (the synchronous hot path).
 */
export class ArrivalOrder {
  private tail: Promise<void> | null = null;
  private waiting = 0;

  /** Nothing is waiting for its turn: a request arriving now may start at once. */
  get idle(): boolean {
    return this.waiting === 0;
  }

  /**
   * Runs `start` with what `ready` resolves to, once every call queued earlier has started.
   * `start` must begin its work synchronously (the dispatcher's `callNow` does).
   */
  queue<T, R>(ready: Promise<T>, start: (value: T) => R | Promise<R>): Promise<R> {
    const prev = this.tail;
    let done!: () => void;
    this.tail = new Promise<void>((r) => (done = r));
    this.waiting++;
    const release = () => {
      done();
      if (--this.waiting === 0) this.tail = null;
    };
    const turn = prev ? prev.then(() => ready) : ready;
    return turn.then(
      (value) => {
        // released before `start` runs, yet the next call's turn is a later microtask
        release();
        return start(value);
      },
      (e) => {
        release();
        throw e;
      },
    );
  }
}
