// Carries out what the preview policy decides. For each application an event concerns, it gathers
// the facts (the event's link, the workspace's live environments and the commit each deploys), asks
// the policy, and acts through the EnvironmentService — the same checks as a person's request — then
// records the link. It is called from controllers on the keyed worker — GitHub deliveries
// (reconcile per pull request or branch) and git polling (reconcile per application) — which run
// events for one source one at a time; it keeps no queue of its own.

import { setTimeout as sleep } from 'node:timers/promises';
import { ConflictError, InputError, NotAllowedError, NotFoundError } from '@slipway/core';
import type { EnvironmentService } from '../environments/environment-service.ts';
import { recordAudit, type AuditEntryInput, type AuditHook } from '../store/audit-ledger.ts';
import type { EnvironmentStore, StoredEnvironment } from '../store/environments.ts';
import type { PreviewStore, WatchedApplication } from '../store/previews.ts';
import { decide, previewSettingsOf, sourceKeyOf, type EnvironmentFacts, type PreviewAction } from './preview-policy.ts';
import type { PullRequestEvent, SourceEvent } from './source-provider.ts';

export interface PreviewLogger {
  info(message: string): void;
  error(message: string): void;
}

/** What was done for one application. */
export interface HandledAction {
  app: string;
  action: PreviewAction;
  outcome: 'done' | 'failed';
  /** Why it failed (or, for `nothing`, why nothing was done). */
  message?: string;
}

/** Also acts on pull request events, after the previews, for one application at a time (pre-releases). */
export type PullRequestFollower = (event: PullRequestEvent, app: WatchedApplication) => Promise<HandledAction[]>;

/** Told when an action could not be carried out, so a provider can show it (a commit status). */
export type ActionFailureListener = (failure: { app: WatchedApplication; event: SourceEvent; action: PreviewAction; error: Error }) => void | Promise<void>;

export interface PreviewCoordinatorOptions {
  service: EnvironmentService;
  environments: EnvironmentStore;
  previews: PreviewStore;
  logger?: PreviewLogger;
  /** Longest wait for a previous environment's teardown before creating its successor (default 10 minutes). */
  teardownWaitMs?: number;
}

const quiet: PreviewLogger = { info: () => undefined, error: () => undefined };

export class PreviewCoordinator {
  private readonly failureListeners = new Set<ActionFailureListener>();
  private readonly followers = new Set<PullRequestFollower>();
  private readonly logger: PreviewLogger;

  constructor(private readonly options: PreviewCoordinatorOptions) {
    this.logger = options.logger ?? quiet;
  }

  /** Runs `follower` on every pull request event, in the same order per pull request as the previews. */
  followPullRequests(follower: PullRequestFollower): () => void {
    this.followers.add(follower);
    return () => this.followers.delete(follower);
  }

  onActionFailed(listener: ActionFailureListener): () => void {
    this.failureListeners.add(listener);
    return () => this.failureListeners.delete(listener);
  }

  /**
   * Acts on the event for each application. Refusals (an InputError: a branch gone, invalid input)
   * are reported as failed actions; anything else (the platform's fault) is thrown after the other
   * applications were handled, so the caller can retry.
   */
  async handle(event: SourceEvent, apps: readonly WatchedApplication[], requestedBy: string): Promise<HandledAction[]> {
    const handled: HandledAction[] = [];
    let platformError: Error | undefined;
    for (const app of apps) {
      try {
        const done = await this.handleFor(event, app, requestedBy);
        if (event.type === 'pull-request') for (const follow of this.followers) done.push(...(await follow(event, app)));
        handled.push(...done);
      } catch (error) {
        platformError ??= error as Error;
        handled.push({ app: app.name, action: { kind: 'nothing', reason: 'platform error' }, outcome: 'failed', message: (error as Error).message });
      }
    }
    if (platformError) throw Object.assign(platformError, { handled });
    return handled;
  }

