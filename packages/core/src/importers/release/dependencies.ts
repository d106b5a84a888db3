import type { JobInput } from './manifest-input.ts';
import type { NameRegistry } from './names.ts';
import type { Path, SourceFile } from './source-file.ts';

type Dependency = NonNullable<JobInput['dependsOn']>[number];

export interface DependentUnit {
  name: string;
  kind: 'service' | 'job';
  dependsOn: { release: string; path: Path }[];
}

/**
 * Resolves Release's depends_on into Slipway's dependsOn, for every service and job at once:
 * names that are not services or jobs are dropped (Release templates keep them after a service is
 * removed), and a dependency that would close a cycle is dropped, since Slipway refuses cycles.
 */
export function resolveDependencies(src: SourceFile, units: DependentUnit[], registry: NameRegistry): Map<string, Dependency[]> {
  const resolved = new Map<string, { dep: Dependency; target: string; path: Path }[]>();
  for (const unit of units) {
    const list: { dep: Dependency; target: string; path: Path }[] = [];
    for (const { release, path } of unit.dependsOn) {
      const service = registry.resolve('service', release);
      const job = service === undefined ? registry.resolve('job', release) : undefined;
      const target = service ?? job;
      if (target === undefined) {
        const cron = registry.resolve('cronJob', release) !== undefined;
        src.warn(
          path,
          cron
            ? `"${release}" is a cron job, which nothing can wait for; dropped from ${unit.kind} "${unit.name}"'s dependencies`
            : `"${release}" is not a service or job of this template${registry.hint('service', release)}; dropped from ${unit.kind} "${unit.name}"'s dependencies`,
        );
        continue;
      }
      if (target === unit.name) {
        src.warn(path, `${unit.kind} "${unit.name}" depends on itself; dropped`);
        continue;
      }
      if (list.some((d) => d.target === target)) continue;
      // A job has no readiness: waiting for it means waiting until it has completed.
      list.push({ dep: job ? { name: job, condition: 'completed' } : target, target, path });
    }
    resolved.set(unit.name, list);
  }
  breakCycles(src, resolved);
  return new Map([...resolved].map(([name, list]) => [name, list.map((d) => d.dep)]));
}

function breakCycles(src: SourceFile, graph: Map<string, { target: string; path: Path }[]>): void {
  const state = new Map<string, 'visiting' | 'done'>();
  const stack: string[] = [];
  const visit = (node: string): void => {
    state.set(node, 'visiting');
    stack.push(node);
    const edges = graph.get(node) ?? [];
    for (let i = 0; i < edges.length; i++) {
      const edge = edges[i]!;
      if (!graph.has(edge.target)) continue;
      if (state.get(edge.target) === 'visiting') {
        const cycle = [...stack.slice(stack.indexOf(edge.target)), edge.target].join(' → ');
        src.warn(edge.path, `depending on "${edge.target}" closes a cycle (${cycle}); Slipway refuses dependency cycles, so this one is dropped`);
        edges.splice(i--, 1);
      } else if (!state.has(edge.target)) visit(edge.target);
    }
    stack.pop();
    state.set(node, 'done');
  };
  for (const node of graph.keys()) if (!state.has(node)) visit(node);
}
