import { formatDiagnostic } from '@slipway/contract';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { aliasExpansionBudget, MAX_ALIAS_EXPANSION, MIN_ALIAS_EXPANSION, parseYamlFile } from './yaml-file.ts';

function errorsOf(text: string): string[] {
  return parseYamlFile(text, 'app.yaml').errors.map(formatDiagnostic);
}

function valueOf(text: string): unknown {
  const parsed = parseYamlFile(text, 'app.yaml');
  expect(parsed.errors.map(formatDiagnostic)).toEqual([]);
  return parsed.value!.documents[0]!.value;
}

/** What the yaml library itself makes of a document, without its alias count. */
function libraryValue(text: string): unknown {
  return parseAllDocuments(text, { merge: true, uniqueKeys: true })[0]!.toJS({ maxAliasCount: -1 });
}

/** The classic "billion laughs": nine levels, each nine aliases of the level before. */
function billionLaughs(): string {
  const lines = ['lol0: &lol0 "lol"'];
  for (let i = 1; i <= 9; i++) lines.push(`lol${i}: &lol${i} [${Array(9).fill(`*lol${i - 1}`).join(', ')}]`);
  return `${lines.join('\n')}\n`;
}

describe('aliases', () => {
  it('locates an alias of no anchor, with what to do', () => {
    expect(errorsOf('a: 1\nb: *missing\n')).toEqual([
      'app.yaml:2:4: YAML: *missing names no anchor; define the anchor &missing before using *missing',
    ]);
  });

  it('says so when the anchor comes only after the alias', () => {
    expect(errorsOf('a: *base\nb: &base { x: 1 }\n')).toEqual([
      'app.yaml:1:4: YAML: *base names the anchor &base only after it, on line 2; define the anchor &base before using *base',
    ]);
  });

  it('locates an alias inside the node it names, which would contain itself', () => {
    expect(errorsOf('a: &a [1, *a]\n')).toEqual([
      'app.yaml:1:11: YAML: *a is inside the node anchored &a, so it would contain itself; an alias can only repeat a node that ends before it',
    ]);
    expect(errorsOf('a: &a\n  b: 1\n  <<: *a\n')[0]).toMatch(/^app\.yaml:3:7: YAML: \*a is inside the node anchored &a/);
  });

  it('follows the last anchor of a name before the alias, as YAML does', () => {
    expect(valueOf('a: &x 1\nb: *x\nc: &x 2\nd: *x\n')).toEqual({ a: 1, b: 1, c: 2, d: 2 });
  });

  it('gives an alias the very value it names, as yaml does', () => {
    const value = valueOf('base: &base { env: { A: 1 } }\ncopy: *base\n') as Record<string, unknown>;
    expect(value.copy).toBe(value.base);
  });
});

describe('merge keys', () => {
  const hint = 'a merge key << takes a mapping or a list of mappings, as in <<: *defaults or <<: [*defaults, *limits]';

  it('locates a merge of something other than a mapping at the value, with the right form', () => {
    expect(errorsOf('a:\n  <<: 3\n')).toEqual([`app.yaml:2:7: YAML: ${hint}; got the number 3`]);
    expect(errorsOf('a: { <<: hello }\n')).toEqual([`app.yaml:1:10: YAML: ${hint}; got the string "hello"`]);
    expect(errorsOf('x: &x 3\na:\n  <<: *x\n')).toEqual([`app.yaml:3:7: YAML: ${hint}; got *x, which is the number 3`]);
  });

  it('locates each list item that is not a mapping', () => {
    expect(errorsOf('d: &d { x: 1 }\na:\n  <<: [*d, 1, [2]]\n')).toEqual([
      `app.yaml:3:12: YAML: ${hint}; this item is the number 1`,
      `app.yaml:3:15: YAML: ${hint}; this item is a list`,
    ]);
  });

  it('points at the key of an empty merge', () => {
    expect(errorsOf('a:\n  <<:\n  b: 1\n')).toEqual([`app.yaml:2:3: YAML: ${hint}; got nothing (null)`]);
  });

  it('reports a merge of an unknown alias once, as the alias', () => {
    expect(errorsOf('a:\n  <<: [*nope]\n')).toEqual([
      'app.yaml:2:8: YAML: *nope names no anchor; define the anchor &nope before using *nope',
    ]);
  });

  it('merges as yaml does: explicit keys win, then earlier sources; merged values are copies', () => {
    const text = [
      'd: &d { x: 1, y: { z: 2 } }',
      'e: &e { x: 5, w: 6 }',
      'a:',
      '  <<: [*d, *e, { v: 7 }]',
      '  x: 9',
      'list: &list [*d, *e]',
      'b: { <<: *list }',
      '"<<": quoted is a plain key',
      '',
    ].join('\n');
    const value = valueOf(text) as Record<string, Record<string, unknown>>;
    expect(value).toStrictEqual(libraryValue(text));
    expect(value.a).toEqual({ x: 9, y: { z: 2 }, w: 6, v: 7 });
    expect(value.b!.y).not.toBe(value.d!.y);
  });
});

