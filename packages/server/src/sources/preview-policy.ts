// The one place that decides what a change in the code means for an application's environments:
// from a provider-neutral event, the application's preview settings, the link the event's pull
// request or branch already has, and the live environments of the workspace, it returns what to do
// — create, adopt, patch, tear down, or nothing (with why). Pure: no store, no git, no clock; the
// preview coordinator gathers the facts and carries the actions out.

import type { ApplicationManifest, PreviewSettings } from '@slipway/contract';
import { envIdFromBranch } from '../environments/environment-service.ts';
import { branchMatches } from './branch-patterns.ts';
import type { SourceEvent } from './source-provider.ts';

/** An application's preview settings with every default applied. */
export interface ResolvedPreviewSettings extends PreviewSettings {
  /** A push to the branch a permanent environment follows patches it. */
  autoDeploy: boolean;
}

export function previewSettingsOf(manifest: ApplicationManifest | undefined): ResolvedPreviewSettings {
  const previews = manifest?.spec.previews;
  return {
    pullRequests: previews?.pullRequests ?? 'all',
    label: previews?.label ?? 'preview',
    branches: previews?.branches ?? [],
    autoDeploy: manifest?.spec.repository?.autoDeploy ?? true,
  };
}

export interface PreviewApplication {
  name: string;
  /** The branch permanent environments follow, when the application names one. */
  trackingBranch?: string;
  settings: ResolvedPreviewSettings;
}

/** The link of the event's pull request or branch to an environment, as stored. */
export interface LinkFacts {
  envId: string;
  /** The environments row it was last linked to. */
  environmentId?: string;
  state: 'open' | 'closed';
}

/** A live environment of the workspace. */
export interface EnvironmentFacts {
  /** The environments row id. */
  id: string;
  envId: string;
  app: string;
  branch: string;
  kind: 'ephemeral' | 'permanent';
  /** The commit its latest setup or patch deploys (queued, running or done). */
  commit?: string;
  deleting: boolean;
}

export type PreviewAction =
  /**
   * Create an ephemeral environment for the branch at the commit, and link it; after the teardown of
   * `afterTeardownOf` when the branch's previous environment still holds the id (closed, reopened).
   */
  | { kind: 'create'; envId: string; branch: string; commit: string; afterTeardownOf?: string }
  /** Link an environment that already stands for this branch (created before a crash, or by hand). */
  | { kind: 'adopt'; envId: string; environmentId: string }
  /** Deploy the commit into the environment with the patch workflow. */
  | { kind: 'patch'; envId: string; environmentId: string; commit: string; permanent: boolean }
  /** Tear the linked environment down (when it is still live) and close the link. */
  | { kind: 'teardown'; envId: string; environmentId?: string }
  | { kind: 'nothing'; reason: string };

/** What a link is keyed by within its application, provider and repository. */
export function sourceKeyOf(event: SourceEvent): string {
  return event.type === 'pull-request' ? `pr:${event.number}` : `branch:${event.branch}`;
}

/** The environment id a pull request or branch would have before any conflict. */
export function baseEnvIdOf(event: SourceEvent): string {
  return event.type === 'pull-request' ? `pr-${event.number}` : envIdFromBranch(event.branch);
}

/** `pr-42-web`: an id made unique by the application's name, kept a DNS label. */
export function envIdWithApp(base: string, app: string): string {
  return `${base}-${app}`.slice(0, 63).replace(/-+$/, '');
}

export function decide(event: SourceEvent, app: PreviewApplication, facts: { link?: LinkFacts; environments: readonly EnvironmentFacts[] }): PreviewAction[] {
  const linked = liveLinked(facts.link, facts.environments);
  switch (event.type) {
    case 'pull-request':
      return decidePullRequest(event, app, facts, linked);
    case 'branch-pushed':
      return decideBranchPushed(event, app, facts, linked);
    case 'branch-deleted':
      if (facts.link?.state === 'open') return [teardown(facts.link, linked)];
      return [nothing(`branch ${event.branch} has no preview environment of ${app.name}`)];
  }
}

