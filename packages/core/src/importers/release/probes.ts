import type { PortInput, ProbeInput } from './manifest-input.ts';
import { judgeProtocol } from './ports.ts';
import { commandOf, describe, isRawMap, scalarText, secondsToDuration, wholeNumber, type RawMap } from './raw-values.ts';
import type { Path, SourceFile } from './source-file.ts';

/** Kubernetes field names, as Release documents them, and the snake_case its generated templates use. */
const timings = [
  { names: ['initialDelaySeconds', 'initial_delay_seconds'], field: 'initialDelay' },
  { names: ['periodSeconds', 'period_seconds'], field: 'period' },
  { names: ['timeoutSeconds', 'timeout_seconds'], field: 'timeout' },
] as const;
const thresholds = [
  { names: ['failureThreshold', 'failure_threshold'], field: 'failureThreshold' },
  { names: ['successThreshold', 'success_threshold'], field: 'successThreshold' },
] as const;
const kinds = {
  exec: ['exec'],
  http: ['httpGet', 'http_get'],
  tcp: ['tcpSocket', 'tcp_socket'],
} as const;
const known = new Set<string>([...timings.flatMap((t) => t.names), ...thresholds.flatMap((t) => t.names), ...Object.values(kinds).flat()]);

/** Slipway's defaults for the fields Kubernetes also defaults: only differing values are written. */
const slipwayDefaults = { initialDelay: '0s', period: '2s', timeout: '1s', failureThreshold: 3, successThreshold: 1 };
/**
 * What Kubernetes (so Release) uses when a field is absent. Its period is 10 s where Slipway's is
 * 2 s, so an absent periodSeconds is written out to keep Release's pace.
 */
const kubernetesSeconds = { initialDelay: 0, period: 10, timeout: 1 };

/**
 * A Release (Kubernetes) readiness or liveness probe as a Slipway probe. A probe on a port the
 * service does not list adds that port, because the container listens there and Slipway checks
 * probe ports against the service's ports.
 */
export function convertProbe(src: SourceFile, raw: unknown, path: Path, ports: PortInput[], image: string | undefined): ProbeInput | undefined {
  if (raw === undefined || raw === null) return undefined;
  if (!isRawMap(raw)) {
    src.warn(path, `expected a probe as a mapping (exec or httpGet with periodSeconds, …), got ${describe(raw)}; ignored`);
    return undefined;
  }
  const given = (Object.keys(kinds) as (keyof typeof kinds)[]).flatMap((kind) => kinds[kind].filter((k) => raw[k] !== undefined).map((k) => [kind, k] as const));
  if (given.length !== 1) {
    const grpc = raw.grpc !== undefined ? '; grpc probes have no Slipway equivalent' : '';
    src.warn(path, `a probe needs exactly one of exec, httpGet or tcpSocket, got ${given.length === 0 ? 'none' : given.map(([, k]) => k).join(' and ')}${grpc}; the probe is dropped`);
    return undefined;
  }
  const [kind, key] = given[0]!;
  const probe = checkOf(src, kind, raw[key], [...path, key], ports, image);
  if (!probe) return undefined;

  for (const { names, field } of timings) {
    const name = names.find((n) => raw[n] !== undefined);
    const seconds = name === undefined ? undefined : readCount(src, raw[name], [...path, name], 0);
    const value = secondsToDuration(seconds ?? kubernetesSeconds[field]);
    if (value !== slipwayDefaults[field]) probe[field] = value;
  }
  for (const { names, field } of thresholds) {
    const name = names.find((n) => raw[n] !== undefined);
    const count = name === undefined ? undefined : readCount(src, raw[name], [...path, name], 1);
    if (count !== undefined && count !== slipwayDefaults[field]) probe[field] = count;
  }
  for (const k of Object.keys(raw)) {
    if (!known.has(k)) src.warn([...path, k], `probe field "${k}" has no Slipway equivalent; ignored`);
  }
  return probe;
}

function checkOf(
  src: SourceFile,
  kind: keyof typeof kinds,
  raw: unknown,
  path: Path,
  ports: PortInput[],
  image: string | undefined,
): ProbeInput | undefined {
  const body: RawMap = isRawMap(raw) ? raw : {};
  if (kind === 'exec') {
    const command = commandOf(body.command);
    if (!command) {
      src.warn(path, 'an exec probe needs a command; the probe is dropped');
      return undefined;
    }
    return { exec: { command } };
  }
  const port = probePort(src, body.port, [...path, 'port'], ports, kind, image);
  if (port === null) return undefined;
  if (kind === 'tcp') return { tcp: port === undefined ? {} : { port } };
  const http: NonNullable<ProbeInput['http']> = {};
  const probePath = scalarText(body.path);
  if (probePath !== undefined && probePath !== '/') http.path = probePath.startsWith('/') ? probePath : `/${probePath}`;
  if (port !== undefined) http.port = port;
  const headers = body.httpHeaders ?? body.http_headers;
  if (Array.isArray(headers)) {
    const map: Record<string, string> = {};
    for (const h of headers) {
      if (isRawMap(h) && typeof h.name === 'string') map[h.name] = scalarText(h.value) ?? '';
    }
    if (Object.keys(map).length) http.headers = map;
  }
  if (scalarText(body.scheme)?.toUpperCase() === 'HTTPS') src.warn(path, 'Slipway probes speak plain HTTP; the HTTPS scheme is dropped');
  return { http };
}

/** The probe's port: a number the service lists (added when missing), undefined for the first port, null to drop the probe. */
function probePort(
  src: SourceFile,
  raw: unknown,
  path: Path,
  ports: PortInput[],
  kind: 'http' | 'tcp',
  image: string | undefined,
): number | undefined | null {
  if (raw === undefined || raw === null) {
    if (ports.length > 0) return undefined;
    src.warn(path, `an ${kind} probe without a port needs a service port, and the service lists none; the probe is dropped`);
    return null;
  }
  const port = wholeNumber(raw);
  if (port === undefined || port < 1 || port > 65535) {
    // A named port ("http") refers to a Kubernetes container port name, which Release services do not declare.
    if (ports.length > 0) {
      src.warn(path, `probe port ${describe(raw)} is not a number; the service's first port (${ports[0]!.port}) is probed`);
      return undefined;
    }
    src.warn(path, `probe port ${describe(raw)} is not a number and the service lists no port; the probe is dropped`);
    return null;
  }
  if (!ports.some((p) => p.port === port)) {
    const spec: PortInput = { port };
    if (kind === 'tcp' && judgeProtocol(port, image).protocol === 'tcp') spec.protocol = 'tcp';
    ports.push(spec);
    src.warn(path, `the probe checks port ${port}, which the service does not list; it is added to the service's ports`);
  }
  return port;
}

function readCount(src: SourceFile, raw: unknown, path: Path, min: number): number | undefined {
  const n = wholeNumber(raw);
  if (n === undefined || n < min) {
    src.warn(path, `expected a whole number of at least ${min}, got ${describe(raw)}; ignored`);
    return undefined;
  }
  return n;
}
