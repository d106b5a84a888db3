import { isRecord, scalarText, type PlainRecord } from './yaml-values.ts';

/**
 * Compose's merge of one service definition over another, used both for `extends` (the service over
 * its base) and for several files (`-f a -f b`, an override file): mappings merge key by key,
 * scalars of the later definition win, lists are appended — except where Compose merges a list by
 * a key of its items or replaces it, as listed here (compose-spec, "Merge and override").
 */
export function mergeService(base: PlainRecord, over: PlainRecord): PlainRecord {
  const out: PlainRecord = { ...base };
  for (const [key, value] of Object.entries(over)) {
    const previous = out[key];
    out[key] = previous === undefined || previous === null ? value : mergeServiceKey(key, previous, value);
  }
  return out;
}

function mergeServiceKey(key: string, base: unknown, over: unknown): unknown {
  switch (key) {
    // Replaced whole: a command is one command, and profiles say when this definition runs.
    case 'command':
    case 'entrypoint':
    case 'profiles':
    case 'image':
      return over;
    case 'environment':
    case 'labels':
    case 'annotations':
    case 'sysctls':
      return mergeKeyValues(base, over);
    case 'build':
      return mergeBuild(base, over);
    case 'depends_on':
      return mergeDependsOn(base, over);
    case 'ports':
      return unique([...list(base), ...list(over)], (item) => JSON.stringify(item));
    case 'volumes':
      return mergeByKey(base, over, volumeTarget);
    case 'secrets':
    case 'configs':
      return mergeByKey(base, over, fileReferenceTarget);
    case 'env_file':
    case 'expose':
    case 'dns':
    case 'dns_search':
    case 'tmpfs':
    case 'cap_add':
    case 'cap_drop':
    case 'extra_hosts':
      return unique([...list(base), ...list(over)], (item) => JSON.stringify(item));
    case 'healthcheck':
      // healthcheck.test is a command: replaced, not appended.
      return isRecord(base) && isRecord(over) ? { ...base, ...over } : over;
    default:
      return mergeValues(base, over);
  }
}

/** The default rule: mappings recursively, lists appended, anything else replaced. */
export function mergeValues(base: unknown, over: unknown): unknown {
  if (isRecord(base) && isRecord(over)) {
    const out: PlainRecord = { ...base };
    for (const [key, value] of Object.entries(over)) out[key] = key in out && value !== null ? mergeValues(out[key], value) : value;
    return out;
  }
  if (Array.isArray(base) && Array.isArray(over)) return [...base, ...over];
  return over;
}

function list(value: unknown): unknown[] {
  return Array.isArray(value) ? value : value === undefined || value === null ? [] : [value];
}

function unique(items: unknown[], key: (item: unknown) => string): unknown[] {
  const seen = new Map<string, unknown>();
  for (const item of items) {
    const k = key(item);
    seen.set(k, item);
  }
  return [...seen.values()];
}

/** `environment` and `labels` in list (KEY=value) or mapping form, as one mapping; later keys win. */
function mergeKeyValues(base: unknown, over: unknown): unknown {
  const a = asKeyValues(base);
  const b = asKeyValues(over);
  return a && b ? { ...a, ...b } : over;
}

function asKeyValues(value: unknown): PlainRecord | undefined {
  if (isRecord(value)) return value;
  if (!Array.isArray(value)) return undefined;
  const out: PlainRecord = {};
  for (const item of value) {
    const text = scalarText(item);
    if (text === undefined) return undefined;
    const equals = text.indexOf('=');
    if (equals < 0) out[text] = null;
    else out[text.slice(0, equals)] = text.slice(equals + 1);
  }
  return out;
}

/** `build: ./dir` is `build: { context: ./dir }`. */
function mergeBuild(base: unknown, over: unknown): unknown {
  const a = typeof base === 'string' ? { context: base } : base;
  const b = typeof over === 'string' ? { context: over } : over;
  if (!isRecord(a) || !isRecord(b)) return over;
  const out = mergeValues(a, b) as PlainRecord;
  if (a.args !== undefined && b.args !== undefined) out.args = mergeKeyValues(a.args, b.args);
  return out;
}

/** Both lists: the union. Otherwise one mapping, where a listed name is an entry with no condition. */
function mergeDependsOn(base: unknown, over: unknown): unknown {
  if (Array.isArray(base) && Array.isArray(over)) return unique([...base, ...over], (item) => String(item));
  const asMap = (value: unknown): PlainRecord | undefined =>
    isRecord(value) ? value : Array.isArray(value) ? Object.fromEntries(value.map((name) => [String(name), {}])) : undefined;
  const a = asMap(base);
  const b = asMap(over);
  return a && b ? mergeValues(a, b) : over;
}

/** Volumes and secrets merge by where they are mounted: a later mount at the same target replaces. */
function mergeByKey(base: unknown, over: unknown, key: (item: unknown) => string | undefined): unknown {
  const out = new Map<string, unknown>();
  let anonymous = 0;
  for (const item of [...list(base), ...list(over)]) {
    const k = key(item) ?? `#${anonymous++}`;
    // A replaced mount keeps its place, as in Compose's output.
    out.set(k, item);
  }
  return [...out.values()];
}

function volumeTarget(item: unknown): string | undefined {
  if (isRecord(item)) return scalarText(item.target);
  const text = scalarText(item);
  if (text === undefined) return undefined;
  const parts = text.split(':');
  // "src:target[:mode]", or a bare "target" for an anonymous volume.
  return parts.length === 1 ? parts[0] : parts[1];
}

function fileReferenceTarget(item: unknown): string | undefined {
  if (isRecord(item)) return scalarText(item.target) ?? scalarText(item.source);
  return scalarText(item);
}
