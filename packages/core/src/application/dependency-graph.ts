import type { ApplicationSpec, Dependency } from '@slipway/contract';

export interface NormalizedDependency {
  name: string;
  condition: 'started' | 'ready' | 'completed';
}

export function normalizeDependency(dep: Dependency): NormalizedDependency {
  return typeof dep === 'string' ? { name: dep, condition: 'ready' } : { name: dep.name, condition: dep.condition ?? 'ready' };
}

/** Services and (one-off) jobs by name, with what each depends on. */
export function dependencyGraph(spec: Pick<ApplicationSpec, 'services' | 'jobs'>): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  for (const unit of [...spec.services, ...spec.jobs]) {
    graph.set(unit.name, (unit.dependsOn ?? []).map((d) => normalizeDependency(d).name));
  }
  return graph;
}

/** Every distinct cycle, each as the names along it with the first repeated at the end (a → b → a). */
export function findCycles(graph: Map<string, string[]>): string[][] {
  const cycles: string[][] = [];
  const seen = new Set<string>();
  const state = new Map<string, 'visiting' | 'done'>();
  const stack: string[] = [];
  const visit = (node: string): void => {
    state.set(node, 'visiting');
    stack.push(node);
    for (const next of graph.get(node) ?? []) {
      if (!graph.has(next)) continue;
      if (state.get(next) === 'visiting') {
        const cycle = [...stack.slice(stack.indexOf(next)), next];
        const key = [...cycle.slice(0, -1)].sort().join(',');
        if (!seen.has(key)) {
          seen.add(key);
          cycles.push(cycle);
        }
      } else if (!state.has(next)) visit(next);
    }
    stack.pop();
    state.set(node, 'done');
  };
  for (const node of graph.keys()) if (!state.has(node)) visit(node);
  return cycles;
}

/**
 * Groups names into layers: each layer depends only on earlier ones, so a layer's members can start
 * in parallel. Order within a layer follows the manifest. Names in a cycle end up in a final layer.
 */
export function dependencyLayers(graph: Map<string, string[]>, names: string[] = [...graph.keys()]): string[][] {
  const included = new Set(names);
  const placed = new Set<string>();
  const layers: string[][] = [];
  let remaining = names.filter((n) => graph.has(n));
  while (remaining.length) {
    const layer = remaining.filter((n) => (graph.get(n) ?? []).every((d) => placed.has(d) || !included.has(d) || !graph.has(d)));
    if (layer.length === 0) {
      layers.push(remaining);
      break;
    }
    layers.push(layer);
    for (const n of layer) placed.add(n);
    remaining = remaining.filter((n) => !placed.has(n));
  }
  return layers;
}
