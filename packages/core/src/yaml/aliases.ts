import { isAlias, isMap, isScalar, isSeq, Scalar, visit, type Alias, type Document, type LineCounter, type Node, type Pair } from 'yaml';
import type { Diagnostic } from '@slipway/contract';

/**
 * How many values aliases and merge keys may add to a document, per value written in it: an alias
 * of an anchored mapping of 30 values adds 30 (merging it with << too, even the keys the mapping
 * overrides, since reading them is work as well). A Compose file with an `x-common` anchor merged
 * into 130 services adds a few thousand; a "billion laughs" bomb adds billions.
 */
export const ALIAS_EXPANSION_PER_VALUE = 100;
/** The budget of a small file: what aliases may add however few values it writes. */
export const MIN_ALIAS_EXPANSION = 100_000;
/** The budget of any file, however large: past it, loading and validating would take seconds. */
export const MAX_ALIAS_EXPANSION = 1_000_000;

/** How many values aliases may add to a document that writes `written` values and aliases itself. */
export function aliasExpansionBudget(written: number): number {
  return Math.min(MAX_ALIAS_EXPANSION, Math.max(MIN_ALIAS_EXPANSION, written * ALIAS_EXPANSION_PER_VALUE));
}

export interface AliasCheck {
  errors: Diagnostic[];
  /** Values and aliases written in the document (every scalar, mapping, list and alias, once each). */
  written: number;
  /** Values its aliases add when expanded, as far as the check went. */
  expansion: number;
  budget: number;
  /** The node each alias names, for toPlain. */
  targets: Map<Alias, Node>;
}

/**
 * Checks what `doc.toJS()` would otherwise throw on, without a place: an alias of no anchor, an
 * alias inside the very node it names, a merge key `<<` on something other than mappings, and an
 * expansion beyond the budget. Each error is at the offending node, with what to do instead.
 *
 * The expanded size of every anchored node is computed once and remembered, so a bomb is measured,
 * never expanded: the work is linear in the size of the file. Once this passes, the document's
 * expanded size is bounded, and so is everything that walks its plain value.
 */
export function checkAliases(doc: Document.Parsed, lineCounter: LineCounter, file: string, maxDepth: number): AliasCheck {
  const anchorsWritten = new Map<string, number[]>();
  let written = 0;
  visit(doc, {
    Node: (_key, node) => {
      written++;
      if (isAlias(node) || !node.anchor) return;
      const offsets = anchorsWritten.get(node.anchor) ?? [];
      offsets.push(node.range?.[0] ?? 0);
      anchorsWritten.set(node.anchor, offsets);
    },
  });
  const budget = aliasExpansionBudget(written);
  const errors: Diagnostic[] = [];
  const at = (node: Node | null | undefined, fallback: number, message: string): void => {
    const offset = node?.range?.[0] ?? fallback;
    const { line, col } = lineCounter.linePos(offset);
    errors.push({ severity: 'error', file, line, column: col, message: `YAML: ${message}` });
  };

  /** Anchors defined so far, in document order: an alias names the last one before it. */
  const anchors = new Map<string, Node>();
  const targets = new Map<Alias, Node>();
  /** Expanded size of every anchored node walked to its end. */
  const sizes = new Map<Node, number>();
  /** Anchored nodes being walked: an alias of one of them is inside what it names. */
  const open = new Set<Node>();
  let expansion = 0;
  let stopped = false;

  const target = (alias: Alias): Node | undefined => {
    const node = anchors.get(alias.source);
    if (!node) {
      const later = anchorsWritten.get(alias.source)?.find((offset) => offset > (alias.range?.[0] ?? 0));
      const where = later === undefined ? 'no anchor' : `the anchor &${alias.source} only after it, on line ${lineCounter.linePos(later).line}`;
      at(alias, 0, `*${alias.source} names ${where}; define the anchor &${alias.source} before using *${alias.source}`);
      return undefined;
    }
    if (open.has(node)) {
      at(alias, 0, `*${alias.source} is inside the node anchored &${alias.source}, so it would contain itself; an alias can only repeat a node that ends before it`);
      return undefined;
    }
    targets.set(alias, node);
    return node;
  };

  /** The expanded size of `node`, adding what its aliases expand to the budget. */
  const walk = (node: Node | null | undefined, depth: number, fallback: number): number => {
    if (stopped || !node) return 1;
    if (isAlias(node)) {
      const source = target(node);
      const size = source ? (sizes.get(source) ?? 1) : 1;
      if (source && expansion + size > budget) {
        at(
          node,
          fallback,
          `aliases expand this document beyond ${budget.toLocaleString('en')} values, the limit for a file that writes ${written.toLocaleString('en')} values and aliases ` +
            `(${ALIAS_EXPANSION_PER_VALUE} for each, at least ${MIN_ALIAS_EXPANSION.toLocaleString('en')}, at most ${MAX_ALIAS_EXPANSION.toLocaleString('en')}); ` +
            `*${node.source} here adds ${size.toLocaleString('en')} values, after ${expansion.toLocaleString('en')} added before it. ` +
            'Aliases of aliases that multiply like this are how alias bombs look; repeat less, or write the values out',
        );
        stopped = true;
        return size;
      }
      expansion += size;
      return size;
    }
    if (depth > maxDepth) {
      at(node, fallback, `nested more than ${maxDepth} levels deep; manifests are limited to ${maxDepth}`);
      stopped = true;
      return 1;
    }
    if (node.anchor) {
      anchors.set(node.anchor, node);
      open.add(node);
    }
    let size = 1;
    const start = node.range?.[0] ?? fallback;
    if (isMap(node)) {
      for (const pair of node.items as Pair<Node | null, Node | null>[]) {
        size += walk(pair.key, depth + 1, start);
        const from = pair.key?.range?.[1] ?? start;
        size += walk(pair.value, depth + 1, from);
        if (isMergeKey(pair.key)) checkMergeSources(pair.value, pair.key?.range?.[0] ?? from);
      }
    } else if (isSeq(node)) {
      for (const item of node.items as (Node | null)[]) size += walk(item, depth + 1, start);
    }
    if (node.anchor) {
      open.delete(node);
      sizes.set(node, size);
    }
    return size;
  };

  /** A merge key takes a mapping, an alias of one, or a list of those (or an alias of such a list). */
  const checkMergeSources = (value: Node | null, fallback: number): void => {
    if (stopped) return;
    const hint = 'a merge key << takes a mapping or a list of mappings, as in <<: *defaults or <<: [*defaults, *limits]';
    const resolved = resolveKnown(value);
    if (resolved === undefined) return;
    if (isSeq(resolved)) {
      for (const item of resolved.items as (Node | null)[]) {
        const source = resolveKnown(item);
        if (source !== undefined && !isMap(source)) at(item, value?.range?.[0] ?? fallback, `${hint}; this item is ${describe(item, source)}`);
      }
    } else if (!isMap(resolved)) {
      // An empty value has no text to point at: point at its key.
      const empty = isScalar(value) && value.value === null && value.range?.[0] === value.range?.[1];
      at(empty ? null : value, fallback, `${hint}; got ${describe(value, resolved)}`);
    }
  };

  /** What an alias names if it names something that will not be reported on its own, else the node. */
  const resolveKnown = (node: Node | null): Node | null | undefined => {
    if (!isAlias(node)) return node;
    const source = anchors.get(node.source);
    return source && !open.has(source) ? source : undefined;
  };

  walk(doc.contents as Node | null, 0, 0);
  return { errors, written, expansion, budget, targets };
}

