import type { ComposePath, Reporter } from './reporter.ts';
import { hasReferences, parseComposeTemplate, resolveComposeTemplate } from './interpolation.ts';
import { CONVERTED_SERVICE_KEYS } from './service.ts';
import { isRecord } from './yaml-values.ts';

/** Top-level keys whose values end up in the manifest; the others are only warned about. */
const IMPORTED_TOP_LEVEL = new Set(['name', 'services', 'volumes', 'secrets', 'configs']);

/**
 * Fills `${VAR}` references everywhere except in service variables, as Compose does when it loads a
 * file, reading values from `.env` (the shell that ran Compose is not the environment's). Service
 * variables are left for environment.ts, which can keep them as Slipway templates instead.
 * Fields that are not imported (extension fields `x-…`, labels, networks…) are left alone, so that an
 * unset variable is only reported where its value matters.
 */
export function interpolateDocument(root: Record<string, unknown>, dotenv: ReadonlyMap<string, string>, reporter: Reporter): Record<string, unknown> {
  const reported = new Set<string>();
  const lookup = (name: string) => dotenv.get(name);

  const visit = (value: unknown, path: ComposePath): unknown => {
    if (typeof value === 'string') return interpolateString(value, path);
    if (Array.isArray(value)) return value.map((item, i) => visit(item, [...path, i]));
    if (!isRecord(value)) return value;
    const out: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) {
      const childPath = [...path, key];
      out[key] = skipped(childPath) ? item : visit(item, childPath);
    }
    return out;
  };

  const interpolateString = (value: string, path: ComposePath): string => {
    if (!value.includes('$')) return value;
    const parsed = parseComposeTemplate(value);
    for (const problem of parsed.problems) reporter.warn(path, `${problem}; it is kept as written`);
    if (parsed.problems.length) return value;
    const result = resolveComposeTemplate(parsed.parts, lookup);
    if (!hasReferences(parsed.parts)) return result.value;
    for (const name of result.unset) {
      if (reported.has(name)) continue;
      reported.add(name);
      reporter.warn(
        path,
        `\${${name}} has no value here: Compose reads it from the shell or .env when it starts; it is replaced by an empty string, as Compose does for an unset variable — edit the imported value`,
      );
    }
    for (const { name, message } of result.required) {
      reporter.warn(path, `\${${name}} must be set (${message || 'Compose refuses to start without it'}); it is replaced by an empty string — edit the imported value`);
    }
    return result.value;
  };

  return visit(root, []) as Record<string, unknown>;
}

function skipped(path: ComposePath): boolean {
  const key = String(path[path.length - 1]);
  if (key.startsWith('x-')) return true;
  if (path.length === 1) return !IMPORTED_TOP_LEVEL.has(key);
  // Service variables are interpolated by environment.ts, which can keep them as templates.
  if (path.length === 3 && path[0] === 'services') return key === 'environment' || !CONVERTED_SERVICE_KEYS.has(key);
  return false;
}
