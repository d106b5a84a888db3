// Pre-releases started by pull requests. When a pull request of an application opens, reopens or is
// pushed to, and the application belongs to a set whose track has pre-release stages, its head
// becomes a pre-release snapshot and a pre-release of it starts, as `slipway releases create` would
// — deploying that application alone into the stage's environments and running the stage's tests,
// its commit status and the pull request's comment kept up to date (pre-release-status.ts). While
// the stage's environments are busy it waits, Pending, in the order it asked: the controller's queue
// is in the store, so a restart keeps it. A push supersedes the pull request's pre-release of an
// older head; closing the pull request stops its pre-releases, which frees the environments for the
// next one. Everything is done by `slipway` and lands in the audit ledger with the pull request.

import { ConflictError, InputError, NotFoundError, pullRequestPreReleasePlan, stagesFor, type ActivePreRelease } from '@slipway/core';
import type { PullRequestEvent } from '../sources/source-provider.ts';
import type { HandledAction } from '../sources/preview-coordinator.ts';
import type { WatchedApplication } from '../store/previews.ts';
import type { ReleaseCatalog, StoredApplicationSet } from '../store/release-catalog.ts';
import type { ReleaseStore } from '../store/releases.ts';
import type { EngineLogger } from '../workflows/workflow-engine.ts';
import type { ReleaseService } from './release-service.ts';
import type { SnapshotService } from './snapshot-service.ts';

export interface PullRequestPreReleasesOptions {
  catalog: ReleaseCatalog;
  releases: ReleaseStore;
  snapshots: SnapshotService;
  service: ReleaseService;
  logger?: EngineLogger;
}

const ACTOR = 'slipway';

export class PullRequestPreReleases {
  constructor(private readonly options: PullRequestPreReleasesOptions) {}

  /**
   * Acts on a pull request event for each application of its repository. Refusals (no such set
   * member, a track without pre-release stages) are reported as failed actions; a platform error
   * is thrown, so the delivery is handled again.
   */
  async handle(event: PullRequestEvent, apps: readonly WatchedApplication[]): Promise<HandledAction[]> {
    const handled: HandledAction[] = [];
    for (const app of apps) {
      for (const set of await this.setsWithPreReleases(app)) {
        try {
          handled.push(...(await this.handleFor(event, app, set)));
        } catch (error) {
          if (!(error instanceof InputError || error instanceof ConflictError || error instanceof NotFoundError)) throw error;
          this.options.logger?.error(`${app.name}: pre-release for pull request #${event.number} refused: ${(error as Error).message}`);
          handled.push({ app: app.name, action: { kind: 'nothing', reason: 'pre-release' }, outcome: 'failed', message: (error as Error).message });
        }
      }
    }
    return handled;
  }

  private async handleFor(event: PullRequestEvent, app: WatchedApplication, set: StoredApplicationSet): Promise<HandledAction[]> {
    const { releases, service, snapshots } = this.options;
    const active = await this.activePreReleases(app, set, event.number);
    const plan = pullRequestPreReleasePlan(event, active);
    const details = { pullRequest: event.number, repository: event.repository, provider: event.provider, action: event.action, headSha: event.headSha };
    const handled: HandledAction[] = [];
    for (const stop of plan.stop) {
      const release = await releases.getRelease(stop.id);
      if (!release) continue;
      await service.abort(app.workspace, String(release.number), ACTOR, stop.reason, details).catch((error: Error) => {
        // It ended meanwhile: nothing left to stop.
        if (!(error instanceof ConflictError)) throw error;
      });
      this.options.logger?.info(`${app.name}: pre-release #${release.number} stopped: ${stop.reason}`);
      handled.push({ app: app.name, action: { kind: 'nothing', reason: `pre-release #${release.number} stopped` }, outcome: 'done' });
    }
    if (plan.start) {
      const snapshot = await snapshots.createForPullRequest(app.workspace, { set: set.name, app: app.name, pullRequest: event.number, commit: event.headSha, branch: event.headBranch }, ACTOR);
      const created = await service.create(app.workspace, { snapshot: snapshot.id }, ACTOR, { reason: `for pull request #${event.number} (${event.action})`, details: { ...details, trigger: 'pull-request' } });
      this.options.logger?.info(`${app.name}: pre-release #${created.release.number} of pull request #${event.number} at ${event.headSha.slice(0, 12)} (${created.release.state})`);
      handled.push({ app: app.name, action: { kind: 'nothing', reason: `pre-release #${created.release.number} started` }, outcome: 'done' });
    }
    return handled;
  }

  /** The sets the application belongs to whose track has pre-release stages. */
  private async setsWithPreReleases(app: WatchedApplication): Promise<StoredApplicationSet[]> {
    const found: StoredApplicationSet[] = [];
    for (const set of await this.options.catalog.listSets(app.workspace)) {
      const members = await this.options.snapshots.members(app.workspace, set).catch(() => []);
      if (!members.some((m) => m.id === app.id)) continue;
      const track = await this.options.service.trackFor(app.workspace, set.name).catch(() => undefined);
      if (track && stagesFor(track.spec, 'pre-release').length) found.push(set);
    }
    return found;
  }

  /** The pre-releases of this pull request of the application in the set that have not ended. */
  private async activePreReleases(app: WatchedApplication, set: StoredApplicationSet, number: number): Promise<ActivePreRelease[]> {
    const active: ActivePreRelease[] = [];
    for (const release of await this.options.releases.listReleases(app.workspace, { set: set.name, active: true, limit: 500 })) {
      if (release.kind !== 'pre-release') continue;
      const component = (await this.options.catalog.getSnapshot(release.snapshotId))?.components[0];
      if (component?.app === app.name && component.pullRequest === number) active.push({ id: release.id, number: release.number, commit: component.commit });
    }
    return active;
  }
}
