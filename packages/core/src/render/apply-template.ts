import type { ApplicationSpec, EnvMap, EnvironmentTemplate } from '@slipway/contract';
import { templateDatasets } from '../application/datasets.ts';

/**
 * The application spec with an environment template's overrides applied: services and jobs are
 * merged by name (each field given replaces the application's, but their env merges key by key),
 * variables are merged key by key, and every other part given replaces the application's.
 */
export function applyEnvironmentTemplate(spec: ApplicationSpec, template: EnvironmentTemplate | undefined): ApplicationSpec {
  if (!template) return spec;
  const mergeByName = <T extends { name: string; env?: EnvMap }>(items: T[], overrides: Partial<T>[] | undefined): T[] =>
    items.map((item) => {
      const override = overrides?.find((o) => o.name === item.name);
      if (!override) return item;
      const merged = { ...item, ...withoutUndefined(override) };
      return override.env ? { ...merged, env: { ...item.env, ...override.env } } : merged;
    });
  return {
    ...spec,
    services: mergeByName(spec.services, template.services as Partial<ApplicationSpec['services'][number]>[] | undefined),
    jobs: mergeByName(spec.jobs, template.jobs as Partial<ApplicationSpec['jobs'][number]>[] | undefined),
    runtime: template.runtime ?? spec.runtime,
    env: {
      defaults: { ...spec.env.defaults, ...template.env?.defaults },
      mapping: { ...spec.env.mapping, ...template.env?.mapping },
    },
    routing: {
      rules: template.routing?.rules ?? spec.routing.rules,
      ingress: { ...spec.routing.ingress, ...template.routing?.ingress },
    },
    workflows: { ...spec.workflows, ...withoutUndefined(template.workflows ?? {}) },
    datasets: templateDatasets(spec.datasets, template.datasets),
    appImports: template.appImports ?? spec.appImports,
  };
}

/** The fields of an override that are set: an absent field keeps the application's value. */
export function withoutUndefined<T extends object>(value: T | undefined): Partial<T> {
  return Object.fromEntries(Object.entries(value ?? {}).filter(([, v]) => v !== undefined)) as Partial<T>;
}
