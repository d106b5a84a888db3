import { envVarName } from '@slipway/contract';

/** What the parsers give back: they return problems instead of throwing, each saying what was wrong. */
export interface Parsed<T> {
  value: T;
  errors: string[];
}

const MAX_VALUE_LENGTH = 65_536;

/**
 * Parses `NAME=VALUE` arguments (from `--var` or `envs config-set`). The value is everything after
 * the first "=", and may be empty or hold more "="; a name given twice is a mistake, not an override.
 */
export function parseAssignments(args: readonly string[]): Parsed<Record<string, string>> {
  const value: Record<string, string> = {};
  const errors: string[] = [];
  for (const arg of args) {
    const eq = arg.indexOf('=');
    if (eq === -1) {
      errors.push(`${JSON.stringify(arg)}: expected NAME=VALUE, but there is no "="${envVarName.safeParse(arg).success ? ` (to remove ${arg}, use --unset ${arg})` : ''}`);
      continue;
    }
    const name = arg.slice(0, eq);
    const text = arg.slice(eq + 1);
    if (name === '') {
      errors.push(`${JSON.stringify(arg)}: the name before "=" is empty`);
      continue;
    }
    const nameProblem = variableNameProblem(name);
    if (nameProblem) {
      errors.push(`${JSON.stringify(arg)}: ${nameProblem}`);
      continue;
    }
    if (text.length > MAX_VALUE_LENGTH) {
      errors.push(`${name}: the value is ${text.length} characters long; at most ${MAX_VALUE_LENGTH} are allowed`);
      continue;
    }
    if (Object.hasOwn(value, name)) {
      errors.push(`${name} is given twice (${JSON.stringify(`${name}=${value[name]}`)} and ${JSON.stringify(arg)}); give it once`);
      continue;
    }
    value[name] = text;
  }
  return { value, errors };
}

/** Parses the names given to `--unset`. */
export function parseNames(args: readonly string[]): Parsed<string[]> {
  const errors: string[] = [];
  for (const name of args) {
    if (name.includes('=')) errors.push(`--unset ${name}: give only the name to remove, without "=" (${name.slice(0, name.indexOf('='))})`);
    else {
      const problem = variableNameProblem(name);
      if (problem) errors.push(`--unset ${JSON.stringify(name)}: ${problem}`);
    }
  }
  return { value: errors.length ? [] : [...new Set(args)], errors };
}

function variableNameProblem(name: string): string | undefined {
  if (envVarName.safeParse(name).success) return undefined;
  if (/^[0-9]/.test(name)) return `${JSON.stringify(name)} is not a variable name: it starts with a digit`;
  const bad = [...name].find((c) => !/[A-Za-z0-9_.-]/.test(c));
  return `${JSON.stringify(name)} is not a variable name: ${JSON.stringify(bad)} is not allowed (use letters, digits, "_", "." and "-")`;
}

export interface VariableChanges {
  variables: Record<string, string>;
  /** Names whose value was added or replaced with a different one. */
  changed: string[];
  removed: string[];
  /** Names given to --unset that were not set: worth a warning, not a failure. */
  notSet: string[];
}

/**
 * The environment's variables after `config-set`: the current ones, with `set` applied and `unset`
 * removed. A name both set and unset is reported as a problem by the caller before this is reached.
 */
export function mergeVariables(current: Readonly<Record<string, string>>, set: Readonly<Record<string, string>>, unset: readonly string[]): VariableChanges {
  const variables = { ...current };
  const changed: string[] = [];
  const removed: string[] = [];
  const notSet: string[] = [];
  for (const [name, value] of Object.entries(set)) {
    if (variables[name] !== value) changed.push(name);
    variables[name] = value;
  }
  for (const name of unset) {
    if (Object.hasOwn(variables, name)) {
      delete variables[name];
      removed.push(name);
    } else notSet.push(name);
  }
  return { variables, changed, removed, notSet };
}
