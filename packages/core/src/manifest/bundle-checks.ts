import type { ApplicationManifest, Diagnostic, EnvironmentManifest, Manifest, ManifestKind, ReleaseTrackManifest } from '@slipway/contract';
import { windowProblems } from '../release/promotion-windows.ts';
import { kubernetesRefusals } from '../runtime/runtime-support.ts';
import { didYouMean } from './did-you-mean.ts';
import type { LoadedManifest } from './load-manifests.ts';

type Of<K extends ManifestKind> = Extract<Manifest, { kind: K }>;

/** The parent named in lowops.manifests.v1 metadata, if any. */
export function parentOf(manifest: Manifest): string | undefined {
  const parent = (manifest.metadata as { parent?: string | { name: string } }).parent;
  return typeof parent === 'string' ? parent : parent?.name;
}

/** Members of an application set: those it lists, and (lowops) the applications naming it as parent. */
export function applicationSetMembers(set: Of<'ApplicationSet'>, manifests: Manifest[]): string[] {
  const members = new Set(set.spec.applications);
  for (const m of manifests) if (m.kind === 'Application' && parentOf(m) === set.metadata.name) members.add(m.metadata.name);
  return [...members];
}

/**
 * Checks across the documents of one bundle (a folder, a repository's .slipway/): duplicate names and
 * references between kinds. A reference to a kind the bundle declares none of may live elsewhere (the
 * server checks it when applied), so it is a warning; among declared ones, a missing name is an error.
 */
export function checkBundle(loaded: LoadedManifest[]): { errors: Diagnostic[]; warnings: Diagnostic[] } {
  const errors: Diagnostic[] = [];
  const warnings: Diagnostic[] = [];
  const byKind = new Map<ManifestKind, Map<string, LoadedManifest>>();
  for (const item of loaded) {
    const names = byKind.get(item.manifest.kind) ?? new Map<string, LoadedManifest>();
    byKind.set(item.manifest.kind, names);
    const first = names.get(item.manifest.metadata.name);
    if (first) {
      errors.push(item.locate({ severity: 'error', path: ['metadata', 'name'], message: `another ${item.manifest.kind} is named "${item.manifest.metadata.name}" (${first.file})` }));
    } else names.set(item.manifest.metadata.name, item);
  }
  const names = (kind: ManifestKind) => [...(byKind.get(kind)?.keys() ?? [])];
  const reference = (item: LoadedManifest, path: (string | number)[], kind: ManifestKind, name: string, what: string = kind) => {
    const declared = names(kind);
    if (declared.includes(name)) return;
    if (declared.length === 0) {
      warnings.push(item.locate({ severity: 'warning', path, message: `${what} "${name}" is not declared in these files; it must exist where this is applied` }));
    } else {
      errors.push(item.locate({ severity: 'error', path, message: `no ${what} named "${name}" among ${declared.join(', ')}${didYouMean(name, declared)}` }));
    }
  };
  const manifests = loaded.map((l) => l.manifest);
  const environmentNames = names('Environment');

  for (const item of loaded) {
    const m = item.manifest;
    switch (m.kind) {
      case 'Application': {
        const parent = parentOf(m);
        if (parent) reference(item, ['metadata', 'parent'], 'ApplicationSet', parent);
        if (m.spec.runtime === 'kubernetes') {
          m.spec.services.forEach((service, k) => {
            // A service with only a run section is refused by the Application's schema already.
            for (const refusal of kubernetesRefusals(service).filter((r) => r.path[0] === 'volumes' || r.path[0] === 'static')) {
              errors.push(item.locate({ severity: 'error', path: ['spec', 'services', k, ...refusal.path], message: `services.${service.name}: ${refusal.message}` }));
            }
          });
        }
        // Applications usually live one per repository, so an import names one declared elsewhere.
        m.spec.appImports.forEach((imp, k) => {
          if (!names('Application').includes(imp.app)) {
            warnings.push(item.locate({ severity: 'warning', path: ['spec', 'appImports', k, 'app'], message: `Application "${imp.app}" is not declared in these files; it must exist where this is applied${didYouMean(imp.app, names('Application'))}` }));
          }
        });
        break;
      }
      case 'ApplicationSet': {
        m.spec.applications.forEach((app, k) => reference(item, ['spec', 'applications', k], 'Application', app));
        const track = m.spec.releaseTrack ?? parentOf(m);
        if (track) reference(item, m.spec.releaseTrack ? ['spec', 'releaseTrack'] : ['metadata', 'parent'], 'ReleaseTrack', track);
        break;
      }
      case 'Environment': {
        reference(item, ['spec', 'application'], 'Application', m.spec.application);
        checkEnvironmentTemplate(item, m, byKind.get('Application')?.get(m.spec.application)?.manifest as ApplicationManifest | undefined, errors);
        break;
      }
      case 'ReleaseTrack':
        checkReleaseTrack(item, m, environmentNames, manifests, errors, warnings, reference);
        break;
      case 'ReleasePlan':
        if (m.spec.application) reference(item, ['spec', 'application'], 'Application', m.spec.application);
        if (m.spec.applicationSet) reference(item, ['spec', 'applicationSet'], 'ApplicationSet', m.spec.applicationSet);
        break;
      case 'ReleasePlanAdmission':
        break;
    }
  }
  return { errors, warnings };
}

