/**
 * A server's shared budget for what its SSE streams (sse.ts) or its `/ws` sockets (ws.ts) hold
 * for clients that are not reading: each has its own cap, but many stalled clients add up. The
 * owner keeps `queued` and `total` in step (a stream by each write and each sent write, a socket
 * by each reading of its send buffer); a member that leaves takes its bytes out of the total.
 */
import type { ServerContext } from "./context.ts";

/** One stream's or socket's unsent bytes, counted in its server's total until it leaves. */
export interface Backlog {
  queued: number;
  /** Ends the stream or closes the socket, leaving the budget; `reason` goes to the warning. */
  drop(reason: string): void;
}

export class SharedBacklog<B extends Backlog = Backlog> {
  /** The sum of the members' `queued`. */
  total = 0;
  readonly members = new Set<B>();

  join(b: B) {
    this.members.add(b);
  }

  /** `b` no longer counts (dropped, closed or ended); false if it had already left. */
  leave(b: B): boolean {
    if (!this.members.delete(b)) return false;
    this.total -= b.queued;
    return true;
  }

  /** The member holding the most (the one least likely reading), or null if none holds any. */
  largest(): B | null {
    let largest: B | null = null;
    for (const b of this.members) if (b.queued > (largest?.queued ?? 0)) largest = b;
    return largest;
  }
}

/** One SharedBacklog per server, made on first use. */
export class BacklogBudgets<B extends Backlog = Backlog> {
  readonly #byServer = new WeakMap<ServerContext, SharedBacklog<B>>();

  of(ctx: ServerContext): SharedBacklog<B> {
    let b = this.#byServer.get(ctx);
    if (!b) this.#byServer.set(ctx, b = new SharedBacklog());
    return b;
  }

  /** What the server's members hold together as last counted (0 before any joined). */
  total(ctx: ServerContext): number {
    return this.#byServer.get(ctx)?.total ?? 0;
  }
}
