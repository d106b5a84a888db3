import type { z } from 'zod';
import { didYouMean } from './did-you-mean.ts';

/** A problem located by its path in a document; the loader turns the path into line and column. */
export interface DocumentIssue {
  severity: 'error' | 'warning';
  path: (string | number)[];
  message: string;
  /** Point at the key rather than its value (unknown keys). */
  atKey?: boolean;
  /** Other parts of the document the finding was drawn from; it is withdrawn when one of them was invalid. */
  basis?: (string | number)[][];
  /** Point at this text inside the string value (its n-th occurrence, from 0), such as a $NAME of a command. */
  within?: { text: string; occurrence: number };
}

type Issue = z.core.$ZodIssue;
type Def = { type: string; [k: string]: unknown };

/** Converts zod's issues into readable ones: what was expected, what was found, and a likely fix. */
export function describeZodIssues(schema: z.ZodType, issues: readonly Issue[]): DocumentIssue[] {
  const out: DocumentIssue[] = [];
  for (const issue of issues) out.push(...describeIssue(schema, issue, []));
  return out;
}

function describeIssue(schema: z.ZodType, issue: Issue, prefix: (string | number)[]): DocumentIssue[] {
  const path = [...prefix, ...(issue.path as (string | number)[])];
  const input = (issue as { input?: unknown }).input;
  switch (issue.code) {
    case 'unrecognized_keys': {
      const known = knownKeysAt(schema, path);
      return issue.keys.map((key) => ({
        severity: 'error' as const,
        path: [...path, key],
        atKey: true,
        message: `unknown key "${key}"${unknownKeyHint(key, known)}`,
      }));
    }
    case 'invalid_union': {
      if (!isDefaultMessage(issue.message)) return [{ severity: 'error', path, message: withGot(issue.message, input) }];
      // Report the alternative that came closest: the one with the fewest problems.
      const best = [...issue.errors].sort((a, b) => a.length - b.length)[0];
      if (!best || best.length === 0) return [{ severity: 'error', path, message: `invalid value${got(input)}` }];
      return best.flatMap((inner) => describeIssue(schema, inner, path));
    }
    case 'invalid_type': {
      if (input === undefined) {
        return [{ severity: 'error', path, message: `missing required field: expected ${expectedText(issue)}` }];
      }
      const message = isDefaultMessage(issue.message) ? `expected ${expectedText(issue)}` : issue.message;
      return [{ severity: 'error', path, message: withGot(message, input) }];
    }
    case 'invalid_value': {
      const values = issue.values.map((v) => JSON.stringify(v));
      const expected = values.length === 1 ? values[0] : `one of ${values.join(', ')}`;
      const hint = typeof input === 'string' ? didYouMean(input, issue.values.map(String)) : '';
      return [{ severity: 'error', path, message: `expected ${expected}${got(input)}${hint}` }];
    }
    case 'too_small':
    case 'too_big': {
      if (!isDefaultMessage(issue.message)) return [{ severity: 'error', path, message: withGot(issue.message, input) }];
      return [{ severity: 'error', path, message: `${sizeText(issue)}${got(input)}` }];
    }
    case 'custom':
      // A refinement's message already says what is wrong with the whole value.
      return [{ severity: 'error', path, message: issue.message }];
    default: {
      const message = isDefaultMessage(issue.message) ? `invalid value` : issue.message;
      return [{ severity: 'error', path, message: withGot(message, input) }];
    }
  }
}

function unknownKeyHint(key: string, known: string[]): string {
  if (known.length === 0) return '';
  const hint = didYouMean(key, known);
  if (hint) return hint;
  return known.length <= 16 ? `; expected one of: ${known.join(', ')}` : '';
}

const defaultMessagePrefixes = ['Invalid input', 'Invalid option', 'Too small', 'Too big', 'Unrecognized key', 'Invalid string', 'Invalid'];
function isDefaultMessage(message: string): boolean {
  return defaultMessagePrefixes.some((p) => message.startsWith(p));
}

function expectedText(issue: Extract<Issue, { code: 'invalid_type' }>): string {
  const names: Record<string, string> = {
    string: 'text',
    number: 'a number',
    int: 'a whole number',
    boolean: 'true or false',
    object: 'a mapping (key: value)',
    array: 'a list',
    record: 'a mapping (key: value)',
    never: 'nothing here',
  };
  return names[issue.expected] ?? issue.expected;
}

function sizeText(issue: Extract<Issue, { code: 'too_small' | 'too_big' }>): string {
  const bound = issue.code === 'too_small' ? issue.minimum : issue.maximum;
  const relation = issue.code === 'too_small' ? 'at least' : 'at most';
  switch (issue.origin) {
    case 'array':
    case 'set':
      return `expected ${relation} ${bound} item${Number(bound) === 1 ? '' : 's'}`;
    case 'string':
      return `expected ${relation} ${bound} character${Number(bound) === 1 ? '' : 's'}`;
    default:
      return `expected a number ${issue.code === 'too_small' ? (issue.inclusive ? '>=' : '>') : issue.inclusive ? '<=' : '<'} ${bound}`;
  }
}

function got(input: unknown): string {
  if (input === undefined) return '';
  return `, got ${describeValue(input)}`;
}

function withGot(message: string, input: unknown): string {
  return message.includes(', got ') ? message : `${message}${got(input)}`;
}

/** A short, readable rendering of a value found in a document. */
export function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  if (typeof value === 'string') return JSON.stringify(value.length > 60 ? `${value.slice(0, 57)}...` : value);
  return String(value);
}

/** The keys an object schema accepts at `path` of the data, following arrays, records, unions and wrappers. */
export function knownKeysAt(schema: z.ZodType, path: ReadonlyArray<string | number>): string[] {
  const shape = shapeAt(schema, path, 0);
  return shape ? Object.keys(shape) : [];
}

function shapeAt(schema: unknown, path: ReadonlyArray<string | number>, depth: number): Record<string, unknown> | undefined {
  if (depth > 100) return undefined;
  const def = (schema as { _zod?: { def: Def } })._zod?.def;
  if (!def) return undefined;
  switch (def.type) {
    case 'object': {
      const shape = def.shape as Record<string, unknown>;
      if (path.length === 0) return shape;
      const next = shape[String(path[0])];
      return next ? shapeAt(next, path.slice(1), depth + 1) : undefined;
    }
    case 'array':
      return path.length === 0 ? undefined : shapeAt(def.element, path.slice(1), depth + 1);
    case 'record':
      return path.length === 0 ? undefined : shapeAt(def.valueType, path.slice(1), depth + 1);
    case 'union': {
      for (const option of def.options as unknown[]) {
        const found = shapeAt(option, path, depth + 1);
        if (found) return found;
      }
      return undefined;
    }
    case 'pipe':
      return shapeAt(def.in, path, depth + 1);
    case 'lazy':
      return shapeAt((def.getter as () => unknown)(), path, depth + 1);
    default:
      return 'innerType' in def ? shapeAt(def.innerType, path, depth + 1) : undefined;
  }
}