  private async handleFor(event: SourceEvent, app: WatchedApplication, requestedBy: string): Promise<HandledAction[]> {
    const { previews } = this.options;
    const source = { applicationId: app.id, provider: event.provider, repository: event.repository, sourceKey: sourceKeyOf(event) };
    const link = await previews.findLink(source);
    const environments = await this.environmentFacts(app);
    const actions = decide(
      event,
      { name: app.name, ...(app.trackingBranch ? { trackingBranch: app.trackingBranch } : {}), settings: previewSettingsOf(app.manifest) },
      { ...(link ? { link: { envId: link.envId, state: link.state, ...(link.environmentId ? { environmentId: link.environmentId } : {}) } } : {}), environments },
    );
    const results: HandledAction[] = [];
    const linkFields = {
      ...source,
      workspace: app.workspace,
      app: app.name,
      ...(event.type === 'pull-request' ? { pullRequest: event.number } : {}),
      branch: event.type === 'pull-request' ? event.headBranch : event.branch,
    };
    const headSha = event.type === 'pull-request' ? event.headSha : event.type === 'branch-pushed' ? event.sha : undefined;
    for (const action of actions) {
      try {
        switch (action.kind) {
          case 'nothing':
            results.push({ app: app.name, action, outcome: 'done', message: action.reason });
            continue;
          case 'create': {
            if (action.afterTeardownOf) await this.waitForTeardown(action.afterTeardownOf);
            await previews.openLink({ ...linkFields, envId: action.envId, headSha: action.commit });
            const { environment } = await this.options.service.create(
              app.workspace,
              { app: app.name, branch: action.branch, commit: action.commit, id: action.envId, kind: 'ephemeral' },
              requestedBy,
              { invalidManifest: 'fail-environment', audit: previewAudit(app.workspace, requestedBy, ({ environment, deploy }) => ({ kind: 'environment.create', subject: environment.envId, details: { app: app.name, branch: action.branch, commit: action.commit, deploy: deploy.id } })) },
            );
            await previews.openLink({ ...linkFields, envId: action.envId, environmentId: environment.id, headSha: action.commit });
            this.logger.info(`${app.name}/${action.envId}: created for ${describe(event)}`);
            break;
          }
          case 'adopt':
            await previews.openLink({ ...linkFields, envId: action.envId, environmentId: action.environmentId, headSha: headSha ?? '' });
            this.logger.info(`${app.name}/${action.envId}: linked to ${describe(event)}`);
            break;
          case 'patch':
            await this.options.service.patch(app.workspace, action.envId, action.commit, requestedBy, {
              invalidManifest: 'fail-environment',
              audit: previewAudit(app.workspace, requestedBy, (queued) => ({ kind: 'deploy.create', subject: action.envId, details: { app: app.name, deploy: queued.id, commit: action.commit } })),
            });
            if (!action.permanent && link) await previews.updateLink(link.id, { headSha: action.commit, branch: linkFields.branch });
            this.logger.info(`${app.name}/${action.envId}: patching to ${action.commit.slice(0, 12)} for ${describe(event)}`);
            break;
          case 'teardown':
            if (action.environmentId) {
              await this.options.service.delete(app.workspace, action.envId, requestedBy, {
                audit: previewAudit(app.workspace, requestedBy, ({ deploy }) => ({ kind: 'environment.delete', subject: action.envId, details: { app: app.name, deploy: deploy.id } })),
              });
            }
            if (link) await previews.updateLink(link.id, { state: 'closed' });
            this.logger.info(`${app.name}/${action.envId}: ${action.environmentId ? 'tearing down' : 'link closed'} for ${describe(event)}`);
            break;
        }
        results.push({ app: app.name, action, outcome: 'done' });
      } catch (error) {
        // A protected environment refuses the change (403): the pull request is told, and the rest goes on.
        if (!(error instanceof InputError || error instanceof ConflictError || error instanceof NotFoundError || error instanceof NotAllowedError)) throw error;
        const message = (error as Error).message;
        this.logger.error(`${app.name}: ${action.kind} ${'envId' in action ? action.envId : ''} for ${describe(event)} refused: ${message}`);
        results.push({ app: app.name, action, outcome: 'failed', message });
        for (const listener of this.failureListeners) {
          await Promise.resolve()
            .then(() => listener({ app, event, action, error: error as Error }))
            .catch((e: Error) => this.logger.error(`preview failure listener: ${e.message}`));
        }
      }
    }
    return results;
  }

  /** The workspace's live environments; for the application's own, the commit their latest setup or patch deploys. */
  private async environmentFacts(app: WatchedApplication): Promise<EnvironmentFacts[]> {
    const live = await this.options.environments.listLive(app.workspace);
    return Promise.all(
      live.map(async (env: StoredEnvironment): Promise<EnvironmentFacts> => {
        let commit = env.commit;
        if (env.app === app.name) {
          const latest = (await this.options.environments.listDeploys(env.id, 10)).find((d) => d.workflow !== 'teardown' && d.state !== 'cancelled');
          commit = latest?.commit ?? commit;
        }
        return { id: env.id, envId: env.envId, app: env.app, branch: env.branch, kind: env.kind, deleting: env.status === 'deleting', ...(commit ? { commit } : {}) };
      }),
    );
  }

  private async waitForTeardown(environmentId: string): Promise<void> {
    const until = Date.now() + (this.options.teardownWaitMs ?? 600_000);
    for (;;) {
      const env = await this.options.environments.getById(environmentId);
      if (!env || env.deletedAt) return;
      if (Date.now() > until) throw new InputError(`environment ${env.envId} is still being torn down; its successor was not created`);
      await sleep(200);
    }
  }
}

function describe(event: SourceEvent): string {
  if (event.type === 'pull-request') return `pull request #${event.number} (${event.action})`;
  return event.type === 'branch-pushed' ? `a push to ${event.branch}` : `the deletion of ${event.branch}`;
}

/**
 * The audit hook of a change a pull request or a push makes: done by Slipway itself, and
 * `details.trigger` says which event (the webhook or poll that carried it writes no entry).
 */
function previewAudit<T>(workspace: string, trigger: string, entryOf: (result: T) => Omit<AuditEntryInput, 'workspace' | 'actor'>): AuditHook<T> {
  return (tx, result) => {
    const entry = entryOf(result);
    return recordAudit(tx, { ...entry, workspace, actor: 'slipway', details: { ...entry.details, trigger } });
  };
}
