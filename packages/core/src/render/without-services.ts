import type { RenderedEnvironment, ResolvedDependency } from '@slipway/contract';

/**
 * The environment without some services (an App Import's `excludeServices`): their routes, URLs and
 * workflow tasks go, jobs that run from them go, and nothing depends on what is gone any more.
 */
export function withoutServices(rendered: RenderedEnvironment, excluded: readonly string[]): RenderedEnvironment {
  if (excluded.length === 0) return rendered;
  const gone = new Set(excluded);
  const jobs = rendered.jobs.filter((j) => !(j.fromService && gone.has(j.fromService)));
  for (const j of rendered.jobs) if (!jobs.includes(j)) gone.add(j.name);
  const keep = (deps: ResolvedDependency[]) => deps.filter((d) => !gone.has(d.name));
  const workflows = Object.fromEntries(
    Object.entries(rendered.workflows).map(([name, steps]) => [
      name,
      steps
        .map((step) => ({ ...step, tasks: step.tasks.filter((t) => t.kind === 'remove-environment' || !gone.has(t.name)) }))
        .filter((step) => step.tasks.length > 0),
    ]),
  ) as RenderedEnvironment['workflows'];
  return {
    ...rendered,
    services: rendered.services.filter((s) => !gone.has(s.name)).map((s) => ({ ...s, dependsOn: keep(s.dependsOn) })),
    jobs: jobs.map((j) => ({ ...j, dependsOn: keep(j.dependsOn) })),
    cronJobs: rendered.cronJobs.filter((j) => !(j.fromService && gone.has(j.fromService))),
    routes: rendered.routes.filter((r) => !gone.has(r.service)),
    workflows,
    urls: Object.fromEntries(Object.entries(rendered.urls).filter(([name]) => !gone.has(name))),
  };
}
