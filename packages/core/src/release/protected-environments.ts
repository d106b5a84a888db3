import type { EnvironmentProtection, ReleaseTrackSpec } from '@slipway/contract';

// Which environments only releases change. A ReleaseTrack's stages and a ReleasePlanAdmission's
// environments name them; what a developer could do to any other environment — deploy, patch,
// change its variables, delete it — is refused here for every role, with the way that does it: a
// promotion, a rollback, a hotfix, a managed release. Admins may break glass, with a reason.

const MAX_ID = 63;

/** The id an application's environment gets for a stage's environment (the plain name in a set of one). */
export function stageEnvironmentId(environment: string, app: string, appsInSet: number): string {
  if (appsInSet <= 1) return environment;
  const id = `${app}-${environment}`;
  if (id.length <= MAX_ID) return id;
  return `${app.slice(0, MAX_ID - environment.length - 1).replace(/-+$/, '')}-${environment}`;
}

/** What a workspace's governance is made of, as registered. */
export interface GovernanceCatalog {
  tracks: ReadonlyArray<{ name: string; applicationSet?: string; spec: ReleaseTrackSpec }>;
  sets: ReadonlyArray<{ name: string; applications: readonly string[]; releaseTrack?: string }>;
  admissions: ReadonlyArray<{ name: string; environments: readonly string[] }>;
  /** Environments an admin marked protected by hand (by id), with who did and why. */
  marks?: ReadonlyArray<{ environment: string; by: string; reason: string }>;
}

/** Who governs an environment, and the lane of the track that reaches it. */
export type EnvironmentGuardian =
  | { kind: 'track'; name: string; stage: string; lane: 'pre-release' | 'release' | 'hotfix'; environment: string }
  | { kind: 'admission'; name: string; environment: string }
  | { kind: 'mark'; by: string; reason: string; environment: string };

const lanes = [
  ['releaseStages', 'release'],
  ['hotfixStages', 'hotfix'],
  ['preReleaseStages', 'pre-release'],
] as const;

/**
 * The track or admission that governs environment `envId` of application `app`, if any. A track
 * governs the environments its stages name for the applications of its set (each under the id a
 * stage gives it, `shop-web-staging` in a set of several); a track no set follows yet governs the
 * plain names, for any application.
 */
export function guardianOf(envId: string, app: string, catalog: GovernanceCatalog): EnvironmentGuardian | undefined {
  for (const track of catalog.tracks) {
    const sets = catalog.sets.filter((s) => s.releaseTrack === track.name || s.name === track.applicationSet);
    const apps = [...new Set(sets.flatMap((s) => s.applications))];
    if (sets.length > 0 && !apps.includes(app)) continue;
    for (const [list, lane] of lanes) {
      for (const stage of track.spec[list]) {
        const environment = stage.environments.find((e) => e === envId || (apps.length > 0 && stageEnvironmentId(e, app, apps.length) === envId));
        if (environment) return { kind: 'track', name: track.name, stage: stage.name ?? stage.environments.join('+'), lane, environment };
      }
    }
  }
  for (const admission of catalog.admissions) {
    if (admission.environments.includes(envId)) return { kind: 'admission', name: admission.name, environment: envId };
  }
  const mark = catalog.marks?.find((m) => m.environment === envId);
  if (mark) return { kind: 'mark', by: mark.by, reason: mark.reason, environment: envId };
  return undefined;
}

/** What is being done to a protected environment, in words and as the CLI command that would do it. */
export type ProtectedAction = 'create' | 'deploy' | 'config-set' | 'extend' | 'delete' | 'exec' | 'pause' | 'resume';

const actionWords: Record<ProtectedAction, string> = {
  create: 'be created directly',
  deploy: 'be deployed to directly',
  'config-set': 'have its variables changed directly',
  extend: 'be extended directly',
  delete: 'be deleted directly',
  exec: 'have commands run in it directly',
  pause: 'be paused directly',
  resume: 'be resumed directly',
};

/**
 * The 403's message for a direct change of a governed environment: who governs it, the commands
 * that change it, and the break-glass way out for admins.
 */
export function protectedRefusal(envId: string, guardian: EnvironmentGuardian, action: ProtectedAction, breakGlassCommand: string): string {
  return `environment ${envId} is protected and cannot ${actionWords[action]}: ${governedBy(guardian, true)}. ${protectedChangePath(guardian)} In an emergency an admin may break glass: ${breakGlassCommand} --break-glass "<reason>" (recorded in the audit ledger)`;
}

/** How a governed environment changes instead, as a sentence with the commands: the refusal's and the portal's. */
export function protectedChangePath(guardian: EnvironmentGuardian): string {
  return `To ${governedWay(guardian, guardian.environment)}.`;
}

/** What the API says of a protected environment (`protectedBy`): who governs it and how it changes. */
export function protectionOf(guardian: EnvironmentGuardian): EnvironmentProtection {
  return {
    kind: guardian.kind,
    name: guardian.kind === 'mark' ? guardian.by : guardian.name,
    ...(guardian.kind === 'track' ? { stage: guardian.stage, lane: guardian.lane } : {}),
    ...(guardian.kind === 'mark' ? { reason: guardian.reason } : {}),
    change: protectedChangePath(guardian),
  };
}

/** The governed way to change an environment, in words and commands (after "To "). */
export function governedWay(guardian: EnvironmentGuardian, envId: string): string {
  if (guardian.kind === 'mark') return `change it, have an admin lift the mark: slipway envs unprotect ${envId}`;
  if (guardian.kind === 'admission') return 'change it, release into it: slipway managed-releases create <snapshot> --plan <plan> from an admitted workspace';
  return guardian.lane === 'pre-release'
    ? 'put a pull request there, make it a pre-release: slipway snapshots create <set> --app <app> --pr <n>, then slipway releases create <snapshot>'
    : 'change it, release a snapshot along the track: slipway snapshots create <set>, slipway releases create <snapshot>, slipway releases promote <n>; or roll back with slipway releases rollback <n>; or start a hotfix with slipway releases create <snapshot> --hotfix';
}

/** Who governs an environment, in words: short (for lists), or saying how (for a refusal). */
export function governedBy(guardian: EnvironmentGuardian, how = false): string {
  switch (guardian.kind) {
    case 'track':
      return how ? `release track ${guardian.name} deploys to it (stage ${guardian.stage}, ${guardian.lane} lane)` : `release track ${guardian.name}`;
    case 'admission':
      return how ? `release plan admission ${guardian.name} releases into it` : `release plan admission ${guardian.name}`;
    case 'mark':
      return how ? `${guardian.by} marked it protected (${guardian.reason})` : `marked protected by ${guardian.by}`;
  }
}

/**
 * The 403's message for changing a workspace secret that protected environments read: they would
 * pick the new value up at their next deploy, outside any release. The governed way is a new secret
 * and a release of a manifest that reads it.
 */
export function protectedSecretRefusal(name: string, readers: ReadonlyArray<{ envId: string; guardian: EnvironmentGuardian }>, breakGlassCommand: string): string {
  const which = readers.map((r) => `${r.envId} (${governedBy(r.guardian)})`).join(', ');
  return `secret ${name} is read by protected environment${readers.length === 1 ? '' : 's'} ${which}, so it cannot be changed directly. To rotate it through a release, set a new secret (such as ${name}-2) and release a manifest that reads it. In an emergency an admin may break glass: ${breakGlassCommand} --break-glass "<reason>" (recorded in the audit ledger)`;
}
