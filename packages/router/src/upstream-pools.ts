import { Pool } from 'undici';
import type { RouteTableEntry, UpstreamAddress } from '@slipway/contract';
import { originOf } from './route-table.ts';

// One keep-alive connection pool per upstream origin, shared by every route that reaches it, and
// the choice of which replica answers the next request: round-robin, skipping for a few seconds an
// address that just refused a connection (as nginx's max_fails/fail_timeout do), so one crashed
// replica does not cost every other request a failed connect.

/** How long an address that refused a connection is passed over while others remain. */
const downForMs = 5_000;

export interface UpstreamChoice {
  address: UpstreamAddress;
  origin: string;
}

export class UpstreamPools {
  private readonly pools = new Map<string, Pool>();
  private readonly cursors = new WeakMap<RouteTableEntry, number>();
  private readonly downUntil = new Map<string, number>();

  constructor(private readonly options: { keepAliveTimeoutMs?: number; connectionsPerOrigin?: number } = {}) {}

  /** The pool for an origin, created on first use with the route's connect timeout. */
  pool(origin: string, connectTimeoutMs: number): Pool {
    let pool = this.pools.get(origin);
    if (!pool) {
      pool = new Pool(origin, {
        connections: this.options.connectionsPerOrigin ?? 256,
        keepAliveTimeout: this.options.keepAliveTimeoutMs ?? 30_000,
        connect: { timeout: connectTimeoutMs },
      });
      this.pools.set(origin, pool);
    }
    return pool;
  }

  /**
   * The addresses to try for one request, in order: the next one in turn first, then the others as
   * failover. Addresses recently found down go last rather than nowhere: if every replica refused,
   * trying again is better than answering 502 without asking.
   */
  order(entry: RouteTableEntry, addresses: readonly UpstreamAddress[]): UpstreamChoice[] {
    const start = this.cursors.get(entry) ?? 0;
    this.cursors.set(entry, (start + 1) % addresses.length);
    const now = Date.now();
    const up: UpstreamChoice[] = [];
    const down: UpstreamChoice[] = [];
    for (let i = 0; i < addresses.length; i++) {
      const address = addresses[(start + i) % addresses.length]!;
      const origin = originOf(address);
      const until = this.downUntil.get(origin);
      if (until !== undefined && until > now) down.push({ address, origin });
      else up.push({ address, origin });
    }
    return down.length === 0 ? up : up.concat(down);
  }

  markDown(origin: string): void {
    this.downUntil.set(origin, Date.now() + downForMs);
  }

  markUp(origin: string): void {
    if (this.downUntil.size > 0) this.downUntil.delete(origin);
  }

  /** Closes an origin's pool once its in-flight requests finish; a later request makes a new one. */
  release(origin: string): void {
    const pool = this.pools.get(origin);
    if (!pool) return;
    this.pools.delete(origin);
    this.downUntil.delete(origin);
    pool.close().catch(() => undefined);
  }

  /** Waits for in-flight requests on every pool, then closes them all. */
  async close(): Promise<void> {
    const pools = [...this.pools.values()];
    this.pools.clear();
    await Promise.all(pools.map((pool) => pool.close().catch(() => undefined)));
  }

  /** Aborts everything still running: the end of a drain that ran out of time. */
  async destroy(): Promise<void> {
    const pools = [...this.pools.values()];
    this.pools.clear();
    await Promise.all(pools.map((pool) => pool.destroy().catch(() => undefined)));
  }
}
