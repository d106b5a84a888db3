import type { IncomingMessage } from 'node:http';
import type { RouterLogger } from './router-context.ts';
import type { RouteTable } from './route-table.ts';

// Wake on request: a request to a paused environment whose route allows it (`{ kind: 'paused',
// wake: true }`) is held — for a bounded time, and only so many at once per environment — while the
// control plane is asked, once per environment, to resume it. A held request is served as soon as
// the route table points its host at instances again, and answers the "waking up" page when the
// wait runs out or the queue is full; when the control plane refuses (a protected environment, a
// missing secret), it answers the paused page, and the environment is not asked again for a while.

export interface WakeOptions {
  /** Asks the control plane to resume the environment; resolves once it is resumed, rejects with why not. */
  wake(app: string, envId: string): Promise<void>;
  /** Longest a request is held before the "waking up" page answers it (default 30 s). */
  holdMs?: number;
  /** Most requests held at once per environment; more get the "waking up" page at once (default 100). */
  maxHeld?: number;
  /** After a refused wake, how long requests get the paused page without asking again (default 10 s). */
  refusedForMs?: number;
  /** How often a held request looks at the route table again (default 25 ms). */
  pollMs?: number;
}

/** What became of a held request: `awake` — route it again; the rest are answered with a page. */
export type HoldOutcome = 'awake' | 'timeout' | 'full' | 'refused' | 'closed';

export class WakeOnRequest {
  private readonly held = new Map<string, number>();
  private readonly waking = new Map<string, Promise<boolean>>();
  private readonly refusedUntil = new Map<string, number>();

  constructor(
    private readonly table: RouteTable,
    private readonly options: WakeOptions,
    private readonly logger: RouterLogger,
  ) {}

  /** Requests held now, over every environment (tests and metrics). */
  get holding(): number {
    let total = 0;
    for (const count of this.held.values()) total += count;
    return total;
  }

  /** Holds `req` (matched to a paused, wakeable route of app/envId) until the environment is awake, or says why not. */
  async hold(req: IncomingMessage, app: string, envId: string, closed: AbortSignal): Promise<HoldOutcome> {
    const key = `${app}/${envId}`;
    if ((this.refusedUntil.get(key) ?? 0) > Date.now()) return 'refused';
    const count = this.held.get(key) ?? 0;
    if (count >= (this.options.maxHeld ?? 100)) return 'full';
    this.held.set(key, count + 1);
    try {
      const woken = this.wakeOnce(key, app, envId);
      let refused = false;
      void woken.then((ok) => (refused = !ok));
      const deadline = Date.now() + (this.options.holdMs ?? 30_000);
      for (;;) {
        if (closed.aborted) return 'closed';
        const match = this.table.lookup(req.headers.host ?? '', req.url ?? '/');
        // Awake, or changed in some other way (deleted, deploying): the request is routed again.
        if (!match || match.entry.target.kind !== 'paused' || !match.entry.target.wake) return 'awake';
        if (refused) return 'refused';
        if (Date.now() >= deadline) return 'timeout';
        await new Promise((resolve) => setTimeout(resolve, this.options.pollMs ?? 25));
      }
    } finally {
      const left = (this.held.get(key) ?? 1) - 1;
      if (left > 0) this.held.set(key, left);
      else this.held.delete(key);
    }
  }

  /** One wake call per environment at a time; false when the control plane refused. */
  private wakeOnce(key: string, app: string, envId: string): Promise<boolean> {
    const running = this.waking.get(key);
    if (running) return running;
    const started = Date.now();
    const call = this.options
      .wake(app, envId)
      .then(
        () => {
          this.logger.info({ app, envId, ms: Date.now() - started }, 'woke a paused environment on request');
          return true;
        },
        (error: Error) => {
          this.refusedUntil.set(key, Date.now() + (this.options.refusedForMs ?? 10_000));
          this.logger.warn({ app, envId, error: error.message }, 'a paused environment could not be woken on request');
          return false;
        },
      )
      .finally(() => this.waking.delete(key));
    this.waking.set(key, call);
    return call;
  }
}
