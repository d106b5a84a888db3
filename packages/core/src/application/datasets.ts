import { datasetVariableParts, type ApplicationSpec, type DatasetRef, type SecretRef } from '@slipway/contract';
import { didYouMean } from '../manifest/did-you-mean.ts';
import { parseCron, type CronSchedule } from '../release/cron-schedule.ts';

type Path = (string | number)[];
type Report = (path: Path, message: string) => void;
export type DatasetVariablePart = (typeof datasetVariableParts)[number];

/**
 * Connection variables of a dataset are injected as references to this reserved secret namespace;
 * the server fills them with the environment's own clone when it deploys (never from the workspace's
 * secrets), so they are masked in output like any secret.
 */
export const DATASET_SECRET_PREFIX = 'dataset:';

/** The reference a service's variable holds for one part of a dataset's connection. */
export function datasetSecretRef(dataset: string, part: DatasetVariablePart): SecretRef {
  return { secret: `${DATASET_SECRET_PREFIX}${dataset}`, key: part };
}

/** The dataset a reserved reference names, or undefined for a workspace secret. */
export function datasetOfSecretRef(ref: SecretRef): string | undefined {
  return ref.secret.startsWith(DATASET_SECRET_PREFIX) ? ref.secret.slice(DATASET_SECRET_PREFIX.length) : undefined;
}

/** The variable name each part of the dataset's connection is injected as. */
export function datasetVariables(dataset: Pick<DatasetRef, 'envPrefix' | 'env'>): Record<DatasetVariablePart, string> {
  return Object.fromEntries(datasetVariableParts.map((part) => [part, dataset.env?.[part] ?? `${dataset.envPrefix}_${part}`])) as Record<DatasetVariablePart, string>;
}

/** Whether a service or job of that name gets the dataset's variables. */
export function datasetReaches(dataset: Pick<DatasetRef, 'services'>, unit: string): boolean {
  return dataset.services === undefined || dataset.services.includes(unit);
}

/**
 * An environment template's datasets with the application's definitions filled in: an entry with no
 * source attaches the application's dataset of that name as the application defines it.
 */
export function templateDatasets(appDatasets: DatasetRef[], template: DatasetRef[] | undefined): DatasetRef[] {
  if (!template) return appDatasets;
  return template.map((entry) => (entry.source ? entry : (appDatasets.find((d) => d.name === entry.name) ?? entry)));
}

/** Every dataset an application defines (its own and its templates' with a source), once by name: the pools to keep. */
export function definedDatasets(spec: ApplicationSpec): DatasetRef[] {
  const found = new Map<string, DatasetRef>();
  for (const d of spec.datasets) if (d.source && !found.has(d.name)) found.set(d.name, d);
  for (const t of spec.environmentTemplates) for (const d of t.datasets ?? []) if (d.source && !found.has(d.name)) found.set(d.name, d);
  return [...found.values()];
}

const CRON_MACROS: Record<string, string> = { '@hourly': '0 * * * *', '@daily': '0 0 * * *', '@weekly': '0 0 * * 0', '@monthly': '0 0 1 * *', '@yearly': '0 0 1 1 *' };

/** A dataset's refresh schedule (five cron fields, or @daily and the like), parsed. */
export function datasetRefreshSchedule(text: string): { value?: CronSchedule; error?: string } {
  return parseCron(CRON_MACROS[text.trim()] ?? text);
}

/** Checks of the datasets' meaning: sources, names, the services they reach, variable clashes. */
export function checkDatasets(spec: ApplicationSpec, error: Report, warn: Report): void {
  const units = [...spec.services.map((s) => s.name), ...spec.jobs.map((j) => j.name), ...spec.cronJobs.map((j) => j.name)];
  const appDefined = new Map(spec.datasets.filter((d) => d.source).map((d) => [d.name, d]));
  const checkList = (list: DatasetRef[], at: Path, inTemplate: boolean) => {
    const names = new Map<string, number>();
    const variables = new Map<string, string>();
    list.forEach((d, i) => {
      const path = [...at, i];
      const first = names.get(d.name);
      if (first !== undefined) error([...path, 'name'], `dataset "${d.name}" is listed twice (first at ${[...at, first].join('.')})`);
      names.set(d.name, i);
      if (!d.source) {
        if (!inTemplate) {
          error([...path, 'source'], `dataset "${d.name}" needs a source: { url: { secret: <name of a secret holding a postgres:// URL> } } or { file: <SQL script or pg_dump archive> }`);
        } else if (!appDefined.has(d.name)) {
          error([...path, 'name'], `dataset "${d.name}" has no source and the application defines no dataset of that name${didYouMean(d.name, [...appDefined.keys()])}; give a source or attach one of spec.datasets`);
        }
      } else if (inTemplate && appDefined.has(d.name)) {
        error([...path, 'source'], `dataset "${d.name}" is defined by the application already; leave out source (and the other settings) to attach it, or give this one another name`);
      }
      if (d.source && 'file' in d.source && d.source.file.includes('\0')) error([...path, 'source', 'file'], 'a file path cannot contain a NUL character');
      const effective = !d.source && inTemplate ? (appDefined.get(d.name) ?? d) : d;
      (effective.services ?? []).forEach((unit, s) => {
        if (!units.includes(unit)) error([...path, 'services', s], `"${unit}" is not a service or job of this application${didYouMean(unit, units)}`);
      });
      if (!effective.source) return;
      const clashes = new Map<string, string[]>();
      for (const variable of Object.values(datasetVariables(effective))) {
        const other = variables.get(variable);
        if (other !== undefined && other !== d.name) clashes.set(other, [...(clashes.get(other) ?? []), variable]);
        variables.set(variable, d.name);
      }
      for (const [other, names] of clashes) {
        error([...path, effective.env ? 'env' : 'envPrefix'], `dataset "${d.name}" injects ${names.join(', ')}, as dataset "${other}" does; give one of them another envPrefix (or env names)`);
      }
      if (d.refresh) {
        const schedule = datasetRefreshSchedule(d.refresh);
        if (schedule.error) error([...path, 'refresh'], schedule.error);
      }
      if (d.source && d.poolSize === 0 && d.refresh) warn([...path, 'refresh'], 'a refresh only replaces pooled clones, and poolSize is 0: it remakes the golden copy for the next environments only');
    });
  };
  checkList(spec.datasets, ['datasets'], false);
  spec.environmentTemplates.forEach((t, i) => {
    if (t.datasets) checkList(t.datasets, ['environmentTemplates', i, 'datasets'], true);
  });
}
