import { dnsLabel } from '@slipway/contract';
import type { PortInput } from './manifest-input.ts';
import type { ComposePath, Reporter } from './reporter.ts';
import { describeValue, isRecord, scalarText } from './yaml-values.ts';

/**
 * Compose `ports` publish a container port on the host; `expose` only documents it for other
 * services. Slipway has no host ports: a service's ports are its container ports, reached by the other
 * services on the environment's network and, for http ports, through the router at the service's
 * hostnames. So the host port and host address are dropped, and the container port is kept.
 */

/** Ports that speak something other than HTTP, so the router must not be put in front of them. */
const NON_HTTP_PORTS: ReadonlyMap<number, string> = new Map([
  [21, 'FTP'],
  [22, 'SSH'],
  [25, 'SMTP'],
  [53, 'DNS'],
  [110, 'POP3'],
  [143, 'IMAP'],
  [389, 'LDAP'],
  [443, 'HTTPS (TLS ends in the container)'],
  [465, 'SMTP'],
  [587, 'SMTP'],
  [636, 'LDAPS'],
  [993, 'IMAPS'],
  [995, 'POP3S'],
  [1433, 'SQL Server'],
  [1521, 'Oracle'],
  [1883, 'MQTT'],
  [2181, 'ZooKeeper'],
  [3306, 'MySQL'],
  [4222, 'NATS'],
  [5044, 'Beats'],
  [5432, 'PostgreSQL'],
  [5671, 'AMQP'],
  [5672, 'AMQP'],
  [6379, 'Redis'],
  [6380, 'Redis'],
  [7000, 'Cassandra'],
  [7687, 'Neo4j Bolt'],
  [8443, 'HTTPS (TLS ends in the container)'],
  [8883, 'MQTT'],
  [9042, 'Cassandra'],
  [9092, 'Kafka'],
  [9093, 'Kafka'],
  [9300, 'Elasticsearch transport'],
  [11211, 'Memcached'],
  [25565, 'Minecraft'],
  [26257, 'CockroachDB'],
  [27017, 'MongoDB'],
  [27018, 'MongoDB'],
  [28015, 'RethinkDB'],
  [29092, 'Kafka'],
  [33060, 'MySQL X'],
]);

/** http for ordinary ports, so the router serves them; tcp for well-known non-HTTP ports; udp as declared. */
export function protocolFor(port: number, declared: 'tcp' | 'udp'): PortInput['protocol'] {
  if (declared === 'udp') return 'udp';
  return NON_HTTP_PORTS.has(port) ? 'tcp' : 'http';
}

export interface ConvertedPorts {
  ports: PortInput[];
  /** Whether any port came from `ports` (published) rather than only from `expose`. */
  published: boolean;
}

interface Found {
  port: number;
  protocol: PortInput['protocol'];
  name?: string;
  path: ComposePath;
  /** Published to every address: a port bound to a loopback address was meant for this machine only. */
  published?: boolean;
}

export function convertPorts(service: Record<string, unknown>, path: ComposePath, reporter: Reporter): ConvertedPorts {
  const found: Found[] = [];
  let published = false;
  for (const [field, read] of [
    ['ports', readPublished],
    ['expose', readExposed],
  ] as const) {
    const raw = service[field];
    if (raw === undefined || raw === null) continue;
    if (!Array.isArray(raw)) {
      reporter.error([...path, field], `expected a list of ports, got ${describeValue(raw)}`);
      continue;
    }
    raw.forEach((item, i) => {
      const port = read(item, [...path, field, i], reporter);
      if (!port) return;
      found.push(port);
      if (field === 'ports' && port.published !== false) published = true;
    });
  }
  return { ports: dedupe(found, reporter), published };
}

/** One entry per container port: Slipway's checks refuse a port listed twice, even for tcp and udp. */
function dedupe(found: Found[], reporter: Reporter): PortInput[] {
  const byPort = new Map<number, PortInput>();
  for (const { port, protocol, name, path } of found) {
    const seen = byPort.get(port);
    if (!seen) {
      byPort.set(port, { port, ...(protocol !== 'http' ? { protocol } : {}), ...(name ? { name } : {}) });
      continue;
    }
    const seenProtocol = seen.protocol ?? 'http';
    if (seenProtocol === protocol) continue;
    // The router can only use a tcp or http port; udp between containers works without being listed.
    if (seenProtocol === 'udp') {
      if (protocol === 'http') delete seen.protocol;
      else seen.protocol = protocol;
    }
    reporter.warn(path, `port ${port} is listed for both tcp and udp; a Slipway port has one protocol, so it is kept as ${seen.protocol ?? 'http'} (udp between services still works)`);
  }
  return [...byPort.values()];
}

