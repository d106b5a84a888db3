import { dnsLabel } from '@slipway/contract';
import type { PortInput } from './manifest-input.ts';
import { describe, flag, isRawMap, scalarText, wholeNumber } from './raw-values.ts';
import type { Path, SourceFile } from './source-file.ts';

/** A converted port, with the port Release's Kubernetes service exposed it on (rules name that one). */
export interface ConvertedPort {
  spec: PortInput;
  servicePort: number;
}

/**
 * Ports that are clearly not HTTP, so the router must not route hostnames to them. Anything else is
 * taken as HTTP, which is what most Release node_ports are.
 */
const tcpPorts: Record<number, string> = {
  25: 'SMTP',
  465: 'SMTP',
  587: 'SMTP',
  1025: 'SMTP',
  1433: 'SQL Server',
  1521: 'Oracle',
  2181: 'ZooKeeper',
  2888: 'ZooKeeper',
  3888: 'ZooKeeper',
  3306: 'MySQL',
  33060: 'MySQL X',
  4222: 'NATS',
  4317: 'OTLP gRPC',
  5432: 'PostgreSQL',
  5672: 'AMQP',
  6379: 'Redis',
  6650: 'Pulsar',
  7687: 'Neo4j Bolt',
  9042: 'Cassandra',
  9092: 'Kafka',
  9093: 'Kafka',
  9300: 'Elasticsearch transport',
  11211: 'Memcached',
  27017: 'MongoDB',
};

/** Ports whose meaning depends on the image: 9000 is HTTP for MinIO but the native protocol of ClickHouse. */
const tcpPortsByImage: [RegExp, number[], string][] = [[/clickhouse/i, [9000, 9009, 9440], 'ClickHouse native']];

export function judgeProtocol(port: number, image: string | undefined): { protocol: 'http' | 'tcp'; reason?: string } {
  for (const [pattern, ports, reason] of tcpPortsByImage) {
    if (image && pattern.test(image) && ports.includes(port)) return { protocol: 'tcp', reason };
  }
  const reason = tcpPorts[port];
  return reason ? { protocol: 'tcp', reason } : { protocol: 'http' };
}

const portKeys = new Set(['type', 'port', 'target_port', 'loadbalancer', 'name', 'protocol']);

/**
 * Release ports (node_port: reachable from outside through its hostnames; container_port: inside
 * the environment only) become the ports the container listens on: target_port when there is one,
 * else port. Slipway has one port number per port, so other services reach the container port.
 */
export function convertPorts(src: SourceFile, raw: unknown[], path: Path, owner: { name: string; image?: string }): ConvertedPort[] {
  const out: ConvertedPort[] = [];
  raw.forEach((item, i) => {
    const at: Path = [...path, i];
    const bare = wholeNumber(item);
    const entry = isRawMap(item) ? item : bare !== undefined ? { port: bare } : undefined;
    if (!entry) {
      src.warn(at, `expected a port as { type, port, target_port }, got ${describe(item)}; ignored`);
      return;
    }
    const servicePort = wholeNumber(entry.port);
    const targetPort = wholeNumber(entry.target_port);
    const port = targetPort ?? servicePort;
    if (port === undefined || port < 1 || port > 65535) {
      src.warn(at, `port ${describe(entry.target_port ?? entry.port)} is not a number from 1 to 65535; ignored`);
      return;
    }
    const type = scalarText(entry.type);
    if (type !== undefined && type !== 'node_port' && type !== 'container_port') {
      src.warn([...at, 'type'], `port type "${type}" is not node_port or container_port; read as a port the container listens on`);
    }
    if (servicePort !== undefined && targetPort !== undefined && servicePort !== targetPort) {
      src.warn(
        at,
        `Release exposed container port ${targetPort} of "${owner.name}" as port ${servicePort}; in Slipway other services reach it on ${targetPort}, so update addresses such as ${owner.name}:${servicePort}`,
      );
    }
    if (flag(entry.loadbalancer) === true) {
      src.warn([...at, 'loadbalancer'], 'Slipway creates no cloud load balancer; the port is reached through the router at the service\'s hostnames');
    }
    for (const key of Object.keys(entry)) {
      if (!portKeys.has(key)) src.warn([...at, key], `port field "${key}" has no Slipway equivalent; ignored`);
    }
    if (out.some((p) => p.spec.port === port)) {
      src.warn(at, `port ${port} is listed twice; the second is dropped`);
      return;
    }
    const spec: PortInput = { port };
    const name = scalarText(entry.name);
    if (name !== undefined && dnsLabel.safeParse(name).success) spec.name = name;
    else if (name !== undefined) src.warn([...at, 'name'], `port name "${name}" is not a lowercase DNS label; dropped`);
    const declared = scalarText(entry.protocol)?.toLowerCase();
    if (declared === 'udp') spec.protocol = 'udp';
    else if (judgeProtocol(port, owner.image).protocol === 'tcp') spec.protocol = 'tcp';
    out.push({ spec, servicePort: servicePort ?? port });
  });
  return out;
}
