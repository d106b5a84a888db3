import type { DependencyInput } from './manifest-input.ts';
import type { ComposePath, Reporter } from './reporter.ts';
import { describeValue, isRecord } from './yaml-values.ts';

const CONDITIONS: Record<string, 'started' | 'ready' | 'completed'> = {
  service_started: 'started',
  service_healthy: 'ready',
  service_completed_successfully: 'completed',
};

/**
 * `depends_on` in list or map form. The list form becomes a bare name, which in Slipway waits for
 * readiness: stricter than Compose's "started", and what almost every Compose file means by it (the
 * web app should not start before its database accepts connections). The map form keeps its
 * condition: service_started → started, service_healthy → ready (the bare name),
 * service_completed_successfully → completed; an entry without a condition reads like the list form.
 *
 * `names` maps Compose service names to the manifest's DNS-label names.
 */
export function convertDependsOn(raw: unknown, path: ComposePath, names: ReadonlyMap<string, string>, reporter: Reporter): DependencyInput[] {
  const deps = new Map<string, DependencyInput>();
  const add = (service: string, condition: 'started' | 'ready' | 'completed', at: ComposePath) => {
    const name = names.get(service);
    if (name === undefined) {
      reporter.error(at, `depends on "${service}", which is not a service of this file`);
      return;
    }
    if (!deps.has(name)) deps.set(name, condition === 'ready' ? name : { name, condition });
  };

  if (Array.isArray(raw)) {
    raw.forEach((item, i) => {
      if (typeof item === 'string') add(item, 'ready', [...path, i]);
      else reporter.error([...path, i], `expected a service name, got ${describeValue(item)}`);
    });
  } else if (isRecord(raw)) {
    for (const [service, options] of Object.entries(raw)) {
      const at = [...path, service];
      const written = isRecord(options) ? options.condition : undefined;
      if (options !== null && !isRecord(options)) {
        reporter.error(at, `expected { condition: service_started | service_healthy | service_completed_successfully }, got ${describeValue(options)}`);
        continue;
      }
      // Without a condition, as for the list form: wait for readiness.
      let condition: 'started' | 'ready' | 'completed' = 'ready';
      if (written !== undefined) {
        condition = CONDITIONS[String(written)] ?? 'ready';
        if (!CONDITIONS[String(written)]) {
          reporter.warn([...at, 'condition'], `unknown condition ${describeValue(written)}; expected service_started, service_healthy or service_completed_successfully — it waits for readiness`);
        }
      }
      add(service, condition, at);
    }
  } else if (raw !== null && raw !== undefined) {
    reporter.error(path, `expected a list of service names or a mapping of service: { condition }, got ${describeValue(raw)}`);
  }
  return [...deps.values()];
}