function readPublished(item: unknown, path: ComposePath, reporter: Reporter): Found | undefined {
  if (isRecord(item)) return readLongSyntax(item, path, reporter);
  const text = scalarText(item);
  if (text === undefined) {
    reporter.error(path, `expected a port such as "8080:80" or { target: 80 }, got ${describeValue(item)}`);
    return undefined;
  }
  const [spec = '', declared = 'tcp'] = text.trim().split('/');
  let rest = spec;
  let hostIp: string | undefined;
  const bracketed = /^\[([^\]]*)\]:(.*)$/.exec(rest);
  if (bracketed) {
    hostIp = bracketed[1];
    rest = bracketed[2]!;
  }
  const fields = rest.split(':');
  if (fields.length > 3 || /[[\]]/.test(rest)) {
    reporter.error(path, `${JSON.stringify(text)} is not a port: expected [HOST_IP:][HOST_PORT:]CONTAINER_PORT[/PROTOCOL]`);
    return undefined;
  }
  if (fields.length === 3) hostIp = fields[0];
  warnHostIp(hostIp, path, reporter);
  const found = container(fields[fields.length - 1]!, declared, text, path, reporter);
  return found && { ...found, published: !isLoopback(hostIp) };
}

function readExposed(item: unknown, path: ComposePath, reporter: Reporter): Found | undefined {
  const text = scalarText(item);
  if (text === undefined) {
    reporter.error(path, `expected a port such as 3306 or "3306/tcp", got ${describeValue(item)}`);
    return undefined;
  }
  const [port = '', declared = 'tcp'] = text.trim().split('/');
  return container(port, declared, text, path, reporter);
}

function readLongSyntax(item: Record<string, unknown>, path: ComposePath, reporter: Reporter): Found | undefined {
  const target = scalarText(item.target);
  if (target === undefined) {
    reporter.error(item.target === undefined ? path : [...path, 'target'], `a port in the long syntax needs target: the port the container listens on`);
    return undefined;
  }
  const hostIp = scalarText(item.host_ip);
  warnHostIp(hostIp, [...path, 'host_ip'], reporter);
  const declared = scalarText(item.protocol) ?? 'tcp';
  const found = container(target, declared, target, [...path, 'target'], reporter);
  if (!found) return undefined;
  found.published = !isLoopback(hostIp);
  const appProtocol = scalarText(item.app_protocol)?.toLowerCase();
  if (appProtocol && found.protocol !== 'udp') found.protocol = appProtocol === 'http' || appProtocol === 'http2' ? 'http' : 'tcp';
  const name = scalarText(item.name);
  if (name && dnsLabel.safeParse(name).success) found.name = name;
  return found;
}

function isLoopback(hostIp: string | undefined): boolean {
  return hostIp !== undefined && (hostIp.startsWith('127.') || hostIp === '::1' || hostIp === 'localhost');
}

function warnHostIp(hostIp: string | undefined, path: ComposePath, reporter: Reporter): void {
  if (!hostIp || hostIp === '0.0.0.0' || hostIp === '::') return;
  reporter.warn(
    path,
    isLoopback(hostIp)
      ? `the port is bound to ${hostIp}, for this machine only; Slipway has no host ports — other services reach it on the environment's network, and, like an expose-only port, it does not give the service a hostname`
      : `the port is bound to the host address ${hostIp}; Slipway has no host ports — other services reach it on the environment's network, and an http port is also reachable at the service's hostname`,
  );
}

function container(raw: string, declared: string, written: string, path: ComposePath, reporter: Reporter): Found | undefined {
  const protocol = declared.toLowerCase();
  if (protocol !== 'tcp' && protocol !== 'udp') {
    if (protocol === 'sctp') reporter.warn(path, `${JSON.stringify(written)}: sctp ports have no equivalent; the port is left out`);
    else reporter.error(path, `${JSON.stringify(written)}: unknown protocol ${JSON.stringify(declared)}; expected tcp or udp`);
    return undefined;
  }
  const range = /^(\d+)-(\d+)$/.exec(raw.trim());
  if (range && range[1] !== range[2]) {
    reporter.warn(path, `${JSON.stringify(written)} is a port range; Slipway lists ports one by one, so it is left out — add the ports the service listens on`);
    return undefined;
  }
  const digits = range ? range[1]! : raw.trim();
  const port = /^\d+$/.test(digits) ? Number(digits) : NaN;
  if (!(port >= 1 && port <= 65535)) {
    reporter.error(path, `${JSON.stringify(written)} is not a port: expected a number from 1 to 65535`);
    return undefined;
  }
  return { port, protocol: protocolFor(port, protocol), path };
}
