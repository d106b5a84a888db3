import type { IncomingMessage } from 'node:http';

// Headers that describe one connection, not the message (RFC 9110 §7.6.1): a proxy must not pass
// them on, and undici refuses some of them outright. Headers named in Connection are hop-by-hop too.
const hopByHop = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'proxy-authenticate',
  'proxy-authorization',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  // Node answers 100-continue itself before the request reaches us; the upstream must not wait for it.
  'expect',
]);

export interface ForwardingContext {
  /** The scheme the client used to reach the router. */
  proto: 'http' | 'https';
  /**
   * Keep X-Forwarded-Proto/-Host the client sent: only when a trusted proxy stands in front of the
   * router. X-Forwarded-For is always appended to, which is safe: the last address is ours.
   */
  trustForwarded: boolean;
}

function namedInConnection(connection: string | undefined): Set<string> | undefined {
  if (!connection) return undefined;
  const names = connection.toLowerCase().split(',').map((name) => name.trim()).filter((name) => name && name !== 'close' && name !== 'keep-alive');
  return names.length > 0 ? new Set(names) : undefined;
}

export function clientAddress(req: IncomingMessage): string {
  const address = req.socket.remoteAddress ?? '';
  return address.startsWith('::ffff:') ? address.slice(7) : address;
}

/**
 * The request headers to send upstream, as a flat [name, value, …] list built from the raw headers
 * so duplicates and the client's spelling survive. Host is kept: environments see the public host.
 * `keepUpgrade` keeps Connection/Upgrade for a WebSocket handshake, which is written on a raw socket.
 */
export function upstreamRequestHeaders(req: IncomingMessage, context: ForwardingContext, keepUpgrade = false): string[] {
  const raw = req.rawHeaders;
  const extraHopByHop = namedInConnection(req.headers.connection);
  const out: string[] = [];
  let forwardedFor: string | undefined;
  let forwardedProto: string | undefined;
  let forwardedHost: string | undefined;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!;
    const value = raw[i + 1]!;
    const lower = name.toLowerCase();
    if (hopByHop.has(lower) || extraHopByHop?.has(lower)) {
      if (keepUpgrade && (lower === 'upgrade' || lower === 'connection')) out.push(name, value);
      continue;
    }
    if (lower === 'x-forwarded-for') {
      forwardedFor = forwardedFor === undefined ? value : `${forwardedFor}, ${value}`;
      continue;
    }
    if (lower === 'x-forwarded-proto') {
      forwardedProto ??= value;
      continue;
    }
    if (lower === 'x-forwarded-host') {
      forwardedHost ??= value;
      continue;
    }
    out.push(name, value);
  }
  const client = clientAddress(req);
  out.push('x-forwarded-for', forwardedFor === undefined ? client : `${forwardedFor}, ${client}`);
  out.push('x-forwarded-proto', context.trustForwarded && forwardedProto ? forwardedProto : context.proto);
  const host = req.headers.host;
  const publicHost = context.trustForwarded && forwardedHost ? forwardedHost : host;
  if (publicHost) out.push('x-forwarded-host', publicHost);
  return out;
}

/**
 * The upstream's raw response headers ([name, value, …] buffers, as undici reads them) without
 * hop-by-hop ones, as the flat list `res.writeHead` accepts, plus the declared Content-Length.
 */
export function downstreamRawHeaders(raw: Buffer[] | string[]): { headers: string[]; contentLength: number } {
  const headers: string[] = [];
  let contentLength = -1;
  let extraHopByHop: Set<string> | undefined;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!.toString('latin1');
    const value = raw[i + 1]!.toString('latin1');
    const lower = name.toLowerCase();
    if (hopByHop.has(lower)) {
      if (lower === 'connection') extraHopByHop = namedInConnection(value);
      continue;
    }
    if (lower === 'content-length') contentLength = Number(value);
    headers.push(name, value);
  }
  if (!extraHopByHop) return { headers, contentLength };
  const kept: string[] = [];
  for (let i = 0; i < headers.length; i += 2) {
    if (!extraHopByHop.has(headers[i]!.toLowerCase())) kept.push(headers[i]!, headers[i + 1]!);
  }
  return { headers: kept, contentLength };
}
