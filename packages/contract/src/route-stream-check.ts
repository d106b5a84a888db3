import { ROUTE_HOST_PATTERN as HOST, ROUTE_PATH_PREFIX_PATTERN as PATH_PREFIX, routeStreamEvent, type RouteStreamEvent, type RouteTableEntry } from './route-table.ts';

// The route stream carries the whole table in snapshot chunks: 100,000 routes for a large
// installation. zod checks a route in a few microseconds and returns a copy of it, which at that
// size is most of a router's load time (and of its garbage collection). So chunks get a check that
// accepts exactly what the zod schemas accept and copies nothing; anything it does not accept goes
// to zod, which then says what is wrong, where. route-stream-check.test.ts holds the two to the
// same verdicts.

type Plain = Record<string, unknown>;
const isPlain = (value: unknown): value is Plain => typeof value === 'object' && value !== null && !Array.isArray(value);
const isText = (value: unknown): value is string => typeof value === 'string' && value.length > 0;
const isInt = (value: unknown): value is number => typeof value === 'number' && Number.isSafeInteger(value);

/** Whether `object` has no keys but `allowed` (strictObject); counts how many of them it has. */
function keysWithin(object: Plain, allowed: readonly string[]): number {
  let count = 0;
  for (const key in object) {
    if (!Object.hasOwn(object, key)) continue;
    if (!allowed.includes(key)) return -1;
    count++;
  }
  return count;
}

const ENTRY_KEYS = ['host', 'pathPrefix', 'app', 'envId', 'service', 'target', 'ingress'] as const;
const INGRESS_KEYS = ['public', 'timeoutMs', 'connectTimeoutMs', 'maxBodyBytes'] as const;
const ADDRESS_KEYS = ['host', 'port'] as const;
const UPSTREAM_KEYS = ['kind', 'addresses', 'stripPrefix'] as const;
const STATIC_KEYS = ['kind', 'root', 'spa'] as const;
const DEPLOYING_KEYS = ['kind'] as const;
const PAUSED_KEYS = ['kind', 'wake'] as const;
const CHUNK_KEYS = ['type', 'version', 'routes'] as const;

function isTarget(target: unknown): boolean {
  if (!isPlain(target)) return false;
  switch (target.kind) {
    case 'upstream': {
      const { addresses } = target;
      if (keysWithin(target, UPSTREAM_KEYS) !== 3 || typeof target.stripPrefix !== 'boolean' || !Array.isArray(addresses) || addresses.length === 0) return false;
      for (const address of addresses) {
        if (!isPlain(address) || keysWithin(address, ADDRESS_KEYS) !== 2 || !isText(address.host)) return false;
        const { port } = address;
        if (!isInt(port) || port < 1 || port > 65535) return false;
      }
      return true;
    }
    case 'static':
      return keysWithin(target, STATIC_KEYS) === 3 && isText(target.root) && typeof target.spa === 'boolean';
    case 'deploying':
      return keysWithin(target, DEPLOYING_KEYS) === 1;
    case 'paused':
      return keysWithin(target, PAUSED_KEYS) >= 1 && (target.wake === undefined || target.wake === true);
    default:
      return false;
  }
}

/** Whether `value` is a RouteTableEntry as `routeTableEntry` accepts it, checked in place. */
export function isRouteTableEntry(value: unknown): value is RouteTableEntry {
  if (!isPlain(value)) return false;
  const keys = keysWithin(value, ENTRY_KEYS);
  const hasService = Object.hasOwn(value, 'service');
  if (keys !== (hasService ? 7 : 6)) return false;
  if (hasService && value.service !== undefined && typeof value.service !== 'string') return false;
  const { host, pathPrefix, ingress } = value;
  if (typeof host !== 'string' || !HOST.test(host) || typeof pathPrefix !== 'string' || !PATH_PREFIX.test(pathPrefix)) return false;
  if (!isText(value.app) || !isText(value.envId) || !isTarget(value.target)) return false;
  if (!isPlain(ingress) || keysWithin(ingress, INGRESS_KEYS) !== 4 || typeof ingress.public !== 'boolean') return false;
  const { timeoutMs, connectTimeoutMs, maxBodyBytes } = ingress;
  return isInt(timeoutMs) && timeoutMs > 0 && isInt(connectTimeoutMs) && connectTimeoutMs > 0 && isInt(maxBodyBytes) && maxBodyBytes >= 0;
}

export type RouteStreamEventParse = { success: true; data: RouteStreamEvent } | { success: false; issue: string };

/**
 * A route stream event from its parsed JSON. Snapshot chunks that pass the in-place check are
 * returned as they are (not copied); everything else goes through zod, whose first issue, with its
 * path, is the message when it fails.
 */
export function parseRouteStreamEvent(json: unknown): RouteStreamEventParse {
  if (isPlain(json) && json.type === 'snapshot-chunk' && keysWithin(json, CHUNK_KEYS) === 3 && isInt(json.version) && json.version >= 0 && Array.isArray(json.routes)) {
    const routes: unknown[] = json.routes;
    let valid = true;
    for (const route of routes) {
      if (!isRouteTableEntry(route)) {
        valid = false;
        break;
      }
    }
    if (valid) return { success: true, data: json as RouteStreamEvent };
  }
  const parsed = routeStreamEvent.safeParse(json);
  if (parsed.success) return { success: true, data: parsed.data };
  const issue = parsed.error.issues[0];
  return { success: false, issue: issue ? `${issue.path.join('.') || '(event)'}: ${issue.message}` : 'not a route stream event' };
}
