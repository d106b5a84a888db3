import { request } from 'undici';
import { parseRouteStreamEvent } from '@slipway/contract';
import type { RouteTable } from './route-table.ts';
import { SseParser } from './sse-parser.ts';
import { RouteStreamApplier } from './route-stream-applier.ts';
import { readRouteTableCache, writeRouteTableCache } from './route-table-cache.ts';
import { silentLogger, type RouterLogger } from './router-context.ts';

// How a standalone router (`slipway router`) keeps its table: it subscribes to the control plane's
// route stream (server-sent events of RouteStreamEvent: the table in chunks, then changes, each with
// its version) and applies each event as it comes, between requests (route-stream-applier.ts). The
// stream can break at any time; the router then keeps serving what it has, reconnects with growing
// delays, and asks to resume after the last version it holds completely (Last-Event-ID), so the
// control plane can send only what changed or a fresh snapshot.

export interface FollowRouteStreamOptions {
  /** The control plane's route stream URL. */
  url: string;
  /** Bearer token of the router. */
  token?: string;
  table: RouteTable;
  /** Where the last full table is kept between restarts; no persistence when absent. */
  cacheFile?: string;
  /** First reconnection delay; doubles per failed attempt up to maxBackoffMs. */
  minBackoffMs?: number;
  maxBackoffMs?: number;
  /** Reconnect when nothing (not even a heartbeat comment) arrived for this long. */
  idleTimeoutMs?: number;
  /** Delay that batches cache writes when events come in bursts. */
  cacheWriteDelayMs?: number;
  logger?: RouterLogger;
  /** Called each time the table reaches a new version: a change, or the end of a snapshot (tests and the embedding process). */
  onApplied?: (version: number) => void;
}

export interface RouteStreamFollower {
  /** Resolves once the cache file was loaded (or found absent): the table is then as good as it gets offline. */
  cacheLoaded: Promise<void>;
  /** Whether the stream is connected right now. */
  readonly connected: boolean;
  /** Disconnects, stops reconnecting and writes the cache one last time. */
  stop(): Promise<void>;
}

