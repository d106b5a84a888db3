// Wake-ups between servers sharing one PostgreSQL, one channel per controller that holds one lease.
// One server drives releases (the holder of the `releases:controller` lease; managed releases':
// `releases:managed`); an approval, a promotion, an abort, a managed release made on another server
// is written to the store there and announced with NOTIFY, and the holder, LISTENing, takes the
// release's next step at once instead of at its next resync. On SQLite there is one server, and the
// controller acts in process; nothing is needed.
//
// LISTEN holds one connection of its own, outside the store's pool. When it drops, it is opened
// again (backing off up to 5 s) and the listener is told, so the controller re-reads every release
// under way: notifications sent while nobody listened are not lost, only late.

import { sql, type Kysely } from 'kysely';
import pg from 'pg';
import type { Database } from './database-schema.ts';

export const RELEASE_CHANNEL = 'slipway_releases';
export const MANAGED_RELEASE_CHANNEL = 'slipway_managed_releases';

export interface ReleaseSignals {
  /** Tells every server listening that the release may move. */
  notify(releaseId: string): Promise<void>;
  /**
   * Calls `onRelease` with each release id notified by any server, and `onReconnect` after the
   * connection was lost and found again (notifications may have been missed meanwhile).
   */
  listen(onRelease: (releaseId: string) => void, onReconnect: () => void): Promise<void>;
  close(): Promise<void>;
}

export class PostgresReleaseSignals implements ReleaseSignals {
  private client?: pg.Client;
  private closed = false;
  private retry?: NodeJS.Timeout;
  private failures = 0;

  private readonly channel: string;

  constructor(private readonly options: { db: Kysely<Database>; databaseUrl: string; channel?: typeof RELEASE_CHANNEL | typeof MANAGED_RELEASE_CHANNEL; logger?: { error(message: string): void } }) {
    this.channel = options.channel ?? RELEASE_CHANNEL;
  }

  async notify(releaseId: string): Promise<void> {
    await sql`SELECT pg_notify(${this.channel}, ${releaseId})`.execute(this.options.db);
  }

  async listen(onRelease: (releaseId: string) => void, onReconnect: () => void): Promise<void> {
    await this.connect(onRelease, onReconnect, false);
  }

  private async connect(onRelease: (releaseId: string) => void, onReconnect: () => void, again: boolean): Promise<void> {
    if (this.closed) return;
    const client = new pg.Client({ connectionString: this.options.databaseUrl });
    const lost = (error?: Error) => {
      if (this.client !== client || this.closed) return;
      this.client = undefined;
      client.removeAllListeners();
      void client.end().catch(() => undefined);
      const delay = Math.min(5_000, 100 * 2 ** this.failures++);
      this.options.logger?.error(`release notifications: the LISTEN connection was lost${error ? ` (${error.message})` : ''}; listening again in ${delay} ms`);
      this.retry = setTimeout(() => void this.connect(onRelease, onReconnect, true), delay);
      this.retry.unref();
    };
    client.on('notification', (message) => {
      if (message.channel === this.channel && message.payload) onRelease(message.payload);
    });
    client.on('error', lost);
    client.on('end', () => lost());
    this.client = client;
    try {
      await client.connect();
      // A constant of this file, never input: LISTEN takes no parameter.
      await client.query(`LISTEN ${this.channel}`);
    } catch (error) {
      // Not listening yet: the server starts all the same (its tick is the safety net) and tries again.
      lost(error as Error);
      return;
    }
    this.failures = 0;
    if (again) onReconnect();
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.retry);
    const client = this.client;
    this.client = undefined;
    if (client) {
      client.removeAllListeners();
      client.on('error', () => undefined);
      await client.end().catch(() => undefined);
    }
  }
}