/**
 * The document as plain data, as `doc.toJS()` gives it, for a document that passed checkAliases:
 * an alias is the very value of the node it names, and a merge key copies the keys its mappings
 * have and the mapping lacks (earlier sources win). It resolves each alias through `targets` at
 * once, where yaml's toJS searches the document's anchors before it for every alias, which takes
 * quadratic time in a file of many aliases. Tagged YAML 1.1 collections (!!set, !!omap) come out
 * as the mapping or list they are written as.
 */
export function toPlain(doc: Document.Parsed, targets: ReadonlyMap<Alias, Node>): unknown {
  const done = new Map<Node, unknown>();
  const convert = (node: Node | null | undefined): unknown => {
    if (!node) return null;
    if (isAlias(node)) {
      const source = targets.get(node);
      if (!source) throw new Error(`*${node.source} was not checked`);
      return done.has(source) ? done.get(source) : convert(source);
    }
    if (isScalar(node)) return remember(node, node.value);
    if (isSeq(node)) {
      const list: unknown[] = remember(node, []);
      for (const item of node.items as (Node | null)[]) list.push(convert(item));
      return list;
    }
    if (isMap(node)) return fill(remember(node, {}), node);
    return remember(node, null);
  };
  const remember = <T>(node: Node, value: T): T => {
    if (node.anchor) done.set(node, value);
    return value;
  };
  const fill = (map: Record<string, unknown>, node: Node): Record<string, unknown> => {
    for (const pair of (node as { items: Pair<Node | null, Node | null>[] }).items) {
      if (isMergeKey(pair.key)) {
        const value = resolved(pair.value);
        const sources = isSeq(value) ? (value.items as (Node | null)[]).map(resolved) : [value];
        for (const source of sources) {
          // A fresh copy of the source, as yaml makes one: the merged values are not shared with it.
          for (const [key, v] of Object.entries(fill({}, source!))) if (!Object.hasOwn(map, key)) define(map, key, v);
        }
        continue;
      }
      define(map, keyString(convert(pair.key)), convert(pair.value));
    }
    return map;
  };
  const resolved = (node: Node | null): Node | null => (isAlias(node) ? (targets.get(node) ?? null) : node);
  return convert(doc.contents as Node | null);
}

/** Sets a key as an own property, even __proto__. */
function define(map: Record<string, unknown>, key: string, value: unknown): void {
  Object.defineProperty(map, key, { value, writable: true, enumerable: true, configurable: true });
}

/** A mapping key as yaml writes it into a plain object; a collection key becomes its JSON text. */
function keyString(key: unknown): string {
  if (key === null || key === undefined) return '';
  return typeof key === 'object' ? JSON.stringify(key) : String(key);
}

function describe(node: Node | null, resolved: Node | null): string {
  const what = resolved === null ? 'nothing' : isSeq(resolved) ? 'a list' : isScalar(resolved) ? describeScalar(resolved.value) : 'not a mapping';
  return isAlias(node) ? `*${node.source}, which is ${what}` : what;
}

function describeScalar(value: unknown): string {
  if (value === null) return 'nothing (null)';
  if (typeof value === 'string') return `the string ${JSON.stringify(value.length > 40 ? `${value.slice(0, 37)}...` : value)}`;
  if (typeof value === 'number' || typeof value === 'bigint') return `the number ${String(value)}`;
  if (typeof value === 'boolean') return `the boolean ${String(value)}`;
  return 'not a mapping';
}

/**
 * Whether `key` is the merge key: a plain `<<` (yaml 2.x resolves it to a symbol). A quoted "<<" is
 * an ordinary key, as the yaml library reads it.
 */
export function isMergeKey(key: unknown): boolean {
  if (!isScalar(key)) return false;
  const value = key.value;
  if (typeof value === 'symbol') return value.description === '<<';
  return value === '<<' && (!key.type || key.type === Scalar.PLAIN);
}