export function followRouteStream(options: FollowRouteStreamOptions): RouteStreamFollower {
  const { table, cacheFile } = options;
  const logger = options.logger ?? silentLogger;
  const minBackoff = options.minBackoffMs ?? 250;
  const maxBackoff = options.maxBackoffMs ?? 30_000;
  let stopped = false;
  let connected = false;
  let abort: AbortController | undefined;
  let retryTimer: NodeJS.Timeout | undefined;
  let wakeRetry: (() => void) | undefined;
  /** The server's `retry:` field: never reconnect sooner than it asks. */
  let retryFloor = 0;

  // Cache writes: at most one in flight, and one more queued with the newest table.
  let cacheTimer: NodeJS.Timeout | undefined;
  let cacheWriting: Promise<void> = Promise.resolve();
  let cachedVersion = -1;
  const writeCache = (): Promise<void> => {
    if (!cacheFile) return Promise.resolve();
    cacheWriting = cacheWriting.then(async () => {
      if (table.version === cachedVersion) return;
      const snapshot = table.snapshot();
      try {
        await writeRouteTableCache(cacheFile, snapshot);
        cachedVersion = snapshot.version;
      } catch (error) {
        logger.warn({ cacheFile, error: (error as Error).message }, 'cannot write the route table cache');
      }
    });
    return cacheWriting;
  };
  const scheduleCacheWrite = (): void => {
    if (!cacheFile || cacheTimer) return;
    cacheTimer = setTimeout(() => {
      cacheTimer = undefined;
      void writeCache();
    }, options.cacheWriteDelayMs ?? 200);
  };

  const cacheLoaded = (async () => {
    if (!cacheFile) return;
    const { snapshot, problem } = await readRouteTableCache(cacheFile);
    if (problem) logger.warn({ cacheFile, problem }, 'ignoring the route table cache');
    // The stream may have delivered something newer while the file was being read.
    if (snapshot && table.version === 0) {
      table.apply(snapshot);
      cachedVersion = snapshot.version;
      logger.info({ cacheFile, version: snapshot.version, routes: snapshot.routes.length }, 'serving the cached route table');
    }
  })();

  const connectOnce = async (): Promise<boolean> => {
    abort = new AbortController();
    const headers: Record<string, string> = { accept: 'text/event-stream', 'cache-control': 'no-cache' };
    if (options.token) headers.authorization = `Bearer ${options.token}`;
    if (table.version > 0) headers['last-event-id'] = String(table.version);
    const response = await request(options.url, {
      method: 'GET',
      headers,
      signal: abort.signal,
      headersTimeout: 30_000,
      bodyTimeout: options.idleTimeoutMs ?? 60_000,
    });
    if (response.statusCode !== 200) {
      const text = (await response.body.text().catch(() => '')).slice(0, 200);
      logger.warn({ url: options.url, status: response.statusCode, body: text }, 'route stream refused');
      return false;
    }
    connected = true;
    let receivedEvent = false;
    const applier = new RouteStreamApplier(table);
    const resumedFrom = table.version;
    const stream = response.body;
    const parser = new SseParser((sse) => {
      let json: unknown;
      try {
        json = JSON.parse(sse.data);
      } catch {
        logger.warn({ event: sse.event, id: sse.id }, 'route stream event is not JSON; skipped');
        return;
      }
      const parsed = parseRouteStreamEvent(json);
      if (!parsed.success) {
        logger.warn({ event: sse.event, id: sse.id, issue: parsed.issue }, 'route stream event does not match the contract; skipped');
        return;
      }
      const outcome = applier.apply(parsed.data);
      switch (outcome.kind) {
        case 'change':
          receivedEvent = true;
          scheduleCacheWrite();
          options.onApplied?.(outcome.version);
          break;
        case 'snapshot-begin':
          logger.info({ version: outcome.version, environments: outcome.environments, routes: outcome.routes, ...(resumedFrom > 0 ? { had: resumedFrom } : {}) }, 'receiving the route table');
          break;
        case 'snapshot-end':
          receivedEvent = true;
          logger.info({ version: outcome.version, environments: outcome.environments, changed: outcome.written, removed: outcome.removed, ms: Math.round(outcome.ms) }, 'route table snapshot applied');
          scheduleCacheWrite();
          options.onApplied?.(outcome.version);
          break;
        case 'closing':
          logger.warn({ version: outcome.version, reason: outcome.reason }, 'the control plane closed the route stream');
          break;
        case 'out-of-order':
          // The stream is not what the contract says: start over from what the table holds.
          logger.warn({ problem: outcome.problem, version: table.version }, 'route stream out of order; reconnecting');
          stream.destroy();
          break;
        case 'snapshot-chunk':
        case 'stale':
          break;
      }
    });
    if (resumedFrom > 0) logger.info({ from: resumedFrom }, 'route stream connected; resuming');
    try {
      for await (const chunk of stream) parser.push(chunk as Buffer);
    } finally {
      connected = false;
      if (parser.retryMs !== undefined) retryFloor = parser.retryMs;
      if (applier.loadingSnapshot) logger.warn({ version: table.version }, 'route stream broke in the middle of a snapshot; what arrived stays, the rest comes on resume');
    }
    return receivedEvent;
  };

  const run = async (): Promise<void> => {
    await cacheLoaded;
    let failures = 0;
    while (!stopped) {
      let healthy = false;
      try {
        healthy = await connectOnce();
      } catch (error) {
        if (!stopped) logger.warn({ url: options.url, error: (error as Error).message }, 'route stream disconnected');
      }
      if (stopped) break;
      failures = healthy ? 0 : failures + 1;
      // Full jitter, so a fleet of routers does not reconnect in lockstep after a control plane restart.
      const ceiling = Math.min(maxBackoff, minBackoff * 2 ** Math.min(failures, 16));
      const delay = Math.max(retryFloor, Math.round(ceiling / 2 + (Math.random() * ceiling) / 2));
      await new Promise<void>((resolve) => {
        wakeRetry = resolve;
        retryTimer = setTimeout(resolve, delay);
      });
    }
  };
  const running = run();

  return {
    cacheLoaded,
    get connected() {
      return connected;
    },
    async stop() {
      stopped = true;
      abort?.abort();
      if (retryTimer) clearTimeout(retryTimer);
      wakeRetry?.();
      await running;
      if (cacheTimer) {
        clearTimeout(cacheTimer);
        cacheTimer = undefined;
      }
      await writeCache();
    },
  };
}