function checkEnvironmentTemplate(item: LoadedManifest, env: EnvironmentManifest, app: ApplicationManifest | undefined, errors: Diagnostic[]): void {
  if (!app || env.spec.template === undefined) return;
  const templates = app.spec.environmentTemplates.map((t) => t.name);
  if (!templates.includes(env.spec.template)) {
    errors.push(
      item.locate({
        severity: 'error',
        path: ['spec', 'template'],
        message: `application "${app.metadata.name}" has no environment template "${env.spec.template}"${didYouMean(env.spec.template, templates)}; it has ${templates.join(', ') || 'none'}`,
      }),
    );
  }
  if (env.spec.template === 'ephemeral') {
    errors.push(item.locate({ severity: 'error', path: ['spec', 'template'], message: 'an Environment manifest declares a permanent environment; it cannot use the ephemeral template' }));
  }
}

function checkReleaseTrack(
  item: LoadedManifest,
  track: ReleaseTrackManifest,
  environmentNames: string[],
  manifests: Manifest[],
  errors: Diagnostic[],
  warnings: Diagnostic[],
  reference: (item: LoadedManifest, path: (string | number)[], kind: ManifestKind, name: string, what?: string) => void,
): void {
  if (track.spec.applicationSet) reference(item, ['spec', 'applicationSet'], 'ApplicationSet', track.spec.applicationSet);
  const undeclared = new Set<string>();
  for (const list of ['preReleaseStages', 'releaseStages', 'hotfixStages'] as const) {
    const seen = new Set<string>();
    track.spec[list].forEach((stage, s) => {
      stage.environments.forEach((env, e) => {
        const path = ['spec', list, s, 'environments', e];
        if (seen.has(env)) errors.push(item.locate({ severity: 'error', path, message: `environment "${env}" appears twice in ${list}; a release would deploy it twice` }));
        seen.add(env);
        if (environmentNames.length === 0) undeclared.add(env);
        else if (!environmentNames.includes(env)) {
          errors.push(item.locate({ severity: 'error', path, message: `no Environment named "${env}" among ${environmentNames.join(', ')}${didYouMean(env, environmentNames)}` }));
        }
      });
    });
  }
  for (const list of ['preReleaseStages', 'releaseStages', 'hotfixStages'] as const) {
    track.spec[list].forEach((stage, s) => {
      for (const problem of windowProblems(stage.gates?.windows ?? [])) {
        errors.push(item.locate({ severity: 'error', path: ['spec', list, s, 'gates', 'windows', problem.index], message: problem.message }));
      }
    });
  }
  if (undeclared.size) {
    warnings.push(
      item.locate({
        severity: 'warning',
        path: ['spec'],
        message: `stages name environments not declared in these files (${[...undeclared].join(', ')}); they must exist where this track is applied`,
      }),
    );
  }
  // Test gates name jobs of the track's applications, when those are known here.
  const sets = manifests.filter((m): m is Extract<Manifest, { kind: 'ApplicationSet' }> => m.kind === 'ApplicationSet');
  const set = sets.find((s) => s.metadata.name === track.spec.applicationSet || s.spec.releaseTrack === track.metadata.name || parentOf(s) === track.metadata.name);
  if (!set) return;
  const members = new Set([...set.spec.applications, ...manifests.filter((m) => m.kind === 'Application' && parentOf(m) === set.metadata.name).map((m) => m.metadata.name)]);
  const apps = manifests.filter((m): m is ApplicationManifest => m.kind === 'Application' && members.has(m.metadata.name));
  if (apps.length === 0) return;
  const jobs = new Set(apps.flatMap((a) => a.spec.jobs.map((j) => j.name)));
  for (const list of ['preReleaseStages', 'releaseStages', 'hotfixStages'] as const) {
    track.spec[list].forEach((stage, s) =>
      stage.gates?.tests.forEach((test, t) => {
        if (!jobs.has(test)) {
          errors.push(item.locate({ severity: 'error', path: ['spec', list, s, 'gates', 'tests', t], message: `no application of set "${set.metadata.name}" has a job "${test}"${didYouMean(test, jobs)}` }));
        }
      }),
    );
  }
}
