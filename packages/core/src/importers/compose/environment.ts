import { envVarName } from '@slipway/contract';
import { parseDotenv } from './dotenv.ts';
import { hasReferences, parseComposeTemplate, plainText, type ComposePart } from './interpolation.ts';
import type { ComposePath, Reporter } from './reporter.ts';
import { describeValue, isRecord, scalarText } from './yaml-values.ts';

/** A service variable as read: a plain value, or a value Compose would interpolate. */
export type EnvEntry =
  | { kind: 'value'; value: string | number | boolean }
  | { kind: 'template'; parts: ComposePart[]; source: string; path: ComposePath };

export type ReadFile = (relativePath: string) => string | undefined;

/**
 * A service's variables from `env_file` (in order, later files win) and then `environment`, which
 * wins over them, as in Compose. References such as `${TZ}` are kept for env-placement.ts to decide.
 */
export function readServiceEnvironment(
  service: Record<string, unknown>,
  path: ComposePath,
  readFile: ReadFile | undefined,
  reporter: Reporter,
): Map<string, EnvEntry> {
  const env = new Map<string, EnvEntry>();
  if (service.env_file !== undefined) readEnvFiles(service.env_file, [...path, 'env_file'], readFile, reporter, env);
  if (service.environment !== undefined) readEnvironment(service.environment, [...path, 'environment'], reporter, env);
  return env;
}

function readEnvironment(raw: unknown, path: ComposePath, reporter: Reporter, env: Map<string, EnvEntry>): void {
  if (Array.isArray(raw)) {
    raw.forEach((item, i) => {
      const text = scalarText(item);
      if (text === undefined) {
        reporter.error([...path, i], `expected KEY=value, got ${describeValue(item)}`);
        return;
      }
      const equals = text.indexOf('=');
      const key = equals < 0 ? text : text.slice(0, equals);
      set(env, key, equals < 0 ? undefined : text.slice(equals + 1), [...path, i], reporter, true);
    });
  } else if (isRecord(raw)) {
    for (const [key, value] of Object.entries(raw)) {
      const itemPath = [...path, key];
      if (value === null || value === undefined) set(env, key, undefined, itemPath, reporter, true);
      else if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') set(env, key, value, itemPath, reporter, true);
      else reporter.error(itemPath, `expected a text, number or boolean value for ${key}, got ${describeValue(value)}`);
    }
  } else if (raw !== null) {
    reporter.error(path, `expected a mapping of variables or a list of KEY=value, got ${describeValue(raw)}`);
  }
}

function set(
  env: Map<string, EnvEntry>,
  key: string,
  value: string | number | boolean | undefined,
  path: ComposePath,
  reporter: Reporter,
  interpolate: boolean,
  origin = '',
): void {
  if (!envVarName.safeParse(key).success) {
    reporter.warn(
      path,
      `${origin}variable ${JSON.stringify(key)} is left out: Slipway's variable names are letters, digits, "_", "." and "-", not starting with a digit`,
    );
    return;
  }
  if (value === undefined) {
    // A bare KEY passes the variable through from Compose's own environment: the same as KEY=${KEY}.
    env.set(key, { kind: 'template', parts: [{ kind: 'ref', name: key, operator: '', argument: [] }], source: '${' + key + '}', path });
    return;
  }
  if (typeof value !== 'string' || !value.includes('$') || !interpolate) {
    env.set(key, { kind: 'value', value });
    return;
  }
  const parsed = parseComposeTemplate(value);
  for (const problem of parsed.problems) reporter.warn(path, `${origin}${problem}; ${key} is kept as written`);
  if (parsed.problems.length) env.set(key, { kind: 'value', value });
  else if (hasReferences(parsed.parts)) env.set(key, { kind: 'template', parts: parsed.parts, source: value, path });
  else env.set(key, { kind: 'value', value: plainText(parsed.parts) });
}

function readEnvFiles(raw: unknown, path: ComposePath, readFile: ReadFile | undefined, reporter: Reporter, env: Map<string, EnvEntry>): void {
  const items = Array.isArray(raw) ? raw : [raw];
  items.forEach((item, i) => {
    const itemPath = Array.isArray(raw) ? [...path, i] : path;
    const spec = typeof item === 'string' ? { path: item, required: true } : isRecord(item) ? { path: item.path, required: item.required !== false } : undefined;
    if (!spec || typeof spec.path !== 'string' || spec.path === '') {
      reporter.error(itemPath, `expected the path of a variables file, or { path, required }, got ${describeValue(item)}`);
      return;
    }
    const text = readSafely(readFile, spec.path);
    if (text === undefined) {
      // Compose itself skips a missing optional file without a word.
      if (spec.required) {
        reporter.warn(
          itemPath,
          readFile
            ? `env_file ${spec.path} could not be read; its variables are not imported`
            : `env_file ${spec.path} was not read (the importer was given no way to read files); its variables are not imported`,
        );
      }
      return;
    }
    const parsed = parseDotenv(text);
    for (const problem of parsed.problems) reporter.warn(itemPath, `${spec.path}:${problem.line}: ${problem.message}`);
    for (const entry of parsed.entries) {
      // Problems of a line of the env file are reported at the env_file entry that names the file.
      set(env, entry.key, entry.value, itemPath, reporter, !entry.literal, `${spec.path}:${entry.line}: `);
    }
  });
}

/** The caller's reader may throw (permissions, a folder); that is the same as an unreadable file here. */
export function readSafely(readFile: ReadFile | undefined, relativePath: string): string | undefined {
  if (!readFile) return undefined;
  try {
    return readFile(relativePath);
  } catch {
    return undefined;
  }
}
