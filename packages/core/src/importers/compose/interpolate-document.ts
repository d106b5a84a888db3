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
export interface InterpolationValues {
  /** `.env` or the `--env-file` files. */
  dotenv: ReadonlyMap<string, string>;
  /** The shell's variables, which win over dotenv as in Compose. */
  shell: Readonly<Record<string, string | undefined>>;
  /** Whether --env-file replaced .env, for the hint. */
  envFileGiven: boolean;
  /** The first Compose file, beside which .env is read. */
  file: string;
}

export function interpolateDocument(root: Record<string, unknown>, values: InterpolationValues, reporter: Reporter): Record<string, unknown> {
  const reported = new Set<string>();
  const lookup = (name: string) => values.shell[name] ?? values.dotenv.get(name);
  const folder = values.file.replace(/[^\\/]*$/, '');
  const howToGive = (name: string) =>
    `give it a value with \`slipway import --env-file <file>\`, a line ${name}=… in ${values.envFileGiven ? 'the --env-file files' : `${folder}.env`}, or an environment variable ${name} of the shell that runs slipway import`;

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
    // An error about this value downstream ("" is not a port) is really about the unset variable.
    if (result.unset.length) reporter.noteValue(path, `\${${result.unset[0]}} is not set, and ${JSON.stringify(value)} needs it: ${howToGive(result.unset[0]!)}`);
    for (const name of result.unset) {
      if (reported.has(name)) continue;
      reported.add(name);
      reporter.warn(path, `\${${name}} is not set; it is replaced by an empty string, as Compose does — ${howToGive(name)}`);
    }
    for (const { name, message } of result.required) {
      // Compose refuses to start without it, so the importer does too.
      reporter.error(path, `\${${name}} must be set${message ? ` (${message})` : ''}: ${howToGive(name)}`);
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
