import type { Writable } from 'node:stream';
import { routeStreamEventToSse, type RouteStreamEvent } from '@slipway/contract';
import type { EnvironmentChange, RouteHub, RouteTableAt } from './route-hub.ts';

// One follower's route stream: what to send it next, and when. It writes only while the socket
// takes more (`write()` returning true) and otherwise waits for 'drain', so a follower that reads
// slowly gets the stream at its own pace instead of piling the table up in the server's memory:
//
// - a snapshot goes out one chunk at a time, each chunk serialised only when the socket wants it;
// - changes that arrive meanwhile wait in a map keyed by environment, so ten changes of one
//   environment while the follower is behind are sent as the newest one (each replaces it whole);
// - when more environments are waiting than `maxPendingChanges`, the map is dropped and, once the
//   follower catches up, rebuilt from the hub's "changes since the version it holds" (or a new
//   snapshot): memory per follower stays bounded, and nothing is ever skipped;
// - only a follower that takes nothing at all for `stallTimeoutMs` is closed, with a `closing`
//   event saying why; it resumes from its version like after any disconnect.

export interface RouteStreamSessionOptions {
  hub: RouteHub;
  /** The response the events go to (headers already sent). */
  out: Writable;
  /** The version the follower holds (Last-Event-ID), if any. */
  lastVersion: number | undefined;
  /** The size a snapshot chunk stays under (unless one environment alone is larger). */
  maxEventBytes?: number;
  /** How many environments' changes may wait for a slow follower before they are dropped and recomputed. */
  maxPendingChanges?: number;
  /** How long a follower may take nothing while events wait before it is closed. */
  stallTimeoutMs?: number;
  /** Time between heartbeat comments while nothing is sent. */
  heartbeatMs?: number;
  log?: (level: 'info' | 'warn', details: object, message: string) => void;
  /** Told the size of everything written to the follower (events, heartbeats), for the server's metrics. */
  onBytes?: (bytes: number) => void;
}

export interface RouteStreamSession {
  /** Sends a `closing` event with the reason and ends the stream. */
  close(reason: string): void;
  /** What the session holds right now (tests and metrics). */
  readonly state: { sentVersion: number; pending: number; coalesced: number; overflows: number; snapshots: number; sendingSnapshot: boolean; waitingForDrain: boolean };
}

export const DEFAULT_MAX_EVENT_BYTES = 64 * 1024;
export const DEFAULT_MAX_PENDING_CHANGES = 10_000;
export const DEFAULT_STALL_TIMEOUT_MS = 60_000;
const DEFAULT_HEARTBEAT_MS = 15_000;
/** How long a closed stream may take to flush its `closing` event before its socket is cut. */
const CLOSE_GRACE_MS = 5_000;

const keyOf = (change: EnvironmentChange): string => `${change.app}/${change.envId}`;