function decidePullRequest(
  event: Extract<SourceEvent, { type: 'pull-request' }>,
  app: PreviewApplication,
  facts: { link?: LinkFacts; environments: readonly EnvironmentFacts[] },
  linked: EnvironmentFacts | undefined,
): PreviewAction[] {
  const { settings } = app;
  const what = `pull request #${event.number}`;
  if (event.action === 'closed') {
    if (facts.link?.state === 'open') return [teardown(facts.link, linked)];
    return [nothing(`${what} has no preview environment of ${app.name}`)];
  }
  if (event.action === 'unlabeled' && settings.pullRequests === 'labeled' && event.label === settings.label) {
    if (facts.link?.state === 'open') return [teardown(facts.link, linked)];
    return [nothing(`${what} has no preview environment of ${app.name}`)];
  }
  if (!['opened', 'reopened', 'labeled', 'synchronize', 'ready_for_review'].includes(event.action)) return [nothing(`${what} ${event.action}: nothing to do`)];
  if (event.fromFork) return [nothing(`${what} comes from a fork; its code is not run`)];
  if (settings.pullRequests === 'none') return [nothing(`${app.name} previews no pull requests (previews.pullRequests: none)`)];
  if (settings.pullRequests === 'labeled' && !event.labels.includes(settings.label)) {
    return [nothing(`${what} has no "${settings.label}" label, which ${app.name} asks for (previews.pullRequests: labeled)`)];
  }
  return ensure(event.headBranch, event.headSha, baseEnvIdOf(event), app, facts.environments, linked);
}

function decideBranchPushed(
  event: Extract<SourceEvent, { type: 'branch-pushed' }>,
  app: PreviewApplication,
  facts: { link?: LinkFacts; environments: readonly EnvironmentFacts[] },
  linked: EnvironmentFacts | undefined,
): PreviewAction[] {
  const { settings } = app;
  const following = facts.environments.filter((e) => e.app === app.name && e.kind === 'permanent' && e.branch === event.branch && !e.deleting);
  const tracking = app.trackingBranch ?? event.defaultBranch;
  const actions: PreviewAction[] = [];
  if (following.length) {
    if (!settings.autoDeploy) actions.push(nothing(`${app.name} does not deploy pushes to ${event.branch} on its own (repository.autoDeploy: false)`));
    for (const env of following) {
      if (!settings.autoDeploy) break;
      if (env.commit === event.sha) actions.push(nothing(`${env.envId} already runs ${event.sha.slice(0, 12)}`));
      else actions.push({ kind: 'patch', envId: env.envId, environmentId: env.id, commit: event.sha, permanent: true });
    }
  }
  if (linked) return [...actions, ...patchIfMoved(linked, event.sha)];
  if (event.branch === tracking) return actions.length ? actions : [nothing(`${event.branch} is the tracking branch of ${app.name}, and no permanent environment follows it`)];
  if (following.length) return actions;
  if (!branchMatches(event.branch, settings.branches)) return [nothing(`branch ${event.branch} matches none of ${app.name}'s preview branches (${settings.branches.join(', ') || 'none'})`)];
  return ensure(event.branch, event.sha, baseEnvIdOf(event), app, facts.environments, undefined);
}

/** The environment for the branch at the commit: patched when linked and moved, else adopted or created. */
function ensure(branch: string, commit: string, base: string, app: PreviewApplication, environments: readonly EnvironmentFacts[], linked: EnvironmentFacts | undefined): PreviewAction[] {
  if (linked) return patchIfMoved(linked, commit);
  for (const envId of [base, envIdWithApp(base, app.name)]) {
    const holder = environments.find((e) => e.envId === envId);
    if (!holder) return [{ kind: 'create', envId, branch, commit }];
    if (holder.app === app.name && holder.branch === branch && holder.kind === 'ephemeral') {
      if (holder.deleting) return [{ kind: 'create', envId, branch, commit, afterTeardownOf: holder.id }];
      return [{ kind: 'adopt', envId, environmentId: holder.id }, ...patchIfMoved(holder, commit)];
    }
  }
  return [nothing(`environment ids ${base} and ${envIdWithApp(base, app.name)} are both taken by other environments`)];
}

function patchIfMoved(env: EnvironmentFacts, commit: string): PreviewAction[] {
  if (env.deleting) return [nothing(`${env.envId} is being deleted`)];
  if (env.commit === commit) return [nothing(`${env.envId} already runs ${commit.slice(0, 12)}`)];
  return [{ kind: 'patch', envId: env.envId, environmentId: env.id, commit, permanent: false }];
}

/** The link's environment when it is still live. */
function liveLinked(link: LinkFacts | undefined, environments: readonly EnvironmentFacts[]): EnvironmentFacts | undefined {
  if (link?.state !== 'open' || !link.environmentId) return undefined;
  return environments.find((e) => e.id === link.environmentId);
}

function teardown(link: LinkFacts, linked: EnvironmentFacts | undefined): PreviewAction {
  return linked ? { kind: 'teardown', envId: linked.envId, environmentId: linked.id } : { kind: 'teardown', envId: link.envId };
}

function nothing(reason: string): PreviewAction {
  return { kind: 'nothing', reason };
}
