import type { EnvironmentStore } from '../store/environments.ts';

/**
 * Requests the router sends to environments, noted in memory on the request path and written to the
 * store in batches, so idle teardown and least-recently-used eviction know what is in use.
 */
export class ActivityRecorder {
  private pending = new Map<string, { app: string; envId: string }>();
  private timer?: NodeJS.Timeout;

  constructor(
    private readonly store: EnvironmentStore,
    private readonly flushMs = 5_000,
  ) {}

  /** Notes a request (cheap: a map update). */
  record = (app: string, envId: string): void => {
    const key = `${app}/${envId}`;
    if (!this.pending.has(key)) this.pending.set(key, { app, envId });
  };

  start(): void {
    this.timer = setInterval(() => void this.flush().catch(() => undefined), this.flushMs);
    this.timer.unref();
  }

  async flush(at = new Date()): Promise<void> {
    if (this.pending.size === 0) return;
    const batch = [...this.pending.values()];
    this.pending = new Map();
    await this.store.touch(batch, at);
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.flush().catch(() => undefined);
  }
}