export function openRouteStreamSession(options: RouteStreamSessionOptions): RouteStreamSession {
  const { hub, out } = options;
  const maxEventBytes = options.maxEventBytes ?? DEFAULT_MAX_EVENT_BYTES;
  const maxPending = options.maxPendingChanges ?? DEFAULT_MAX_PENDING_CHANGES;
  const stallTimeoutMs = options.stallTimeoutMs ?? DEFAULT_STALL_TIMEOUT_MS;
  const log = options.log ?? (() => undefined);
  const counted = (text: string): string => {
    options.onBytes?.(Buffer.byteLength(text));
    return text;
  };

  /** The version the follower holds completely: the last change or snapshot-end written. */
  let sentVersion = options.lastVersion ?? -1;
  let snapshot: { at: RouteTableAt; next: number; carry?: string } | undefined;
  let pending = new Map<string, EnvironmentChange>();
  /** Set when pending overflowed: recompute from the hub once the follower takes more. */
  let overflowed = false;
  let waitingForDrain = false;
  let finished = false;
  let stallTimer: NodeJS.Timeout | undefined;
  let coalesced = 0;
  let overflows = 0;
  let snapshots = 0;

  const onDrain = (): void => {
    waitingForDrain = false;
    clearTimeout(stallTimer);
    pump();
  };
  const write = (event: RouteStreamEvent, data?: string): void => {
    if (out.write(counted(routeStreamEventToSse(event, data)))) return;
    waitingForDrain = true;
    out.once('drain', onDrain);
    clearTimeout(stallTimer);
    stallTimer = setTimeout(() => {
      const waiting = snapshot ? `a snapshot (${snapshot.at.environments.length - snapshot.next} of ${snapshot.at.environments.length} environments to go)` : `${overflowed ? 'more than ' : ''}${pending.size} changes`;
      close(`the follower took nothing for ${stallTimeoutMs >= 1000 ? `${Math.round(stallTimeoutMs / 1000)} s` : `${stallTimeoutMs} ms`} while ${waiting} waited; resume from version ${Math.max(0, sentVersion)}`);
    }, stallTimeoutMs);
    stallTimer.unref();
  };

  const beginSnapshot = (): void => {
    const at = hub.table();
    // Everything waiting is part of the table now.
    pending.clear();
    overflowed = false;
    snapshots += 1;
    snapshot = { at, next: 0 };
    write({ type: 'snapshot-begin', version: at.version, environments: at.environments.length, routes: at.routes });
  };

  const writeNextChunk = (): void => {
    const current = snapshot!;
    const { environments, version } = current.at;
    if (current.next >= environments.length && current.carry === undefined) {
      snapshot = undefined;
      sentVersion = version;
      write({ type: 'snapshot-end', version, environments: environments.length });
      return;
    }
    // Whole environments, each serialised once, until the next one would pass the size.
    const head = `{"type":"snapshot-chunk","version":${version},"routes":[`;
    const parts: string[] = [];
    let bytes = head.length + 2;
    for (;;) {
      let part = current.carry;
      current.carry = undefined;
      if (part === undefined) {
        if (current.next >= environments.length) break;
        part = JSON.stringify(environments[current.next++]!.routes).slice(1, -1);
      }
      if (parts.length > 0 && bytes + part.length + 1 > maxEventBytes) {
        current.carry = part;
        break;
      }
      parts.push(part);
      bytes += part.length + 1;
    }
    const data = `${head}${parts.join(',')}]}`;
    write({ type: 'snapshot-chunk', version, routes: [] }, data);
  };

  const pump = (): void => {
    while (!waitingForDrain && !finished) {
      if (snapshot) {
        writeNextChunk();
        continue;
      }
      if (overflowed) {
        overflowed = false;
        const changes = hub.changesSince(sentVersion < 0 ? undefined : sentVersion);
        if (!changes) beginSnapshot();
        else pending = new Map(changes.map((change) => [keyOf(change), change]));
        continue;
      }
      const next = pending.entries().next();
      if (next.done) return;
      const [key, change] = next.value;
      pending.delete(key);
      sentVersion = change.version;
      write(change);
    }
  };

  const onChange = (change: EnvironmentChange): void => {
    if (finished || overflowed) return;
    const key = keyOf(change);
    // Re-inserted, not updated in place: the map stays in version order, so the follower's
    // versions keep increasing and a coalesced environment goes out at its newest change's turn.
    if (pending.delete(key)) coalesced += 1;
    pending.set(key, change);
    if (pending.size > maxPending) {
      overflows += 1;
      log('warn', { pending: pending.size, version: sentVersion }, 'route stream follower is far behind; it will catch up from the hub instead of a queue');
      pending.clear();
      overflowed = true;
    }
    if (!waitingForDrain) pump();
  };

  const heartbeat = setInterval(() => {
    if (!waitingForDrain && !finished) out.write(counted(': ping\n\n'));
  }, options.heartbeatMs ?? DEFAULT_HEARTBEAT_MS);
  heartbeat.unref();

  // Subscribing and reading what changed in the same tick: no change can fall between them.
  const unsubscribe = hub.subscribe((event) => {
    if (event.type !== 'snapshot') onChange(event);
  });
  const finish = (): void => {
    if (finished) return;
    finished = true;
    clearInterval(heartbeat);
    clearTimeout(stallTimer);
    out.off('drain', onDrain);
    unsubscribe();
  };
  out.once('close', finish);

  const close = (reason: string): void => {
    if (finished) return;
    log('warn', { version: sentVersion, reason }, 'closing a route stream');
    const version = Math.max(0, sentVersion);
    finish();
    // Past any backpressure: the follower reads the reason if it reads anything at all.
    out.end(counted(routeStreamEventToSse({ type: 'closing', version, reason })));
    setTimeout(() => out.destroy(), CLOSE_GRACE_MS).unref();
  };

  const changes = hub.changesSince(options.lastVersion);
  if (changes) {
    for (const change of changes) pending.set(keyOf(change), change);
    log('info', { from: options.lastVersion, changes: changes.length }, 'route stream follower resumes');
  } else {
    beginSnapshot();
  }
  pump();

  return {
    close,
    get state() {
      return { sentVersion, pending: pending.size, coalesced, overflows, snapshots, sendingSnapshot: snapshot !== undefined, waitingForDrain };
    },
  };
}