describe('alias budget', () => {
  it('grows with the file, between a floor and a cap', () => {
    expect(aliasExpansionBudget(10)).toBe(MIN_ALIAS_EXPANSION);
    expect(aliasExpansionBudget(5_000)).toBe(500_000);
    expect(aliasExpansionBudget(1_000_000)).toBe(MAX_ALIAS_EXPANSION);
  });

  it('refuses a billion laughs in milliseconds, at the alias where the budget ran out', () => {
    const started = performance.now();
    const errors = errorsOf(billionLaughs());
    const took = performance.now() - started;
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(
      /^app\.yaml:7:\d+: YAML: aliases expand this document beyond 100,000 values, the limit for a file that writes \d+ values and aliases \(100 for each, at least 100,000, at most 1,000,000\); \*lol5 here adds 66,430 values/,
    );
    expect(took).toBeLessThan(500);
  });

  it('refuses a bomb hidden in merge keys', () => {
    const lines = ['m0: &m0 { a: 1, b: 2 }'];
    for (let i = 1; i <= 30; i++) lines.push(`m${i}: &m${i} { x: { <<: *m${i - 1} }, y: { <<: *m${i - 1} } }`);
    const started = performance.now();
    expect(errorsOf(lines.join('\n'))[0]).toMatch(/^app\.yaml:\d+:\d+: YAML: aliases expand this document beyond 100,000 values/);
    expect(performance.now() - started).toBeLessThan(500);
  });

  it('reads many aliases in linear time', () => {
    const text = ['a: &a { x: 1 }', 'list:', ...Array.from({ length: 30_000 }, () => '  - *a'), ''].join('\n');
    const started = performance.now();
    const value = valueOf(text) as { list: unknown[] };
    expect(value.list).toHaveLength(30_000);
    expect(performance.now() - started).toBeLessThan(3000);
  });
});

/** A small deterministic random generator (mulberry32), so a failure reproduces. */
function random(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Random YAML of anchors, aliases and merge keys. With `mistakes`, aliases may name no anchor or the
 * node they are in, and merge keys may take anything; without, every alias names an earlier anchor
 * and every merge takes mappings.
 */
function randomDocument(next: () => number, mistakes: boolean): string {
  const pick = <T>(list: readonly T[]): T => list[Math.floor(next() * list.length)]!;
  const names = ['a', 'b', 'c', 'd', 'base', 'common'];
  const anchored: string[] = [];
  const maps: string[] = [];
  const alias = (): string => (mistakes || anchored.length === 0 ? `*${pick(names)}` : `*${pick(anchored)}`);
  const value = (depth: number): string => {
    const r = next();
    if (r < 0.3 && (mistakes || anchored.length > 0)) return alias();
    if (r < 0.5 || depth > 3) return pick(['1', 'text', 'null', 'true', '[1, 2]', '""']);
    if (r < 0.75) return `{ k${Math.floor(next() * 3)}: ${value(depth + 1)}, <<: ${mergeSource(depth + 1)} }`;
    return `[${value(depth + 1)}, ${value(depth + 1)}]`;
  };
  const mapAlias = (): string => (maps.length ? `*${pick(maps)}` : '{ m: 2 }');
  const mergeSource = (depth: number): string =>
    mistakes
      ? pick([`*${pick(names)}`, '{ m: 1 }', '3', `[*${pick(names)}, *${pick(names)}]`, '[1]', '', 'x', value(depth)])
      : pick([mapAlias(), '{ m: 1 }', `[${mapAlias()}, ${mapAlias()}]`, `{ n: ${value(depth)} }`]);
  const entries = 2 + Math.floor(next() * 8);
  const lines: string[] = [];
  for (let i = 0; i < entries; i++) {
    const name = next() < 0.5 ? pick(names) : undefined;
    const anchor = name ? `&${name} ` : '';
    const isMap = next() < 0.5;
    if (isMap) lines.push(`e${i}: ${anchor}`, `  <<: ${mergeSource(0)}`, `  f: ${value(0)}`);
    else lines.push(`e${i}: ${anchor}${value(0)}`);
    if (name) {
      anchored.push(name);
      if (isMap) maps.push(name);
      else maps.splice(0, maps.length, ...maps.filter((m) => m !== name));
    }
  }
  return `${lines.join('\n')}\n`;
}

describe('random documents of aliases and merge keys', () => {
  it('never throw, locate every error, and read as yaml reads them', () => {
    const next = random(20240613);
    let located = 0;
    let read = 0;
    for (let i = 0; i < 2000; i++) {
      const text = randomDocument(next, i % 2 === 0);
      const parsed = parseYamlFile(text, 'fuzz.yaml');
      for (const e of parsed.errors) {
        expect(e.line, `${formatDiagnostic(e)}\n${text}`).toBeGreaterThan(0);
        expect(e.column, `${formatDiagnostic(e)}\n${text}`).toBeGreaterThan(0);
        located++;
      }
      if (parsed.value) {
        // Where yaml reads the document too, both read it alike (yaml allows circular values, which are refused here).
        expect(parsed.value.documents[0]?.value, text).toStrictEqual(libraryValue(text));
        read++;
      }
    }
    // Both kinds of documents came up, many times.
    expect(located).toBeGreaterThan(500);
    expect(read).toBeGreaterThan(100);
  });
});
