import { describe, expect, it } from 'vitest';
import { dependencyLayers, findCycles } from './dependency-graph.ts';

const graph = (edges: Record<string, string[]>) => new Map(Object.entries(edges));

describe('dependency graph', () => {
  it('layers names so each depends only on earlier layers', () => {
    expect(dependencyLayers(graph({ web: ['api'], api: ['db', 'migrate'], migrate: ['db'], db: [], worker: ['db'] }))).toEqual([
      ['db'],
      ['migrate', 'worker'],
      ['api'],
      ['web'],
    ]);
  });
  it('finds each cycle once, in order', () => {
    expect(findCycles(graph({ a: ['b'], b: ['c'], c: ['a'], d: ['d'] }))).toEqual([['a', 'b', 'c', 'a'], ['d', 'd']]);
  });
  it('ignores dependencies on unknown names', () => {
    expect(findCycles(graph({ a: ['zzz'] }))).toEqual([]);
    expect(dependencyLayers(graph({ a: ['zzz'] }))).toEqual([['a']]);
  });
});
