import { composeDurationMs, formatDuration } from './durations.ts';
import type { ProbeInput } from './manifest-input.ts';
import type { ComposePath, Reporter } from './reporter.ts';
import { describeValue, isRecord, scalarText } from './yaml-values.ts';

/** Slipway's default probe period, used when Compose gives no interval. */
const DEFAULT_PERIOD_MS = 2000;
const DEFAULT_RETRIES = 3;

/**
 * A Compose healthcheck becomes the service's readiness probe, since "healthy" is what
 * `depends_on: condition: service_healthy` waits for. `CMD` runs the words as given; `CMD-SHELL` and
 * the string form run through the shell, which is what a string `exec.command` means in a manifest.
 *
 * `start_period` is not an initial delay in Compose: probes run from the start, and a success during
 * the start period counts, but failures do not. So it becomes extra failures allowed
 * (failureThreshold = retries + start_period / period) rather than `initialDelay`, which would hold
 * every dependent back for the whole period. When Compose gives no interval or timeout, Slipway's
 * defaults (2s, 1s) apply rather than Compose's (30s, 30s): quicker readiness is the point here.
 */
export function convertHealthcheck(raw: unknown, path: ComposePath, reporter: Reporter): ProbeInput | undefined {
  if (raw === null || raw === undefined) return undefined;
  if (!isRecord(raw)) {
    reporter.error(path, `expected a healthcheck mapping (test, interval, timeout, retries, start_period), got ${describeValue(raw)}`);
    return undefined;
  }
  if (raw.disable === true) return undefined;
  const command = testCommand(raw.test, [...path, 'test'], reporter);
  if (!command) return undefined;

  const probe: ProbeInput = { exec: { command } };
  const duration = (key: string): number | undefined => {
    if (raw[key] === undefined || raw[key] === null) return undefined;
    const ms = composeDurationMs(raw[key]);
    if (ms === undefined) reporter.warn([...path, key], `${describeValue(raw[key])} is not a duration such as 10s or 1m30s; it is left out`);
    return ms;
  };
  const interval = duration('interval');
  const timeout = duration('timeout');
  const startPeriod = duration('start_period');
  if (interval) probe.period = formatDuration(interval);
  if (timeout) probe.timeout = formatDuration(timeout);

  let retries = DEFAULT_RETRIES;
  if (raw.retries !== undefined && raw.retries !== null) {
    if (typeof raw.retries === 'number' && Number.isInteger(raw.retries) && raw.retries >= 1) retries = raw.retries;
    else reporter.warn([...path, 'retries'], `expected a whole number of at least 1, got ${describeValue(raw.retries)}; ${DEFAULT_RETRIES} is used`);
  }
  const startAllowance = startPeriod ? Math.ceil(startPeriod / (interval || DEFAULT_PERIOD_MS)) : 0;
  if (retries + startAllowance !== DEFAULT_RETRIES) probe.failureThreshold = retries + startAllowance;
  if (raw.start_interval !== undefined) {
    reporter.warn([...path, 'start_interval'], 'start_interval has no equivalent: the probe runs at one period throughout', { atKey: true });
  }
  return probe;
}

function testCommand(test: unknown, path: ComposePath, reporter: Reporter): string | string[] | undefined {
  if (test === undefined || test === null) {
    // Compose then keeps the image's HEALTHCHECK, which Slipway does not read.
    reporter.warn(path.slice(0, -1), "the healthcheck has no test (Compose would use the image's HEALTHCHECK, which Slipway does not read); no readiness probe is made");
    return undefined;
  }
  if (typeof test === 'string') return test.trim() ? test : emptyTest(path, reporter);
  if (!Array.isArray(test)) {
    reporter.error(path, `expected the test as a string or a list such as ["CMD", "pg_isready"], got ${describeValue(test)}`);
    return undefined;
  }
  const words = test.map((w) => scalarText(w));
  if (words.some((w) => w === undefined)) {
    reporter.error(path, 'expected every item of the test to be a string');
    return undefined;
  }
  const [kind, ...rest] = words as string[];
  if (kind === 'NONE') return undefined;
  if (kind === 'CMD') return rest.length ? rest : emptyTest(path, reporter);
  if (kind === 'CMD-SHELL') {
    const script = rest.join(' ');
    return script.trim() ? script : emptyTest(path, reporter);
  }
  reporter.error(path, `a test list starts with "CMD", "CMD-SHELL" or "NONE", got ${JSON.stringify(kind ?? '')}`);
  return undefined;
}

function emptyTest(path: ComposePath, reporter: Reporter): undefined {
  reporter.warn(path, 'the healthcheck test is empty; no readiness probe is made');
  return undefined;
}
